// Package labelled reads a labelled data set: a matrix of features and an
// integer class label per row, either from one matrix file whose label is
// one of its columns, or from two files, features and labels row for row
// (IDX, as MNIST ships them). Any format of package matrix. Rows are read
// a block at a time, so reading holds the kept rows plus one block; a
// seeded subsample (SampleRows) keeps only its rows.
package labelled

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/internal/decode"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/linalg"
)

// Source says where labelled rows come from: the matrix at Path, whose
// column LabelColumn (0-based, of the file's columns) is the label, or,
// when LabelsPath is set, the features at Path and the labels in the
// one-column file at LabelsPath (read in Options.Format). Rows are read
// BlockRows at a time (≤ 0 means 4096).
type Source struct {
	Path        string
	Options     matrix.Options
	LabelColumn int
	LabelsPath  string
	BlockRows   int
}

// Rows are the labelled rows read from a Source.
type Rows struct {
	X *mat.Dense // kept rows × features, as stored (not scaled)
	Y []int
	// Total is the number of rows of the data set; MaxAbs the largest
	// |feature| over all of them, kept or not.
	Total  int
	MaxAbs float64
	// MaxLabel is the largest label of the kept rows.
	MaxLabel int
}

// SampleRows returns the rows of a seeded subsample of k of n rows,
// ascending: the first k of a permutation drawn by PCG from seed. It returns
// nil, meaning every row, when k is 0 or k ≥ n.
func SampleRows(n, k int, seed uint64) []int {
	if k <= 0 || k >= n {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, linalg.DeriveSeed(seed, 0x5eed)))
	rows := rng.Perm(n)[:k]
	slices.Sort(rows)
	return rows
}

// Read returns the features (rows × features) and the labels of every row
// of s (ReadSample with no subsample).
func Read(ctx context.Context, s Source) (*mat.Dense, []int, error) {
	r, err := ReadSample(ctx, s, 0, 0)
	if err != nil {
		return nil, nil, err
	}
	return r.X, r.Y, nil
}

// ReadSample reads the rows of s, keeping those of SampleRows(n, samples,
// seed) (every row for samples 0). Every row's features must be finite and
// its label an integer in [0, 10⁶]; errors name the file and the 1-based
// row (and column).
func ReadSample(ctx context.Context, s Source, samples int, seed uint64) (*Rows, error) {
	src, err := matrix.Open(ctx, s.Path, s.Options)
	if err != nil {
		return nil, err
	}
	n, cols := src.Rows(), src.Cols()
	features := cols
	labelsFile := s.Path // the file a label comes from, for errors
	var labels []float64
	if s.LabelsPath != "" {
		lab, err := matrix.Open(ctx, s.LabelsPath, matrix.Options{Format: s.Options.Format})
		if err != nil {
			return nil, err
		}
		if lab.Rows() != n || lab.Cols() != 1 {
			return nil, fmt.Errorf("%s: %d × %d labels for the %d rows of %s", s.LabelsPath, lab.Rows(), lab.Cols(), n, s.Path)
		}
		if labels, err = lab.ReadRows(ctx, 0, n); err != nil {
			return nil, err
		}
		labelsFile = s.LabelsPath
	} else {
		if s.LabelColumn < 0 || s.LabelColumn >= cols {
			return nil, fmt.Errorf("%s: label column %d outside the %d columns", s.Path, s.LabelColumn, cols)
		}
		if cols < 2 {
			return nil, fmt.Errorf("%s: only the label column", s.Path)
		}
		features = cols - 1
	}
	if n == 0 || features == 0 {
		return nil, fmt.Errorf("%s: no data (%d × %d)", s.Path, n, features)
	}
	keep := SampleRows(n, samples, seed)
	kept := n
	if keep != nil {
		kept = len(keep)
	}
	out := &Rows{X: mat.NewDense(kept, features, nil), Y: make([]int, 0, kept), Total: n}
	step := s.BlockRows
	if step <= 0 {
		step = 4096
	}
	var buf []float64
	next := 0 // index into keep
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		if buf, err = src.ReadRowsInto(ctx, lo, hi, buf); err != nil {
			return nil, err
		}
		if j := decode.FirstNonFinite(buf); j >= 0 {
			return nil, fmt.Errorf("%s: row %d, column %d is %v; labelled rows need finite features", s.Path, lo+j/cols+1, j%cols+1, buf[j])
		}
		for i := lo; i < hi; i++ {
			row := buf[(i-lo)*cols : (i-lo+1)*cols]
			var label float64
			if labels != nil {
				label = labels[i]
			} else {
				label = row[s.LabelColumn]
			}
			if label != math.Trunc(label) || label < 0 || label > 1e6 {
				return nil, fmt.Errorf("%s: row %d: label %v is not a class index (an integer ≥ 0)", labelsFile, i+1, label)
			}
			for j, v := range row {
				if labels == nil && j == s.LabelColumn {
					continue
				}
				out.MaxAbs = max(out.MaxAbs, math.Abs(v))
			}
			if keep != nil && (next >= len(keep) || keep[next] != i) {
				continue
			}
			next++
			y := int(label)
			out.MaxLabel = max(out.MaxLabel, y)
			dst := out.X.RawRowView(len(out.Y))
			if labels != nil {
				copy(dst, row)
			} else {
				copy(dst, row[:s.LabelColumn])
				copy(dst[s.LabelColumn:], row[s.LabelColumn+1:])
			}
			out.Y = append(out.Y, y)
		}
	}
	return out, nil
}
