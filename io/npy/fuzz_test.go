package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadHeader checks that no input panics, that an accepted header never
// describes more data than the input holds (so nothing is allocated from an
// unchecked header value), and that the rows it describes then read back the
// same through a seeking and a streaming reader.
func FuzzReadHeader(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(fixtures, "*.npy"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ReadHeader(bytes.NewReader(in))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		if h.DataOffset+h.DataSize() > int64(len(in)) || h.Rows < 0 || h.Cols < 0 {
			t.Fatalf("accepted header %+v describes more than the %d bytes of input", h, len(in))
		}
		end := min(h.Rows, 3)
		a := make([]float64, end*h.Cols)
		if err := ReadRows(bytes.NewReader(in), h, 0, end, a); err != nil {
			t.Fatalf("rows [0, %d) of an accepted file: %v", end, err)
		}
		b := make([]float64, end*h.Cols)
		if err := ReadRows(nonSeeker{bytes.NewReader(in[h.DataOffset:])}, h, 0, end, b); err != nil {
			t.Fatalf("streaming rows [0, %d): %v", end, err)
		}
		if i := equalBits(a, b); i != -1 {
			t.Fatalf("seeking and streaming reads differ at %d: %v vs %v", i, a[i], b[i])
		}
	})
}
