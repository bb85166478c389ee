package npz

import (
	"archive/zip"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/npy"
)

const fixtures = "../../testdata/formats"

func open(t *testing.T, name string) *Archive {
	t.Helper()
	in, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestStoredEqualsDeflated reads M from np.savez and np.savez_compressed
// archives in every row range and compares with m_c.npy, bit for bit.
func TestStoredEqualsDeflated(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtures, "m_c.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := npy.ReadHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, h.Rows*h.Cols)
	if err := npy.ReadRows(f, h, 0, h.Rows, want); err != nil {
		t.Fatal(err)
	}
	for name, stored := range map[string]bool{"m.npz": true, "m_deflate.npz": false} {
		a := open(t, name)
		if strings.Join(a.Names(), ",") != "m,labels,v" {
			t.Fatalf("%s: arrays %v", name, a.Names())
		}
		arr, err := a.Select("")
		if err != nil || arr.Name != "m" || arr.Stored != stored {
			t.Fatalf("%s: Select(\"\") = %+v, %v", name, arr, err)
		}
		if b, e := arr.Span(); b <= 0 || e <= b {
			t.Errorf("%s: span [%d, %d)", name, b, e)
		}
		n := arr.Header.Cols
		for start := 0; start <= arr.Header.Rows; start++ {
			for end := start; end <= arr.Header.Rows; end += 4 {
				got := make([]float64, (end-start)*n)
				if err := a.ReadRows(arr, start, end, got); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[start*n+i]) {
						t.Fatalf("%s rows [%d, %d): element %d = %v, want %v", name, start, end, i, got[i], want[start*n+i])
					}
				}
			}
		}
		v, err := a.Select("v")
		if err != nil || v.Header.Rows != 5 || v.Header.Cols != 1 {
			t.Fatalf("v: %+v %v", v, err)
		}
		if _, err := a.Select("labels"); err == nil || !strings.Contains(err.Error(), `npz: array "labels": member labels.npy: npy: header at byte 20: unsupported dtype "<i8"`) {
			t.Errorf("labels: %v", err)
		}
		if _, err := a.Select("x*"); err == nil || err.Error() != `npz: no array matches "x*"; arrays: m, labels, v` {
			t.Errorf("x*: %v", err)
		}
	}
}

// TestInflateClaim: a deflated member whose directory claims more bytes than
// deflate can produce from its compressed size is refused before reading.
func TestInflateClaim(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	var arr bytes.Buffer
	npy.Write(&arr, 2, 2, []float64{1, 2, 3, 4}, "<f8", false)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "a.npy", Method: zip.Deflate})
	w.Write(arr.Bytes())
	zw.Close()
	in := b.Bytes()
	// Patch the uncompressed size (offset 24 in the central directory
	// header, signature PK\x01\x02) to 4 GiB − 1.
	i := bytes.LastIndex(in, []byte("PK\x01\x02"))
	copy(in[i+24:], []byte{0xff, 0xff, 0xff, 0xfe})
	a, err := Open(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Arrays[0].Err == nil || !strings.Contains(a.Arrays[0].Err.Error(), "more than deflate can produce") {
		t.Errorf("inflated claim: %v", a.Arrays[0].Err)
	}
}
