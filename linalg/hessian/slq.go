package hessian

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// SLQOptions configure SLQ.
type SLQOptions struct {
	// Probes is the number n_v of Rademacher probes, numbered FirstProbe,
	// FirstProbe+1, …; probe j is drawn from DeriveSeed(DeriveSeed(Seed, 2), j),
	// so runs over disjoint probe ranges merge into one.
	Probes, FirstProbe int
	// Steps is the number m of Lanczos steps per probe; 0 means min(D, 80).
	// The quadrature of one probe integrates polynomials of degree ≤ 2m−1
	// exactly.
	Steps int
	Seed  uint64
}

// Quadrature is the m-point Gauss quadrature of one probe's spectral measure
// μ_v = Σᵢ (uᵢᵀv)²/‖v‖² δ_{λᵢ}: the eigenvalues θ_k of the Lanczos tridiagonal
// T_m started at v/‖v‖ and the squared first components τ_k = (e₁ᵀs_k)² of
// its eigenvectors (Golub & Meurant, Matrices, Moments and Quadrature, §6.2).
// Σ τ_k = 1 and Σ τ_k θ_k = vᵀHv/‖v‖².
type Quadrature struct {
	Probe   int
	Nodes   []float64 // ascending
	Weights []float64
}

// Density is a stochastic Lanczos quadrature estimate of the spectral density
// φ(t) = (1/D) Σᵢ δ(t − λᵢ) of a D×D symmetric matrix (Ghorbani et al. 2019,
// §2.2): the average over probes of their quadratures. It merges across
// runs by concatenation (Merge); memory O(probes·m).
type Density struct {
	Dim         int
	Quadratures []Quadrature // in probe order
}

// SLQ runs stochastic Lanczos quadrature on op: for each probe, Steps Lanczos
// steps with full reorthogonalisation from a Rademacher vector (stopping
// early if the Krylov space is invariant, where the quadrature is exact).
// It returns an error on bad options or when a product fails.
func SLQ(op Operator, opts SLQOptions) (*Density, error) {
	D := op.Dim()
	if opts.Probes < 1 || opts.FirstProbe < 0 {
		return nil, fmt.Errorf("hessian: SLQ: %d probes from %d, want ≥ 1 from ≥ 0", opts.Probes, opts.FirstProbe)
	}
	if opts.Steps == 0 {
		opts.Steps = min(D, 80)
	}
	if opts.Steps < 1 || opts.Steps > D {
		return nil, fmt.Errorf("hessian: SLQ: Steps = %d, want 1 ≤ Steps ≤ D = %d", opts.Steps, D)
	}
	d := &Density{Dim: D}
	v := make([]float64, D)
	for j := opts.FirstProbe; j < opts.FirstProbe+opts.Probes; j++ {
		rademacher(v, probeStream(opts.Seed, slqKey, j))
		k, err := newKrylov(op, v)
		if err != nil {
			return nil, err
		}
		for len(k.alpha) < opts.Steps {
			ok, err := k.step()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
		}
		theta, s, err := k.ritz()
		if err != nil {
			return nil, err
		}
		w := make([]float64, len(theta))
		for i := range w {
			w[i] = s.At(0, i) * s.At(0, i)
		}
		d.Quadratures = append(d.Quadratures, Quadrature{Probe: j, Nodes: theta, Weights: w})
	}
	return d, nil
}

// Merge adds the probes of e to d, keeping probe order. It returns an error
// if the dimensions differ or a probe appears in both.
func (d *Density) Merge(e *Density) error {
	if d.Dim != e.Dim {
		return fmt.Errorf("hessian: Density.Merge: dimensions %d and %d", d.Dim, e.Dim)
	}
	qs := slices.Concat(d.Quadratures, e.Quadratures)
	slices.SortStableFunc(qs, func(a, b Quadrature) int { return cmp.Compare(a.Probe, b.Probe) })
	for i := 1; i < len(qs); i++ {
		if qs[i].Probe == qs[i-1].Probe {
			return fmt.Errorf("hessian: Density.Merge: probe %d twice", qs[i].Probe)
		}
	}
	d.Quadratures = qs
	return nil
}

// Eval writes into dst (allocated if nil) the Gaussian-broadened density at
// the points of grid (Ghorbani et al. 2019, eq. 8):
//
//	φ_σ(t) = (1/n_v) Σ_probes Σ_k τ_k g_σ(t − θ_k),  g_σ(x) = exp(−x²/2σ²)/(σ√(2π)),
//
// which integrates to 1 over R. It returns an error if σ ≤ 0, there are no
// probes or len(dst) ≠ len(grid).
func (d *Density) Eval(dst, grid []float64, sigma float64) ([]float64, error) {
	if !(sigma > 0) || len(d.Quadratures) == 0 {
		return nil, fmt.Errorf("hessian: Density.Eval: σ = %v with %d probes, want σ > 0 and ≥ 1 probe", sigma, len(d.Quadratures))
	}
	if dst == nil {
		dst = make([]float64, len(grid))
	}
	if len(dst) != len(grid) {
		return nil, errors.New("hessian: Density.Eval: len(dst) ≠ len(grid)")
	}
	norm := 1 / (sigma * math.Sqrt(2*math.Pi) * float64(len(d.Quadratures)))
	for i, t := range grid {
		var s float64
		for _, q := range d.Quadratures {
			for k, x := range q.Nodes {
				z := (t - x) / sigma
				s += q.Weights[k] * math.Exp(-z*z/2)
			}
		}
		dst[i] = s * norm
	}
	return dst, nil
}

// Moment returns (1/n_v) Σ_probes Σ_k τ_k θ_kᵖ, an unbiased estimate of
// tr(Hᵖ)/D for p ≤ 2m−1 (exact quadrature of vᵀHᵖv/‖v‖² for each Rademacher
// probe, ‖v‖² = D). The broadened density has the same mean and its second
// moment exceeds this one's by σ².
func (d *Density) Moment(p int) float64 {
	var s float64
	for _, q := range d.Quadratures {
		for k, x := range q.Nodes {
			s += q.Weights[k] * math.Pow(x, float64(p))
		}
	}
	return s / float64(len(d.Quadratures))
}

// Support returns the smallest and largest node over all probes.
func (d *Density) Support() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, q := range d.Quadratures {
		if len(q.Nodes) > 0 {
			lo, hi = min(lo, q.Nodes[0]), max(hi, q.Nodes[len(q.Nodes)-1])
		}
	}
	return lo, hi
}

// Grid returns n equally spaced points from lo to hi inclusive.
func Grid(lo, hi float64, n int) []float64 {
	g := make([]float64, n)
	for i := range g {
		if n == 1 {
			g[i] = lo
			continue
		}
		g[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return g
}

// TraceOptions configure Hutchinson.
type TraceOptions struct {
	// Probes Rademacher vectors numbered FirstProbe, FirstProbe+1, …; probe
	// j is drawn from DeriveSeed(DeriveSeed(Seed, 3), j).
	Probes, FirstProbe int
	Seed               uint64
}

// Trace accumulates Hutchinson samples sⱼ = vⱼᵀHvⱼ of Rademacher probes,
// E sⱼ = tr H (Hutchinson 1990): their count, mean and sum of squared
// deviations M2 (Welford), merged exactly across runs by Chan, Golub &
// LeVeque's formula.
type Trace struct {
	Probes   int
	Mean, M2 float64
}

// Hutchinson estimates tr H with opts.Probes Rademacher probes. It returns an
// error on bad options or when a product fails.
func Hutchinson(op Operator, opts TraceOptions) (Trace, error) {
	if opts.Probes < 1 || opts.FirstProbe < 0 {
		return Trace{}, fmt.Errorf("hessian: Hutchinson: %d probes from %d, want ≥ 1 from ≥ 0", opts.Probes, opts.FirstProbe)
	}
	D := op.Dim()
	v, hv := make([]float64, D), make([]float64, D)
	var t Trace
	for j := opts.FirstProbe; j < opts.FirstProbe+opts.Probes; j++ {
		rademacher(v, probeStream(opts.Seed, hutchinsonKey, j))
		if err := op.MulVec(hv, v); err != nil {
			return Trace{}, err
		}
		var s float64
		for i, x := range v {
			s += x * hv[i]
		}
		t.add(s)
	}
	return t, nil
}

func (t *Trace) add(s float64) {
	t.Probes++
	d := s - t.Mean
	t.Mean += d / float64(t.Probes)
	t.M2 += d * (s - t.Mean)
}

// Merge adds u's samples to t (Chan, Golub & LeVeque 1979).
func (t *Trace) Merge(u Trace) {
	n := t.Probes + u.Probes
	if n == 0 {
		return
	}
	d := u.Mean - t.Mean
	t.Mean += d * float64(u.Probes) / float64(n)
	t.M2 += u.M2 + d*d*float64(t.Probes)*float64(u.Probes)/float64(n)
	t.Probes = n
}

// Estimate returns the mean of the samples, the trace estimate.
func (t Trace) Estimate() float64 { return t.Mean }

// StdErr returns the standard error of Estimate, √(s²/n) with the sample
// variance s² = M2/(n−1); NaN for fewer than 2 probes.
func (t Trace) StdErr() float64 {
	if t.Probes < 2 {
		return math.NaN()
	}
	return math.Sqrt(t.M2 / float64(t.Probes-1) / float64(t.Probes))
}
