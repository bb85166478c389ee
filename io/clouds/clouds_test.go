package clouds

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/lowdim/lowdim/io/npy"
)

func write(t *testing.T, p, text string) string {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRead: every row is a point; a non-finite coordinate is refused with
// its row and column, or dropped and counted with SkipBadRows; Drop removes
// a label column.
func TestRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "c.csv"), "x,y,label\n0,1,7\n2,NaN,7\n4,5,8\n")
	if _, err := (Reader{Drop: []string{"label"}}).Read(ctx, p); err == nil || !strings.Contains(err.Error(), p+": row 2, column 2: coordinate NaN is not finite") {
		t.Errorf("NaN: %v", err)
	}
	c, err := Reader{Drop: []string{"label"}, SkipBadRows: true}.Read(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 2 || c.Dim != 2 || c.BadRows != 1 || !slices.Equal(c.Points, []float64{0, 1, 4, 5}) || c.Path != p || c.Group != "" {
		t.Errorf("cloud %+v", c)
	}
	// Rows that do not parse are refused at their line and column, or
	// skipped and counted by reason.
	q := write(t, filepath.Join(dir, "q.csv"), "x,y,label\n0,1,7\n2,oops,7\n4,5\n6,7,8\nInf,1,2\n")
	if _, err := (Reader{Drop: []string{"label"}}).Read(ctx, q); err == nil || !strings.Contains(err.Error(), q+`: line 3, column 2: parse "oops"`) {
		t.Errorf("unparsable: %v", err)
	}
	c, err = Reader{Drop: []string{"label"}, SkipBadRows: true}.Read(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 2 || c.BadRows != 3 || c.BadUnparsable != 1 || c.BadFieldCount != 1 || !slices.Equal(c.Points, []float64{0, 1, 6, 7}) {
		t.Errorf("skipped cloud %+v", c)
	}
	f, err := os.Create(filepath.Join(dir, "c.npy"))
	if err != nil {
		t.Fatal(err)
	}
	npy.Write(f, 2, 3, []float64{1, 2, 3, 4, 5, 6}, "<f4", false)
	f.Close()
	c, err = Reader{}.Read(ctx, f.Name())
	if err != nil || c.N != 2 || c.Dim != 3 || !slices.Equal(c.Points, []float64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("npy cloud %+v, %v", c, err)
	}
}

// TestReadGroups: the rows of a csv, tsv or Parquet table split by a group
// column into clouds in the order the values first appear, the group
// column and Drop left out of the coordinates; csv values are trimmed text,
// Parquet values are formatted numbers.
func TestReadGroups(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := "x,cloud,y,label\n0,b,1,9\n2, a ,3,9\n4,b,5,9\n"
	want := []Cloud{
		{Group: "b", Points: []float64{0, 1, 4, 5}, N: 2, Dim: 2},
		{Group: "a", Points: []float64{2, 3}, N: 1, Dim: 2},
	}
	type row struct {
		X     float64 `parquet:"x"`
		Cloud int64   `parquet:"cloud"`
		Y     float64 `parquet:"y"`
		Label float64 `parquet:"label"`
	}
	pq := filepath.Join(dir, "t.parquet")
	if err := parquet.WriteFile(pq, []row{{0, 20, 1, 9}, {2, 10, 3, 9}, {4, 20, 5, 9}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path   string
		groups []string
	}{
		{write(t, filepath.Join(dir, "t.csv"), text), []string{"b", "a"}},
		{write(t, filepath.Join(dir, "t.tsv"), strings.ReplaceAll(text, ",", "\t")), []string{"b", "a"}},
		{write(t, filepath.Join(dir, "t.txt"), strings.ReplaceAll(strings.ReplaceAll(text, ",", "  "), " a ", "a")), []string{"b", "a"}},
		{pq, []string{"20", "10"}},
	} {
		got, err := Reader{GroupBy: "cloud", Drop: []string{"label"}}.ReadGroups(ctx, c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d clouds", c.path, len(got))
		}
		for i, g := range got {
			w := want[i]
			if g.Group != c.groups[i] || g.Path != c.path || g.N != w.N || g.Dim != w.Dim || !slices.Equal(g.Points, w.Points) {
				t.Errorf("%s: cloud %d = %+v, want %+v named %s", c.path, i, g, w, c.groups[i])
			}
		}
	}
}

func TestReadGroupsErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	table := write(t, filepath.Join(dir, "t.csv"), "x,y,g\n0,0,a\n1,0,a\n")
	for _, c := range []struct {
		r    Reader
		path string
		want string
	}{
		{Reader{GroupBy: "cloud"}, table, table + `: no column "cloud" to group the points by (input.group_by); the first row has x, y, g`},
		{Reader{GroupBy: "cloud"}, write(t, filepath.Join(dir, "plain.csv"), "0,1\n2,3\n"), `plain.csv: no header row, so no column "cloud"`},
		{Reader{GroupBy: "g"}, write(t, filepath.Join(dir, "empty.csv"), "x,g\n0,a\n1, \n"), `empty.csv: row 2: empty value of group column "g"`},
		{Reader{GroupBy: "g"}, write(t, filepath.Join(dir, "ragged.csv"), "x,g\n0,a\n1\n"), `ragged.csv: line 3: row has 1 fields, want 2`},
		{Reader{GroupBy: "g"}, filepath.Join(dir, "x.npy"), `input.group_by "g" needs a table with named columns`},
		{Reader{GroupBy: "g", Column: "c"}, table, `input.column "c" does not apply`},
		{Reader{}, table, "no group column"},
	} {
		_, err := c.r.ReadGroups(ctx, c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.path, err, c.want)
		}
	}
	type row struct {
		X float64 `parquet:"x"`
		G float64 `parquet:"g"`
	}
	pq := filepath.Join(dir, "nan.parquet")
	if err := parquet.WriteFile(pq, []row{{0, 1}, {1, math.NaN()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := (Reader{GroupBy: "g"}).ReadGroups(ctx, pq); err == nil || !strings.Contains(err.Error(), `row 2: group column "g" is NaN`) {
		t.Errorf("NaN group: %v", err)
	}
}

// TestList: a folder gives its files of a known format, sorted, skipping
// names starting with . or _ and subfolders; files of no known format are
// read only when there are no others and a format is set; a glob selects;
// a file is itself.
func TestList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"b.npy", "a.csv", "c.parquet", "README.md", ".hidden.csv", "_SUCCESS"} {
		write(t, filepath.Join(dir, name), "")
	}
	os.Mkdir(filepath.Join(dir, "sub.csv"), 0o755)
	got, err := List(ctx, dir, "")
	want := []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.npy"), filepath.Join(dir, "c.parquet")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("folder: %v, %v; want %v", got, err, want)
	}
	if got, err := List(ctx, filepath.Join(dir, "*.npy"), ""); err != nil || !slices.Equal(got, want[1:2]) {
		t.Errorf("glob: %v, %v", got, err)
	}
	if got, err := List(ctx, "some/file.dat", ""); err != nil || !slices.Equal(got, []string{"some/file.dat"}) {
		t.Errorf("file: %v, %v", got, err)
	}
	other := t.TempDir()
	write(t, filepath.Join(other, "p.dat"), "")
	if _, err := List(ctx, other, ""); err == nil || !strings.Contains(err.Error(), "no point cloud files (csv, npy, npz, safetensors, parquet, idx) found") {
		t.Errorf("no known files: %v", err)
	}
	if got, err := List(ctx, other+"/", "csv"); err != nil || !slices.Equal(got, []string{filepath.Join(other, "p.dat")}) {
		t.Errorf("format set: %v, %v", got, err)
	}
}
