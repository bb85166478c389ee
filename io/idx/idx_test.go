package idx

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../../testdata/formats"

type nonSeeker struct{ io.Reader }

func equalBits(a, b []float64) int {
	if len(a) != len(b) {
		return -2
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestTypes writes every IDX type and reads it back, seeking and streaming,
// in every row range. The values are exact in each type.
func TestTypes(t *testing.T) {
	dims := []int{5, 3, 2}
	x := make([]float64, 30)
	for i := range x {
		x[i] = float64(i*7%23) - 11 // -11..11
	}
	for _, c := range []struct {
		typ   byte
		dtype string
		vals  func(float64) float64
	}{
		{UByte, "uint8", func(v float64) float64 { return float64(uint8(int8(v))) }},
		{SByte, "int8", func(v float64) float64 { return v }},
		{Short, "int16", func(v float64) float64 { return v * 1000 }},
		{Int, "int32", func(v float64) float64 { return v * 1e8 }},
		{Float, "float32", func(v float64) float64 { return v / 4 }},
		{Double, "float64", func(v float64) float64 { return v / 3 }},
	} {
		want := make([]float64, len(x))
		for i, v := range x {
			want[i] = c.vals(v)
		}
		var b bytes.Buffer
		if err := Write(&b, c.typ, dims, want); err != nil {
			t.Fatal(err)
		}
		in := b.Bytes()
		h, err := ReadHeader(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			t.Fatal(err)
		}
		if h.Rows != 5 || h.Cols != 6 || h.DType() != c.dtype || h.Magic() != uint32(c.typ)<<8|3 {
			t.Fatalf("%s: %+v", c.dtype, h)
		}
		for start := 0; start <= 5; start++ {
			for end := start; end <= 5; end++ {
				a := make([]float64, (end-start)*6)
				if err := ReadRows(bytes.NewReader(in), 0, h, start, end, a); err != nil {
					t.Fatal(err)
				}
				if i := equalBits(a, want[start*6:end*6]); i != -1 {
					t.Fatalf("%s rows [%d, %d): element %d = %v, want %v", c.dtype, start, end, i, a[i], want[start*6+i])
				}
				s := nonSeeker{bytes.NewReader(in[h.DataOffset:])}
				if err := ReadRows(s, h.DataOffset, h, start, end, a); err != nil {
					t.Fatal(err)
				}
				if i := equalBits(a, want[start*6:end*6]); i != -1 {
					t.Fatalf("%s streaming rows [%d, %d): element %d", c.dtype, start, end, i)
				}
			}
		}
	}
}

func TestMNISTShapes(t *testing.T) {
	for name, want := range map[string][3]int{"img-idx3-ubyte": {0x803, 6, 20}, "labels.idx1-ubyte": {0x801, 6, 1}} {
		in, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			t.Fatal(err)
		}
		if int(h.Magic()) != want[0] || h.Rows != want[1] || h.Cols != want[2] {
			t.Errorf("%s: magic %#x, %d×%d", name, h.Magic(), h.Rows, h.Cols)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		size int64
		want string
	}{
		{nil, 0, "idx: byte 0: empty file, not an IDX file"},
		{[]byte{0, 0, 8}, 3, "idx: byte 3: reading the magic number: unexpected EOF (file truncated?)"},
		{[]byte{0x93, 'N', 'U', 'M'}, 4, "idx: byte 0: bad magic 0x934e554d: the first two bytes must be zero (not an IDX file?)"},
		{[]byte{0, 0, 7, 1}, 4, "idx: byte 2: unknown type code 0x07"},
		{[]byte{0, 0, 8, 0}, 4, "idx: byte 3: 0 dimensions: a scalar, not a matrix"},
		{[]byte{0, 0, 8, 2, 0, 0, 0, 1}, 8, "idx: byte 8: file ends after 8 bytes, the header of 2 dimensions needs 12 (file truncated?)"},
		{[]byte{0, 0, 8, 2, 0, 0, 0, 1}, -1, "idx: byte 8: reading 2 dimension sizes: unexpected EOF (file truncated?)"},
		{[]byte{0, 0, 8, 1, 0, 0, 0, 3, 1, 2}, 10, "idx: byte 10: file ends after 10 bytes, shape (3,) of uint8 needs 11 (file truncated?)"},
		{[]byte{0, 0, 8, 1, 0, 0, 0, 1, 1, 2}, 10, "idx: byte 9: file has 1 bytes after the data of shape (1,) of uint8 (wrong dimensions, or not an IDX file?)"},
		{[]byte{0, 0, 0x0E, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, -1, "idx: byte 8: shape (4294967295, 4294967295): byte size overflows"},
		{[]byte{0, 0, 0x0E, 2, 0x10, 0, 0, 0, 0x10, 0, 0, 0}, 12, "idx: byte 12: file ends after 12 bytes, shape (268435456, 268435456) of float64 needs 576460752303423500"},
	} {
		_, err := ReadHeader(bytes.NewReader(c.in), c.size)
		var e *Error
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &e) {
			t.Errorf("% x (size %d):\n got %v\nwant %s", c.in, c.size, err, c.want)
		}
	}
}

// FuzzIDXHeader checks that no input panics, errors are *Error values, an
// accepted header describes exactly the input (so no allocation is sized
// from an unchecked value: a header claiming 2^60 elements is an error), a
// header accepted with its size is accepted as a stream, and the first rows
// read the same seeking and streaming.
func FuzzIDXHeader(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(fixtures, "*ubyte"))
	names = append(names, filepath.Join(fixtures, "m.idx"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ReadHeader(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		if h.DataOffset+h.DataSize() != int64(len(in)) || h.Rows < 0 || h.Cols < 0 {
			t.Fatalf("accepted header %+v does not describe the %d bytes of input", h, len(in))
		}
		if _, err := ReadHeader(nonSeeker{bytes.NewReader(in)}, -1); err != nil {
			t.Fatalf("accepted with a size, refused as a stream: %v", err)
		}
		end := min(h.Rows, 3)
		a := make([]float64, end*h.Cols)
		if err := ReadRows(bytes.NewReader(in), 0, h, 0, end, a); err != nil {
			t.Fatalf("rows [0, %d): %v", end, err)
		}
		b := make([]float64, len(a))
		if err := ReadRows(nonSeeker{bytes.NewReader(in)}, 0, h, 0, end, b); err != nil {
			t.Fatalf("streaming rows [0, %d): %v", end, err)
		}
		if i := equalBits(a, b); i != -1 {
			t.Fatalf("seeking and streaming reads differ at %d", i)
		}
	})
}
