package multipers

// SignedPoint is one Dirac mass of the signed barcode of a Hilbert function:
// weight Weight at grid point (T, R) = (Grid.T[I], Grid.R[J]) in homological
// dimension Dim.
type SignedPoint struct {
	Dim    int
	I, J   int
	T, R   float64
	Weight int
}

// SignedMeasure returns the Möbius inversion of the Hilbert function on its
// grid, the signed barcode of Loiseaux et al. (2023) for the Hilbert
// function:
//
//	w_q(i, j) = H_q(i, j) − H_q(i−1, j) − H_q(i, j−1) + H_q(i−1, j−1),  H_q = 0 off the grid,
//
// so that H_q(i, j) = Σ_{i' ≤ i, j' ≤ j} w_q(i', j'). Only nonzero weights
// are returned, sorted by (Dim, I, J). This is multipers'
// signed_measure(..., invariant="hilbert") with mass_default=None.
func (h HilbertFunction) SignedMeasure() []SignedPoint {
	nt, nr := len(h.Grid.T), len(h.Grid.R)
	at := func(q, i, j int) int {
		if i < 0 || j < 0 {
			return 0
		}
		return h.At(q, i, j)
	}
	var out []SignedPoint
	for q := 0; q <= h.MaxDim; q++ {
		for i := 0; i < nt; i++ {
			for j := 0; j < nr; j++ {
				w := at(q, i, j) - at(q, i-1, j) - at(q, i, j-1) + at(q, i-1, j-1)
				if w != 0 {
					out = append(out, SignedPoint{Dim: q, I: i, J: j, T: h.Grid.T[i], R: h.Grid.R[j], Weight: w})
				}
			}
		}
	}
	return out
}
