package nn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func TestFWHTMatchesSylvester(t *testing.T) {
	const n = 16
	rng := newRand(1)
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	got := append([]float64(nil), x...)
	FWHT(got)
	for i := 0; i < n; i++ {
		var want float64
		for j := 0; j < n; j++ {
			h := 1.0
			if bitsSet(i&j)%2 == 1 {
				h = -1
			}
			want += h * x[j]
		}
		if math.Abs(got[i]-want) > 1e-12 {
			t.Fatalf("(Hx)[%d] = %v, want %v", i, got[i], want)
		}
	}
	FWHT(got) // H·H = n·I
	for i := range x {
		if math.Abs(got[i]-n*x[i]) > 1e-12 {
			t.Fatalf("HHx[%d] = %v, want %v", i, got[i], n*x[i])
		}
	}
}

func bitsSet(v int) int {
	c := 0
	for ; v != 0; v &= v - 1 {
		c++
	}
	return c
}

// column returns column j of P by applying it to e_j.
func column(p Projection, j int) []float64 {
	D, d := p.Dims()
	e := make([]float64, d)
	e[j] = 1
	c := make([]float64, D)
	p.MulVec(c, e)
	return c
}

func TestProjections(t *testing.T) {
	for _, D := range []int{1000, 1024} {
		const d = 40
		for _, kind := range []string{"dense", "sparse", "fastfood"} {
			p := NewProjection(kind, D, d, 7)
			// Transpose: ⟨Px, g⟩ = ⟨x, Pᵀg⟩.
			rng := newRand(3)
			x, g := make([]float64, d), make([]float64, D)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			for i := range g {
				g[i] = rng.NormFloat64()
			}
			px, ptg := make([]float64, D), make([]float64, d)
			p.MulVec(px, x)
			p.MulTransVec(ptg, g)
			if a, b := floats.Dot(px, g), floats.Dot(x, ptg); math.Abs(a-b) > 1e-9*math.Abs(a)+1e-9 {
				t.Errorf("%s D=%d: ⟨Px, g⟩ = %v, ⟨x, Pᵀg⟩ = %v", kind, D, a, b)
			}
			// Column norms: exactly 1 for dense and sparse, and for Fastfood
			// when D is a power of two; 1 in expectation otherwise.
			var sum float64
			for j := 0; j < d; j++ {
				n2 := floats.Dot(column(p, j), column(p, j))
				sum += n2
				if (kind != "fastfood" || D == 1024) && math.Abs(n2-1) > 1e-12 {
					t.Errorf("%s D=%d: ‖column %d‖² = %v, want 1", kind, D, j, n2)
				}
			}
			if mean := sum / d; math.Abs(mean-1) > 0.05 {
				t.Errorf("%s D=%d: mean squared column norm %v, want ≈ 1", kind, D, mean)
			}
			// Same seed, same projection.
			q := NewProjection(kind, D, d, 7)
			if !floats.Equal(column(p, 3), column(q, 3)) {
				t.Errorf("%s: not deterministic", kind)
			}
		}
	}
	sp := NewSparse(10000, 200, 1)
	if want := 200 * math.Sqrt(10000); math.Abs(float64(sp.NNZ())-want) > 0.05*want {
		t.Errorf("sparse nnz %d, want ≈ d·√D = %v", sp.NNZ(), want)
	}
}

// TestLossGradFiniteDifferences checks the backward pass of a 5-4-3-3 MLP
// against central differences.
func TestLossGradFiniteDifferences(t *testing.T) {
	m := NewMLP(5, []int{4, 3}, 3)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 2)
	for i := range theta {
		theta[i] += 0.1 // biases off zero, so ReLUs are not at their kink
	}
	rng := newRand(4)
	x := mat.NewDense(6, 5, nil)
	for i := 0; i < 6; i++ {
		for j := 0; j < 5; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	y := []int{0, 1, 2, 2, 1, 0}
	grad := make([]float64, len(theta))
	loss, _ := m.LossGrad(theta, x, y, grad, nil)
	if l2, _ := m.Evaluate(theta, x, y); math.Abs(l2-loss) > 1e-12 {
		t.Fatalf("Evaluate loss %v, LossGrad loss %v", l2, loss)
	}
	const h = 1e-6
	tmp := make([]float64, len(theta))
	for i := range theta {
		theta[i] += h
		lp, _ := m.LossGrad(theta, x, y, tmp, nil)
		theta[i] -= 2 * h
		lm, _ := m.LossGrad(theta, x, y, tmp, nil)
		theta[i] += h
		if fd := (lp - lm) / (2 * h); math.Abs(fd-grad[i]) > 1e-6 {
			t.Errorf("∂L/∂θ[%d] = %v, finite difference %v", i, grad[i], fd)
		}
	}
}

// blockToy is the toy problem of Li et al. 2018 §2: θ ∈ R^D in r blocks,
// loss Σₖ (Σ block k − (k+1))², which depends on r directions of θ only.
// Its score is the fraction of blocks whose sum is within tol of its target.
type blockToy struct {
	D, r int
	tol  float64
}

func (b blockToy) sums(theta []float64) []float64 {
	s := make([]float64, b.r)
	for i, v := range theta {
		s[i*b.r/b.D] += v
	}
	return s
}

func (b blockToy) lossGrad(theta, grad []float64) float64 {
	s := b.sums(theta)
	var loss float64
	for k := range s {
		s[k] -= float64(k + 1)
		loss += s[k] * s[k]
	}
	for i := range theta {
		grad[i] = 2 * s[i*b.r/b.D]
	}
	return loss
}

func (b blockToy) score(theta []float64) float64 {
	ok := 0
	for k, s := range b.sums(theta) {
		if math.Abs(s-float64(k+1)) < b.tol {
			ok++
		}
	}
	return float64(ok) / float64(b.r)
}

// blockMatrix returns A = M·P, M the r×D block-sum matrix of the toy, whose
// squared singular values bound the curvature of the toy in the subspace.
func (b blockToy) blockMatrix(p Projection) *mat.Dense {
	_, d := p.Dims()
	a := mat.NewDense(b.r, d, nil)
	for j := 0; j < d; j++ {
		a.SetCol(j, b.sums(column(p, j)))
	}
	return a
}

// TestBlockToyIntrinsicDim trains the toy in random subspaces with heavy-ball
// gradient descent tuned to the subspace's curvature (Polyak 1964): every
// projection solves it exactly from d = r on and cannot below, so the
// smallest swept d reaching 90 % of the full-space score is r for all three.
func TestBlockToyIntrinsicDim(t *testing.T) {
	toy := blockToy{D: 512, r: 8, tol: 1e-6}
	theta0 := make([]float64, toy.D)
	rng := newRand(11)
	for i := range theta0 {
		theta0[i] = 0.1 * rng.NormFloat64()
	}
	train := func(p Params, a *mat.Dense) float64 {
		var svd mat.SVD
		if !svd.Factorize(a, mat.SVDNone) {
			t.Fatal("SVD failed")
		}
		sv := svd.Values(nil)
		L := 2 * sv[0] * sv[0]
		mu := 2 * sv[len(sv)-1] * sv[len(sv)-1]
		if r, d := a.Dims(); d > r || mu < 1e-8*L {
			mu = 0.05 * L // only the range matters; converge on it at a fixed rate
		}
		opt := &SGD{LR: 4 / math.Pow(math.Sqrt(L)+math.Sqrt(mu), 2), Momentum: math.Pow((math.Sqrt(L)-math.Sqrt(mu))/(math.Sqrt(L)+math.Sqrt(mu)), 2)}
		for range 20000 {
			if p.Step(opt, toy.lossGrad) < 1e-20 {
				break
			}
		}
		return toy.score(p.Theta())
	}
	full := NewFull(theta0)
	ident := mat.NewDense(toy.r, toy.D, nil)
	for i := 0; i < toy.D; i++ {
		ident.Set(i*toy.r/toy.D, i, 1)
	}
	baseline := train(full, ident)
	if baseline != 1 {
		t.Fatalf("full-space score %v, want 1", baseline)
	}
	for _, kind := range []string{"dense", "sparse", "fastfood"} {
		dint := -1
		for _, d := range []int{4, 6, 7, 8, 9, 12} {
			P := NewProjection(kind, toy.D, d, uint64(100+d))
			sc := train(NewSubspace(theta0, P), toy.blockMatrix(P))
			if d < toy.r && sc >= 0.5 {
				t.Errorf("%s d=%d: score %v with fewer than r = %d directions", kind, d, sc, toy.r)
			}
			if dint < 0 && sc >= 0.9*baseline {
				dint = d
			}
		}
		if dint != toy.r {
			t.Errorf("%s: d_int90 = %d, want r = %d", kind, dint, toy.r)
		}
	}
}
