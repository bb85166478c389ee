package linalg

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// The products of a randomized SVD with the big matrix A (m×n) are tall and
// skinny: A·B and Aᵀ·Q with B n×l, Q m×l, l ≈ 10–60. Both run one
// register-tiled micro-kernel (Goto & van de Geijn 2008, "Anatomy of
// high-performance matrix multiplication", §5): a 6×8 (or 6×4) tile of the
// result stays in registers while the reduction streams through it, one
// broadcast operand times one 8-wide row per step.
//
//   - A·B: the tile is 6 rows of A × 8 columns of B; A's rows are read in
//     place, B is packed once into zero-padded 8-wide panels.
//   - Aᵀ·Q: the tile is 6 columns of Q × 8 columns of A, i.e. a tile of
//     (Aᵀ·Q)ᵀ; Q is packed in blocks of tnBlockRows rows into 6-wide panels and
//     the rows of A are read in place, one cache line per step.
//
// The same drivers run on float32 (MulTallSkinny32, MulTransTallSkinny32)
// with 6×16 tiles: an AVX2 register holds 8 float32 instead of 4 float64.
// They also multiply float32 data in float64 (the passes of
// PassBasis.Process32 that need float64): the six rows of A under a tile of
// A·B are widened into a small buffer (rowsAs), and Aᵀ·Q packs A's strips
// as stored and widens them as the kernel loads them (tiling.kernB), so the
// products are those of the widened A, bit for bit, without a widened copy
// of A.
//
// Rows of A are split across the goroutines parallel.Reserve grants (at most --cores). On amd64 with
// AVX2 and FMA3 the micro-kernel is assembly (products_amd64.s); elsewhere,
// or with the purego build tag, it is kernGo.
//
// Determinism: both products are bit-for-bit independent of goroutine
// scheduling and of the worker count. Every entry of A·B is one sequential sum over
// k. Aᵀ·Q is summed over the rows of A in a fixed partition of [0, m) into
// chunks that depends on (m, n, l) only; each chunk's partial sum is
// sequential in the row index and the partials are added in chunk order.
// The assembly kernel rounds once per term (FMA) and kernGo twice (multiply,
// then add; except where the Go compiler fuses them, as on arm64), so results
// can differ in the last bits between machines with and without AVX2+FMA.

const (
	// mr is the number of rows of a micro-tile.
	mr = 6
	// nr is the widest float64 micro-tile (two AVX2 registers); narrower
	// panels are 4 wide. float32 tiles are twice as wide (tiling32).
	nr = 8
	// nnChunkRows is the number of rows of A·B handed to a goroutine at a time.
	nnChunkRows = 16 * mr
	// tnBlockRows is the number of rows of A and Q streamed through the
	// micro-kernel per call in Aᵀ·Q: the A strip touched by one tile
	// (tnBlockRows lines) stays in L1 for all panels of Q.
	tnBlockRows = 256
	// tnGroupCols is the number of columns of Q (whole mr-panels) swept
	// against one strip of A before the next strip: 256 × 48 packed values,
	// 96 KiB, stay in L2.
	tnGroupCols = 8 * mr
	// tnPanelStrips is the number of nr-wide strips of A packed at a time
	// in Aᵀ·Q (when it packs): tnBlockRows × 1 KiB, 256 KiB, stay in L2.
	tnPanelStrips = 16
	// tnMinChunkBlocks is the fewest blocks of tnBlockRows rows in a row
	// chunk of Aᵀ·Q (but for the last): every chunk adds an n×l partial sum
	// to the result, which for 256-row chunks was 5% of a wide spectrum's
	// CPU time.
	tnMinChunkBlocks = 4
	// tnMaxChunks is the largest number of row chunks of Aᵀ·Q, each with its
	// own n×l partial sum; tnMaxPartialBytes caps their total size.
	tnMaxChunks       = 32
	tnMaxPartialBytes = 32 << 20
	// parallelFlops is the product size (2·m·n·l) below which one goroutine
	// does all the work.
	parallelFlops = 1 << 21
)

// useAsm selects the assembly micro-kernel; tests clear it to exercise kernGo.
var useAsm = haveAVX2FMA

// element is the element type of the products: float64, or float32 for the
// power passes over float32 data (MulTallSkinny32, MulTransTallSkinny32).
type element interface{ float32 | float64 }

// general is a row-major matrix of any element type (blas64.General's layout).
type general[T element] struct {
	Rows, Cols, Stride int
	Data               []T
}

func general64(g blas64.General) general[float64] {
	return general[float64]{Rows: g.Rows, Cols: g.Cols, Stride: g.Stride, Data: g.Data}
}

// microKernel computes the mr×w tile (w = nr or nr/2 of its tiling)
//
//	c[r·ldc + j] = (load ? c[r·ldc + j] : 0) + Σ_{t<kc} a[r·ars + t·ast] · b[t·bst + j]
//
// for r < mr and j < valid ≤ w, leaving c[r·ldc + j], j ≥ valid, untouched.
// The sum over t is sequential.
type microKernel[T element] func(kc int, a []T, ars, ast int, b []T, bst int, c []T, ldc int, load bool, w, valid int)

// tiling is a micro-kernel with the width nr of its wide tiles (two AVX2
// registers: 8 float64 or 16 float32); narrow tiles are nr/2 wide. kernB,
// of the float64 tiling, is kern with float32 b rows widened as they are
// read: Aᵀ·Q of float32 data in float64, on strips packed as stored.
type tiling[T element] struct {
	nr    int
	kern  microKernel[T]
	kernB func(kc int, a []T, ars, ast int, b []float32, bst int, c []T, ldc int, load bool, w, valid int)
}

func tiling64() tiling[float64] {
	if useAsm {
		return tiling[float64]{nr: nr, kern: kernAVX2, kernB: kernAVX2B}
	}
	return tiling[float64]{nr: nr, kern: kernGo[float64, float64, float64], kernB: kernGo[float64, float32, float64]}
}

func tiling32() tiling[float32] {
	if useAsm {
		return tiling[float32]{nr: 2 * nr, kern: kernAVX2F32}
	}
	return tiling[float32]{nr: 2 * nr, kern: kernGo[float32, float32, float32]}
}

// kernGo is the pure-Go microKernel, in the arithmetic of T on a and b
// converted to T (float32 b rows of a float64 kernel: tiling.kernB). It
// sweeps the tile in 2×4 blocks whose eight accumulators stay in registers.
func kernGo[A, B, T element](kc int, a []A, ars, ast int, b []B, bst int, c []T, ldc int, load bool, w, valid int) {
	var acc [mr][2 * nr]T
	if load {
		for r := range mr {
			copy(acc[r][:valid], c[r*ldc:r*ldc+valid])
		}
	}
	_ = a[(mr-1)*ars+(kc-1)*ast]
	_ = b[(kc-1)*bst+w-1]
	for r := 0; r < mr; r += 2 {
		for j := 0; j < w; j += 4 {
			r0, r1 := &acc[r], &acc[r+1]
			c00, c01, c02, c03 := r0[j], r0[j+1], r0[j+2], r0[j+3]
			c10, c11, c12, c13 := r1[j], r1[j+1], r1[j+2], r1[j+3]
			ai, bi := r*ars, j
			for range kc {
				x0, x1 := T(a[ai]), T(a[ai+ars])
				bt := b[bi : bi+4 : bi+4]
				b0, b1, b2, b3 := T(bt[0]), T(bt[1]), T(bt[2]), T(bt[3])
				c00 += x0 * b0
				c01 += x0 * b1
				c02 += x0 * b2
				c03 += x0 * b3
				c10 += x1 * b0
				c11 += x1 * b1
				c12 += x1 * b2
				c13 += x1 * b3
				ai += ast
				bi += bst
			}
			r0[j], r0[j+1], r0[j+2], r0[j+3] = c00, c01, c02, c03
			r1[j], r1[j+1], r1[j+2], r1[j+3] = c10, c11, c12, c13
		}
	}
	for r := range mr {
		copy(c[r*ldc:r*ldc+valid], acc[r][:valid])
	}
}

// panel is the column range [col, col+valid) of B, packed w wide (zero padded).
type panel struct {
	col, valid, w int
}

// panelsOf splits l columns into panels of nr, the last one nr/2 wide when
// at most nr/2 columns remain. It returns the panels and the padded width.
func panelsOf(l, nr int) ([]panel, int) {
	var ps []panel
	lpad := 0
	for j := 0; j < l; {
		w := nr
		if l-j <= nr/2 {
			w = nr / 2
		}
		ps = append(ps, panel{col: j, valid: min(w, l-j), w: w})
		j += w
		lpad += w
	}
	return ps, lpad
}

// packPanels copies rows [r0, r0+rows) of the skinny matrix x into dst panel
// by panel: panel p occupies dst[rows·p.col : rows·(p.col+p.w)], row t at
// offset t·p.w, zero padded past p.valid.
func packPanels[T element](dst []T, x general[T], r0, rows int, ps []panel) {
	for _, p := range ps {
		out := dst[rows*p.col : rows*(p.col+p.w)]
		for t := range rows {
			src := x.Data[(r0+t)*x.Stride+p.col : (r0+t)*x.Stride+p.col+p.valid]
			o := out[t*p.w : t*p.w+p.w]
			copy(o, src)
			clear(o[p.valid:])
		}
	}
}

// bufPools recycle the packing and partial-sum buffers between calls, so
// that the repeated products of a subspace iteration do not allocate: one
// pool per element type and power-of-two capacity, so that a float32 pass
// does not drop the float64 buffers (or a small buffer the large ones) that
// the next pass needs.
var bufPools [2][64]sync.Pool

func bufPool[T element](n int) (*sync.Pool, int) {
	class := bits.Len(uint(max(n, 1) - 1))
	if unsafe.Sizeof(T(0)) == 4 {
		return &bufPools[0][class], 1 << class
	}
	return &bufPools[1][class], 1 << class
}

func getBuf[T element](n int) *[]T {
	pool, size := bufPool[T](n)
	if p, ok := pool.Get().(*[]T); ok {
		*p = (*p)[:n]
		return p
	}
	s := make([]T, n, size)
	return &s
}

func putBuf[T element](p *[]T) {
	if pool, size := bufPool[T](cap(*p)); size == cap(*p) {
		pool.Put(p)
	}
}

// parallelFor runs work(w) for w in [0, workers) on separate goroutines and
// waits for all of them; with one worker it runs inline.
func parallelFor(workers int, work func(w int)) {
	if workers <= 1 {
		work(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { work(w) })
	}
	wg.Wait()
}

// workersFor reserves the goroutines of a product (parallel.Reserve): one
// below parallelFlops, else up to one per task.
func workersFor(m, n, l, tasks int) (workers int, release func()) {
	if 2*float64(m)*float64(n)*float64(l) < parallelFlops {
		return 1, func() {}
	}
	return parallel.Reserve(max(1, tasks))
}

// MulTallSkinny sets dst = a·b, where a is m×n (tall: m ≫ l) and b is n×l with small l.
// dst must be m×l or empty; an empty dst is resized to m×l. It panics on a shape mismatch.
//
// When a is a *mat.Dense or the transpose of one, b is a *mat.Dense and dst
// shares no memory with them, the product is computed by the parallel
// register-tiled kernel (see the package-level notes in products.go on its
// determinism); otherwise by dst.Mul.
func MulTallSkinny(dst *mat.Dense, a, b mat.Matrix) {
	m, n := a.Dims()
	br, l := b.Dims()
	if n != br {
		panic(mat.ErrShape)
	}
	prepareDst(dst, m, l)
	bd, okB := b.(*mat.Dense)
	switch at := a.(type) {
	case *mat.Dense:
		if okB && !overlaps(dst, at) && !overlaps(dst, bd) {
			mulNN(general64(dst.RawMatrix()), general64(at.RawMatrix()), general64(bd.RawMatrix()), tiling64())
			return
		}
	case mat.Transpose:
		if ad, ok := at.Matrix.(*mat.Dense); ok && okB && !overlaps(dst, ad) && !overlaps(dst, bd) {
			mulTN(general64(dst.RawMatrix()), general64(ad.RawMatrix()), general64(bd.RawMatrix()), false, tiling64())
			return
		}
	}
	dst.Mul(a, b)
}

// MulTransTallSkinny sets dst = aᵀ·q, where a is m×n and q is m×l with small l.
// dst must be n×l or empty; an empty dst is resized to n×l. It panics on a shape mismatch.
//
// When a is a *mat.Dense or the transpose of one, q is a *mat.Dense and dst
// shares no memory with them, the product is computed by the parallel
// register-tiled kernel (see the package-level notes in products.go on its
// determinism); otherwise by dst.Mul.
func MulTransTallSkinny(dst *mat.Dense, a, q mat.Matrix) {
	m, n := a.Dims()
	qr, l := q.Dims()
	if m != qr {
		panic(mat.ErrShape)
	}
	prepareDst(dst, n, l)
	qd, okQ := q.(*mat.Dense)
	switch at := a.(type) {
	case *mat.Dense:
		if okQ && !overlaps(dst, at) && !overlaps(dst, qd) {
			mulTN(general64(dst.RawMatrix()), general64(at.RawMatrix()), general64(qd.RawMatrix()), false, tiling64())
			return
		}
	case mat.Transpose:
		if ad, ok := at.Matrix.(*mat.Dense); ok && okQ && !overlaps(dst, ad) && !overlaps(dst, qd) {
			mulNN(general64(dst.RawMatrix()), general64(ad.RawMatrix()), general64(qd.RawMatrix()), tiling64())
			return
		}
	}
	dst.Mul(a.T(), q)
}

// MulTallSkinny32 sets dst = a·b in float32 (a m×n, b n×l, dst m×l): the
// kernel of MulTallSkinny with 6×16 tiles of float32 (twice the lanes per
// register, half the bytes per value), for products whose float32 rounding
// the caller can afford. It panics on a shape mismatch.
func MulTallSkinny32(dst, a, b blas32.General) {
	if a.Cols != b.Rows || dst.Rows != a.Rows || dst.Cols != b.Cols {
		panic(mat.ErrShape)
	}
	mulNN(general32(dst), general32(a), general32(b), tiling32())
}

// MulTransTallSkinny32 sets dst = aᵀ·q in float32 (a m×n, q m×l, dst n×l),
// as MulTransTallSkinny does in float64; bit-for-bit independent of the
// worker count. It panics on a shape mismatch.
func MulTransTallSkinny32(dst, a, q blas32.General) {
	if a.Rows != q.Rows || dst.Rows != a.Cols || dst.Cols != q.Cols {
		panic(mat.ErrShape)
	}
	mulTN(general32(dst), general32(a), general32(q), false, tiling32())
}

func general32(g blas32.General) general[float32] {
	return general[float32]{Rows: g.Rows, Cols: g.Cols, Stride: g.Stride, Data: g.Data}
}

// MulGram sets dst = aᵀ·a (n×n) for an m×n matrix a, by the kernel of
// MulTransTallSkinny with q = a, computing only the tiles that meet the lower
// triangle and mirroring them: half the flops (m·n² + O(m·n)), and dst
// exactly symmetric. dst must be n×n or empty and share no memory with a.
// Like MulTransTallSkinny it is bit-for-bit independent of the worker count.
func MulGram(dst, a *mat.Dense) {
	_, n := a.Dims()
	prepareDst(dst, n, n)
	if overlaps(dst, a) {
		panic("linalg: MulGram: dst overlaps a")
	}
	ar := general64(a.RawMatrix())
	mulTN(general64(dst.RawMatrix()), ar, ar, true, tiling64())
}

// prepareDst resizes an empty dst to r×c and panics with mat.ErrShape if a
// non-empty dst is not r×c.
func prepareDst(dst *mat.Dense, r, c int) {
	if dst.IsEmpty() {
		dst.ReuseAs(r, c)
		return
	}
	if dr, dc := dst.Dims(); dr != r || dc != c {
		panic(mat.ErrShape)
	}
}

// overlaps reports whether the backing arrays of x and y intersect.
func overlaps(x, y *mat.Dense) bool {
	xd, yd := x.RawMatrix().Data, y.RawMatrix().Data
	if len(xd) == 0 || len(yd) == 0 {
		return false
	}
	x0 := uintptr(unsafe.Pointer(&xd[0]))
	y0 := uintptr(unsafe.Pointer(&yd[0]))
	const f = unsafe.Sizeof(float64(0))
	return x0 < y0+uintptr(len(yd))*f && y0 < x0+uintptr(len(xd))*f
}

// mulNN sets c = a·b (a m×n, b n×l, c m×l). Rows of c are computed in chunks
// of nnChunkRows by a pool of goroutines; each entry is one sequential sum over
// the n columns of a, so the result does not depend on the partition.
func mulNN[D, T element](c general[T], a general[D], b general[T], tl tiling[T]) {
	mulNNFrob(c, a, b, tl, false)
}

// mulNNFrob is mulNN that also returns, when wantFrob, ‖a‖_F² = Σᵢⱼ aᵢⱼ²
// summed in float64 as the tiles read the rows (the final pass needs both,
// and a second sweep would read a from memory again): each row chunk sums
// its rows in order (four interleaved accumulators per row) and the chunk
// sums are added in chunk order, so it is independent of the worker count.
func mulNNFrob[D, T element](c general[T], a general[D], b general[T], tl tiling[T], wantFrob bool) (frobSq float64) {
	m, n, l := a.Rows, a.Cols, b.Cols
	pl := newNNPlan(b, tl)
	defer pl.release()
	chunks := (m + nnChunkRows - 1) / nnChunkRows
	var sums []float64
	if wantFrob {
		sums = make([]float64, chunks)
	}
	var next atomic.Int64
	workers, release := workersFor(m, n, l, chunks)
	defer release()
	parallelFor(workers, func(int) {
		for {
			ch := int(next.Add(1)) - 1
			if ch >= chunks {
				return
			}
			s := nnRows(pl, c, a, ch*nnChunkRows, min(m, (ch+1)*nnChunkRows), wantFrob)
			if wantFrob {
				sums[ch] = s
			}
		}
	})
	for _, s := range sums {
		frobSq += s
	}
	return frobSq
}

// nnPlan is B packed for A·B (packPanels), shared by the row ranges nnRows
// computes with it.
type nnPlan[T element] struct {
	bp    []T
	bpBuf *[]T
	ps    []panel
	kern  microKernel[T]
}

func newNNPlan[T element](b general[T], tl tiling[T]) *nnPlan[T] {
	ps, lpad := panelsOf(b.Cols, tl.nr)
	bpBuf := getBuf[T](b.Rows * lpad)
	packPanels(*bpBuf, b, 0, b.Rows, ps)
	return &nnPlan[T]{bp: *bpBuf, bpBuf: bpBuf, ps: ps, kern: tl.kern}
}

func (pl *nnPlan[T]) release() { putBuf(pl.bpBuf) }

// nnRows sets rows [r0, r1) of c = a·b, in tiles of mr rows; the last
// r1−r0 mod mr rows are copied into a zero-padded tile, of which only they
// are kept. Every entry is the same sequential sum however the rows are cut.
// With wantFrob it returns the sum of the squares of the rows' values, row
// after row (rowSq), else 0.
func nnRows[D, T element](pl *nnPlan[T], c general[T], a general[D], r0, r1 int, wantFrob bool) (sq float64) {
	n, l := a.Cols, c.Cols
	inPlace, _ := any(a.Data).([]T)
	tb := getBuf[T](mr*n + mr*l)
	defer putBuf(tb)
	buf, ct := (*tb)[:mr*n], (*tb)[mr*n:]
	full := r0 + (r1-r0)/mr*mr
	for i := r0; i < full; i += mr {
		ai, ars := rowsAs(buf, inPlace, a, i, mr)
		ci := c.Data[i*c.Stride:]
		for _, p := range pl.ps {
			pl.kern(n, ai, ars, 1, pl.bp[n*p.col:], p.w, ci[p.col:], c.Stride, false, p.w, p.valid)
		}
		if wantFrob {
			for r := range mr {
				sq += rowSq(ai[r*ars : r*ars+n])
			}
		}
	}
	if full == r1 {
		return sq
	}
	tail := r1 - full
	clear(buf)
	for r := range tail {
		convert(buf[r*n:(r+1)*n], a.Data[(full+r)*a.Stride:(full+r)*a.Stride+n])
		if wantFrob {
			sq += rowSq(buf[r*n : (r+1)*n])
		}
	}
	for _, p := range pl.ps {
		pl.kern(n, buf, n, 1, pl.bp[n*p.col:], p.w, ct[p.col:], l, false, p.w, p.valid)
	}
	for r := range tail {
		copy(c.Data[(full+r)*c.Stride:(full+r)*c.Stride+l], ct[r*l:(r+1)*l])
	}
	return sq
}

// rowSq returns Σ float64(v)² over row, in four interleaved accumulators
// combined as (s0 + s1) + (s2 + s3).
func rowSq[T element](row []T) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(row); j += 4 {
		x0, x1, x2, x3 := float64(row[j]), float64(row[j+1]), float64(row[j+2]), float64(row[j+3])
		s0 += x0 * x0
		s1 += x1 * x1
		s2 += x2 * x2
		s3 += x3 * x3
	}
	for ; j < len(row); j++ {
		x := float64(row[j])
		s0 += x * x
	}
	return (s0 + s1) + (s2 + s3)
}

// mulPass sets y = a·x and p = aᵀ·y (a m×n, x n×l, y m×l, p n×l), the two
// products of an uncentred power pass, fused: each block of rows of Aᵀ·Y
// (mulTN's) first computes its own rows of y, so that the block's rows of a
// (256 rows of 4,096 float32 columns are 4 MB) are still in cache when
// Aᵀ·Y reads them again, instead of coming from memory twice. y and p are
// mulNN's and mulTN's, bit for bit.
func mulPass[D, T element](p, y general[T], a general[D], x general[T], tl tiling[T]) {
	pl := newNNPlan(x, tl)
	defer pl.release()
	mulTNWith(p, a, y, false, tl, func(r0, r1 int) { nnRows(pl, y, a, r0, r1, false) })
}

// tnChunks returns the number of row chunks of Aᵀ·Q and the rows per chunk
// (a multiple of tnBlockRows, the last chunk shorter). They depend on m and
// the partial-sum size only, never on the worker count.
func tnChunks(m, partialLen, elemBytes int) (chunks, rows int) {
	maxChunks := max(1, min(tnMaxChunks, tnMaxPartialBytes/(elemBytes*partialLen)))
	blocks := (m + tnBlockRows - 1) / tnBlockRows
	perChunk := max(tnMinChunkBlocks, (blocks+maxChunks-1)/maxChunks)
	rows = perChunk * tnBlockRows
	return (m + rows - 1) / rows, rows
}

// tnLayout returns the layout of a partial sum (Aᵀ·Q)ᵀ of mulTN: lq rows
// (l rounded up to whole tiles of mr), the columns [0, full) of A in whole
// nr-wide tiles, the width tailW (0, nr/2 or nr) of the tile holding columns
// [full, n), and the row stride ldp = full + tailW.
func tnLayout(n, l, nr int) (lq, full, tailW, ldp int) {
	lq = (l + mr - 1) / mr * mr
	full = n / nr * nr
	switch {
	case n-full > nr/2:
		tailW = nr
	case n > full:
		tailW = nr / 2
	}
	return lq, full, tailW, full + tailW
}

// mulTN sets c = aᵀ·q (a m×n, q m×l, c n×l). The rows of a are split into
// tnChunks fixed chunks; chunk h's partial sum P_h = Q_hᵀ·A_h (l×n, stored
// transposed so that the micro-kernel reads rows of A contiguously) is
// accumulated sequentially over its rows, and cᵀ = (…((P_0 + P_1) + P_2) …)
// in chunk order, whatever the number of goroutines.
//
// sym declares q = a (the Gram matrix aᵀa): a tile of P whose rows j all
// exceed its columns k is skipped, and c[k][j] = c[j][k] is taken from the
// tiles with j ≤ k.
func mulTN[D, T element](c general[T], a general[D], q general[T], sym bool, tl tiling[T]) {
	mulTNWith(c, a, q, sym, tl, nil)
}

// mulTNWith is mulTN calling before(r0, r1), when not nil, on the goroutine
// of each block of rows [r0, r1) (tnBlockRows) before it reads them in q.
func mulTNWith[D, T element](c general[T], a general[D], q general[T], sym bool, tl tiling[T], before func(r0, r1 int)) {
	m, n, l := a.Rows, a.Cols, q.Cols
	nr := tl.nr
	lq, full, _, ldp := tnLayout(n, l, nr)
	plen := lq * ldp
	chunks, chunkRows := tnChunks(m, plen, int(unsafe.Sizeof(T(0))))
	partBuf := getBuf[T](chunks * plen)
	defer putBuf(partBuf)
	parts := *partBuf
	kern := tl.kern
	workers, release := workersFor(m, n, l, chunks)
	defer release()
	// Per worker: the block of Q packed in mr-column panels (tnBlockRows×lq)
	// and a panel of tnPanelStrips strips of the block of A, nr columns
	// each, packed contiguously (packStrips). Read in place, a strip's rows
	// are a.Stride apart, and for a power-of-two width (n = 4,096 float64:
	// 32 KiB) they all fall into one set of the L1 and two of the L2, so that
	// every panel of Q fetches the strip from L3 or memory again. Packing
	// reads each line of A once but costs a copy with a strided read, which
	// pays only when many panels of Q reuse the strip: for the Gram matrix
	// (n/mr panels; MulGram 4,096×512 and 2,048×1,024 run 1.6–1.7× faster
	// packed) but not for a tall-skinny Q (l/mr ≈ 5 panels: at 20,000 × 1,000
	// × 30 packing is 1.3–1.7× slower, at 4,000 × 4,096 × 30 about even).
	// Unpacked, only the zero-padded tail strip is copied. Float32 data
	// multiplied in float64 are always packed, as stored (a32, ap32), and
	// widened by kernB as it reads them.
	inPlace, sameType := any(a.Data).([]T)
	var a32 general[float32]
	if !sameType {
		data, ok := any(a.Data).([]float32)
		if !ok || tl.kernB == nil {
			panic("linalg: mulTN: float32 data need the float64 tiling")
		}
		a32 = general[float32]{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: data}
	}
	pack := sym || !sameType
	panelCols := tnPanelStrips * nr
	wsLen := tnBlockRows*lq + tnBlockRows*panelCols
	wsBuf := getBuf[T](workers * wsLen)
	defer putBuf(wsBuf)
	var ap32Buf *[]float32
	if !sameType {
		ap32Buf = getBuf[float32](workers * tnBlockRows * panelCols)
		defer putBuf(ap32Buf)
	}

	var next atomic.Int64
	parallelFor(workers, func(w int) {
		ws := (*wsBuf)[w*wsLen : (w+1)*wsLen]
		qp, ap := ws[:tnBlockRows*lq], ws[tnBlockRows*lq:]
		var ap32 []float32
		if !sameType {
			ap32 = (*ap32Buf)[w*tnBlockRows*panelCols : (w+1)*tnBlockRows*panelCols]
		}
		for {
			h := int(next.Add(1)) - 1
			if h >= chunks {
				return
			}
			part := parts[h*plen : (h+1)*plen]
			r1 := min(m, (h+1)*chunkRows)
			for i0 := h * chunkRows; i0 < r1; i0 += tnBlockRows {
				rows := min(tnBlockRows, r1-i0)
				if before != nil {
					before(i0, i0+rows)
				}
				load := i0 > h*chunkRows
				packTiles(qp, q, i0, rows, l, lq)
				for c0 := 0; c0 < ldp; c0 += panelCols {
					c1 := min(ldp, c0+panelCols)
					p0 := c0 // the first column packed in ap
					switch {
					case !sameType:
						packStrips(ap32, a32, i0, rows, c0, c1, nr, full)
					case pack:
						packStrips(ap, general[T]{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: inPlace}, i0, rows, c0, c1, nr, full)
					case c1 > full:
						packStrips(ap, general[T]{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: inPlace}, i0, rows, full, c1, nr, full)
						p0 = full
					}
					// Panels of Q in groups of tnGroupCols columns, so that
					// a group stays in L2 while the strips of A stream
					// through (a wide Q, as in a Gram matrix, would not fit).
					for jg := 0; jg < lq; jg += tnGroupCols {
						jgEnd := min(lq, jg+tnGroupCols)
						for k0 := c0; k0 < c1; k0 += nr {
							sw := min(nr, c1-k0) // nr, or the tail's width
							if !sameType {
								b := ap32[rows*(k0-p0):]
								for j0 := jg; j0 < jgEnd; j0 += mr {
									tl.kernB(rows, qp[rows*j0:], 1, mr, b, sw, part[j0*ldp+k0:], ldp, load, sw, sw)
								}
								continue
							}
							var b []T
							bst := a.Stride
							if !pack {
								b = inPlace[i0*a.Stride+k0:]
							}
							if pack || k0 >= full {
								b, bst = ap[rows*(k0-p0):], sw
							}
							for j0 := jg; j0 < jgEnd && !(sym && j0 >= k0+nr); j0 += mr {
								kern(rows, qp[rows*j0:], 1, mr, b, bst, part[j0*ldp+k0:], ldp, load, sw, sw)
							}
						}
					}
				}
			}
		}
	})

	// c[k][j] = Σ_h P_h[j][k] in chunk order, each row segment of P summed
	// contiguously into sum (the same additions in the same order as one
	// element at a time). Rows of c are split between workers; with sym, the
	// worker of row j of P writes c[k][j] and c[j][k] for k ≥ j.
	per := (n + workers - 1) / workers
	parallelFor(workers, func(w int) {
		sum := make([]T, n)
		addChunks := func(j, k0, k1 int) []T {
			s := sum[:k1-k0]
			copy(s, parts[j*ldp+k0:j*ldp+k1])
			for h := 1; h < chunks; h++ {
				addTo(s, parts[h*plen+j*ldp+k0:h*plen+j*ldp+k1])
			}
			return s
		}
		if sym { // rows j ≡ w (mod workers) of P's upper triangle
			for j := w; j < n; j += workers {
				for i, v := range addChunks(j, j, n) {
					c.Data[(j+i)*c.Stride+j] = v
				}
				copy(c.Data[j*c.Stride+j:j*c.Stride+n], sum[:n-j])
			}
			return
		}
		k0, k1 := w*per, min(n, (w+1)*per)
		if k0 >= k1 {
			return
		}
		for j := range l {
			for i, v := range addChunks(j, k0, k1) {
				c.Data[(k0+i)*c.Stride+j] = v
			}
		}
	})
}

// addTo sets dst[i] += src[i].
func addTo[T element](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// packStrips copies the columns [c0, c1) of rows [i0, i0+rows) of a into
// dst in strips: the strip of columns [k0, k0+nr) occupies
// dst[rows·(k0−c0) : rows·(k0−c0+nr)], row t at offset t·nr. Columns past
// a's last (the tail strip of a partial sum's layout, c1 > full) are zero.
// Each row's columns are read in address order.
func packStrips[T element](dst []T, a general[T], i0, rows, c0, c1, nr, full int) {
	n := a.Cols
	whole := min(c1, full)                     // strips [c0, whole) are nr wide and all in a
	words := nr * int(unsafe.Sizeof(T(0))) / 8 // a strip row is 8 or 4 words
	for t := range rows {
		row := a.Data[(i0+t)*a.Stride : (i0+t)*a.Stride+n]
		if whole > c0 && (words == 8 || words == 4) {
			src := unsafe.Slice((*uint64)(unsafe.Pointer(&row[c0])), (whole-c0)*words/nr)
			out := unsafe.Slice((*uint64)(unsafe.Pointer(&dst[t*nr])), (rows*(whole-c0)-t*nr)*words/nr)
			if words == 8 {
				for k, d := 0, 0; k < len(src); k, d = k+8, d+rows*8 {
					s, w := src[k:k+8:k+8], out[d:d+8:d+8]
					w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
				}
			} else {
				for k, d := 0, 0; k < len(src); k, d = k+4, d+rows*4 {
					s, w := src[k:k+4:k+4], out[d:d+4:d+4]
					w[0], w[1], w[2], w[3] = s[0], s[1], s[2], s[3]
				}
			}
		} else {
			for k0 := c0; k0 < whole; k0 += nr {
				copy(dst[rows*(k0-c0)+t*nr:rows*(k0-c0)+(t+1)*nr], row[k0:k0+nr])
			}
		}
		if c1 > whole { // the tail strip, c1 − full wide
			tw := c1 - full
			tail := dst[rows*(full-c0)+t*tw : rows*(full-c0)+(t+1)*tw]
			clear(tail[copy(tail, row[full:]):])
		}
	}
}

// rowsAs returns rows [i0, i0+rows) of a as T values and their stride: a's
// own rows when D is T (inPlace is a.Data), else the rows widened into buf
// (rows × a.Cols).
func rowsAs[D, T element](buf, inPlace []T, a general[D], i0, rows int) ([]T, int) {
	if inPlace != nil {
		return inPlace[i0*a.Stride:], a.Stride
	}
	n := a.Cols
	for r := range rows {
		convert(buf[r*n:(r+1)*n], a.Data[(i0+r)*a.Stride:(i0+r)*a.Stride+n])
	}
	return buf, n
}

// convert sets dst[i] = T(src[i]) for i < len(src) (exact when widening).
func convert[D, T element](dst []T, src []D) {
	if d, ok := any(dst).([]float64); ok {
		if s, ok := any(src).([]float32); ok {
			widen(d, s)
			return
		}
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = T(v)
	}
}

// packTiles copies rows [r0, r0+rows) of the m×l matrix x into dst in panels
// of mr columns: panel j0/mr occupies dst[rows·j0 : rows·(j0+mr)], row t at
// offset t·mr, zero padded past column l. lq is l rounded up to a multiple of mr.
func packTiles[T element](dst []T, x general[T], r0, rows, l, lq int) {
	const _ = uint(mr-6) + uint(6-mr) // the copy below is unrolled for mr = 6
	whole := l / mr * mr              // columns in whole panels
	for t := range rows {
		src := x.Data[(r0+t)*x.Stride : (r0+t)*x.Stride+l]
		for j0 := 0; j0 < whole; j0 += mr {
			o := dst[rows*j0+t*mr : rows*j0+t*mr+mr : rows*j0+t*mr+mr]
			s := src[j0 : j0+mr : j0+mr]
			o[0], o[1], o[2], o[3], o[4], o[5] = s[0], s[1], s[2], s[3], s[4], s[5]
		}
		if whole < lq {
			o := dst[rows*whole+t*mr : rows*whole+t*mr+mr]
			n := copy(o, src[whole:])
			clear(o[n:])
		}
	}
}
