package hessian

import (
	"errors"
	"fmt"
	"sync"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg/nn"
)

// Operator is a symmetric linear map on R^Dim, such as a Hessian applied by
// Hessian-vector products.
type Operator interface {
	// Dim returns the dimension D.
	Dim() int
	// MulVec writes Av into dst; len(dst) = len(v) = Dim(). dst and v do
	// not overlap.
	MulVec(dst, v []float64) error
}

// Partial is one shard's contribution to a Hessian-vector product: the sum
// Σᵢ ∇²ℓᵢ(θ)v over its rows and their count. Partials merge by Add (in a
// fixed order for reproducible bits); the mean product is Sum/Rows.
type Partial struct {
	Sum  []float64
	Rows int
}

// Add adds q into p. It returns an error if the lengths differ.
func (p *Partial) Add(q Partial) error {
	if len(p.Sum) != len(q.Sum) {
		return fmt.Errorf("hessian: Partial.Add: lengths %d and %d", len(p.Sum), len(q.Sum))
	}
	for i, v := range q.Sum {
		p.Sum[i] += v
	}
	p.Rows += q.Rows
	return nil
}

// Mean writes Sum/Rows into dst. It returns an error if Rows = 0 or the
// lengths differ.
func (p Partial) Mean(dst []float64) error {
	if p.Rows == 0 || len(dst) != len(p.Sum) {
		return fmt.Errorf("hessian: Partial.Mean: %d rows, len(dst) = %d, len(Sum) = %d", p.Rows, len(dst), len(p.Sum))
	}
	inv := 1 / float64(p.Rows)
	for i, v := range p.Sum {
		dst[i] = v * inv
	}
	return nil
}

// CrossEntropy is the Hessian (or one layer's diagonal block of it) of the
// mean softmax cross-entropy L(θ) = (1/N) Σᵢ ℓᵢ(θ) of an MLP over rows held
// in shards, as an Operator:
//
//	Hv = (1/N) Σ_s Σ_{i∈s} [∇²ℓᵢ(θ)]_{BB} v,
//
// each shard's sum computed by a Product on one of `workers` goroutines and
// the sums added in shard order, so the result does not depend on the number
// of workers (bit for bit) and depends on the sharding only by rounding. Its
// memory is O(shards·D) for the per-shard sums plus a Product's workspace per
// worker. MulVec is not safe for concurrent use.
type CrossEntropy struct {
	products []*Product
	shards   []nn.Data
	rows     int
	sums     [][]float64
}

// NewCrossEntropy returns the Hessian of m at θ over the rows of shards,
// restricted to layer (AllLayers or one layer index), applied with workers
// goroutines (≤ 0 means 1). theta and the shards are referenced, not copied.
// It returns an error if there are no rows or a size does not match.
func NewCrossEntropy(m *nn.MLP, theta []float64, shards []nn.Data, layer, workers int) (*CrossEntropy, error) {
	workers = max(1, min(workers, len(shards)))
	c := &CrossEntropy{shards: shards, sums: make([][]float64, len(shards))}
	for range workers {
		p, err := NewProduct(m, theta, layer)
		if err != nil {
			return nil, err
		}
		c.products = append(c.products, p)
	}
	for s, sh := range shards {
		if sh.Len() > 0 && sh.X == nil {
			return nil, fmt.Errorf("hessian: shard %d has %d labels and no rows", s, sh.Len())
		}
		if sh.X != nil {
			if r, col := sh.X.Dims(); r != sh.Len() || col != m.Sizes[0] {
				return nil, fmt.Errorf("hessian: shard %d: x is %d×%d with %d labels, %s wants %d columns", s, r, col, sh.Len(), m.Name(), m.Sizes[0])
			}
		}
		c.rows += sh.Len()
		c.sums[s] = make([]float64, c.products[0].Dim())
	}
	if c.rows == 0 {
		return nil, errors.New("hessian: NewCrossEntropy: no rows")
	}
	return c, nil
}

// Dim returns the number of coordinates of the block.
func (c *CrossEntropy) Dim() int { return c.products[0].Dim() }

// Rows returns N, the number of rows over all shards.
func (c *CrossEntropy) Rows() int { return c.rows }

// MulVec writes Hv into dst.
func (c *CrossEntropy) MulVec(dst, v []float64) error {
	if len(dst) != c.Dim() || len(v) != c.Dim() {
		return fmt.Errorf("hessian: MulVec: len(dst) = %d, len(v) = %d, want %d", len(dst), len(v), c.Dim())
	}
	workers, release := parallel.Reserve(len(c.products))
	defer release()
	if workers == 1 {
		for s, sh := range c.shards {
			if _, err := c.products[0].SumHVP(c.sums[s], v, sh); err != nil {
				return err
			}
		}
		c.reduce(dst)
		return nil
	}
	errs := make([]error, len(c.shards))
	next := make(chan int, len(c.shards))
	for s := range c.shards {
		next <- s
	}
	close(next)
	var wg sync.WaitGroup
	for _, p := range c.products[:workers] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				_, errs[s] = p.SumHVP(c.sums[s], v, c.shards[s])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.reduce(dst)
	return nil
}

// reduce writes (1/N) Σ_s sums[s] into dst, adding in shard order.
func (c *CrossEntropy) reduce(dst []float64) {
	clear(dst)
	for _, sum := range c.sums {
		for i, x := range sum {
			dst[i] += x
		}
	}
	inv := 1 / float64(c.rows)
	for i := range dst {
		dst[i] *= inv
	}
}

// Sym is a symmetric matrix as an Operator (for tests and for Hessians
// already formed).
type Sym struct{ A mat.Symmetric }

// Dim returns the dimension of A.
func (s Sym) Dim() int { return s.A.SymmetricDim() }

// MulVec writes Av into dst.
func (s Sym) MulVec(dst, v []float64) error {
	n := s.Dim()
	if len(dst) != n || len(v) != n {
		return fmt.Errorf("hessian: Sym.MulVec: len(dst) = %d, len(v) = %d, want %d", len(dst), len(v), n)
	}
	mat.NewVecDense(n, dst).MulVec(s.A, mat.NewVecDense(n, v))
	return nil
}
