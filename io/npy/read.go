package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/lowdim/lowdim/io/internal/decode"
	"github.com/lowdim/lowdim/io/internal/half"
)

// chunkBytes is the size of the buffer ReadRows decodes through.
// Tests lower it to exercise chunk boundaries.
var chunkBytes = 1 << 16

// seekThreshold is the smallest forward gap that ReadRows seeks over rather
// than reads through, when r is an io.Seeker.
var seekThreshold int64 = 1 << 14

// ReadRows reads rows [start, end) of the array described by h into dst,
// row-major: dst[(i-start)*h.Cols+j] is element (i, j). It converts every
// element to float64 exactly (float16 and float32 values are representable).
//
// r reads the file that h was read from. If r is an io.Seeker, its offsets are
// taken as file offsets (offset 0 is the magic string) and ReadRows seeks to
// what it needs, so r may be anywhere. Otherwise r must be positioned at byte
// h.DataOffset, as ReadHeader leaves it, and bytes before the wanted ones are
// read and discarded.
//
// In C order the rows are one contiguous span. In Fortran order each column
// holds its rows contiguously, h.Rows elements apart, so ReadRows reads one
// segment of end-start elements per column.
//
// A file that ends early gives an *Error stating the byte offset at which
// data was missing.
func ReadRows(r io.Reader, h Header, start, end int, dst []float64) error {
	if start < 0 || end > h.Rows || start > end {
		return fmt.Errorf("npy: row range [%d, %d) outside the %d rows of shape %s", start, end, h.Rows, shapeString(h.Shape))
	}
	n := end - start
	if len(dst) < n*h.Cols {
		return fmt.Errorf("npy: dst has length %d, rows [%d, %d) need %d", len(dst), start, end, n*h.Cols)
	}
	if n == 0 || h.Cols == 0 {
		return nil
	}
	if h.order == nil {
		if err := h.setDType(); err != nil {
			return fmt.Errorf("npy: %v", err)
		}
	}
	c := &cursor{r: r, pos: h.DataOffset}
	if s, ok := r.(io.Seeker); ok {
		c.s = s
		c.pos = -1 // unknown until the first seek
	}
	size := int64(h.ItemSize)
	if !h.Fortran || h.Cols == 1 {
		off := h.DataOffset + int64(start)*int64(h.Cols)*size
		return c.decode(off, n*h.Cols, h, dst[:n*h.Cols], 1)
	}
	for j := 0; j < h.Cols; j++ {
		off := h.DataOffset + (fortranColumn(h.Shape, j)*int64(h.Rows)+int64(start))*size
		if err := c.decode(off, n, h, dst[j:], h.Cols); err != nil {
			return err
		}
	}
	return nil
}

// DecodeRows converts b, the bytes of rows [start, end) of a C-order array
// described by h (len(b) = (end-start)·h.Cols·h.ItemSize), to float64 in
// dst, as ReadRows does when it reads those bytes from a file: it lets a
// caller that holds the bytes already (a memory-mapped file) skip the copy.
// It returns an error for a Fortran-order h and panics if dst or b is too short.
func DecodeRows(h Header, b []byte, dst []float64) error {
	if h.Fortran && h.Cols > 1 {
		return fmt.Errorf("npy: DecodeRows needs C order")
	}
	if h.order == nil {
		if err := h.setDType(); err != nil {
			return fmt.Errorf("npy: %v", err)
		}
	}
	n := len(b) / h.ItemSize
	decodeInto(dst[:n], b[:n*h.ItemSize], h.ItemSize, h.order)
	return nil
}

// fortranColumn returns the index, in Fortran storage order, of the column
// segment holding matrix column j, where j indexes the trailing axes
// shape[1:] flattened in C order. For a 2-D shape it is j.
func fortranColumn(shape []int, j int) int64 {
	var idx, stride int64 = 0, 1
	// Split j into (i_1, …, i_{k-1}) with the last axis fastest; in Fortran
	// order the stride of axis m is shape[1]·…·shape[m-1] column segments.
	strides := make([]int64, len(shape))
	for m := 1; m < len(shape); m++ {
		strides[m] = stride
		stride *= int64(shape[m])
	}
	for m := len(shape) - 1; m >= 1; m-- {
		d := shape[m]
		idx += int64(j%d) * strides[m]
		j /= d
	}
	return idx
}

// cursor reads a file forwards from known offsets, seeking when it can.
type cursor struct {
	r   io.Reader
	s   io.Seeker // nil when r cannot seek
	pos int64     // file offset of the next byte r yields; -1 if unknown
	buf []byte
	tmp []float64 // a chunk of decoded elements on their way to a strided dst
}

// moveTo positions the cursor at file offset off.
func (c *cursor) moveTo(off int64) error {
	if c.pos == off {
		return nil
	}
	if c.s != nil && (c.pos < 0 || off < c.pos || off-c.pos >= seekThreshold) {
		if _, err := c.s.Seek(off, io.SeekStart); err != nil {
			return &Error{Section: "data", Offset: off, Err: err}
		}
		c.pos = off
		return nil
	}
	if off < c.pos {
		return &Error{Section: "data", Offset: off, Err: fmt.Errorf("cannot go back from byte %d on a reader that does not seek", c.pos)}
	}
	k, err := io.CopyN(io.Discard, c.r, off-c.pos)
	c.pos += k
	if err != nil {
		return &Error{Section: "data", Offset: c.pos, Err: fmt.Errorf("skipping to byte %d: %v (file truncated?)", off, noEOF(err))}
	}
	return nil
}

// decode reads count elements starting at file offset off and stores element
// k at dst[k*stride].
func (c *cursor) decode(off int64, count int, h Header, dst []float64, stride int) error {
	if err := c.moveTo(off); err != nil {
		return err
	}
	size := h.ItemSize
	if c.buf == nil {
		c.buf = make([]byte, max(chunkBytes/size, 1)*size)
	}
	k := 0
	for k < count {
		m := min(count-k, len(c.buf)/size)
		b := c.buf[:m*size]
		got, err := io.ReadFull(c.r, b)
		if err != nil {
			at := c.pos + int64(got)
			c.pos = -1
			return &Error{Section: "data", Offset: at, Err: fmt.Errorf(
				"%v: shape %s of %s needs data up to byte %d (file truncated?)",
				noEOF(err), shapeString(h.Shape), h.Descr, h.DataOffset+h.DataSize())}
		}
		c.pos += int64(got)
		if stride == 1 {
			decodeInto(dst[k:k+m], b, size, h.order)
		} else {
			if c.tmp == nil {
				c.tmp = make([]float64, len(c.buf)/size)
			}
			decodeInto(c.tmp[:m], b, size, h.order)
			for i, v := range c.tmp[:m] {
				dst[(k+i)*stride] = v
			}
		}
		k += m
	}
	return nil
}

// decodeInto converts the len(dst) elements in b, each size bytes in byte
// order o, to float64.
func decodeInto(dst []float64, b []byte, size int, o binary.ByteOrder) {
	if o == binary.ByteOrder(binary.LittleEndian) {
		switch size {
		case 8:
			decode.Float64LE(dst, b)
		case 4:
			decode.Float32LE(dst, b)
		case 2:
			decode.Float16LE(dst, b)
		}
		return
	}
	switch size {
	case 8:
		for k := range dst {
			dst[k] = math.Float64frombits(o.Uint64(b[8*k:]))
		}
	case 4:
		for k := range dst {
			dst[k] = float64(math.Float32frombits(o.Uint32(b[4*k:])))
		}
	case 2:
		for k := range dst {
			dst[k] = half.ToFloat64(o.Uint16(b[2*k:]))
		}
	}
}
