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
		{Source{Path: p, LabelColumn: 1}, "d.csv: row 1: label 0.5 is not a class index"},
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
