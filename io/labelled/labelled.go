// Package labelled reads a labelled data set whole: a matrix of features
// and an integer class label per row, either from one matrix file whose
// label is one of its columns, or from two files, features and labels row
// for row (IDX, as MNIST ships them). Any format of package matrix.
package labelled

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/matrix"
)

// Source says where labelled rows come from: the matrix at Path, whose
// column LabelColumn (0-based, of the file's columns) is the label, or,
// when LabelsPath is set, the features at Path and the labels in the
// one-column file at LabelsPath (read in Options.Format).
type Source struct {
	Path        string
	Options     matrix.Options
	LabelColumn int
	LabelsPath  string
}

// Read returns the features (rows × features) and the labels of s. A label
// must be an integer in [0, 10⁶]; errors name the file and the row. Every
// row is held in memory twice while it is split.
func Read(ctx context.Context, s Source) (*mat.Dense, []int, error) {
	all, err := readAll(ctx, s.Path, s.Options)
	if err != nil {
		return nil, nil, err
	}
	n, cols := all.Dims()
	var x *mat.Dense
	var raw []float64
	if s.LabelsPath != "" {
		lab, err := readAll(ctx, s.LabelsPath, matrix.Options{Format: s.Options.Format})
		if err != nil {
			return nil, nil, err
		}
		if r, c := lab.Dims(); r != n || c != 1 {
			return nil, nil, fmt.Errorf("%s: %d × %d labels for the %d rows of %s", s.LabelsPath, r, c, n, s.Path)
		}
		x, raw = all, lab.RawMatrix().Data
	} else {
		lc := s.LabelColumn
		if lc < 0 || lc >= cols {
			return nil, nil, fmt.Errorf("%s: label column %d outside the %d columns", s.Path, lc, cols)
		}
		if cols < 2 {
			return nil, nil, fmt.Errorf("%s: only the label column", s.Path)
		}
		x = mat.NewDense(n, cols-1, nil)
		raw = make([]float64, n)
		for i := 0; i < n; i++ {
			row := all.RawRowView(i)
			raw[i] = row[lc]
			dst := x.RawRowView(i)
			copy(dst, row[:lc])
			copy(dst[lc:], row[lc+1:])
		}
	}
	y := make([]int, n)
	for i, v := range raw {
		if v != math.Trunc(v) || v < 0 || v > 1e6 {
			return nil, nil, fmt.Errorf("%s: row %d: label %v is not a class index (an integer ≥ 0)", s.Path, i, v)
		}
		y[i] = int(v)
	}
	return x, y, nil
}

// readAll reads every row of the matrix at path.
func readAll(ctx context.Context, path string, opts matrix.Options) (*mat.Dense, error) {
	src, err := matrix.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	data, err := src.ReadRows(ctx, 0, src.Rows())
	if err != nil {
		return nil, err
	}
	if src.Rows() == 0 || src.Cols() == 0 {
		return nil, fmt.Errorf("%s: no data (%d × %d)", path, src.Rows(), src.Cols())
	}
	return mat.NewDense(src.Rows(), src.Cols(), data), nil
}
