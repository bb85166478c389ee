package heavytail

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestCenterRows: the rows of [[1, 2], [3, 6], [5, 1]] minus their mean
// (3, 3) have zero column sums, and a strided view is centred in place
// without touching the columns outside it.
func TestCenterRows(t *testing.T) {
	w := mat.NewDense(3, 3, []float64{1, 2, 9, 3, 6, 9, 5, 1, 9})
	CenterRows(w.Slice(0, 3, 0, 2).(*mat.Dense))
	want := []float64{-2, -1, 9, 0, 3, 9, 2, -2, 9}
	for i, v := range w.RawMatrix().Data {
		if math.Abs(v-want[i]) > 1e-15 {
			t.Fatalf("centred %v, want %v", w.RawMatrix().Data, want)
		}
	}
	CenterRows(&mat.Dense{}) // empty: no panic
}
