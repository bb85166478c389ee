package matrix

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/npy"
)

func writeNpyFile(t *testing.T, p string, rows, cols int, first float64) []float64 {
	t.Helper()
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = first + float64(i)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, rows, cols, data, "<f8", false); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestOpenMany: a folder or glob of .npy files reads as their rows in
// sorted file order (names starting with "_" or "." and unknown names
// skipped), any row range crossing files; files of another column count
// are refused naming the file.
func TestOpenMany(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := writeNpyFile(t, filepath.Join(dir, "b.npy"), 3, 2, 100)
	a := writeNpyFile(t, filepath.Join(dir, "a.npy"), 2, 2, 0)
	c := writeNpyFile(t, filepath.Join(dir, "c.npy"), 4, 2, 200)
	writeNpyFile(t, filepath.Join(dir, "_skip.npy"), 1, 5, 0)
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a matrix"), 0o644)
	want := slices.Concat(a, b, c)
	for _, p := range []string{dir, dir + "/", filepath.Join(dir, "*.npy")} {
		src, err := Open(ctx, p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if src.Rows() != 9 || src.Cols() != 2 || src.DType() != "float64" || src.Path() != p {
			t.Fatalf("%s: %d x %d %s %s", p, src.Rows(), src.Cols(), src.DType(), src.Path())
		}
		checkRanges(t, src, want)
		if f, r := Locate(src, 6); f != filepath.Join(dir, "c.npy") || r != 1 {
			t.Errorf("Locate(6) = %s, %d; want c.npy, 1", f, r)
		}
		if got := Files(src); len(got) != 3 || filepath.Base(got[0]) != "a.npy" {
			t.Errorf("Files = %v", got)
		}
	}
	odd := filepath.Join(dir, "d.npy")
	writeNpyFile(t, odd, 2, 3, 0)
	_, err := Open(ctx, dir, Options{})
	if err == nil || !strings.Contains(err.Error(), odd+": 3 columns, but "+filepath.Join(dir, "a.npy")) || !strings.Contains(err.Error(), "same column count") {
		t.Errorf("column mismatch: %v", err)
	}
	// Dropping a column makes them agree only if it is in every file: 3 → 2
	// in d, 2 → 1 elsewhere is still a mismatch.
	if _, err := Open(ctx, dir, Options{DropColumns: []string{"-1"}}); err == nil {
		t.Error("column mismatch after a drop accepted")
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "notes.md"), nil, 0o644)
	if _, err := Open(ctx, empty, Options{}); err == nil || !strings.Contains(err.Error(), "input.path "+empty+": no matrix files") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := Open(ctx, filepath.Join(dir, "*.parquet"), Options{}); err == nil || !strings.Contains(err.Error(), "no matrix files") {
		t.Errorf("no match: %v", err)
	}
}

// TestOpenManySkipsBadTextRows: bad rows of delimited text in a glob are
// read as NaN and listed with their row among all files' rows.
func TestOpenManySkipsBadTextRows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("1,2\n3,x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.csv"), []byte("5,6\n7\n"), 0o644)
	if _, err := Open(ctx, filepath.Join(dir, "*.csv"), Options{}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "a.csv")+`: line 2, column 2: parse "x"`) {
		t.Errorf("default: %v", err)
	}
	src, err := Open(ctx, filepath.Join(dir, "*.csv"), Options{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := src.ReadRows(ctx, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if data[0] != 1 || !math.IsNaN(data[2]) || !math.IsNaN(data[3]) || data[4] != 5 || !math.IsNaN(data[6]) {
		t.Errorf("data %v", data)
	}
	bad := BadRows(src)
	if len(bad) != 2 || bad[0].Row != 1 || bad[0].Reason != ReasonUnparsable || bad[1].Row != 3 || bad[1].Reason != ReasonFieldCount {
		t.Errorf("bad rows %+v", bad)
	}
	if !strings.Contains(bad[1].Err.Error(), filepath.Join(dir, "b.csv")+": line 2: row has 1 fields, want 2") {
		t.Errorf("bad row error %v", bad[1].Err)
	}
}
