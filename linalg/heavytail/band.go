package heavytail

import (
	"sync"
	"sync/atomic"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// Stage 1 of the two-stage tridiagonal reduction: a dense symmetric matrix is
// reduced to a band of lower bandwidth b by block Householder transformations
// (Bischof, Lang & Sun 2000, "A framework for symmetric band reduction", ACM
// TOMS 26(4); LAPACK dsytrd_sy2sb). For each panel of b columns starting at k:
//
//	P = A[k+b:, k:k+b] = Q·R,  Q = I − V·T·Vᵀ   (Householder QR, compact WY)
//	A[k+b:, k:k+b] ← R
//	A₂₂ = A[k+b:, k+b:] ← Qᵀ·A₂₂·Q = A₂₂ − V·Wᵀ − W·Vᵀ,
//	  X = A₂₂·V·T,  W = X − ½·V·(Tᵀ·(Vᵀ·X)).
//
// All O(n³) work is in two products per panel, A₂₂·V (n'×n' by n'×b) and the
// rank-2b update [V W]·[W V]ᵀ, both on linalg's register-tiled kernels
// (MulTallSkinny), so the reduction runs at matrix-multiply speed instead of
// the memory-bound matrix-vector speed of one-stage reduction (LAPACK
// dsytrd, where half the flops are symmetric matrix-vector products). The
// rank-2b update is computed for the lower triangle only, tile by tile, and
// mirrored to the upper triangle, so the flop count is 4/3·n³ + O(n²b) like
// dsytrd's. Per panel, A₂₂ is read once by the product and read and written
// once by the update. A variant that fuses the two with a look-ahead (the
// next panel factored first, the next product accumulated from each updated
// tile while in cache, lower triangle only: one read and one write per
// panel) measured no faster at n = 4,096 on the development machine (6.3 s
// either way) and was not kept.

const (
	// bandWidth is the bandwidth b of stage 1. A larger b runs stage 1's
	// products closer to peak but makes stage 2 (6·b·n² flops of scalar
	// code) slower. At n = 4,096 on the development machine, b = 32 and 48
	// were the same within noise, 16 and 64 slower.
	bandWidth = 32
	// updateRows×updateCols are the tiles of the rank-2b update: small enough
	// for the product's result to stay in L2 until it is subtracted, and for
	// one tile (2·updateRows·updateCols·2b < 2²¹ flops at b = 32) to stay on
	// one goroutine inside linalg.MulTallSkinny. updateRows is a multiple of
	// the micro-kernel's 6 rows. (Wider or taller tiles of the same size
	// measured no faster.)
	updateCols = 64
	updateRows = 240
	// twoStageMin is the order from which the two-stage reduction is used;
	// below it LAPACK's one-stage dsytrd (gonum) is faster (measured: 1.2×
	// faster at n = 128; the two-stage is 1.35× faster at 256, 3.4× at 512).
	twoStageMin = 256
)

// bandReducer holds the workspace of reduceToBand.
type bandReducer struct {
	panel, v, t, tau, work []float64
	x, xt, vz, y, z        *mat.Dense
	lv, wvT                []float64 // [V W] (n'×2b) and [W V]ᵀ (2b×n')
	tmp                    [][]float64
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func denseOf(d *mat.Dense, r, c int) *mat.Dense {
	if d == nil || cap(d.RawMatrix().Data) < r*c {
		return mat.NewDense(r, c, nil)
	}
	return mat.NewDense(r, c, d.RawMatrix().Data[:r*c])
}

// reduceToBand overwrites the n×n symmetric matrix am (both triangles
// stored) with a matrix of lower bandwidth b that has the same eigenvalues: on
// return A[i][j] for 0 ≤ i−j ≤ b is the band; the strict upper triangle and
// the entries below the band are garbage.
func (r *bandReducer) reduceToBand(am *mat.Dense, b int) {
	impl := gonum.Implementation{}
	raw := am.RawMatrix()
	n, lda, a := raw.Rows, raw.Stride, raw.Data
	for k := 0; k+b < n-1; k += b {
		np := n - k - b // rows below the band
		// Householder QR of the panel.
		r.panel = grow(r.panel, np*b)
		p := r.panel
		for i := range np {
			copy(p[i*b:(i+1)*b], a[(k+b+i)*lda+k:])
		}
		// The last panel may have fewer rows than columns: kr reflectors.
		kr := min(np, b)
		r.tau = grow(r.tau, kr)
		r.work = grow(r.work, 1)
		impl.Dgeqrf(np, b, p, b, r.tau, r.work, -1)
		r.work = grow(r.work, max(int(r.work[0]), b))
		impl.Dgeqrf(np, b, p, b, r.tau, r.work, len(r.work))
		for i := range kr {
			copy(a[(k+b+i)*lda+k+i:(k+b+i)*lda+k+b], p[i*b+i:(i+1)*b])
		}
		r.t = grow(r.t, kr*kr)
		impl.Dlarft(lapack.Forward, lapack.ColumnWise, np, kr, p, b, r.tau, r.t, kr)
		for i := 1; i < kr; i++ { // T is upper triangular; Dlarft leaves the lower part untouched
			clear(r.t[i*kr : i*kr+i])
		}
		r.v = grow(r.v, np*kr)
		v := r.v
		for i := range np {
			row := v[i*kr : (i+1)*kr]
			for j := range row {
				switch {
				case j < i:
					row[j] = p[i*b+j]
				case j == i:
					row[j] = 1
				default:
					row[j] = 0
				}
			}
		}
		vm := mat.NewDense(np, kr, v)
		tm := mat.NewDense(kr, kr, r.t)

		// X = A₂₂·V·T, W = X − ½·V·(Tᵀ·(Vᵀ·X)).
		a22 := am.Slice(k+b, n, k+b, n).(*mat.Dense)
		r.x = denseOf(r.x, np, kr)
		r.xt = denseOf(r.xt, np, kr)
		r.vz = denseOf(r.vz, np, kr)
		r.y = denseOf(r.y, kr, kr)
		r.z = denseOf(r.z, kr, kr)
		linalg.MulTallSkinny(r.x, a22, vm)
		linalg.MulTallSkinny(r.xt, r.x, tm)
		linalg.MulTransTallSkinny(r.y, vm, r.xt)
		r.z.Mul(tm.T(), r.y)
		linalg.MulTallSkinny(r.vz, vm, r.z)

		// [V W] and [W V]ᵀ.
		r.lv = grow(r.lv, np*2*kr)
		r.wvT = grow(r.wvT, 2*kr*np)
		xt, vz := r.xt.RawMatrix().Data, r.vz.RawMatrix().Data
		for i := range np {
			lrow := r.lv[i*2*kr : (i+1)*2*kr]
			copy(lrow[:kr], v[i*kr:(i+1)*kr])
			for j := range kr {
				w := xt[i*kr+j] - 0.5*vz[i*kr+j]
				lrow[kr+j] = w
				r.wvT[j*np+i] = w
				r.wvT[(kr+j)*np+i] = v[i*kr+j]
			}
		}
		r.symmetricUpdate(a[(k+b)*lda+k+b:], np, lda, kr)
	}
}

// symmetricUpdate sets A ← A − [V W]·[W V]ᵀ for the np×np symmetric matrix
// A = a (stride lda, both triangles) from r.lv and r.wvT, in tiles of
// updateRows×updateCols of the lower triangle: each tile is one product
// into a buffer that stays in cache, subtracted from A and mirrored into the
// upper triangle (storeTile). Tiles are shared among the goroutines parallel.Reserve grants;
// every entry is computed by one product whatever the worker, so the result
// does not depend on scheduling.
func (r *bandReducer) symmetricUpdate(a []float64, np, lda, b int) {
	lv := mat.NewDense(np, 2*b, r.lv[:np*2*b])
	wvT := mat.NewDense(2*b, np, r.wvT[:2*b*np])
	// Tile t of block column J: rows [j0 + t·updateRows, …).
	type tile struct{ j0, j1, r0, r1 int }
	var tiles []tile
	for j0 := 0; j0 < np; j0 += updateCols {
		j1 := min(np, j0+updateCols)
		for r0 := j0; r0 < np; r0 += updateRows {
			tiles = append(tiles, tile{j0, j1, r0, min(np, r0+updateRows)})
		}
	}
	workers, release := parallel.Reserve(max(1, len(tiles)))
	defer release()
	for len(r.tmp) < workers {
		r.tmp = append(r.tmp, nil)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(tiles) {
					return
				}
				t := tiles[k]
				cols, rows := t.j1-t.j0, t.r1-t.r0
				r.tmp[w] = grow(r.tmp[w], rows*cols)
				tmp := mat.NewDense(rows, cols, r.tmp[w])
				linalg.MulTallSkinny(tmp, lv.Slice(t.r0, t.r1, 0, 2*b), wvT.Slice(0, 2*b, t.j0, t.j1))
				storeTile(a, lda, r.tmp[w], t.r0, t.r1, t.j0, t.j1, true)
			}
		})
	}
	wg.Wait()
}

// storeTile writes the lower-triangle entries (i ≥ j) of the tile t (rows
// [r0, r1) × columns [c0, c1) of a symmetric matrix, row-major with stride
// c1−c0) into a (stride lda), subtracting them when subtract is set and
// copying them otherwise, then mirrors the tile's strictly lower entries into
// the upper triangle: A[j][i] = A[i][j] for j < i. Each entry of the matrix
// is thus written by the one tile holding its lower-triangle position, and
// tiles of any shape can be stored concurrently. t is overwritten with the
// stored values, and the mirror reads them from t (compact, in cache) and
// writes one contiguous run of row j per column j, so neither side walks a
// column of a (one page per entry).
func storeTile(a []float64, lda int, t []float64, r0, r1, c0, c1 int, subtract bool) {
	cols := c1 - c0
	for i := r0; i < r1; i++ {
		w := min(cols, i+1-c0) // the lower triangle only: columns ≤ i
		arow := a[i*lda+c0 : i*lda+c0+w]
		trow := t[(i-r0)*cols : (i-r0)*cols+w]
		if subtract {
			for c := range arow {
				trow[c] = arow[c] - trow[c]
			}
		}
		copy(arow, trow)
	}
	for j := c0; j < c1; j++ {
		from := max(r0, j+1)
		if from >= r1 {
			continue
		}
		urow := a[j*lda+from : j*lda+r1]
		col := t[(from-r0)*cols+j-c0:]
		for k := range urow {
			urow[k] = col[k*cols]
		}
	}
}
