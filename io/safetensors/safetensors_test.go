package safetensors

import (
	"bytes"
	"encoding/binary"
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

// file builds a safetensors file from a JSON header and a data buffer.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestWriteRead(t *testing.T) {
	const rows, cols = 9, 4
	x := make([]float64, rows*cols)
	for i := range x {
		x[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%7-3))
	}
	x[5] = math.Inf(-1)
	var b bytes.Buffer
	err := Write(&b, map[string]string{"format": "pt"},
		Matrix{Name: "a", Rows: rows, Cols: cols, Data: x, DType: "F64"},
		Matrix{Name: "b", Rows: rows, Cols: cols, Data: x, DType: "F32"},
		Matrix{Name: "c", Rows: rows, Cols: cols, Data: x, DType: "BF16"})
	if err != nil {
		t.Fatal(err)
	}
	in := b.Bytes()
	h, err := ReadHeader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	if h.DataOffset%8 != 0 || h.Metadata["format"] != "pt" || strings.Join(h.Names(), ",") != "a,b,c" {
		t.Fatalf("header %+v", h)
	}
	for _, tn := range h.Tensors {
		want := make([]float64, len(x))
		for i, v := range x {
			switch tn.DType {
			case "F64":
				want[i] = v
			case "F32":
				want[i] = float64(float32(v))
			case "BF16":
				want[i] = float64(math.Float32frombits(uint32(ToBFloat16(float32(v))) << 16))
			}
		}
		for start := 0; start <= rows; start++ {
			for end := start; end <= rows; end++ {
				got := make([]float64, (end-start)*cols)
				if err := ReadRows(bytes.NewReader(in), 0, tn, start, end, got); err != nil {
					t.Fatal(err)
				}
				if i := equalBits(got, want[start*cols:end*cols]); i != -1 {
					t.Fatalf("%s rows [%d, %d): element %d", tn.Name, start, end, i)
				}
				got2 := make([]float64, len(got))
				if err := ReadRows(nonSeeker{bytes.NewReader(in)}, 0, tn, start, end, got2); err != nil {
					t.Fatal(err)
				}
				if i := equalBits(got, got2); i != -1 {
					t.Fatalf("%s rows [%d, %d): streaming differs at %d", tn.Name, start, end, i)
				}
			}
		}
	}
}

// TestBFloat16Rounding checks round-to-nearest-even at exact ties and just
// beside them, and overflow to infinity.
func TestBFloat16Rounding(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0x7f7fffff, 0x7f80}, // max float32 rounds to +Inf
		{0xff800000, 0xff80}, // -Inf stays
		{0x00000001, 0x0000}, // tiny subnormal to zero
	} {
		if got := ToBFloat16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("ToBFloat16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := ToBFloat16(float32(math.NaN())); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("NaN gives %#04x", got)
	}
}

func TestHeaderErrors(t *testing.T) {
	ok := `{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`
	for _, c := range []struct {
		in   []byte
		size int64
		want string
	}{
		{nil, 0, "safetensors: byte 0: empty file, not a safetensors file"},
		{[]byte{1, 2, 3}, 3, "safetensors: byte 3: reading the header length: unexpected EOF (file truncated?)"},
		{binary.LittleEndian.AppendUint64(nil, 1<<40), 8, "safetensors: byte 0: header length 1099511627776 exceeds the limit of 104857600 bytes (not a safetensors file?)"},
		{file(ok, nil)[:20], 20, "safetensors: byte 0: header length 57 exceeds the 12 bytes after it"},
		{file(ok, nil)[:20], -1, "safetensors: byte 20: header length is 57 bytes, file ends after 12 (file truncated?)"},
		{file(ok, make([]byte, 15)), -1, ""},
		{file(ok, make([]byte, 15)), 8 + 57 + 15, `safetensors: byte 8: tensor "a": data_offsets [0, 16] end past the 15-byte buffer (file truncated?)`},
		{file(`[1]`, nil), -1, "safetensors: byte 8: header is not a JSON object"},
		{file(`{"a":`, nil), -1, "safetensors: byte 13: header JSON: unexpected end of JSON input"},
		{file(`{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}`, make([]byte, 16)), -1, `tensor "a": shape [2 2] of F32 needs 16 bytes, data_offsets [0, 12] hold 12`},
		{file(`{"a":{"dtype":"F32","shape":[1073741824,1073741824,1073741824],"data_offsets":[0,16]}}`, nil), -1, `tensor "a": shape [1073741824 1073741824 1073741824]: element count overflows`},
		{file(`{"a":{"dtype":"F64","shape":[1152921504606846976],"data_offsets":[0,16]}}`, nil), -1, `element count overflows`},
		{file(`{"a":{"dtype":"F64","shape":[-1,2],"data_offsets":[0,16]}}`, nil), -1, `shape [-1 2] has a negative dimension`},
		{file(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[16,0]}}`, nil), -1, `data_offsets [16, 0]: want 0 ≤ begin ≤ end`},
		{file(`{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,16]}}`, nil), -1, `tensor "a": unknown dtype "Q7"`},
		{file(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16],"x":1}}`, nil), -1, `tensor "a": json: unknown field "x"`},
		{file(`{"__metadata__":{"a":1}}`, nil), -1, `__metadata__ is not a map of strings to strings`},
	} {
		_, err := ReadHeader(bytes.NewReader(c.in), c.size)
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		var e *Error
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &e) {
			t.Errorf("%q (size %d):\n got %v\nwant %s", c.in, c.size, err, c.want)
		}
	}
}

func TestSelect(t *testing.T) {
	in, err := os.ReadFile(filepath.Join(fixtures, "multi.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	for pattern, want := range map[string]string{
		"emb": "emb", "layers.*.weight": "layers.0.weight", "*.bias": "layers.0.bias", "c?unts": "counts",
	} {
		if tn, err := h.Select(pattern); err != nil || tn.Name != want {
			t.Errorf("Select(%q) = %v, %v; want %s", pattern, tn.Name, err, want)
		}
	}
	if _, err := h.Select(""); err == nil || !strings.Contains(err.Error(), "2 of the 4 tensors are matrices") {
		t.Errorf("Select(\"\"): %v", err)
	}
	if tn, _ := h.Select("emb"); tn.Rows() != 37 || tn.Cols() != 11 {
		t.Errorf("emb: %d×%d", tn.Rows(), tn.Cols())
	}
}

// FuzzSafetensorsHeader checks that no input panics, that errors are *Error
// values, that an accepted header never places a tensor outside the input (so
// nothing is allocated from an unchecked header value), that a header
// accepted with the size known is accepted as a stream, and that the first
// rows of every readable tensor read the same seeking and streaming.
func FuzzSafetensorsHeader(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(fixtures, "*.safetensors"))
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
		if _, err := ReadHeader(nonSeeker{bytes.NewReader(in)}, -1); err != nil {
			t.Fatalf("accepted with a size, refused as a stream: %v", err)
		}
		for _, tn := range h.Tensors {
			if tn.Begin < h.DataOffset || tn.End > int64(len(in)) || tn.Begin > tn.End {
				t.Fatalf("tensor %q at [%d, %d) outside the %d-byte input (data at %d)", tn.Name, tn.Begin, tn.End, len(in), h.DataOffset)
			}
			if tn.CheckMatrix() != nil {
				continue
			}
			end := min(tn.Rows(), 3)
			a := make([]float64, end*tn.Cols())
			if err := ReadRows(bytes.NewReader(in), 0, tn, 0, end, a); err != nil {
				t.Fatalf("rows [0, %d) of %q: %v", end, tn.Name, err)
			}
			b := make([]float64, len(a))
			if err := ReadRows(nonSeeker{bytes.NewReader(in[h.DataOffset:])}, h.DataOffset, tn, 0, end, b); err != nil {
				t.Fatalf("streaming rows [0, %d) of %q: %v", end, tn.Name, err)
			}
			if i := equalBits(a, b); i != -1 {
				t.Fatalf("seeking and streaming reads differ at %d", i)
			}
		}
	})
}
