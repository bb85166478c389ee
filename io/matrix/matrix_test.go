package matrix

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"

	"github.com/lowdim/lowdim/io/npy"
)

const (
	digits   = "../../testdata/digits.csv.gz"
	fixtures = "../../testdata/npy/"
)

func readAll(t *testing.T, path string, opts Options) (Source, []float64) {
	t.Helper()
	ctx := context.Background()
	src, err := Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := src.ReadRows(ctx, 0, src.Rows())
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != src.Rows()*src.Cols() {
		t.Fatalf("%s: ReadRows returned %d values for %d×%d", path, len(data), src.Rows(), src.Cols())
	}
	return src, data
}

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

// TestDigits loads scikit-learn's digits as 1797×64 after dropping the
// label column, and checks sums computed with sklearn.datasets.load_digits:
// data.sum() = 561718, target.sum() = 8070.
func TestDigits(t *testing.T) {
	src, x := readAll(t, digits, Options{DropColumns: []string{"64"}})
	if src.Rows() != 1797 || src.Cols() != 64 || src.DType() != "float64" || src.Path() != digits {
		t.Fatalf("digits: %s %d×%d %s", src.Path(), src.Rows(), src.Cols(), src.DType())
	}
	var sum float64
	for i, v := range x {
		if v != math.Trunc(v) || v < 0 || v > 16 {
			t.Fatalf("pixel %d = %v, want an integer in 0..16", i, v)
		}
		sum += v
	}
	if sum != 561718 {
		t.Errorf("pixel sum %v, want 561718", sum)
	}
	last := x[1796*64 : 1796*64+10]
	if want := []float64{0, 0, 10, 14, 8, 1, 0, 0, 0, 2}; equalBits(last, want) != -1 {
		t.Errorf("row 1796 starts %v, want %v", last, want)
	}

	full, y := readAll(t, digits, Options{Format: "csv"})
	if full.Cols() != 65 {
		t.Fatalf("without dropping: %d columns, want 65", full.Cols())
	}
	var labels float64
	for i := 0; i < 1797; i++ {
		labels += y[i*65+64]
	}
	if labels != 8070 {
		t.Errorf("label sum %v, want 8070", labels)
	}
	// A middle row range matches the full read.
	part, err := src.ReadRows(context.Background(), 100, 250)
	if err != nil {
		t.Fatal(err)
	}
	if i := equalBits(part, x[100*64:250*64]); i != -1 {
		t.Errorf("rows [100, 250): element %d differs", i)
	}
}

// TestNpyEqualsCSV checks that NumPy's .npy files read equal to np.savetxt's
// CSV of the same values, whole and in every row range, with and without
// dropped columns, from local files (seeking) and memfs (streaming).
func TestNpyEqualsCSV(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ npy, csv, dtype string }{
		{"c_f8_v1.npy", "m.csv", "float64"},
		{"f_f8_v1.npy", "m.csv", "float64"},
		{"c_f4_v1.npy", "m_f4.csv", "float32"},
		{"be_f_f4.npy", "m_f4.csv", "float32"},
		{"c_f8_v2.npy", "m.csv", "float64"},
		{"f_f8_v3.npy", "m.csv", "float64"},
		{"c_f2_v1.npy", "m_f2.csv", "float16"},
		{"vec_f8.npy", "vec.csv", "float64"},
	} {
		raw, err := os.ReadFile(fixtures + c.npy)
		if err != nil {
			t.Fatal(err)
		}
		mem := "memfs://fixtures/" + c.npy
		memfs.Write(mem, raw)
		for _, drop := range [][]string{nil, {"-1"}, {"0", "2"}} {
			if c.npy == "vec_f8.npy" && drop != nil {
				continue
			}
			want, text := readAll(t, fixtures+c.csv, Options{DropColumns: drop})
			for _, p := range []string{fixtures + c.npy, mem} {
				src, got := readAll(t, p, Options{DropColumns: drop})
				if src.Rows() != want.Rows() || src.Cols() != want.Cols() || src.DType() != c.dtype {
					t.Fatalf("%s drop %v: %d×%d %s, want %d×%d %s", p, drop, src.Rows(), src.Cols(), src.DType(), want.Rows(), want.Cols(), c.dtype)
				}
				if i := equalBits(got, text); i != -1 {
					t.Fatalf("%s drop %v: element %d = %v, csv has %v", p, drop, i, got[i], text[i])
				}
				n := src.Cols()
				for start := 0; start <= src.Rows(); start += 3 {
					for end := start; end <= src.Rows(); end += 5 {
						part, err := src.ReadRows(ctx, start, end)
						if err != nil {
							t.Fatal(err)
						}
						if i := equalBits(part, got[start*n:end*n]); i != -1 {
							t.Fatalf("%s drop %v rows [%d, %d): element %d differs", p, drop, start, end, i)
						}
						if p == mem || c.npy != "c_f8_v1.npy" {
							continue
						}
						cpart, err := want.ReadRows(ctx, start, end)
						if err != nil {
							t.Fatal(err)
						}
						if i := equalBits(cpart, part); i != -1 {
							t.Fatalf("csv drop %v rows [%d, %d): element %d differs", drop, start, end, i)
						}
					}
				}
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const rows, cols = 50, 7
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%9-4))
	}
	for _, dtype := range []string{"<f8", ">f8"} {
		for _, fortran := range []bool{false, true} {
			p := filepath.Join(dir, "m"+dtype[:1]+map[bool]string{false: "c", true: "f"}[fortran]+".npy")
			var b bytes.Buffer
			if err := npy.Write(&b, rows, cols, data, dtype, fortran); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			src, got := readAll(t, p, Options{})
			if src.Rows() != rows || src.Cols() != cols {
				t.Fatalf("%s: %d×%d", p, src.Rows(), src.Cols())
			}
			if i := equalBits(got, data); i != -1 {
				t.Errorf("%s: element %d = %v, want %v", p, i, got[i], data[i])
			}
		}
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, "bad.csv", "1,2\n3,abc\n")
	ragged := writeFile(t, "ragged.tsv", "a\tb\n1\t2\n3\n")
	headerOnly := writeFile(t, "h.csv", "a,b\n")
	var empty bytes.Buffer
	if err := npy.Write(&empty, 0, 3, nil, "<f8", false); err != nil {
		t.Fatal(err)
	}
	emptyNpy := filepath.Join(dir, "empty.npy")
	if err := os.WriteFile(emptyNpy, empty.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		opts Options
		want string
	}{
		{fixtures + "nope.npy", Options{}, "open ../../testdata/npy/nope.npy: no such file or directory"},
		{"memfs://nowhere/x.csv", Options{}, "open memfs://nowhere/x.csv: "},
		{"nosuchscheme://b/x.npy", Options{}, `open nosuchscheme://b/x.npy: file system scheme "nosuchscheme" not registered`},
		{fixtures + "m.xlsx", Options{}, "open ../../testdata/npy/m.xlsx: cannot tell the format from the name; set the format (npy, csv, tsv, txt, safetensors, npz, parquet, idx)"},
		{fixtures + "m.csv", Options{Format: "xls"}, `open ../../testdata/npy/m.csv: unknown format "xls"; want npy, csv, tsv, txt, safetensors, npz, parquet, idx`},
		{fixtures + "m.npy.gz", Options{}, "open ../../testdata/npy/m.npy.gz: gzipped .npy is not supported; decompress it"},
		{fixtures + "bad_header.npy", Options{}, `../../testdata/npy/bad_header.npy: npy: header at byte 51: unexpected key "shap"; want only 'descr', 'fortran_order' and 'shape'`},
		{fixtures + "truncated.npy", Options{}, "../../testdata/npy/truncated.npy: npy: data at byte 1508: file ends after 1508 bytes, shape (37, 5) of <f8 needs 1608 (file truncated?)"},
		{fixtures + "object.npy", Options{}, "../../testdata/npy/object.npy: npy: header at byte 20: object dtype '|O' refused: reading it would mean unpickling Python objects"},
		{fixtures + "m.csv", Options{Format: "npy"}, `../../testdata/npy/m.csv: npy: header at byte 0: bad magic "0,1,-2", not a .npy file`},
		{fixtures + "c_f8_v1.npy", Options{DropColumns: []string{"label"}}, `../../testdata/npy/c_f8_v1.npy: drop column "label": .npy files have no column names; give a 0-based index`},
		{fixtures + "c_f8_v1.npy", Options{DropColumns: []string{"5"}}, "../../testdata/npy/c_f8_v1.npy: drop column 5: file has 5 columns (indices 0 to 4)"},
		{emptyNpy, Options{}, emptyNpy + ": shape [0 3] is empty; want at least one row and one column"},
		{bad, Options{}, bad + `: line 2, column 2: parse "abc": invalid number`},
		{ragged, Options{}, ragged + ": line 3: row has 1 fields, want 2: wrong number of fields"},
		{headerOnly, Options{}, headerOnly + ": no data rows"},
		{digits, Options{DropColumns: []string{"label"}}, digits + `: drop column "label": file has no header row; give a 0-based column index`},
		{fixtures + "c_f8_v1.npy", Options{Format: "csv"}, "../../testdata/npy/c_f8_v1.npy: line 2: bare \" in non-quoted-field"},
	} {
		_, err := Open(context.Background(), c.path, c.opts)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Open(%s, %+v):\n got %v\nwant %s", c.path, c.opts, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s): error spans lines: %q", c.path, err)
		}
	}
}

func TestReadRowsErrors(t *testing.T) {
	ctx := context.Background()
	for _, p := range []string{fixtures + "c_f8_v1.npy", fixtures + "m.csv"} {
		src, err := Open(ctx, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int{{-1, 2}, {3, 2}, {0, 38}} {
			_, err := src.ReadRows(ctx, r[0], r[1])
			want := p + ": row range [" // e.g. "…: row range [0, 38) outside the 37 rows"
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "outside the 37 rows") {
				t.Errorf("%s rows %v: %v", p, r, err)
			}
		}
	}
	// A file truncated after Open: the error names it and the byte offset.
	raw, _ := os.ReadFile(fixtures + "f_f8_v1.npy")
	p := filepath.Join(t.TempDir(), "shrinks.npy")
	os.WriteFile(p, raw, 0o644)
	src, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, raw[:1000], 0o644)
	_, err = src.ReadRows(ctx, 30, 37)
	if err == nil || !strings.HasPrefix(err.Error(), p+": npy: data at byte 1000: unexpected EOF") {
		t.Errorf("shrunk file: %v", err)
	}
	// A csv that lost rows after Open.
	c := writeFile(t, "shrinks.csv", "1,2\n3,4\n5,6\n")
	src, err = Open(ctx, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(c, []byte("1,2\n"), 0o644)
	if _, err = src.ReadRows(ctx, 0, 3); err == nil || err.Error() != c+": file changed since its rows were indexed: 4 bytes, was 12" {
		t.Errorf("shrunk csv: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := src.ReadRows(cctx, 0, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestCSVRowCountCache checks that a changed file is scanned again.
func TestCSVRowCountCache(t *testing.T) {
	ctx := context.Background()
	p := writeFile(t, "grow.csv", "1,2\n3,4\n")
	for i, text := range []string{"1,2\n3,4\n", "1,2\n3,4\n5,6\n", "1,2\n3,4\n5,6\n"} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		// Distinct modification times even on coarse clocks.
		mt := time.Unix(1700000000+int64(i), 0)
		os.Chtimes(p, mt, mt)
		src, err := Open(ctx, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Count(text, "\n"); src.Rows() != want {
			t.Errorf("version %d: %d rows, want %d", i, src.Rows(), want)
		}
	}
	// Same name, different options: the cache must not answer for them.
	src, err := Open(ctx, p, Options{Delimiter: ";"})
	if err == nil {
		t.Errorf("';' delimiter on a ',' file: %d×%d, want an error", src.Rows(), src.Cols())
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		name, text string
		opts       Options
		rows, cols int
	}{
		{"a.tsv", "x\ty\n1\t2\n", Options{}, 1, 2},
		{"a.txt", "# np.savetxt\n1.0 2.0 3.0\n4 5 6\n", Options{}, 2, 3},
		{"a.dat", "1;2;3\n", Options{Format: "csv", Delimiter: ";"}, 1, 3},
		{"a.dat", "1 2\n", Options{Format: "txt"}, 1, 2},
		{"A.CSV", "1,2\n", Options{}, 1, 2},
	} {
		p := writeFile(t, c.name, c.text)
		src, _ := readAll(t, p, c.opts)
		if src.Rows() != c.rows || src.Cols() != c.cols {
			t.Errorf("%s: %d×%d, want %d×%d", c.name, src.Rows(), src.Cols(), c.rows, c.cols)
		}
	}
}
