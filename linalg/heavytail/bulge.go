package heavytail

import "gonum.org/v1/gonum/lapack/gonum"

// Stage 2 of the two-stage tridiagonal reduction: a symmetric band matrix of
// lower bandwidth b is reduced to tridiagonal form by Householder bulge
// chasing (Lang 1993, "A parallel algorithm for reducing symmetric banded
// matrices to tridiagonal form", SIAM J. Sci. Comput. 14(6); the kernels are
// those of LAPACK's dsytrd_sb2st/dsb2st_kernels, Haidar, Ltaief & Dongarra
// 2011, "Parallel reduction to condensed forms for symmetric eigenvalue
// problems using aggregated fine-grained and memory-aware kernels", SC'11).
//
// Sweep s annihilates A[s+2 : s+b+1, s] with one reflector H of length ≤ b,
// applied from both sides to the diagonal block D = A[s+1 : s+b+1, s+1 : s+b+1]
// (kernel "sym"). H applied from the right to the block B below D creates a
// bulge (B becomes dense); a second reflector H' annihilates the first column
// of B below its first row and is applied from the left to B's other columns
// (kernel "right/left") and from both sides to the next diagonal block, and so
// on down the band. The rest of each bulge lies in columns that later sweeps
// reduce. The cost is about 6·b·n² flops on O(n·b) memory.
//
// Storage ("skewed band"): only the lower triangle, rows of 2b entries,
// A[i][j] (0 ≤ i−j ≤ 2b−1) at index (i+1)·(2b−1) + j. A window of the band
// whose entries all lie in that range is then a row-major matrix with row
// stride 2b−1 (LAPACK's LDA−1 trick), so the kernels are plain dense ones.

// skewBand is a symmetric band matrix in skewed storage.
type skewBand struct {
	n, b   int
	stride int // 2b − 1
	data   []float64
}

// reset sizes the band for an n×n matrix of lower bandwidth b ≥ 1 and zeroes it,
// reusing the storage when it is large enough.
func (a *skewBand) reset(n, b int) {
	a.n, a.b, a.stride = n, b, 2*b-1
	size := (n+1)*a.stride + n
	if cap(a.data) < size {
		a.data = make([]float64, size)
	}
	a.data = a.data[:size]
	clear(a.data)
}

// at returns the index of A[i][j], 0 ≤ i−j ≤ 2b−1.
func (a *skewBand) at(i, j int) int { return (i+1)*a.stride + j }

// tridiagonalize reduces the band to a symmetric tridiagonal matrix with the
// same eigenvalues, returning its diagonal d (length n) and subdiagonal e
// (length n−1) in the given slices. The band is destroyed.
func (a *skewBand) tridiagonalize(d, e []float64) {
	n, b, ld := a.n, a.b, a.stride
	data := a.data
	v := make([]float64, b)
	v2 := make([]float64, b)
	work := make([]float64, b)
	impl := gonum.Implementation{}

	// generate sets v to the reflector annihilating A[r+1 : r+lm, c] below
	// A[r][c] (zeroing them and setting A[r][c] = β) and returns its τ.
	generate := func(v []float64, r, c, lm int) float64 {
		v[0] = 1
		for t := 1; t < lm; t++ {
			p := a.at(r+t, c)
			v[t] = data[p]
			data[p] = 0
		}
		p := a.at(r, c)
		beta, tau := impl.Dlarfg(lm, data[p], v[1:lm], 1)
		data[p] = beta
		return tau
	}

	for s := 0; s < n-2; s++ {
		st, ed := s+1, min(s+b, n-1)
		tau := generate(v, st, s, ed-st+1)
		symmetricReflect(ed-st+1, v, tau, data[a.at(st, st):], ld, work)
		for ed+1 < n {
			j1, j2 := ed+1, min(ed+b, n-1)
			ln, lm := ed-st+1, j2-j1+1
			blk := data[a.at(j1, st):]
			reflectRight(lm, ln, v, tau, blk, ld)
			tau = generate(v2, j1, st, lm)
			reflectLeft(lm, ln-1, v2, tau, blk[1:], ld, work)
			symmetricReflect(lm, v2, tau, data[a.at(j1, j1):], ld, work)
			st, ed = j1, j2
			v, v2 = v2, v
		}
	}
	for i := range n {
		d[i] = data[a.at(i, i)]
		if i+1 < n {
			e[i] = data[a.at(i+1, i)]
		}
	}
}

// symmetricReflect sets D = H·D·H for the n×n symmetric matrix D whose lower
// triangle is stored row-major in a with stride lda, H = I − τ·v·vᵀ
// (LAPACK dlarfy):
//
//	w = τ·D·v,  w ← w − ½·τ·(wᵀv)·v,  D ← D − v·wᵀ − w·vᵀ.
//
// work must hold n values.
func symmetricReflect(n int, v []float64, tau float64, a []float64, lda int, work []float64) {
	if tau == 0 || n == 0 {
		return
	}
	v = v[:n]
	w := work[:n]
	clear(w)
	for i := range n {
		row := a[i*lda : i*lda+i+1]
		vi := v[i]
		var s float64
		for j, x := range row[:i] {
			s += x * v[j]
			w[j] += x * vi
		}
		w[i] += s + row[i]*vi
	}
	var wv float64
	for i := range n {
		w[i] *= tau
		wv += w[i] * v[i]
	}
	alpha := -0.5 * tau * wv
	for i := range n {
		w[i] += alpha * v[i]
	}
	for i := range n {
		row := a[i*lda : i*lda+i+1]
		vi, wi := v[i], w[i]
		for j := range row {
			row[j] -= vi*w[j] + wi*v[j]
		}
	}
}

// reflectRight sets C = C·H for the m×n matrix C (row-major, stride ldc),
// H = I − τ·v·vᵀ.
func reflectRight(m, n int, v []float64, tau float64, c []float64, ldc int) {
	if tau == 0 || m == 0 || n == 0 {
		return
	}
	v = v[:n]
	for r := range m {
		row := c[r*ldc : r*ldc+n]
		var s float64
		for j, x := range row {
			s += x * v[j]
		}
		s *= tau
		for j := range row {
			row[j] -= s * v[j]
		}
	}
}

// reflectLeft sets C = H·C for the m×n matrix C (row-major, stride ldc),
// H = I − τ·v·vᵀ. work must hold n values.
func reflectLeft(m, n int, v []float64, tau float64, c []float64, ldc int, work []float64) {
	if tau == 0 || m == 0 || n == 0 {
		return
	}
	w := work[:n]
	clear(w)
	for r := range m {
		row := c[r*ldc : r*ldc+n]
		vr := v[r]
		for j, x := range row {
			w[j] += vr * x
		}
	}
	for r := range m {
		row := c[r*ldc : r*ldc+n]
		t := tau * v[r]
		for j := range row {
			row[j] -= t * w[j]
		}
	}
}
