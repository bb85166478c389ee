package nn

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
)

// Projection is a linear map P ∈ R^{D×d} from a subspace to the parameter space.
type Projection interface {
	// Dims returns D (rows, parameters) and d (columns, subspace dimension).
	Dims() (D, d int)
	// MulVec sets dst = P·x; len(dst) = D, len(x) = d.
	MulVec(dst, x []float64)
	// MulTransVec sets dst = Pᵀ·g; len(dst) = d, len(g) = D.
	MulTransVec(dst, g []float64)
}

// newRand returns a PCG generator seeded from seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func checkDims(kind string, D, d int) {
	if D < 1 || d < 1 || d > D {
		panic(fmt.Sprintf("nn: %s projection %d×%d: want 1 ≤ d ≤ D", kind, D, d))
	}
}

func checkLens(p Projection, dst, src []float64, trans bool) {
	D, d := p.Dims()
	if !trans && (len(dst) != D || len(src) != d) || trans && (len(dst) != d || len(src) != D) {
		panic(fmt.Sprintf("nn: projection %d×%d: bad lengths dst %d, src %d (transpose %v)", D, d, len(dst), len(src), trans))
	}
}

// Dense is a D×d matrix of independent N(0, 1) entries with each column
// scaled to unit Euclidean norm, stored column by column: D·d float64s, so
// it is meant for small D·d.
type Dense struct {
	rows, cols int
	data       []float64 // column j is data[j*rows : (j+1)*rows]
}

// NewDense draws a dense projection. It panics unless 1 ≤ d ≤ D.
func NewDense(D, d int, seed uint64) *Dense {
	checkDims("dense", D, d)
	rng := newRand(seed)
	p := &Dense{rows: D, cols: d, data: make([]float64, D*d)}
	for j := 0; j < d; j++ {
		col := p.data[j*D : (j+1)*D]
		for i := range col {
			col[i] = rng.NormFloat64()
		}
		floats.Scale(1/floats.Norm(col, 2), col)
	}
	return p
}

func (p *Dense) Dims() (int, int) { return p.rows, p.cols }

func (p *Dense) MulVec(dst, x []float64) {
	checkLens(p, dst, x, false)
	clear(dst)
	for j, xj := range x {
		if xj != 0 {
			floats.AddScaled(dst, xj, p.data[j*p.rows:(j+1)*p.rows])
		}
	}
}

func (p *Dense) MulTransVec(dst, g []float64) {
	checkLens(p, dst, g, true)
	for j := range dst {
		dst[j] = floats.Dot(p.data[j*p.rows:(j+1)*p.rows], g)
	}
}

// Sparse is a very sparse random projection (Li, Hastie & Church 2006, as
// used by Li et al. 2018 §2): each entry is nonzero with probability
// 1/√D, nonzeros are ±1 with equal probability, and each column is scaled to
// unit norm (a column drawn empty gets one random nonzero). It stores about
// d·√D entries in compressed-column form.
type Sparse struct {
	rows, cols int
	start      []int // column j holds index[start[j]:start[j+1]]
	index      []int32
	value      []float64
}

// NewSparse draws a sparse projection; the rows of each column are found by
// geometric skips, so drawing costs O(nnz). It panics unless 1 ≤ d ≤ D.
func NewSparse(D, d int, seed uint64) *Sparse {
	checkDims("sparse", D, d)
	rng := newRand(seed)
	density := 1 / math.Sqrt(float64(D))
	p := &Sparse{rows: D, cols: d, start: make([]int, d+1)}
	logq := math.Log1p(-density) // −Inf when density = 1 (D = 1)
	for j := 0; j < d; j++ {
		first := len(p.index)
		for i := -1; ; {
			skip := 0
			if density < 1 {
				skip = int(math.Floor(math.Log(1-rng.Float64()) / logq))
			}
			if skip >= D-i-1 { // also catches overflow-sized skips
				break
			}
			i += skip + 1
			p.index = append(p.index, int32(i))
		}
		if len(p.index) == first {
			p.index = append(p.index, int32(rng.IntN(D)))
		}
		v := 1 / math.Sqrt(float64(len(p.index)-first))
		for range p.index[first:] {
			if rng.Uint64()&1 == 0 {
				p.value = append(p.value, v)
			} else {
				p.value = append(p.value, -v)
			}
		}
		p.start[j+1] = len(p.index)
	}
	return p
}

func (p *Sparse) Dims() (int, int) { return p.rows, p.cols }

// NNZ returns the number of stored nonzeros.
func (p *Sparse) NNZ() int { return len(p.index) }

func (p *Sparse) MulVec(dst, x []float64) {
	checkLens(p, dst, x, false)
	clear(dst)
	for j, xj := range x {
		if xj == 0 {
			continue
		}
		for k := p.start[j]; k < p.start[j+1]; k++ {
			dst[p.index[k]] += xj * p.value[k]
		}
	}
}

func (p *Sparse) MulTransVec(dst, g []float64) {
	checkLens(p, dst, g, true)
	for j := range dst {
		var s float64
		for k := p.start[j]; k < p.start[j+1]; k++ {
			s += g[p.index[k]] * p.value[k]
		}
		dst[j] = s
	}
}

// Fastfood is the Fastfood transform (Le, Sarlós & Smola 2013, "Fastfood —
// approximating kernel expansions in loglinear time", eq. 7) used as a
// projection as in Li et al. 2018 §S: with L = 2^⌈log₂ D⌉,
//
//	P·x = (1/c) · T Π' · H G Π H B · pad(x),   c = √(D·Σᵢ Gᵢ²),
//
// where pad embeds x ∈ R^d in R^L with zeros, B is a diagonal of random ±1,
// H the unnormalised L×L Walsh–Hadamard matrix, Π and Π' random
// permutations, G a diagonal of N(0, 1) draws and T keeps the first D of L
// rows. Every column of H G Π H B has squared norm L·Σ Gᵢ² exactly, so
// after truncation the columns of P have unit norm in expectation (exactly
// when D = L). Memory is O(L) = O(D) and a product costs two fast
// Walsh–Hadamard transforms, O(L log L). The transpose is
// (1/c) · padᵀ B H Πᵀ G H Π'ᵀ Tᵀ.
//
// The output permutation Π' is not in Le et al. nor in Li et al.'s code. It
// is needed because parameter vectors are made of contiguous blocks (layers,
// biases): sums of H's rows over an aligned dyadic block vanish on all but a
// few Walsh functions, so without Π' a loss that depends on r block sums can
// be blind to most of θ_d and Fastfood fails where dense and sparse
// projections succeed (TestBlockToyIntrinsicDim catches it).
//
// A Fastfood holds scratch buffers: it is not safe for concurrent use.
type Fastfood struct {
	rows, cols int
	b, g       []float64
	perm, out  []int32
	c          float64
	buf, tmp   []float64
}

// NewFastfood draws a Fastfood projection. It panics unless 1 ≤ d ≤ D.
func NewFastfood(D, d int, seed uint64) *Fastfood {
	checkDims("fastfood", D, d)
	rng := newRand(seed)
	L := 1 << bits.Len(uint(D-1))
	if D == 1 {
		L = 1
	}
	p := &Fastfood{rows: D, cols: d, b: make([]float64, L), g: make([]float64, L), perm: make([]int32, L), out: make([]int32, L),
		buf: make([]float64, L), tmp: make([]float64, L)}
	var g2 float64
	for i := 0; i < L; i++ {
		p.b[i] = 1
		if rng.Uint64()&1 == 1 {
			p.b[i] = -1
		}
		p.g[i] = rng.NormFloat64()
		g2 += p.g[i] * p.g[i]
		p.perm[i] = int32(i)
		p.out[i] = int32(i)
	}
	rng.Shuffle(L, func(i, j int) { p.perm[i], p.perm[j] = p.perm[j], p.perm[i] })
	rng.Shuffle(L, func(i, j int) { p.out[i], p.out[j] = p.out[j], p.out[i] })
	p.c = math.Sqrt(float64(D) * g2)
	return p
}

func (p *Fastfood) Dims() (int, int) { return p.rows, p.cols }

func (p *Fastfood) MulVec(dst, x []float64) {
	checkLens(p, dst, x, false)
	buf, tmp := p.buf, p.tmp
	clear(buf)
	for j, xj := range x {
		buf[j] = xj * p.b[j]
	}
	FWHT(buf)
	for i, pi := range p.perm {
		tmp[i] = buf[pi] * p.g[i]
	}
	FWHT(tmp)
	inv := 1 / p.c
	for i := range dst {
		dst[i] = tmp[p.out[i]] * inv
	}
}

func (p *Fastfood) MulTransVec(dst, g []float64) {
	checkLens(p, dst, g, true)
	buf, tmp := p.buf, p.tmp
	clear(buf)
	for i, gi := range g {
		buf[p.out[i]] = gi
	}
	FWHT(buf)
	for i, pi := range p.perm {
		tmp[pi] = buf[i] * p.g[i]
	}
	FWHT(tmp)
	inv := 1 / p.c
	for j := range dst {
		dst[j] = tmp[j] * p.b[j] * inv
	}
}

// FWHT replaces x by Hx, H the unnormalised Walsh–Hadamard matrix of order
// len(x) (Sylvester ordering, H·H = len(x)·I), in O(n log n) butterflies. It
// panics if len(x) is not a power of two.
func FWHT(x []float64) {
	n := len(x)
	if n == 0 || n&(n-1) != 0 {
		panic(fmt.Sprintf("nn: FWHT of length %d, want a power of two", n))
	}
	for h := 1; h < n; h <<= 1 {
		for i := 0; i < n; i += h << 1 {
			a, b := x[i:i+h], x[i+h:i+2*h]
			for j := range a {
				u, v := a[j], b[j]
				a[j], b[j] = u+v, u-v
			}
		}
	}
}

// NewProjection returns the projection of the given kind: "dense",
// "sparse" or "fastfood". It panics on another kind or unless 1 ≤ d ≤ D.
func NewProjection(kind string, D, d int, seed uint64) Projection {
	switch kind {
	case "dense":
		return NewDense(D, d, seed)
	case "sparse":
		return NewSparse(D, d, seed)
	case "fastfood":
		return NewFastfood(D, d, seed)
	}
	panic(fmt.Sprintf("nn: unknown projection %q (want dense, sparse or fastfood)", kind))
}
