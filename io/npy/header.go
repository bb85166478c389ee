// Package npy reads and writes two-dimensional floating-point arrays in the
// NumPy .npy format (format versions 1.0, 2.0 and 3.0).
//
// A .npy file is the magic string "\x93NUMPY", a two-byte version, a
// little-endian header length (2 bytes in version 1.0, 4 bytes in 2.0 and
// 3.0), a Python dict literal with the keys 'descr', 'fortran_order' and
// 'shape', and then the raw array data. The format is specified in
// numpy/lib/format.py (NEP 1).
//
// Only the float dtypes <f2 >f2 <f4 >f4 <f8 >f8 are read; object arrays
// ('|O') are refused, never unpickled. A header value is never used to size an
// allocation before it has been checked: the element count must not overflow
// and, when the file size is known, the data must fit in the file.
//
// Arrays of rank 1 are read as n×1 matrices; arrays of rank greater than 2
// are read as shape[0] × (shape[1]·…·shape[k-1]) matrices, the trailing axes
// flattened in C order as NumPy's a.reshape(len(a), -1) does.
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Magic is the first six bytes of every .npy file.
const Magic = "\x93NUMPY"

// MaxHeaderLen is the largest header dict accepted, in bytes. NumPy itself
// refuses headers over 10000 bytes by default (np.load's max_header_size).
const MaxHeaderLen = 1 << 16

// Error is a positioned error in a .npy stream.
type Error struct {
	Section string // "header" or "data"
	Offset  int64  // byte offset in the file
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("npy: %s at byte %d: %v", e.Section, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrObjectDType is returned for arrays of Python objects ('|O'), whose data
// is a pickle. lowdim never unpickles.
var ErrObjectDType = errors.New("object dtype '|O' refused: reading it would mean unpickling Python objects")

func headerErr(off int64, format string, args ...any) error {
	return &Error{Section: "header", Offset: off, Err: fmt.Errorf(format, args...)}
}

// Header is the parsed header of a .npy file.
type Header struct {
	Version    [2]byte // format version: {1,0}, {2,0} or {3,0}
	Descr      string  // dtype descriptor, e.g. "<f8"
	Fortran    bool    // data stored in column-major (Fortran) order
	Shape      []int   // array shape as written
	DataOffset int64   // byte offset of the first data byte

	Rows, Cols int // matrix view of Shape; see the package doc
	ItemSize   int // bytes per element: 2, 4 or 8
	order      binary.ByteOrder
}

// DType returns the NumPy name of the element type: "float16", "float32" or
// "float64".
func (h Header) DType() string {
	return "float" + strconv.Itoa(8*h.ItemSize)
}

// DataSize returns the number of data bytes the header describes,
// Rows·Cols·ItemSize. ReadHeader has checked that it does not overflow.
func (h Header) DataSize() int64 {
	return int64(h.Rows) * int64(h.Cols) * int64(h.ItemSize)
}

// CheckSize returns an error when a file of size bytes is too short to hold
// the data the header describes.
func (h Header) CheckSize(size int64) error {
	want := h.DataOffset + h.DataSize()
	if size < want {
		return &Error{Section: "data", Offset: size, Err: fmt.Errorf(
			"file ends after %d bytes, shape %s of %s needs %d (file truncated?)",
			size, shapeString(h.Shape), h.Descr, want)}
	}
	return nil
}

// sizer is implemented by *bytes.Reader, *strings.Reader and
// *io.SectionReader.
type sizer interface{ Size() int64 }

// statter is implemented by *os.File.
type statter interface{ Stat() (os.FileInfo, error) }

// knownSize returns the total size of r's underlying file when r can tell it.
func knownSize(r io.Reader) (int64, bool) {
	switch r := r.(type) {
	case sizer:
		return r.Size(), true
	case statter:
		fi, err := r.Stat()
		if err == nil && fi.Mode().IsRegular() {
			return fi.Size(), true
		}
	}
	return 0, false
}

// ReadHeader reads the header of a .npy file from r, which must be at the
// file's first byte, and leaves r at h.DataOffset. When r can tell the size of
// its file (Size() int64 or Stat()), the header is also checked against it
// with CheckSize.
//
// Errors are *Error values stating the byte offset of the fault, e.g.
//
//	npy: header at byte 10: expected '{', found 'x'
func ReadHeader(r io.Reader) (Header, error) {
	var h Header
	var pre [12]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		if n == 0 && err == io.EOF {
			return h, headerErr(0, "empty file, not a .npy file")
		}
		if n < len(Magic) || string(pre[:len(Magic)]) == Magic {
			return h, headerErr(int64(n), "%v", noEOF(err))
		}
	}
	if string(pre[:len(Magic)]) != Magic {
		return h, headerErr(0, "bad magic %q, not a .npy file", pre[:len(Magic)])
	}
	h.Version = [2]byte{pre[6], pre[7]}
	var hlen int
	switch h.Version {
	case [2]byte{1, 0}:
		if n, err := io.ReadFull(r, pre[8:10]); err != nil {
			return h, headerErr(8+int64(n), "reading header length: %v", noEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
		h.DataOffset = 10
	case [2]byte{2, 0}, [2]byte{3, 0}:
		if n, err := io.ReadFull(r, pre[8:12]); err != nil {
			return h, headerErr(8+int64(n), "reading header length: %v", noEOF(err))
		}
		l := binary.LittleEndian.Uint32(pre[8:12])
		if l > MaxHeaderLen {
			return h, headerErr(8, "header length %d exceeds the limit of %d bytes", l, MaxHeaderLen)
		}
		hlen = int(l)
		h.DataOffset = 12
	default:
		return h, headerErr(6, "unsupported format version %d.%d", h.Version[0], h.Version[1])
	}
	start := h.DataOffset
	buf := make([]byte, hlen)
	if n, err := io.ReadFull(r, buf); err != nil {
		return h, headerErr(start+int64(n), "header length is %d bytes, file ends after %d: %v", hlen, n, noEOF(err))
	}
	h.DataOffset += int64(hlen)
	text := string(buf)
	if h.Version[0] < 3 {
		// Versions 1.0 and 2.0 are latin-1; the dict of a float array is ASCII.
		for i := 0; i < len(buf); i++ {
			if buf[i] >= 0x80 {
				return h, headerErr(start+int64(i), "non-ASCII byte 0x%02x in a version %d.0 header", buf[i], h.Version[0])
			}
		}
	} else if !utf8.ValidString(text) {
		return h, headerErr(start, "header is not valid UTF-8")
	}
	p := &dictParser{s: text, base: start}
	if err := p.parse(&h); err != nil {
		return h, err
	}
	if size, ok := knownSize(r); ok {
		if err := h.CheckSize(size); err != nil {
			return h, err
		}
	}
	return h, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: inside a file any EOF is early.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// dictParser parses the Python dict literal of a .npy header, e.g.
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
//
// followed by padding spaces and a newline.
type dictParser struct {
	s    string
	i    int
	base int64 // file offset of s[0]
}

func (p *dictParser) errf(format string, args ...any) error {
	return headerErr(p.base+int64(p.i), format, args...)
}

func (p *dictParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) found() string {
	if p.i >= len(p.s) {
		return "end of header"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return strconv.QuoteRune(r)
}

func (p *dictParser) expect(c byte) error {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return p.errf("expected '%c', found %s", c, p.found())
	}
	p.i++
	return nil
}

// str parses a Python string literal in single or double quotes. Escapes are
// not needed by any valid key or float descr and are refused.
func (p *dictParser) str() (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errf("expected a quoted string, found %s", p.found())
	}
	q := p.s[p.i]
	j := p.i + 1
	for j < len(p.s) && p.s[j] != q {
		if p.s[j] == '\\' || p.s[j] == '\n' {
			p.i = j
			return "", p.errf("unsupported character %s in string", p.found())
		}
		j++
	}
	if j >= len(p.s) {
		return "", p.errf("unterminated string")
	}
	v := p.s[p.i+1 : j]
	p.i = j + 1
	return v, nil
}

func (p *dictParser) boolean() (bool, error) {
	p.space()
	switch {
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return false, p.errf("fortran_order: expected True or False, found %s", p.found())
}

// shape parses a tuple of non-negative integers: (), (3,), (3, 4) or (3, 4,).
// A parenthesised single integer such as (3) is an int in Python, not a
// tuple, and is refused as NumPy refuses it.
func (p *dictParser) shape() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape := []int{}
	comma := false // the last item was followed by a comma
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			if len(shape) == 1 && !comma {
				return nil, p.errf("shape: (%d) is not a tuple; want (%d,)", shape[0], shape[0])
			}
			p.i++
			return shape, nil
		}
		if len(shape) > 0 && !comma {
			return nil, p.errf("shape: expected ',' or ')', found %s", p.found())
		}
		if len(shape) >= 32 { // NPY_MAXDIMS
			return nil, p.errf("shape has more than 32 dimensions")
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, p.errf("shape: expected a non-negative integer, found %s", p.found())
		}
		n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil || n > math.MaxInt64/8 {
			return nil, p.errf("shape: dimension %s is too large", p.s[p.i:j])
		}
		p.i = j
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long, as in (3L, 4L)
			p.i++
		}
		shape = append(shape, int(n))
		p.space()
		comma = p.i < len(p.s) && p.s[p.i] == ','
		if comma {
			p.i++
		}
	}
}

func (p *dictParser) parse(h *Header) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	var haveDescr, haveOrder, haveShape bool
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			break
		}
		keyAt := p.i
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		p.space()
		valAt := p.i
		switch key {
		case "descr":
			if haveDescr {
				p.i = keyAt
				return p.errf("duplicate key 'descr'")
			}
			haveDescr = true
			if p.i < len(p.s) && p.s[p.i] == '[' {
				return p.errf("structured dtype (a list descr) is not supported; want a float dtype")
			}
			if h.Descr, err = p.str(); err != nil {
				return err
			}
			if err := h.setDType(); err != nil {
				p.i = valAt
				return p.errf("%w", err)
			}
		case "fortran_order":
			if haveOrder {
				p.i = keyAt
				return p.errf("duplicate key 'fortran_order'")
			}
			haveOrder = true
			if h.Fortran, err = p.boolean(); err != nil {
				return err
			}
		case "shape":
			if haveShape {
				p.i = keyAt
				return p.errf("duplicate key 'shape'")
			}
			haveShape = true
			if h.Shape, err = p.shape(); err != nil {
				return err
			}
			if err := h.setMatrixShape(); err != nil {
				p.i = valAt
				return p.errf("%w", err)
			}
		default:
			p.i = keyAt
			return p.errf("unexpected key %q; want only 'descr', 'fortran_order' and 'shape'", key)
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '}' {
			return p.errf("expected ',' or '}', found %s", p.found())
		}
		break
	}
	// p.i is at the closing brace.
	for _, k := range []struct {
		ok   bool
		name string
	}{{haveDescr, "descr"}, {haveOrder, "fortran_order"}, {haveShape, "shape"}} {
		if !k.ok {
			return p.errf("missing key '%s'", k.name)
		}
	}
	p.i++
	// Padding: spaces (NumPy also accepted NULs in old files) and a final newline.
	rest := p.s[p.i:]
	if strings.TrimRight(rest, " \x00\t\r\n") != "" {
		p.space()
		return p.errf("unexpected %s after the header dict", p.found())
	}
	return nil
}

func (h *Header) setDType() error {
	d := h.Descr
	switch d {
	case "|O", "O", "<O", ">O", "=O", "|O8", "<O8", ">O8":
		return ErrObjectDType
	}
	if len(d) != 3 {
		return fmt.Errorf("unsupported dtype %q; want one of <f2 >f2 <f4 >f4 <f8 >f8", d)
	}
	switch d[0] {
	case '<':
		h.order = binary.LittleEndian
	case '>':
		h.order = binary.BigEndian
	default:
		return fmt.Errorf("unsupported dtype %q; want one of <f2 >f2 <f4 >f4 <f8 >f8", d)
	}
	switch d[1:] {
	case "f2":
		h.ItemSize = 2
	case "f4":
		h.ItemSize = 4
	case "f8":
		h.ItemSize = 8
	default:
		return fmt.Errorf("unsupported dtype %q; want one of <f2 >f2 <f4 >f4 <f8 >f8", d)
	}
	return nil
}

// setMatrixShape derives Rows and Cols from Shape, refusing element counts
// whose byte size overflows int64.
func (h *Header) setMatrixShape() error {
	switch len(h.Shape) {
	case 0:
		return fmt.Errorf("shape (): a 0-d array is a scalar, not a matrix")
	case 1:
		h.Rows, h.Cols = h.Shape[0], 1
	default:
		h.Rows, h.Cols = h.Shape[0], 1
		for _, d := range h.Shape[1:] {
			if d != 0 && h.Cols > math.MaxInt64/d {
				return fmt.Errorf("shape %s: element count overflows", shapeString(h.Shape))
			}
			h.Cols *= d
		}
	}
	// The item size may not be known yet ('shape' before 'descr'); 8 is the
	// largest, so this bound holds whichever dtype follows.
	if h.Cols != 0 && h.Rows > math.MaxInt64/8/h.Cols {
		return fmt.Errorf("shape %s: byte size overflows", shapeString(h.Shape))
	}
	return nil
}

func shapeString(s []int) string {
	var b bytes.Buffer
	b.WriteByte('(')
	for i, d := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(s) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}
