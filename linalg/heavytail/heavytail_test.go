package heavytail

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"
)

func TestFitPowerLawInvalid(t *testing.T) {
	for _, lambda := range [][]float64{
		{1, 2, math.NaN()},
		{1, 2, math.Inf(1)},
		{1, -1e-300, 3},
	} {
		if _, err := FitPowerLaw(lambda, 1); err == nil || errors.Is(err, ErrNoFit) {
			t.Errorf("FitPowerLaw(%v): err = %v, want an invalid-input error", lambda, err)
		}
	}
	for _, lambda := range [][]float64{nil, {0, 0, 0}, {3, 3, 3, 3}, {1, 2, 3}} {
		if _, err := FitPowerLaw(lambda, 0); !errors.Is(err, ErrNoFit) {
			t.Errorf("FitPowerLaw(%v): err = %v, want ErrNoFit", lambda, err)
		}
	}
}

// TestFitPowerLawInvariance: the fit does not depend on the order of λ nor on
// their scale (α and D are scale free, xmin scales), leaves λ unchanged, and
// is bit-for-bit the same on one goroutine.
func TestFitPowerLawInvariance(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	lambda := paretoSquares(rng, 3000, 2.5)
	orig := slices.Clone(lambda)
	fit, err := FitPowerLaw(lambda, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lambda, orig) {
		t.Fatal("FitPowerLaw modified its input")
	}
	shuffled := slices.Clone(lambda)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if got, _ := FitPowerLaw(shuffled, 0); got != fit {
		t.Errorf("shuffled: %+v, want %+v", got, fit)
	}
	scaled := slices.Clone(lambda)
	for i := range scaled {
		scaled[i] *= 1024 // exact
	}
	if got, _ := FitPowerLaw(scaled, 0); got.Xmin != 1024*fit.Xmin || got.Tail != fit.Tail ||
		relErr(got.Alpha, fit.Alpha) > 1e-12 || math.Abs(got.KS-fit.KS) > 1e-12 {
		t.Errorf("scaled by 1024: %+v, want %+v scaled", got, fit)
	}
	prev := runtime.GOMAXPROCS(1)
	one, _ := FitPowerLaw(lambda, 0)
	runtime.GOMAXPROCS(prev)
	if one != fit {
		t.Errorf("GOMAXPROCS=1: %+v, want %+v", one, fit)
	}
}

// TestSpectrumDeterministic: the spectrum is bit-for-bit independent of
// GOMAXPROCS (1, the default, and 5 goroutines pipelining the bulge-chasing
// sweeps on fewer cores), and a reused Spectrum gives the results of a fresh
// one.
func TestSpectrumDeterministic(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	a := gaussian(rng, 700, 600)
	b := gaussian(rng, 120, 500)
	var s Spectrum
	la, err := s.SquaredSingularValues(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	la = slices.Clone(la)
	lb, err := s.SquaredSingularValues(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := SquaredSingularValues(b)
	if !slices.Equal(lb, fresh) {
		t.Error("reused Spectrum differs from a fresh one")
	}
	for _, procs := range []int{1, 5} {
		prev := runtime.GOMAXPROCS(procs)
		other, _ := SquaredSingularValues(a)
		runtime.GOMAXPROCS(prev)
		if !slices.Equal(la, other) {
			t.Errorf("GOMAXPROCS=%d changes the spectrum", procs)
		}
	}
}

func TestSpectrumInvalid(t *testing.T) {
	w := mat.NewDense(3, 4, nil)
	w.Set(1, 2, math.NaN())
	if _, err := SquaredSingularValues(w); err == nil {
		t.Error("NaN entry: no error")
	}
	w.Set(1, 2, math.Inf(-1))
	if _, err := SquaredSingularValues(w); err == nil {
		t.Error("infinite entry: no error")
	}
	if _, err := SquaredSingularValues(&mat.Dense{}); err == nil {
		t.Error("empty matrix: no error")
	}
	w.Set(1, 2, 1e160)
	if _, err := SquaredSingularValues(w); err == nil {
		t.Error("‖W‖² overflows: no error")
	}
}

// TestZeroAndLowRank: a zero matrix has λ = 0, no fit, all energy kept; a
// rank-r matrix has min(m, n) − r eigenvalues within the stated absolute
// error max(m, n)·ε·λ₁ of zero, and r well above it.
func TestZeroAndLowRank(t *testing.T) {
	zero := mat.NewDense(300, 280, nil)
	lambda, err := SquaredSingularValues(zero)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lambda {
		if l != 0 {
			t.Fatalf("zero matrix: λ = %v", l)
		}
	}
	if _, err := FitPowerLaw(lambda, 0); !errors.Is(err, ErrNoFit) {
		t.Errorf("zero matrix: fit error %v, want ErrNoFit", err)
	}
	if _, err := ComputeMetrics(lambda, 0); err == nil {
		t.Error("zero matrix: ComputeMetrics without error")
	}
	kept, err := KeptEnergy(nil, lambda, []int{0, 5, 280})
	if err != nil || !slices.Equal(kept, []float64{1, 1, 1}) {
		t.Errorf("zero matrix: kept = %v, %v; want all 1", kept, err)
	}

	rng := rand.New(rand.NewSource(9))
	const r = 40
	var low mat.Dense
	low.Mul(gaussian(rng, 300, r), gaussian(rng, r, 280))
	lambda, err = SquaredSingularValues(&low)
	if err != nil {
		t.Fatal(err)
	}
	bound := 300 * 0x1p-53 * lambda[0]
	for i, l := range lambda[r:] {
		if l > bound {
			t.Errorf("rank %d: λ[%d] = %.3g > max(m, n)·ε·λ₁ = %.3g", r, r+i, l, bound)
		}
	}
	if lambda[r-1] < 1e6*bound {
		t.Errorf("rank %d: λ[%d] = %.3g is not well above the noise", r, r-1, lambda[r-1])
	}
}

func TestKeptEnergy(t *testing.T) {
	lambda := []float64{8, 4, 2, 1, 1}
	kept, err := KeptEnergy(nil, lambda, []int{0, 1, 2, 5})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 0.5, 0.75, 1}; !slices.Equal(kept, want) {
		t.Errorf("kept = %v, want %v", kept, want)
	}
	for _, c := range []struct {
		lambda []float64
		ranks  []int
	}{
		{[]float64{1, 2}, []int{1}},           // ascending
		{[]float64{2, -1}, []int{1}},          // negative
		{[]float64{2, math.NaN()}, []int{1}},  // NaN
		{[]float64{2, 1}, []int{3}},           // rank too large
		{[]float64{2, 1}, []int{-1}},          // negative rank
		{[]float64{math.Inf(1), 1}, []int{1}}, // infinite
	} {
		if _, err := KeptEnergy(nil, c.lambda, c.ranks); err == nil {
			t.Errorf("KeptEnergy(%v, %v): no error", c.lambda, c.ranks)
		}
	}
}

func TestRanksAtFractions(t *testing.T) {
	got, err := RanksAtFractions(nil, []float64{0, 1e-9, 0.1, 0.25, 0.5, 1}, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 410, 1024, 2048, 4096}; !slices.Equal(got, want) {
		t.Errorf("ranks = %v, want %v", got, want)
	}
	// 0.3·10 = 3.0000000000000004 in floating point: rounding, not ceil, gives 3.
	if got, _ := RanksAtFractions(nil, []float64{0.3, 0.05, 0.15}, 10); !slices.Equal(got, []int{3, 1, 2}) {
		t.Errorf("p = 10: ranks = %v, want [3 1 2] (0.5 rounds away from zero)", got)
	}
	for _, f := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := RanksAtFractions(nil, []float64{f}, 10); err == nil {
			t.Errorf("fraction %v: no error", f)
		}
	}
}

func TestWeightWatcherMetricsNoOverflow(t *testing.T) {
	lambda := []float64{1e200, 1e200, 1e100, 0}
	// Σ λ^3 = 2e600 overflows; log₁₀ of it is 600 + log₁₀ 2.
	if got, want := LogAlphaNorm(lambda, 3), 600+math.Log10(2); math.Abs(got-want) > 1e-12 {
		t.Errorf("log_alpha_norm = %v, want %v", got, want)
	}
	if got := AlphaWeighted(2.5, 1e4); got != 10 {
		t.Errorf("alpha_weighted = %v, want 10", got)
	}
	if got := LogSpectralNorm(lambda); got != 200 {
		t.Errorf("log_spectral_norm = %v, want 200", got)
	}
	if got, want := LogNorm([]float64{30, 70}), 2.0; got != want {
		t.Errorf("log_norm = %v, want %v", got, want)
	}
}
