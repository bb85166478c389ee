package heavytail

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/lapack/gonum"
)

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
//
// Sweeps run in a pipeline on the goroutines parallel.Reserve grants (sweep s on
// goroutine s mod W). Step k of sweep s touches rows and columns
// [s+1+(k−1)·b, s+(k+1)·b] only, so step k of sweep s+1 may run once sweep s
// has finished its steps 0…k+1 (beyond them the two footprints are
// disjoint). Every step does the same arithmetic whatever the goroutine, so
// the result does not depend on their number.
func (a *skewBand) tridiagonalize(d, e []float64) {
	n := a.n
	sweeps := max(0, n-2)
	workers, release := 1, func() {}
	if n >= parallelSweepMin {
		workers, release = parallel.Reserve(max(1, sweeps))
	}
	defer release()
	// done[s] is the number of steps sweep s has finished (math.MaxInt64 at
	// its end).
	done := make([]atomic.Int64, sweeps)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ws := newSweepWork(a.b)
			for s := w; s < sweeps; s += workers {
				a.sweep(s, ws, done)
			}
		})
	}
	wg.Wait()
	data := a.data
	for i := range n {
		d[i] = data[a.at(i, i)]
		if i+1 < n {
			e[i] = data[a.at(i+1, i)]
		}
	}
}

// parallelSweepMin is the order from which tridiagonalize pipelines its sweeps.
const parallelSweepMin = 512

type sweepWork struct {
	v, v2, work []float64
}

func newSweepWork(b int) *sweepWork {
	return &sweepWork{v: make([]float64, b), v2: make([]float64, b), work: make([]float64, b)}
}

// sweep runs sweep s (annihilating column s below the subdiagonal and
// chasing the bulge off the band), waiting before each step k until sweep
// s−1 has finished step k+1, and publishing its own progress in done[s].
func (a *skewBand) sweep(s int, ws *sweepWork, done []atomic.Int64) {
	n, b, ld := a.n, a.b, a.stride
	data := a.data
	impl := gonum.Implementation{}
	wait := func(k int) {
		if s == 0 {
			return
		}
		for done[s-1].Load() < int64(k+2) {
			runtime.Gosched()
		}
	}
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

	v, v2 := ws.v, ws.v2
	wait(0)
	st, ed := s+1, min(s+b, n-1)
	tau := generate(v, st, s, ed-st+1)
	symmetricReflect(ed-st+1, v, tau, data[a.at(st, st):], ld, ws.work)
	done[s].Store(1)
	for k := 1; ed+1 < n; k++ {
		wait(k)
		j1, j2 := ed+1, min(ed+b, n-1)
		ln, lm := ed-st+1, j2-j1+1
		blk := data[a.at(j1, st):]
		reflectRight(lm, ln, v, tau, blk, ld)
		tau = generate(v2, j1, st, lm)
		reflectLeft(lm, ln-1, v2, tau, blk[1:], ld, ws.work)
		symmetricReflect(lm, v2, tau, data[a.at(j1, j1):], ld, ws.work)
		st, ed = j1, j2
		v, v2 = v2, v
		done[s].Store(int64(k + 1))
	}
	done[s].Store(math.MaxInt64)
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
