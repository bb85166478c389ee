// Package idx reads IDX files, the format of the MNIST data set, as matrices.
//
// An IDX file is a 4-byte magic number — two zero bytes, a type code and the
// number of dimensions k — then k big-endian uint32 dimension sizes, then the
// elements in C (row-major) order, big-endian. Type codes (LeCun, Cortes and
// Burges, "The MNIST database", file format section):
//
//	0x08 unsigned byte   0x09 signed byte   0x0B short (2 bytes)
//	0x0C int (4 bytes)   0x0D float (4)     0x0E double (8)
//
// An array of shape (d0, d1, …, dk-1) is read as d0 rows × d1·…·dk-1 columns:
// MNIST images (magic 0x00000803, 60000×28×28) as 60000 × 784, labels
// (0x00000801) as n × 1. Every element converts to float64 exactly.
//
// A header value never sizes an allocation before it has been checked: the
// byte size must not overflow and, when the file size is known, must match it.
package idx

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// Error is a positioned error in an IDX file.
type Error struct {
	Offset int64 // byte offset in the (decompressed) file
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("idx: byte %d: %v", e.Offset, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

func errAt(off int64, format string, args ...any) error {
	return &Error{Offset: off, Err: fmt.Errorf(format, args...)}
}

// Type codes of the IDX format.
const (
	UByte  = 0x08
	SByte  = 0x09
	Short  = 0x0B
	Int    = 0x0C
	Float  = 0x0D
	Double = 0x0E
)

// Header is the parsed header of an IDX file.
type Header struct {
	Type       byte  // type code, one of UByte … Double
	Dims       []int // dimension sizes as written
	DataOffset int64 // 4 + 4·len(Dims)
	Rows, Cols int   // matrix view of Dims; see the package doc
	ItemSize   int   // bytes per element: 1, 2, 4 or 8
}

// DType returns the NumPy name of the element type: "uint8", "int8",
// "int16", "int32", "float32" or "float64".
func (h Header) DType() string {
	switch h.Type {
	case UByte:
		return "uint8"
	case SByte:
		return "int8"
	case Short:
		return "int16"
	case Int:
		return "int32"
	case Float:
		return "float32"
	}
	return "float64"
}

// Magic returns the header's magic number, e.g. 0x00000803 for MNIST images.
func (h Header) Magic() uint32 { return uint32(h.Type)<<8 | uint32(len(h.Dims)) }

// DataSize returns Rows·Cols·ItemSize, the bytes after the header.
// ReadHeader has checked that it does not overflow.
func (h Header) DataSize() int64 { return int64(h.Rows) * int64(h.Cols) * int64(h.ItemSize) }

// CheckSize returns an error unless a file of size bytes holds exactly the
// data the header describes.
func (h Header) CheckSize(size int64) error {
	want := h.DataOffset + h.DataSize()
	switch {
	case size < want:
		return errAt(size, "file ends after %d bytes, shape %s of %s needs %d (file truncated?)", size, shapeString(h.Dims), h.DType(), want)
	case size > want:
		return errAt(want, "file has %d bytes after the data of shape %s of %s (wrong dimensions, or not an IDX file?)", size-want, shapeString(h.Dims), h.DType())
	}
	return nil
}

// ReadHeader reads the header of an IDX file from r, which must be at the
// file's first byte, and leaves r at h.DataOffset. size is the file size in
// bytes, or negative when it is not known (a gzip stream); a known size must
// match the header (CheckSize).
func ReadHeader(r io.Reader, size int64) (Header, error) {
	var h Header
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		if n == 0 && err == io.EOF {
			return h, errAt(0, "empty file, not an IDX file")
		}
		return h, errAt(int64(n), "reading the magic number: %v (file truncated?)", noEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return h, errAt(0, "bad magic %#08x: the first two bytes must be zero (not an IDX file?)", binary.BigEndian.Uint32(magic[:]))
	}
	h.Type = magic[2]
	switch h.Type {
	case UByte, SByte:
		h.ItemSize = 1
	case Short:
		h.ItemSize = 2
	case Int, Float:
		h.ItemSize = 4
	case Double:
		h.ItemSize = 8
	default:
		return h, errAt(2, "unknown type code 0x%02x; want 0x08 (ubyte), 0x09 (sbyte), 0x0B (short), 0x0C (int), 0x0D (float) or 0x0E (double)", h.Type)
	}
	k := int(magic[3])
	if k == 0 {
		return h, errAt(3, "0 dimensions: a scalar, not a matrix")
	}
	h.DataOffset = 4 + 4*int64(k)
	if size >= 0 && size < h.DataOffset {
		return h, errAt(size, "file ends after %d bytes, the header of %d dimensions needs %d (file truncated?)", size, k, h.DataOffset)
	}
	dims := make([]byte, 4*k) // k ≤ 255
	if n, err := io.ReadFull(r, dims); err != nil {
		return h, errAt(4+int64(n), "reading %d dimension sizes: %v (file truncated?)", k, noEOF(err))
	}
	h.Dims = make([]int, k)
	// Bound the product of the non-zero dimensions, so that neither the
	// byte size nor Cols overflows even when another dimension is 0.
	var nonzero int64 = 1
	for i := range h.Dims {
		d := int64(binary.BigEndian.Uint32(dims[4*i:]))
		h.Dims[i] = int(d)
		if d == 0 {
			continue
		}
		if nonzero > math.MaxInt64/8/d {
			return h, errAt(4+4*int64(i), "shape %s: byte size overflows", shapeString(h.Dims[:i+1]))
		}
		nonzero *= d
	}
	h.Rows, h.Cols = h.Dims[0], 1
	for _, d := range h.Dims[1:] {
		h.Cols *= d
	}
	if size >= 0 {
		if err := h.CheckSize(size); err != nil {
			return h, err
		}
	}
	return h, nil
}

// chunkBytes is the size of the buffer ReadRows decodes through.
var chunkBytes = 1 << 16

// ReadRows reads rows [start, end) of the matrix described by h into dst,
// row-major: dst[(i-start)*h.Cols+j] is element (i, j).
//
// If r is an io.Seeker its offsets are file offsets and ReadRows seeks to the
// rows. Otherwise r is a stream at file offset pos (h.DataOffset after
// ReadHeader) and the bytes before the rows are read and discarded.
//
// A file that ends early gives an *Error stating the byte offset at which
// data was missing. ReadRows panics if dst is shorter than (end-start)·h.Cols.
func ReadRows(r io.Reader, pos int64, h Header, start, end int, dst []float64) error {
	if start < 0 || end > h.Rows || start > end {
		return fmt.Errorf("idx: row range [%d, %d) outside the %d rows of shape %s", start, end, h.Rows, shapeString(h.Dims))
	}
	size := h.ItemSize
	count := (end - start) * h.Cols
	dst = dst[:count]
	if count == 0 {
		return nil
	}
	off := h.DataOffset + int64(start)*int64(h.Cols)*int64(size)
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			return errAt(off, "seeking to row %d: %v", start+1, err)
		}
	} else {
		if off < pos {
			return errAt(pos, "cannot go back to byte %d on a reader that does not seek", off)
		}
		k, err := io.CopyN(io.Discard, r, off-pos)
		if err != nil {
			return errAt(pos+k, "skipping to row %d at byte %d: %v (file truncated?)", start+1, off, noEOF(err))
		}
	}
	buf := make([]byte, min(max(chunkBytes/size, 1), count)*size)
	for k := 0; k < count; {
		m := min(count-k, len(buf)/size)
		b := buf[:m*size]
		got, err := io.ReadFull(r, b)
		if err != nil {
			return errAt(off+int64(got), "%v: shape %s of %s needs data up to byte %d (file truncated?)", noEOF(err), shapeString(h.Dims), h.DType(), h.DataOffset+h.DataSize())
		}
		off += int64(got)
		decode(dst[k:k+m], b, h.Type)
		k += m
	}
	return nil
}

func decode(dst []float64, b []byte, typ byte) {
	be := binary.BigEndian
	switch typ {
	case UByte:
		for k := range dst {
			dst[k] = float64(b[k])
		}
	case SByte:
		for k := range dst {
			dst[k] = float64(int8(b[k]))
		}
	case Short:
		for k := range dst {
			dst[k] = float64(int16(be.Uint16(b[2*k:])))
		}
	case Int:
		for k := range dst {
			dst[k] = float64(int32(be.Uint32(b[4*k:])))
		}
	case Float:
		for k := range dst {
			dst[k] = float64(math.Float32frombits(be.Uint32(b[4*k:])))
		}
	case Double:
		for k := range dst {
			dst[k] = math.Float64frombits(be.Uint64(b[8*k:]))
		}
	}
}

// Write writes data, row-major with the given dims, to w as an IDX file of
// type code typ, converting each value to the type (truncating toward zero
// for the integer types, rounding to nearest for Float). It returns an error
// when len(data) is not the product of dims or the type code is unknown.
func Write(w io.Writer, typ byte, dims []int, data []float64) error {
	h := Header{Type: typ}
	n := 1
	for _, d := range dims {
		n *= d
	}
	if len(dims) == 0 || len(dims) > 255 || n != len(data) {
		return fmt.Errorf("idx: %d values for shape %s", len(data), shapeString(dims))
	}
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	for _, v := range data {
		switch typ {
		case UByte, SByte:
			b = append(b, byte(int64(v)))
		case Short:
			b = binary.BigEndian.AppendUint16(b, uint16(int64(v)))
		case Int:
			b = binary.BigEndian.AppendUint32(b, uint32(int64(v)))
		case Float:
			b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v)))
		case Double:
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
		default:
			return fmt.Errorf("idx: unknown type code 0x%02x", h.Type)
		}
	}
	_, err := w.Write(b)
	return err
}

func shapeString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	if len(dims) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
