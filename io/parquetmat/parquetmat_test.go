package parquetmat

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/lowdim/lowdim/io/npy"
)

const fixtures = "../../testdata/formats"

var writeFixtures = flag.Bool("write-fixtures", false, "write the Parquet fixtures under testdata/formats from m_c.npy")

// readNpy loads the reference matrix M written by scripts/make_format_fixtures.py.
func readNpy(t testing.TB, name string) (rows, cols int, data []float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := npy.ReadHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	data = make([]float64, h.Rows*h.Cols)
	if err := npy.ReadRows(f, h, 0, h.Rows, data); err != nil {
		t.Fatal(err)
	}
	return h.Rows, h.Cols, data
}

func labels(rows int) []int64 {
	l := make([]int64, rows)
	for i := range l {
		l[i] = int64(i % 10)
	}
	return l
}

func wideNames(cols int) []string {
	names := make([]string, cols)
	w := len(fmt.Sprint(cols - 1))
	for j := range names {
		names[j] = fmt.Sprintf("c%0*d", max(w, 2), j)
	}
	return names
}

// TestWriteFixtures writes m_list.parquet and m_wide.parquet from m_c.npy
// when run with -write-fixtures; otherwise it checks that the committed files
// equal what it would write, so the fixtures cannot drift from their recipe.
func TestWriteFixtures(t *testing.T) {
	rows, cols, m := readNpy(t, "m_c.npy")
	for name, opts := range map[string]WriteOptions{
		"m_list.parquet": {List: true, Names: []string{"x"}, Labels: labels(rows), GroupRows: 10, PageBytes: 600},
		"m_wide.parquet": {Names: wideNames(cols), Labels: labels(rows), GroupRows: 19},
	} {
		var b bytes.Buffer
		if err := Write(&b, rows, cols, m, opts); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(fixtures, name)
		if *writeFixtures {
			if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, b.Bytes()) {
			t.Errorf("%s differs from what Write produces now; rerun with -write-fixtures", p)
		}
	}
}

func openFixture(t *testing.T, name string, opts Options) *File {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(raw), int64(len(raw)), opts)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
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

// TestFixtures reads M back from both layouts, whole and in every row range
// (ranges start and end inside row groups and inside pages), exactly.
func TestFixtures(t *testing.T) {
	rows, cols, m := readNpy(t, "m_c.npy")
	for _, c := range []struct {
		file   string
		opts   Options
		starts string
	}{
		{"m_list.parquet", Options{Column: "x"}, "[0 10 20 30 37]"},
		{"m_wide.parquet", Options{Columns: wideNames(cols)}, "[0 19 37]"},
	} {
		f := openFixture(t, c.file, c.opts)
		if f.Rows != rows || f.Cols != cols || f.DType() != "float64" {
			t.Fatalf("%s: %d×%d %s, want %d×%d float64", c.file, f.Rows, f.Cols, f.DType(), rows, cols)
		}
		if fmt.Sprint(f.GroupStarts) != c.starts {
			t.Errorf("%s: row groups start at %v, want %s", c.file, f.GroupStarts, c.starts)
		}
		if c.opts.Column != "" {
			// The list file has several pages per row group, so that ranges
			// start inside pages and SeekToRow is exercised.
			oi, err := f.pf.RowGroups()[0].ColumnChunks()[f.leaves[0]].OffsetIndex()
			if err != nil || oi.NumPages() < 2 {
				t.Errorf("%s: row group 0 has %v pages (%v), want ≥ 2", c.file, oi, err)
			}
		}
		for start := 0; start <= rows; start++ {
			for end := start; end <= rows; end += 1 + start%4 {
				got := make([]float64, (end-start)*cols)
				if err := f.ReadRows(start, end, got); err != nil {
					t.Fatalf("%s rows [%d, %d): %v", c.file, start, end, err)
				}
				if i := equalBits(got, m[start*cols:end*cols]); i != -1 {
					t.Fatalf("%s rows [%d, %d): element %d = %v, want %v", c.file, start, end, i, got[i], m[start*cols+i])
				}
			}
		}
	}
}

// TestDefaultColumns: with no selection every numeric scalar column is read,
// the int64 label included; a single named column and an index work too.
func TestDefaultColumns(t *testing.T) {
	rows, cols, m := readNpy(t, "m_c.npy")
	f := openFixture(t, "m_wide.parquet", Options{})
	if f.Cols != cols+1 || f.Names[cols] != "label" || f.DType() != "mixed" {
		t.Fatalf("default columns %v (%s)", f.Names, f.DType())
	}
	got := make([]float64, rows*f.Cols)
	if err := f.ReadRows(0, rows, got); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < rows; i++ {
		if got[i*f.Cols+cols] != float64(i%10) || got[i*f.Cols+2] != m[i*cols+2] {
			t.Fatalf("row %d: label %v, c02 %v", i, got[i*f.Cols+cols], got[i*f.Cols+2])
		}
	}
	l := openFixture(t, "m_list.parquet", Options{})
	if l.Cols != 1 || l.Names[0] != "label" || l.DType() != "int64" {
		t.Fatalf("list file default columns %v (%s)", l.Names, l.DType())
	}
	ix := openFixture(t, "m_list.parquet", Options{Columns: []string{"0"}})
	if ix.Names[0] != "label" {
		t.Errorf("column index 0 selects %v", ix.Names)
	}
}

func TestErrors(t *testing.T) {
	raw, _ := os.ReadFile(filepath.Join(fixtures, "m_list.parquet"))
	for _, c := range []struct {
		in   []byte
		opts Options
		want string
	}{
		{raw, Options{Column: "nope"}, `parquet: no column "nope"; columns: label (INT(64,true)), x (a group)`},
		{raw, Options{Columns: []string{"x"}}, `parquet: column "x" is a group, not a numeric scalar; to read a list column, set the column option instead`},
		{raw, Options{Column: "label"}, `parquet: column "label" is INT(64,true), not a list of numbers`},
		{raw, Options{Column: "x", Columns: []string{"x"}}, "parquet: set a list column or scalar columns, not both"},
		{raw[:len(raw)-10], Options{}, "parquet: byte "},
		{raw[:5], Options{}, "parquet: file has 5 bytes; a Parquet file has at least 12 (file truncated?)"},
		{append(append([]byte{}, raw[:len(raw)-8]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), Options{}, "footer length 2147483647 exceeds"},
	} {
		_, err := Open(bytes.NewReader(c.in), int64(len(c.in)), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v:\n got %v\nwant %s", c.opts, err, c.want)
		}
	}
}

// TestBadRows writes lists of the wrong length and nulls and checks that the
// errors name the row.
func TestBadRows(t *testing.T) {
	type row struct {
		X []float64 `parquet:"x,list"`
		Y *float64  `parquet:"y,optional"`
	}
	one := 1.0
	rows := []row{{[]float64{1, 2}, &one}, {[]float64{3, 4}, &one}, {[]float64{5}, nil}, {nil, &one}}
	var b bytes.Buffer
	if err := parquet.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(b.Bytes()), int64(b.Len()), Options{Column: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Cols != 2 || f.Rows != 4 {
		t.Fatalf("%d×%d", f.Rows, f.Cols)
	}
	dst := make([]float64, 8)
	if err := f.ReadRows(0, 2, dst); err != nil || dst[3] != 4 {
		t.Fatalf("good rows: %v %v", dst, err)
	}
	if err := f.ReadRows(1, 3, dst); err == nil || !strings.Contains(err.Error(), `column "x", row 3: list has 1 elements, want 2 like row 1`) {
		t.Errorf("short list: %v", err)
	}
	if err := f.ReadRows(3, 4, dst); err == nil || !strings.Contains(err.Error(), `column "x", row 4: null or empty list`) {
		t.Errorf("null list: %v", err)
	}
	g, err := Open(bytes.NewReader(b.Bytes()), int64(b.Len()), Options{})
	if err != nil || g.Names[0] != "y" {
		t.Fatalf("optional scalar: %v %v", g, err)
	}
	if err := g.ReadRows(0, 2, dst); err != nil || dst[1] != 1 {
		t.Fatalf("optional scalar without nulls: %v %v", dst[:2], err)
	}
	if err := g.ReadRows(0, 4, dst); err == nil || !strings.Contains(err.Error(), `column "y", row 3: null value`) {
		t.Errorf("null scalar: %v", err)
	}
}
