// Package safetensors reads floating-point tensors from safetensors files as
// matrices.
//
// A safetensors file is an 8-byte little-endian unsigned header length N, a
// UTF-8 JSON object of N bytes, and a byte buffer holding the tensors. The
// JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]}, offsets relative to the start of the buffer (file offset 8+N); the
// optional key "__metadata__" maps strings to strings. Tensors are stored
// little-endian in C (row-major) order. See
// https://github.com/huggingface/safetensors (the format section of its README).
//
// Every tensor is listed, whatever its dtype; only F64, F32, F16 and BF16
// tensors of rank ≥ 2 are read as matrices, a tensor of shape (d0, d1, …, dk)
// as d0 rows × d1·…·dk columns (NumPy's t.reshape(len(t), -1)).
//
// A header value never sizes an allocation before it has been checked: the
// header length is capped at MaxHeaderLen and, when the file size is known,
// must fit in the file; each tensor's element count must not overflow, must
// match its byte span exactly, and the span must lie inside the buffer. As
// in the reference implementation, the tensors must tile the buffer: no
// two share a byte, no byte lies between them, and (when the file size is
// known) the last ends at the end of the file; errors name the tensors.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxHeaderLen is the largest JSON header accepted, in bytes. The reference
// implementation refuses headers over 100 MB.
const MaxHeaderLen = 100 << 20

// Error is a positioned error in a safetensors file.
type Error struct {
	Offset int64 // byte offset in the file
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("safetensors: byte %d: %v", e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(off int64, format string, args ...any) error {
	return &Error{Offset: off, Err: fmt.Errorf(format, args...)}
}

// itemBits is the element size in bits of every dtype of the format, so that
// tensors of all dtypes can be listed and their byte spans checked.
var itemBits = map[string]int64{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32, "C64": 64,
	"I64": 64, "U64": 64, "F64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// Tensor describes one tensor of a file.
type Tensor struct {
	Name  string
	DType string // as in the file: "F64", "F32", "F16", "BF16", "I64", …
	Shape []int
	// Begin and End are the file offsets of the tensor's bytes [Begin, End),
	// that is data_offsets shifted by Header.DataOffset.
	Begin, End int64
}

// Rows and Cols return the matrix view of the shape: d0 × d1·…·dk for rank
// ≥ 2, n × 1 for rank 1 and 1 × 1 for a scalar.
func (t Tensor) Rows() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// Cols: see Rows.
func (t Tensor) Cols() int {
	c := 1
	for _, d := range t.Shape[min(1, len(t.Shape)):] {
		c *= d // cannot overflow: ReadHeader checked the element count
	}
	return c
}

// ItemSize returns the bytes per element of the dtypes read as matrices (8,
// 4 or 2) and 0 for the others.
func (t Tensor) ItemSize() int {
	switch t.DType {
	case "F64":
		return 8
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	}
	return 0
}

// NumPyDType returns the NumPy name of a readable dtype ("float64",
// "float32", "float16", "bfloat16"), or the file's dtype otherwise.
func (t Tensor) NumPyDType() string {
	switch t.DType {
	case "F64":
		return "float64"
	case "F32":
		return "float32"
	case "F16":
		return "float16"
	case "BF16":
		return "bfloat16"
	}
	return t.DType
}

// CheckMatrix returns an error unless t can be read as a matrix: rank ≥ 2
// and dtype F64, F32, F16 or BF16.
func (t Tensor) CheckMatrix() error {
	if len(t.Shape) < 2 {
		return fmt.Errorf("tensor %q has shape %v, want rank ≥ 2 to read it as a matrix", t.Name, t.Shape)
	}
	if t.ItemSize() == 0 {
		return fmt.Errorf("tensor %q has dtype %s; want F64, F32, F16 or BF16", t.Name, t.DType)
	}
	return nil
}

// Header is the parsed header of a safetensors file.
type Header struct {
	Tensors    []Tensor          // sorted by Begin, then by Name
	Metadata   map[string]string // "__metadata__", or nil
	DataOffset int64             // file offset of the byte buffer: 8 + header length
}

// Names returns the tensor names in file order.
func (h *Header) Names() []string {
	names := make([]string, len(h.Tensors))
	for i, t := range h.Tensors {
		names[i] = t.Name
	}
	return names
}

// Select returns the tensor named pattern, or else the only tensor whose name
// matches pattern as a path.Match pattern ("layers.*.weight"). An empty
// pattern selects the only tensor of rank ≥ 2. Anything else, no match or
// several, is an error listing the tensor names.
func (h *Header) Select(pattern string) (Tensor, error) {
	return SelectName(h.Tensors, func(t Tensor) string { return t.Name },
		func(t Tensor) bool { return len(t.Shape) >= 2 }, pattern)
}

// SelectName picks one item of xs by name as Header.Select does; name gives
// an item's name and matrix says whether it is a candidate for an empty
// pattern. Package npz shares it.
func SelectName[T any](xs []T, name func(T) string, matrix func(T) bool, pattern string) (T, error) {
	var zero T
	var hits []T
	var names []string
	for _, x := range xs {
		names = append(names, name(x))
		if pattern != "" && name(x) == pattern {
			return x, nil
		}
	}
	list := func() string {
		const most = 50
		if len(names) > most {
			return strings.Join(names[:most], ", ") + fmt.Sprintf(", … (%d more)", len(names)-most)
		}
		return strings.Join(names, ", ")
	}
	if len(xs) == 0 {
		return zero, fmt.Errorf("no tensors in the file")
	}
	if pattern == "" {
		for _, x := range xs {
			if matrix(x) {
				hits = append(hits, x)
			}
		}
		if len(hits) == 1 {
			return hits[0], nil
		}
		return zero, fmt.Errorf("%d of the %d tensors are matrices; name one (set the tensor option to a name or a pattern); tensors: %s", len(hits), len(xs), list())
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return zero, fmt.Errorf("tensor pattern %q: %v", pattern, err)
	}
	var matched []string
	for _, x := range xs {
		if ok, _ := path.Match(pattern, name(x)); ok {
			hits = append(hits, x)
			matched = append(matched, name(x))
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return zero, fmt.Errorf("no tensor matches %q; tensors: %s", pattern, list())
	}
	return zero, fmt.Errorf("tensor pattern %q matches %d tensors (%s); it must match one", pattern, len(hits), strings.Join(matched, ", "))
}

// entry is one tensor's JSON.
type entry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ReadHeader reads the header of a safetensors file from r, which must be at
// the file's first byte, and leaves r at h.DataOffset. size is the file size
// in bytes, or negative when it is not known (a compressed stream); with a
// known size every tensor must lie inside the file.
//
// Errors are *Error values stating the byte offset of the fault, e.g.
//
//	safetensors: byte 0: header length 4294967296 exceeds the file size 1200
func ReadHeader(r io.Reader, size int64) (*Header, error) {
	var pre [8]byte
	if n, err := io.ReadFull(r, pre[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, errAt(0, "empty file, not a safetensors file")
		}
		return nil, errAt(int64(n), "reading the header length: %v (file truncated?)", noEOF(err))
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > MaxHeaderLen {
		return nil, errAt(0, "header length %d exceeds the limit of %d bytes (not a safetensors file?)", n, MaxHeaderLen)
	}
	if size >= 0 && int64(n) > size-8 {
		return nil, errAt(0, "header length %d exceeds the %d bytes after it (file truncated, or not a safetensors file?)", n, max(size-8, 0))
	}
	// Read through a limit rather than into a buffer of n bytes, so that an
	// unknown-size stream cannot make a short file allocate MaxHeaderLen.
	var buf bytes.Buffer
	got, err := buf.ReadFrom(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, errAt(8+got, "reading the header: %v", err)
	}
	if got < int64(n) {
		return nil, errAt(8+got, "header length is %d bytes, file ends after %d (file truncated?)", n, got)
	}
	h := &Header{DataOffset: 8 + int64(n)}
	if err := h.parse(buf.Bytes(), size); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Header) parse(text []byte, size int64) error {
	if !utf8.Valid(text) {
		return errAt(8, "header is not valid UTF-8")
	}
	// The reference writer pads the JSON with spaces to an 8-byte boundary.
	if i := bytes.IndexFunc(text, func(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }); i < 0 || text[i] != '{' {
		return errAt(8+max(int64(i), 0), "header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		return jsonErr(err)
	}
	var bufLen int64 = -1 // unknown
	if size >= 0 {
		bufLen = size - h.DataOffset
	}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &h.Metadata); err != nil {
				return errAt(8, "__metadata__ is not a map of strings to strings: %v", err)
			}
			continue
		}
		var e entry
		d := json.NewDecoder(bytes.NewReader(msg))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return errAt(8, "tensor %q: %v", name, err)
		}
		t, err := e.tensor(name, h.DataOffset, bufLen)
		if err != nil {
			return errAt(8, "tensor %q: %v", name, err)
		}
		h.Tensors = append(h.Tensors, t)
	}
	sort.Slice(h.Tensors, func(i, j int) bool {
		a, b := h.Tensors[i], h.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.Name < b.Name
	})
	return h.checkLayout(bufLen)
}

// checkLayout checks that the tensors tile the byte buffer as the reference
// implementation requires: sorted by offset, each begins where the one
// before ends (the first at 0), and, when the buffer's length is known, the
// last ends at its end. An overlap or a hole would let two tensors share
// bytes or hide data, and is an error naming the tensors.
func (h *Header) checkLayout(bufLen int64) error {
	var at int64 // buffer offset the next tensor must begin at
	prev := ""
	for _, t := range h.Tensors {
		b, e := t.Begin-h.DataOffset, t.End-h.DataOffset
		switch {
		case b < at:
			return errAt(8, "tensor %q (data_offsets [%d, %d]) overlaps tensor %q, which ends at %d", t.Name, b, e, prev, at)
		case b > at && prev == "":
			return errAt(8, "tensor %q (data_offsets [%d, %d]) leaves a hole of %d bytes at the start of the buffer; tensors must be contiguous", t.Name, b, e, b-at)
		case b > at:
			return errAt(8, "tensor %q (data_offsets [%d, %d]) leaves a hole of %d bytes after tensor %q, which ends at %d; tensors must be contiguous", t.Name, b, e, b-at, prev, at)
		}
		if e > at || prev == "" {
			at, prev = e, t.Name
		}
	}
	if bufLen >= 0 && at != bufLen {
		last := "the header"
		if prev != "" {
			last = fmt.Sprintf("tensor %q", prev)
		}
		return errAt(h.DataOffset+at, "%d bytes after %s, the last data, up to the end of the %d-byte buffer; tensors must fill it", bufLen-at, last, bufLen)
	}
	return nil
}

// tensor checks an entry and converts it. bufLen is the byte buffer's length,
// or -1 when unknown.
func (e entry) tensor(name string, dataOffset, bufLen int64) (Tensor, error) {
	t := Tensor{Name: name, DType: e.DType}
	bits, ok := itemBits[e.DType]
	if !ok {
		return t, fmt.Errorf("unknown dtype %q", e.DType)
	}
	if e.Shape == nil {
		return t, fmt.Errorf("missing shape")
	}
	if len(e.DataOffsets) != 2 {
		return t, fmt.Errorf("data_offsets %v: want [begin, end]", e.DataOffsets)
	}
	b, end := e.DataOffsets[0], e.DataOffsets[1]
	if b < 0 || end < b {
		return t, fmt.Errorf("data_offsets [%d, %d]: want 0 ≤ begin ≤ end", b, end)
	}
	if bufLen >= 0 && end > bufLen {
		return t, fmt.Errorf("data_offsets [%d, %d] end past the %d-byte buffer (file truncated?)", b, end, bufLen)
	}
	if end > math.MaxInt64-dataOffset {
		return t, fmt.Errorf("data_offsets [%d, %d] overflow", b, end)
	}
	// Element count, refusing overflow: 8·(product of the non-zero
	// dimensions) must fit in int64, so that neither the byte size nor
	// Cols overflows even when another dimension is 0.
	var count, nonzero int64 = 1, 1
	t.Shape = make([]int, len(e.Shape))
	for i, d := range e.Shape {
		if d < 0 {
			return t, fmt.Errorf("shape %v has a negative dimension", e.Shape)
		}
		if d != 0 && nonzero > math.MaxInt64/8/d {
			return t, fmt.Errorf("shape %v: element count overflows", e.Shape)
		}
		if d != 0 {
			nonzero *= d
		}
		count *= d
		t.Shape[i] = int(d)
	}
	if want := (count*bits + 7) / 8; end-b != want {
		return t, fmt.Errorf("shape %v of %s needs %d bytes, data_offsets [%d, %d] hold %d", e.Shape, e.DType, want, b, end, end-b)
	}
	t.Begin, t.End = dataOffset+b, dataOffset+end
	return t, nil
}

// jsonErr positions a JSON syntax error in the file.
func jsonErr(err error) error {
	switch e := err.(type) {
	case *json.SyntaxError:
		return errAt(8+e.Offset, "header JSON: %v", e)
	case *json.UnmarshalTypeError:
		return errAt(8+e.Offset, "header JSON: %v", e)
	}
	return errAt(8, "header JSON: %v", err)
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: inside a file any EOF is early.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
