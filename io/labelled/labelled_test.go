package labelled

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/matrix"
)

func write(t *testing.T, p, text string) string {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRead: the label column is cut out of the features, wherever it is;
// a labels file gives the labels row for row; the IDX fixtures of MNIST's
// layout read as features and labels.
func TestRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "d.csv"), "1,7,2\n3,0,4\n5,2,6\n")
	x, y, err := Read(ctx, Source{Path: p, LabelColumn: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(x, mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})) || !slices.Equal(y, []int{7, 0, 2}) {
		t.Errorf("features %v, labels %v", mat.Formatted(x), y)
	}
	labels := write(t, filepath.Join(dir, "l.csv"), "4\n5\n6\n")
	x, y, err = Read(ctx, Source{Path: p, LabelsPath: labels})
	if err != nil || !mat.Equal(x, mat.NewDense(3, 3, []float64{1, 7, 2, 3, 0, 4, 5, 2, 6})) || !slices.Equal(y, []int{4, 5, 6}) {
		t.Errorf("two files: %v, %v, %v", x, y, err)
	}
	const formats = "../../testdata/formats/"
	x, y, err = Read(ctx, Source{Path: formats + "img-idx3-ubyte", LabelsPath: formats + "labels.idx1-ubyte", Options: matrix.Options{Format: "idx"}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := x.Dims(); r != len(y) || r == 0 {
		t.Errorf("IDX: %d rows of features, %d labels", r, len(y))
	}
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := write(t, filepath.Join(dir, "d.csv"), "1,7\n3,0.5\n")
	one := write(t, filepath.Join(dir, "one.csv"), "1\n2\n")
	for _, c := range []struct {
		s    Source
		want string
	}{
		{Source{Path: p, LabelColumn: 1}, "d.csv: row 2: label 0.5 is not a class index"},
		{Source{Path: p, LabelColumn: 2}, "label column 2 outside the 2 columns"},
		{Source{Path: one, LabelColumn: 0}, "only the label column"},
		{Source{Path: p, LabelsPath: write(t, filepath.Join(dir, "l.csv"), "1\n2\n3\n")}, "l.csv: 3 × 1 labels for the 2 rows of"},
		{Source{Path: filepath.Join(dir, "missing.csv")}, "open " + filepath.Join(dir, "missing.csv")},
	} {
		if _, _, err := Read(ctx, c.s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.s, err, c.want)
		}
	}
}

// TestSampleRows: a subsample is k distinct sorted rows, the same for the
// same seed, another for another seed; 0 and k ≥ n mean every row.
func TestSampleRows(t *testing.T) {
	a, b, c := SampleRows(100, 10, 1), SampleRows(100, 10, 1), SampleRows(100, 10, 2)
	if len(a) != 10 || !slices.IsSorted(a) || len(slices.Compact(slices.Clone(a))) != 10 || a[9] >= 100 || a[0] < 0 {
		t.Errorf("sample %v", a)
	}
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Errorf("seeded samples %v %v %v", a, b, c)
	}
	if SampleRows(100, 0, 1) != nil || SampleRows(100, 100, 1) != nil || SampleRows(100, 200, 1) != nil {
		t.Errorf("every row is nil")
	}
}

// TestReadSample: features without the label column, read in blocks
// of any size to the same rows; MaxAbs over every row's features (not the
// labels); a subsample keeps the rows SampleRows names; bad labels and
// features are errors naming the row.
func TestReadSample(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	csv := "1,0,2\n-5,1,0.5\n3,9,1\n0,2,4\n2,1,-1\n"
	name := write(t, filepath.Join(dir, "d.csv"), csv)
	var first *Rows
	for _, step := range []int{1, 2, 4096} {
		d := Source{Path: name, Options: matrix.Options{Format: "csv"}, LabelColumn: 1, BlockRows: step}
		r, err := ReadSample(ctx, d, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{1, 2, -5, 0.5, 3, 1, 0, 4, 2, -1}
		if !slices.Equal(r.X.RawMatrix().Data, want) || !slices.Equal(r.Y, []int{0, 1, 9, 2, 1}) || r.Total != 5 || r.MaxAbs != 5 || r.MaxLabel != 9 {
			t.Errorf("read %d rows at a time: X %v, Y %v, total %d, max |x| %v, max label %d", step, r.X.RawMatrix().Data, r.Y, r.Total, r.MaxAbs, r.MaxLabel)
		}
		first = r
	}
	d := Source{Path: name, Options: matrix.Options{Format: "csv"}, LabelColumn: 1, BlockRows: 2}
	sub, err := ReadSample(ctx, d, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	rows := SampleRows(5, 3, 7)
	for i, k := range rows {
		if !slices.Equal(sub.X.RawRowView(i), first.X.RawRowView(k)) || sub.Y[i] != first.Y[k] {
			t.Errorf("sample row %d is not row %d", i, k)
		}
	}
	if sub.Total != 5 || sub.MaxAbs != 5 {
		t.Errorf("a subsample still scans every row: total %d, max |x| %v", sub.Total, sub.MaxAbs)
	}
	for _, c := range []struct{ csv, want string }{
		{"1,0,2\n1,1.5,2\n", "bad.csv: row 2: label 1.5 is not a class index"},
		{"1,0,2\n1,-1,2\n", "bad.csv: row 2: label -1 is not a class index"},
		{"1,0,2\nnan,1,2\n", "bad.csv: row 2, column 1 is NaN"},
	} {
		d := Source{Path: write(t, filepath.Join(dir, "bad.csv"), c.csv), Options: matrix.Options{Format: "csv"}, LabelColumn: 1}
		if _, err := ReadSample(ctx, d, 0, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %s", c.csv, err, c.want)
		}
	}
	if _, err := ReadSample(ctx, Source{Path: name, Options: matrix.Options{Format: "csv"}, LabelColumn: 3}, 0, 0); err == nil {
		t.Errorf("label column outside the file accepted")
	}
}
