package heavytail

import "gonum.org/v1/gonum/mat"

// CenterRows subtracts the mean row from every row of the m×n matrix w, in
// place: W ← W − 1·μᵀ, μⱼ = (1/m)·Σᵢ Wᵢⱼ, so that WᵀW/m is the covariance of
// the rows (samples) rather than their second moment. The means are plain
// sums in row order, so the result does not depend on scheduling. An empty
// matrix is left as it is.
func CenterRows(w *mat.Dense) {
	if w == nil || w.IsEmpty() {
		return
	}
	raw := w.RawMatrix()
	m, n := raw.Rows, raw.Cols
	mean := make([]float64, n)
	for i := range m {
		for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+n] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(m)
	}
	for i := range m {
		row := raw.Data[i*raw.Stride : i*raw.Stride+n]
		for j := range row {
			row[j] -= mean[j]
		}
	}
}
