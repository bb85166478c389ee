package safetensors

import (
	"fmt"
	"io"

	"github.com/lowdim/lowdim/io/internal/decode"
)

// chunkBytes is the size of the buffer ReadRows decodes through.
var chunkBytes = 1 << 16

// ReadRows reads rows [start, end) of the matrix view of t into dst,
// row-major: dst[(i-start)*t.Cols()+j] is element (i, j). Every element is
// converted to float64 exactly (F32, F16 and BF16 values are representable).
//
// If r is an io.Seeker its offsets are file offsets and ReadRows seeks to the
// rows. Otherwise r is a stream at file offset pos (for instance h.DataOffset
// after ReadHeader, or t.End of an earlier tensor) and the bytes before the
// rows are read and discarded; pos must not be past them.
//
// A file that ends early gives an *Error stating the byte offset at which
// data was missing. ReadRows panics if dst is shorter than (end-start)·Cols.
func ReadRows(r io.Reader, pos int64, t Tensor, start, end int, dst []float64) error {
	if err := t.CheckMatrix(); err != nil {
		return errAt(t.Begin, "%v", err)
	}
	rows, cols := t.Rows(), t.Cols()
	if start < 0 || end > rows || start > end {
		return fmt.Errorf("safetensors: row range [%d, %d) outside the %d rows of tensor %q", start, end, rows, t.Name)
	}
	size := t.ItemSize()
	count := (end - start) * cols
	dst = dst[:count]
	off := t.Begin + int64(start)*int64(cols)*int64(size)
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			return errAt(off, "seeking to tensor %q row %d: %v", t.Name, start+1, err)
		}
	} else {
		if off < pos {
			return errAt(pos, "cannot go back to byte %d on a reader that does not seek", off)
		}
		k, err := io.CopyN(io.Discard, r, off-pos)
		if err != nil {
			return errAt(pos+k, "skipping to tensor %q row %d at byte %d: %v (file truncated?)", t.Name, start+1, off, noEOF(err))
		}
	}
	buf := make([]byte, min(max(chunkBytes/size, 1), count)*size)
	for k := 0; k < count; {
		m := min(count-k, len(buf)/size)
		b := buf[:m*size]
		got, err := io.ReadFull(r, b)
		if err != nil {
			return errAt(off+int64(got), "%v: tensor %q needs data up to byte %d (file truncated?)", noEOF(err), t.Name, t.End)
		}
		off += int64(got)
		convert(dst[k:k+m], b, t.DType)
		k += m
	}
	return nil
}

// convert converts the little-endian elements of b to dst.
func convert(dst []float64, b []byte, dtype string) {
	switch dtype {
	case "F64":
		decode.Float64LE(dst, b)
	case "F32":
		decode.Float32LE(dst, b)
	case "F16":
		decode.Float16LE(dst, b)
	case "BF16":
		decode.BFloat16LE(dst, b)
	}
}

// DecodeRows converts b, the bytes of consecutive rows of t (a multiple of
// t.ItemSize() bytes), to float64 in dst, as ReadRows does when it reads
// those bytes from a file: it lets a caller that holds the bytes already (a
// memory-mapped file) skip the copy. It panics if dst is too short.
func DecodeRows(t Tensor, b []byte, dst []float64) {
	n := len(b) / t.ItemSize()
	convert(dst[:n], b[:n*t.ItemSize()], t.DType)
}
