package hessian

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg/nn"
)

// mlpFixture is the golden 64-12-8-10 network on 200 digits with its exact
// spectrum, computed once for the tests that compare against it.
type mlpFixture struct {
	m     *nn.MLP
	theta []float64
	data  nn.Data
	spec  *Spectrum
}

var (
	fixtureOnce sync.Once
	fixture     mlpFixture
	fixtureErr  error
)

func loadFixture(t *testing.T) mlpFixture {
	t.Helper()
	fixtureOnce.Do(func() {
		g := readGolden(t, "mlp.json")
		fixture.m = newModel(g.Sizes)
		fixture.theta = g.Theta
		fixture.data = digits(t, g.Rows, g.Scale)
		h, err := NewCrossEntropy(fixture.m, fixture.theta, split(fixture.data, 3), AllLayers, 2)
		if err != nil {
			fixtureErr = err
			return
		}
		fixture.spec, fixtureErr = Exact(h)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func randVec(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// TestFiniteDifference (sanity only): Hv equals the central difference
// (∇L(θ+εv) − ∇L(θ−εv))/2ε of nn's own gradient, for a 64-16-12-10 network
// and for each layer's block.
func TestFiniteDifference(t *testing.T) {
	m := nn.NewMLP(64, []int{16, 12}, 10)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 3)
	data := digits(t, 300, 1.0/16)
	h := mustCrossEntropy(t, m, theta, split(data, 2), AllLayers, 2)
	D := m.NumParams()
	v := randVec(D, 1)
	hv := mulVec(t, h, v)

	const eps = 1e-5
	grad := func(sign float64) []float64 {
		th := slices.Clone(theta)
		for i := range th {
			th[i] += sign * eps * v[i]
		}
		g := make([]float64, D)
		m.LossGrad(th, data.X, data.Y, g, nil)
		return g
	}
	gp, gm := grad(1), grad(-1)
	fd := make([]float64, D)
	for i := range fd {
		fd[i] = (gp[i] - gm[i]) / (2 * eps)
	}
	e := relDiff(hv, fd)
	t.Logf("‖Hv − FD‖/‖FD‖ = %.3g (ε = %g)", e, eps)
	if e > 1e-6 {
		t.Errorf("Hv differs from the central difference of the gradient by %.3g relative", e)
	}

	// A layer's block equals the block of the full product of the direction
	// that is v on the layer and 0 elsewhere.
	for l := 0; l < 3; l++ {
		lo, hi, err := LayerRange(m, l)
		if err != nil {
			t.Fatal(err)
		}
		embedded := make([]float64, D)
		copy(embedded[lo:hi], v[lo:hi])
		full := mulVec(t, h, embedded)
		hl := mustCrossEntropy(t, m, theta, split(data, 2), l, 2)
		if hl.Dim() != hi-lo {
			t.Fatalf("layer %d: Dim %d, want %d", l, hl.Dim(), hi-lo)
		}
		block := mulVec(t, hl, v[lo:hi])
		if e := relDiff(block, full[lo:hi]); e > 1e-13 {
			t.Errorf("layer %d block product differs from the full product's block by %.3g", l, e)
		}
	}
}

// TestShardInvariance: the product does not depend on the sharding (1, 3,
// 7 shards, ≤ 1e-10 relative) and, for a given sharding, not at all on the
// number of workers.
func TestShardInvariance(t *testing.T) {
	f := loadFixture(t)
	v := randVec(f.m.NumParams(), 2)
	ref := mulVec(t, mustCrossEntropy(t, f.m, f.theta, split(f.data, 1), AllLayers, 1), v)
	for _, k := range []int{3, 7} {
		one := mulVec(t, mustCrossEntropy(t, f.m, f.theta, split(f.data, k), AllLayers, 1), v)
		if e := relDiff(one, ref); e > 1e-10 {
			t.Errorf("%d shards: %.3g relative to 1 shard", k, e)
		} else {
			t.Logf("%d shards vs 1: %.2g relative", k, e)
		}
		many := mulVec(t, mustCrossEntropy(t, f.m, f.theta, split(f.data, k), AllLayers, 3), v)
		if !slices.Equal(one, many) {
			t.Errorf("%d shards: 3 workers differ from 1 worker", k)
		}
	}
	// Lanczos over 7 shards gives the same top eigenvalues.
	l1, err := Lanczos(mustCrossEntropy(t, f.m, f.theta, split(f.data, 1), AllLayers, 1), LanczosOptions{K: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	l7, err := Lanczos(mustCrossEntropy(t, f.m, f.theta, split(f.data, 7), AllLayers, 2), LanczosOptions{K: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range l1.Top {
		if math.Abs(l1.Top[i]-l7.Top[i]) > 1e-10*math.Abs(l1.Top[0]) {
			t.Errorf("Lanczos top %d: 1 shard %v, 7 shards %v", i, l1.Top[i], l7.Top[i])
		}
	}
}

// TestLanczosTop10: Lanczos top-10 and bottom-10 equal the exact method's to
// ≤ 1e-6 (relative to |λ|max), with residuals that bound the error.
func TestLanczosTop10(t *testing.T) {
	f := loadFixture(t)
	h := mustCrossEntropy(t, f.m, f.theta, split(f.data, 3), AllLayers, 2)
	ex, err := Lanczos(h, LanczosOptions{K: 10, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Converged {
		t.Errorf("not converged after %d steps: residuals %v %v", ex.Steps, ex.TopResidual, ex.BottomResidual)
	}
	top, bottom := f.spec.Top(10), f.spec.Bottom(10)
	scale := math.Max(math.Abs(top[0]), math.Abs(bottom[0]))
	var worst float64
	for i := 0; i < 10; i++ {
		et, eb := math.Abs(ex.Top[i]-top[i]), math.Abs(ex.Bottom[i]-bottom[i])
		worst = max(worst, et/scale, eb/scale)
		if et > ex.TopResidual[i]+1e-12*scale || eb > ex.BottomResidual[i]+1e-12*scale {
			t.Errorf("eigenvalue %d: errors %.3g, %.3g exceed residuals %.3g, %.3g", i, et, eb, ex.TopResidual[i], ex.BottomResidual[i])
		}
	}
	t.Logf("Lanczos %d steps: top-10 and bottom-10 worst error %.2g·|λ|max; top %v", ex.Steps, worst, ex.Top[:3])
	if worst > 1e-6 {
		t.Errorf("Lanczos top/bottom-10 off by %.3g·|λ|max, want ≤ 1e-6", worst)
	}
	// Same seed, same values, bit for bit.
	again, err := Lanczos(h, LanczosOptions{K: 10, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Top, ex.Top) || again.Steps != ex.Steps {
		t.Errorf("Lanczos with one seed is not reproducible")
	}
}

// TestLanczosRepeated: on diag(5, 5, 5, 4, 3, …) a breakdown restarts the run,
// so the repeated top eigenvalue is found three times, and a run to D steps
// returns the whole spectrum.
func TestLanczosRepeated(t *testing.T) {
	const D = 40
	diag := make([]float64, D)
	for i := range diag {
		diag[i] = float64(i%10) / 2 // each of 0, 0.5, …, 4.5 four times
	}
	diag[0], diag[1], diag[2] = 5, 5, 5
	a := mat.NewSymDense(D, nil)
	for i, v := range diag {
		a.SetSym(i, i, v)
	}
	ex, err := Lanczos(Sym{a}, LanczosOptions{K: 5, MaxSteps: D, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{5, 5, 5, 4.5, 4.5}
	for i, w := range want {
		if math.Abs(ex.Top[i]-w) > 1e-10 {
			t.Errorf("top %v, want %v (restarts %d, steps %d)", ex.Top, want, ex.Restarts, ex.Steps)
			break
		}
	}
	if ex.Restarts == 0 {
		t.Errorf("no restart on a matrix with 11 distinct eigenvalues in R^40")
	}
	if _, err := Lanczos(Sym{a}, LanczosOptions{K: 0}); err == nil {
		t.Errorf("K = 0 accepted")
	}
	if _, err := Lanczos(Sym{a}, LanczosOptions{K: 2, MaxSteps: D + 1}); err == nil {
		t.Errorf("MaxSteps > D accepted")
	}
}

// TestHutchinson: 1,000 probes land within 3 standard errors of the exact
// trace; two halves merged equal the whole run.
func TestHutchinson(t *testing.T) {
	f := loadFixture(t)
	h := mustCrossEntropy(t, f.m, f.theta, split(f.data, 3), AllLayers, 2)
	tr, err := Hutchinson(h, TraceOptions{Probes: 1000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	exact := f.spec.Trace()
	z := (tr.Estimate() - exact) / tr.StdErr()
	t.Logf("Hutchinson 1000 probes: %.6g ± %.3g, exact %.6g (z = %.2f)", tr.Estimate(), tr.StdErr(), exact, z)
	if math.Abs(z) > 3 {
		t.Errorf("trace %v ± %v is %.2f standard errors from %v", tr.Estimate(), tr.StdErr(), z, exact)
	}
	// The variance of vᵀHv for Rademacher v is 2 Σ_{i≠j} Hᵢⱼ² ≤ 2‖H‖²_F: the
	// standard error must not exceed that bound's.
	g := readGolden(t, "mlp.json")
	if bound := math.Sqrt(2/1000.0) * g.Frobenius; tr.StdErr() > 1.2*bound {
		t.Errorf("standard error %v above √(2/n)‖H‖_F = %v", tr.StdErr(), bound)
	}
	a, err := Hutchinson(h, TraceOptions{Probes: 400, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hutchinson(h, TraceOptions{Probes: 600, FirstProbe: 400, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	a.Merge(b)
	if a.Probes != 1000 || math.Abs(a.Mean-tr.Mean) > 1e-12*math.Abs(tr.Mean) || math.Abs(a.M2-tr.M2) > 1e-10*tr.M2 {
		t.Errorf("merged halves %+v, whole run %+v", a, tr)
	}
	if _, err := Hutchinson(h, TraceOptions{Probes: 0}); err == nil {
		t.Errorf("0 probes accepted")
	}
}

// TestSLQ: on the 64-12-8-10 network (products through CrossEntropy) the
// broadened density integrates to 1; its first moment is exactly the mean of
// vⱼᵀHvⱼ/D over its own probes (the Hutchinson estimator) and lies within 3
// standard errors of trace/D; its nodes lie inside the spectrum.
func TestSLQ(t *testing.T) {
	f := loadFixture(t)
	h := mustCrossEntropy(t, f.m, f.theta, split(f.data, 3), AllLayers, 2)
	const probes, sigma = 50, 0.02
	dens, err := SLQ(h, SLQOptions{Probes: probes, Steps: 40, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := dens.Support()
	grid := Grid(lo-10*sigma, hi+10*sigma, int((hi-lo)/sigma*8)+161)
	phi, err := dens.Eval(nil, grid, sigma)
	if err != nil {
		t.Fatal(err)
	}
	m0, m1, _ := trapezoidMoments(grid, phi)
	if math.Abs(m0-1) > 1e-9 {
		t.Errorf("density integrates to %v", m0)
	}
	D := h.Dim()
	var own Trace
	v, hv := make([]float64, D), make([]float64, D)
	for j := 0; j < probes; j++ {
		rademacher(v, probeStream(5, slqKey, j))
		if err := h.MulVec(hv, v); err != nil {
			t.Fatal(err)
		}
		var s float64
		for i := range v {
			s += v[i] * hv[i]
		}
		own.add(s / float64(D))
	}
	if math.Abs(m1-own.Mean) > 1e-9*math.Abs(own.Mean) || math.Abs(dens.Moment(1)-own.Mean) > 1e-12*math.Abs(own.Mean) {
		t.Errorf("first moment %v (Moment(1) %v), mean vᵀHv/D of the probes %v", m1, dens.Moment(1), own.Mean)
	}
	mean := f.spec.Trace() / float64(D)
	z := (m1 - mean) / own.StdErr()
	t.Logf("SLQ %d probes × 40 steps, %d grid points: ∫φ = %.12f, ∫tφ = %.6g, trace/D = %.6g (%.2f%%, z = %.2f)",
		probes, len(grid), m0, m1, mean, 100*(m1/mean-1), z)
	if math.Abs(z) > 3 {
		t.Errorf("first moment %v is %.2f standard errors from trace/D %v", m1, z, mean)
	}
	if lo < f.spec.Values[0]-1e-9 || hi > f.spec.Values[len(f.spec.Values)-1]+1e-9 {
		t.Errorf("nodes [%v, %v] outside the spectrum [%v, %v]", lo, hi, f.spec.Values[0], f.spec.Values[len(f.spec.Values)-1])
	}
}

// TestSLQFirstMoment: the SLQ density of a 64-2-10 network's Hessian (formed
// exactly, applied as a dense matrix so that many probes are cheap) has its
// first moment within 2 % of trace/D. The probe count n is chosen from the
// exact Hessian so that 2 % is at least 3 standard errors: a Rademacher
// sample vᵀHv has variance 2 Σ_{i≠j} Hᵢⱼ² (Hutchinson 1990), so
// n = ⌈(3·√(2 Σ_{i≠j} Hᵢⱼ²) / (0.02·tr H))²⌉. Its second moment equals
// tr(H²)/D + σ² within 4 standard errors. (The broadened density's moments
// are Moment(1) and Moment(2) + σ²; TestSLQ checks the integrals.)
func TestSLQFirstMoment(t *testing.T) {
	m := nn.NewMLP(64, []int{2}, 10)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 8)
	data := digits(t, 200, 1.0/16)
	H, _, err := Dense(mustCrossEntropy(t, m, theta, split(data, 1), AllLayers, 1))
	if err != nil {
		t.Fatal(err)
	}
	D := H.SymmetricDim()
	var tr, tr2, off float64
	for i := 0; i < D; i++ {
		tr += H.At(i, i)
		for j := 0; j < D; j++ {
			tr2 += H.At(i, j) * H.At(i, j)
			if i != j {
				off += H.At(i, j) * H.At(i, j)
			}
		}
	}
	r := math.Sqrt(2*off) / tr // relative standard deviation of one sample
	n := int(math.Ceil(math.Pow(3*r/0.02, 2)))
	const sigma = 0.01
	dens, err := SLQ(Sym{H}, SLQOptions{Probes: n, Steps: 6, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	m1, m2 := dens.Moment(1), dens.Moment(2)+sigma*sigma
	mean, second := tr/float64(D), tr2/float64(D)+sigma*sigma
	t.Logf("64-2-10 (D = %d): r = %.3f → %d probes × 6 steps: mean %.6g vs trace/D %.6g (%+.2f%%), second moment %.6g vs tr(H²)/D + σ² %.6g (%+.2f%%)",
		D, r, n, m1, mean, 100*(m1/mean-1), m2, second, 100*(m2/second-1))
	if math.Abs(m1/mean-1) > 0.02 {
		t.Errorf("first moment %v, trace/D %v: off by more than 2 %%", m1, mean)
	}
	// Var(vᵀH²v) ≤ 2‖H²‖²_F: 4 standard errors of the second moment.
	var h2 mat.SymDense
	h2.SymOuterK(1, H)
	if tol := 4 * math.Sqrt(2/float64(n)) * mat.Norm(&h2, 2) / float64(D); math.Abs(m2-second) > tol {
		t.Errorf("second moment %v, tr(H²)/D + σ² = %v (tolerance %v)", m2, second, tol)
	}
}

// trapezoidMoments returns ∫φ, ∫tφ and ∫t²φ by the trapezoid rule on an
// equally spaced grid.
func trapezoidMoments(grid, phi []float64) (m0, m1, m2 float64) {
	step := grid[1] - grid[0]
	for i, p := range phi {
		w := step
		if i == 0 || i == len(phi)-1 {
			w /= 2
		}
		m0 += w * p
		m1 += w * p * grid[i]
		m2 += w * p * grid[i] * grid[i]
	}
	return m0, m1, m2
}

// TestSLQExactMoments: with m steps on a matrix with at most m distinct
// eigenvalues the Krylov space becomes invariant and each probe's quadrature
// is exact, so Moment(p) = mean over probes of vᵀHᵖv/D.
func TestSLQExactMoments(t *testing.T) {
	const D = 30
	rng := rand.New(rand.NewPCG(4, 4))
	q := mat.NewDense(D, D, nil)
	for i := 0; i < D; i++ {
		for j := 0; j < D; j++ {
			q.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(q)
	var Q mat.Dense
	qr.QTo(&Q)
	lambda := make([]float64, D)
	for i := range lambda {
		lambda[i] = float64(i%8) - 2 // 8 distinct values
	}
	var a mat.Dense
	a.Mul(&Q, mat.NewDiagDense(D, lambda))
	a.Mul(&a, Q.T())
	sym := mat.NewSymDense(D, nil)
	for i := 0; i < D; i++ {
		for j := i; j < D; j++ {
			sym.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	dens, err := SLQ(Sym{sym}, SLQOptions{Probes: 5, Steps: 20, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, qd := range dens.Quadratures {
		if len(qd.Nodes) > 8 {
			t.Errorf("probe %d: %d nodes, the Krylov space has dimension ≤ 8", qd.Probe, len(qd.Nodes))
		}
	}
	// Probe ranges run separately merge into the same density.
	late, err := SLQ(Sym{sym}, SLQOptions{Probes: 2, FirstProbe: 3, Steps: 20, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	early, err := SLQ(Sym{sym}, SLQOptions{Probes: 3, Steps: 20, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := late.Merge(early); err != nil {
		t.Fatal(err)
	}
	for j, q := range late.Quadratures {
		if r := dens.Quadratures[j]; q.Probe != j || !slices.Equal(q.Nodes, r.Nodes) || !slices.Equal(q.Weights, r.Weights) {
			t.Errorf("merged probe %d (%d) differs from the single run", j, q.Probe)
		}
	}
	if err := late.Merge(early); err == nil {
		t.Errorf("merging the same probes twice accepted")
	}
	for p := 1; p <= 4; p++ {
		var want float64
		for j := 0; j < 5; j++ {
			v := make([]float64, D)
			rademacher(v, probeStream(9, slqKey, j))
			x := mat.NewVecDense(D, slices.Clone(v))
			for range p {
				x.MulVec(sym, x)
			}
			want += mat.Dot(mat.NewVecDense(D, v), x) / D / 5
		}
		if got := dens.Moment(p); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
			t.Errorf("Moment(%d) = %v, want %v", p, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	m := nn.NewMLP(64, []int{4}, 10)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 1)
	data := digits(t, 20, 1.0/16)
	if _, err := NewCrossEntropy(m, theta[1:], split(data, 1), AllLayers, 1); err == nil {
		t.Errorf("short θ accepted")
	}
	if _, err := NewCrossEntropy(m, theta, split(data, 1), 2, 1); err == nil {
		t.Errorf("layer 2 of a 2-layer model accepted")
	}
	if _, err := NewCrossEntropy(m, theta, nil, AllLayers, 1); err == nil {
		t.Errorf("no rows accepted")
	}
	bad := nn.Data{X: data.X, Y: slices.Clone(data.Y)}
	bad.Y[3] = 10
	h := mustCrossEntropy(t, m, theta, []nn.Data{bad}, AllLayers, 1)
	if err := h.MulVec(make([]float64, h.Dim()), make([]float64, h.Dim())); err == nil {
		t.Errorf("label 10 of 10 classes accepted")
	}
	h = mustCrossEntropy(t, m, theta, split(data, 1), AllLayers, 1)
	if err := h.MulVec(make([]float64, 3), make([]float64, h.Dim())); err == nil {
		t.Errorf("short dst accepted")
	}
	big := nn.NewMLP(100, []int{50}, 10) // D = 5,560
	if _, err := Exact(mustCrossEntropy(t, big, make([]float64, big.NumParams()),
		[]nn.Data{{X: mat.NewDense(1, 100, nil), Y: []int{0}}}, AllLayers, 1)); err == nil {
		t.Errorf("exact method accepted D = %d > %d", big.NumParams(), MaxExactDim)
	}
}

// TestPartials: the Beam-shaped path (one Product per shard, Partials added
// in shard order, then Mean) gives CrossEntropy's product bit for bit.
func TestPartials(t *testing.T) {
	f := loadFixture(t)
	shards := split(f.data, 7)
	v := randVec(f.m.NumParams(), 12)
	want := mulVec(t, mustCrossEntropy(t, f.m, f.theta, shards, AllLayers, 1), v)
	p, err := NewProduct(f.m, f.theta, AllLayers)
	if err != nil {
		t.Fatal(err)
	}
	total := Partial{Sum: make([]float64, p.Dim())}
	for _, sh := range shards {
		part := Partial{Sum: make([]float64, p.Dim())}
		if part.Rows, err = p.SumHVP(part.Sum, v, sh); err != nil {
			t.Fatal(err)
		}
		if err := total.Add(part); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]float64, p.Dim())
	if err := total.Mean(got); err != nil {
		t.Fatal(err)
	}
	if total.Rows != f.data.Len() || !slices.Equal(got, want) {
		t.Errorf("partials: %d rows, %.3g relative to CrossEntropy", total.Rows, relDiff(got, want))
	}
	if err := total.Add(Partial{Sum: make([]float64, 3)}); err == nil {
		t.Errorf("adding a partial of another length accepted")
	}
}
