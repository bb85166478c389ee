package hessian

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// Method keys: each method's random stream is DeriveSeed(seed, key).
const (
	lanczosKey    = 1
	slqKey        = 2
	hutchinsonKey = 3
)

// breakdown is the relative size of βⱼ below which the Krylov space counts as
// invariant: βⱼ ≤ breakdown·max(|αᵢ|, βᵢ). Dropping such a βⱼ from T moves
// its eigenvalues by at most βⱼ.
const breakdown = 1e-10

// stream returns the PCG generator of sub-stream key of seed, seeded by
// DeriveSeed(seed, key).
func stream(seed, key uint64) *rand.Rand {
	s := linalg.DeriveSeed(seed, key)
	return rand.New(rand.NewPCG(s, linalg.DeriveSeed(s, 0x5eed)))
}

// probeStream returns the generator of probe j of a method:
// stream(DeriveSeed(seed, key), j).
func probeStream(seed, key uint64, j int) *rand.Rand {
	return stream(linalg.DeriveSeed(seed, key), uint64(j))
}

// rademacher fills v with independent ±1 signs from rng.
func rademacher(v []float64, rng *rand.Rand) {
	var bits uint64
	for i := range v {
		if i%64 == 0 {
			bits = rng.Uint64()
		}
		v[i] = float64(int(bits&1)*2 - 1)
		bits >>= 1
	}
}

// krylov is a Lanczos run with full reorthogonalisation (Golub & Van Loan,
// Matrix Computations, 4th ed., Algorithm 10.1.1 with complete
// reorthogonalisation, §10.3.1): H Q_m = Q_m T_m + β_m q_{m+1} e_mᵀ, T_m
// tridiagonal with diagonal α and off-diagonal β. Every new vector is
// orthogonalised twice against all previous ones (classical Gram–Schmidt
// twice), so no spurious copies of converged Ritz values appear.
type krylov struct {
	op    Operator
	q     [][]float64 // orthonormal basis q₁…q_m
	alpha []float64   // αⱼ = qⱼᵀHqⱼ
	beta  []float64   // βⱼ = ‖rⱼ‖, coupling qⱼ and qⱼ₊₁ (0 at a restart); len = len(alpha)
	next  []float64   // r_m / β_m, the next basis vector (nil when β_m = 0)
	scale float64     // max |αⱼ|, βⱼ seen
	w     []float64
}

func newKrylov(op Operator, start []float64) (*krylov, error) {
	nrm := floats.Norm(start, 2)
	if !(nrm > 0) || math.IsInf(nrm, 0) {
		return nil, errors.New("hessian: Lanczos start vector is zero or not finite")
	}
	q := slices.Clone(start)
	floats.Scale(1/nrm, q)
	return &krylov{op: op, next: q, w: make([]float64, op.Dim())}, nil
}

// step extends the basis by the pending vector and computes its α and β. It
// returns false when the basis cannot grow (no pending vector).
func (k *krylov) step() (bool, error) {
	if k.next == nil {
		return false, nil
	}
	q := k.next
	k.q = append(k.q, q)
	k.next = nil
	w := k.w
	if err := k.op.MulVec(w, q); err != nil {
		return false, err
	}
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false, errors.New("hessian: Lanczos: operator returned a non-finite value")
		}
	}
	j := len(k.q) - 1
	if j > 0 && k.beta[j-1] != 0 {
		floats.AddScaled(w, -k.beta[j-1], k.q[j-1])
	}
	a := floats.Dot(q, w)
	floats.AddScaled(w, -a, q)
	k.orthogonalise(w)
	b := floats.Norm(w, 2)
	k.alpha = append(k.alpha, a)
	k.scale = max(k.scale, math.Abs(a), b)
	if b <= breakdown*k.scale || len(k.q) == len(w) {
		k.beta = append(k.beta, 0)
		return true, nil
	}
	k.beta = append(k.beta, b)
	k.next = make([]float64, len(w))
	floats.ScaleTo(k.next, 1/b, w)
	return true, nil
}

// orthogonalise removes from w its components along the basis, twice.
func (k *krylov) orthogonalise(w []float64) {
	for range 2 {
		for _, q := range k.q {
			floats.AddScaled(w, -floats.Dot(q, w), q)
		}
	}
}

// restart makes r, orthogonalised against the basis, the pending vector after
// a breakdown. It returns false if nothing of r is left (the basis spans R^D).
func (k *krylov) restart(r []float64) bool {
	nrm0 := floats.Norm(r, 2)
	k.orthogonalise(r)
	nrm := floats.Norm(r, 2)
	if !(nrm > 1e-8*nrm0) {
		return false
	}
	floats.Scale(1/nrm, r)
	k.next = r
	return true
}

// ritz returns the eigenvalues θ (ascending) of T_m and the matrix S of its
// eigenvectors (columns).
func (k *krylov) ritz() ([]float64, *mat.Dense, error) {
	m := len(k.alpha)
	t := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		t.SetSym(i, i, k.alpha[i])
		if i+1 < m {
			t.SetSym(i, i+1, k.beta[i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(t, true) {
		return nil, nil, errors.New("hessian: eigendecomposition of the Lanczos tridiagonal did not converge")
	}
	var s mat.Dense
	eig.VectorsTo(&s)
	return eig.Values(nil), &s, nil
}

// LanczosOptions configure Lanczos.
type LanczosOptions struct {
	// K is the number of eigenvalues wanted at each end of the spectrum.
	K int
	// MaxSteps bounds the Lanczos steps (products); 0 means
	// min(D, max(300, 10K)). The run stops earlier once converged, so a
	// generous bound costs nothing when the ends converge fast (K = 20 on
	// digits networks: 140–160 steps).
	MaxSteps int
	// Tol stops the run once every wanted Ritz value has residual
	// ≤ Tol·max|θ|; 0 means 1e-10.
	Tol float64
	// Seed draws the start vector, N(0, I) from DeriveSeed(Seed, 1).
	Seed uint64
}

// Extremes are the extreme Ritz values of a Lanczos run.
type Extremes struct {
	// Top holds the K largest Ritz values, descending; Bottom the K
	// smallest, ascending.
	Top, Bottom []float64
	// TopResidual[i] = ‖Hy − θy‖ = β_m|s_{m,i}| of the Ritz pair (θ, y) of
	// Top[i] (Parlett, The Symmetric Eigenvalue Problem, §13.2): some
	// eigenvalue of H lies within it of Top[i]. Likewise BottomResidual.
	TopResidual, BottomResidual []float64
	// Steps is the number of Lanczos steps, i.e. products with H.
	Steps int
	// Restarts counts invariant subspaces met (βⱼ ≈ 0), after each of
	// which the run continued from a fresh random vector orthogonal to the
	// basis, so eigenvalues of higher multiplicity can appear more than
	// once.
	Restarts int
	// Converged reports that every residual is ≤ Tol·max|θ|.
	Converged bool
}

// Lanczos returns the K largest and K smallest eigenvalues of the symmetric
// op by the Lanczos method with full reorthogonalisation from a seeded random
// start (Golub & Van Loan §10.1, §10.3.1), checking convergence every 10
// steps. Memory is O(MaxSteps·D) for the basis. A run that reaches MaxSteps
// unconverged is not an error: Converged is false and the residuals say how
// far off each value may be. It returns an error on bad options or when a
// product fails.
func Lanczos(op Operator, opts LanczosOptions) (*Extremes, error) {
	D := op.Dim()
	if opts.K < 1 || opts.K > D {
		return nil, fmt.Errorf("hessian: Lanczos: K = %d, want 1 ≤ K ≤ D = %d", opts.K, D)
	}
	if opts.MaxSteps == 0 {
		opts.MaxSteps = min(D, max(300, 10*opts.K))
	}
	if opts.MaxSteps < opts.K || opts.MaxSteps > D {
		return nil, fmt.Errorf("hessian: Lanczos: MaxSteps = %d, want K = %d ≤ MaxSteps ≤ D = %d", opts.MaxSteps, opts.K, D)
	}
	if opts.Tol == 0 {
		opts.Tol = 1e-10
	}
	if !(opts.Tol > 0) {
		return nil, fmt.Errorf("hessian: Lanczos: Tol = %v, want > 0", opts.Tol)
	}
	rng := stream(opts.Seed, lanczosKey)
	gauss := func() []float64 {
		v := make([]float64, D)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	k, err := newKrylov(op, gauss())
	if err != nil {
		return nil, err
	}
	res := &Extremes{}
	for len(k.alpha) < opts.MaxSteps {
		ok, err := k.step()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if k.next == nil && len(k.alpha) < D && len(k.alpha) < opts.MaxSteps {
			if !k.restart(gauss()) {
				break
			}
			res.Restarts++
		}
		m := len(k.alpha)
		// Not right after a breakdown: the values of an invariant subspace have
		// zero residuals but need not be the extremes counted with multiplicity.
		if m >= 2*opts.K && m%10 == 0 && m < opts.MaxSteps && k.beta[m-1] != 0 {
			if err := k.extremes(res, opts); err != nil {
				return nil, err
			}
			if res.Converged {
				return res, nil
			}
		}
	}
	if err := k.extremes(res, opts); err != nil {
		return nil, err
	}
	return res, nil
}

// extremes fills res from the current tridiagonal.
func (k *krylov) extremes(res *Extremes, opts LanczosOptions) error {
	theta, s, err := k.ritz()
	if err != nil {
		return err
	}
	m := len(theta)
	betaM := k.beta[m-1]
	K := min(opts.K, m)
	res.Top, res.TopResidual = make([]float64, K), make([]float64, K)
	res.Bottom, res.BottomResidual = make([]float64, K), make([]float64, K)
	var big float64
	for _, t := range theta {
		big = max(big, math.Abs(t))
	}
	res.Converged = opts.K <= m
	for i := 0; i < K; i++ {
		top, bot := m-1-i, i
		res.Top[i], res.TopResidual[i] = theta[top], betaM*math.Abs(s.At(m-1, top))
		res.Bottom[i], res.BottomResidual[i] = theta[bot], betaM*math.Abs(s.At(m-1, bot))
		if res.TopResidual[i] > opts.Tol*big || res.BottomResidual[i] > opts.Tol*big {
			res.Converged = false
		}
	}
	res.Steps = m
	return nil
}
