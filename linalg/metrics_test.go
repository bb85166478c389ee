package linalg

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func flat(r int, value float64) []float64 {
	s := make([]float64, r)
	for i := range s {
		s[i] = value
	}
	return s
}

func TestFlatSpectrum(t *testing.T) {
	for _, r := range []int{1, 2, 10, 64} {
		sigma := flat(r, 3.5)
		// pₖ = 1/r + 1e-7, so RankMe = r·exp(−r·1e-7·(1 + log(1/r)) + O(1e-14)) ≈ r.
		if got := RankMe(sigma); math.Abs(got-float64(r)) > 1e-4*float64(r) {
			t.Errorf("RankMe(flat %d) = %v, want ≈ %d", r, got, r)
		}
		fro := float64(r) * 3.5 * 3.5
		if got := StableRank(fro, 3.5); math.Abs(got-float64(r)) > 1e-14*float64(r) {
			t.Errorf("StableRank(flat %d) = %v, want %d", r, got, r)
		}
		if got := SpectralEntropy(sigma); math.Abs(got-math.Log(float64(r))) > 1e-14 {
			t.Errorf("SpectralEntropy(flat %d) = %v, want log %d = %v", r, got, r, math.Log(float64(r)))
		}
		if got := NuclearNorm(sigma); math.Abs(got-3.5*float64(r)) > 1e-13 {
			t.Errorf("NuclearNorm(flat %d) = %v, want %v", r, got, 3.5*float64(r))
		}
	}
}

func TestRankMeHandValues(t *testing.T) {
	// σ = (3, 1): p = (3/4, 1/4) (+1e-7), H = −¾ log ¾ − ¼ log ¼ = 0.5623351446188083.
	if got, want := RankMe([]float64{3, 1}), math.Exp(0.5623351446188083); math.Abs(got-want) > 1e-5 {
		t.Errorf("RankMe(3, 1) = %v, want ≈ %v", got, want)
	}
	// Trailing zeros count through the ε term only: RankMe(3, 1, 0) ≈ RankMe(3, 1).
	if got, want := RankMe([]float64{3, 1, 0}), math.Exp(0.5623351446188083); math.Abs(got-want) > 1e-5 {
		t.Errorf("RankMe(3, 1, 0) = %v, want ≈ %v", got, want)
	}
	if got := RankMe([]float64{0, 0}); got != 0 {
		t.Errorf("RankMe(0, 0) = %v, want 0", got)
	}
	// Scale invariance.
	if a, b := RankMe([]float64{5, 2, 1}), RankMe([]float64{50, 20, 10}); math.Abs(a-b) > 1e-13 {
		t.Errorf("RankMe is not scale invariant: %v vs %v", a, b)
	}
}

func TestSpectralEntropyHandValues(t *testing.T) {
	// σ² = (3, 1): p = (¾, ¼).
	if got, want := SpectralEntropy([]float64{math.Sqrt(3), 1, 0}), 0.5623351446188083; math.Abs(got-want) > 1e-15 {
		t.Errorf("SpectralEntropy = %v, want %v", got, want)
	}
	if got := SpectralEntropy(nil); got != 0 {
		t.Errorf("SpectralEntropy(nil) = %v, want 0", got)
	}
}

func TestStableRankHandValues(t *testing.T) {
	// σ = (2, 1, 1): ‖A‖_F² = 6, ‖A‖₂² = 4.
	if got := StableRank(6, 2); got != 1.5 {
		t.Errorf("StableRank(6, 2) = %v, want 1.5", got)
	}
	if got := StableRank(0, 0); got != 0 {
		t.Errorf("StableRank(0, 0) = %v, want 0", got)
	}
}

func TestEnergyRank(t *testing.T) {
	sigma := []float64{2, 1.5, 1, 0.5} // σ² = 4, 2.25, 1, 0.25; total 7.5
	for _, tc := range []struct {
		x      float64
		want   int
		wantOK bool
	}{
		{0, 0, true}, {0.5, 1, true}, {0.8, 2, true}, {0.9, 3, true}, {0.99, 4, true}, {1, 4, true},
	} {
		if r, ok := EnergyRank(sigma, 7.5, tc.x); r != tc.want || ok != tc.wantOK {
			t.Errorf("EnergyRank(x=%v) = (%d, %t), want (%d, %t)", tc.x, r, ok, tc.want, tc.wantOK)
		}
	}
	// Truncated σ: the top two hold 6.25 of 7.5.
	if r, ok := EnergyRank(sigma[:2], 7.5, 0.9); ok || r != 2 {
		t.Errorf("EnergyRank(truncated, 0.9) = (%d, %t), want (2, false)", r, ok)
	}
	if r, ok := EnergyRank(sigma[:2], 7.5, 0.8); !ok || r != 2 {
		t.Errorf("EnergyRank(truncated, 0.8) = (%d, %t), want (2, true)", r, ok)
	}
}

func TestAlphaReQPowerLaw(t *testing.T) {
	for _, alpha := range []float64{0.5, 1, 1.3, 2.7} {
		sigma := make([]float64, 200)
		for i := range sigma {
			sigma[i] = 4 * math.Pow(float64(i+1), -alpha/2) // λᵢ = σᵢ² = 16·i^−α
		}
		got, r2 := AlphaReQ(sigma, 1, 200)
		if math.Abs(got-alpha) > 1e-12 || math.Abs(r2-1) > 1e-12 {
			t.Errorf("α=%v: AlphaReQ = (%v, R² = %v), want (%v, 1)", alpha, got, r2, alpha)
		}
		// Only the range counts: spoil σ outside 10..100.
		spoilt := append([]float64(nil), sigma...)
		spoilt[0] *= 10
		for i := 100; i < 200; i++ {
			spoilt[i] = spoilt[99] * 0.999
		}
		if got, r2 := AlphaReQ(spoilt, 10, 100); math.Abs(got-alpha) > 1e-12 || math.Abs(r2-1) > 1e-12 {
			t.Errorf("α=%v on 10..100: AlphaReQ = (%v, R² = %v), want (%v, 1)", alpha, got, r2, alpha)
		}
		if _, r2 := AlphaReQ(spoilt, 1, 200); r2 > 0.99 {
			t.Errorf("α=%v: spoilt spectrum still fits with R² = %v", alpha, r2)
		}
	}
}

func TestAlphaReQClamping(t *testing.T) {
	sigma := make([]float64, 50)
	for i := range 30 {
		sigma[i] = math.Pow(float64(i+1), -0.75) // α = 1.5 on the 30 non-zero values
	}
	for _, rng := range [][2]int{{1, 50}, {0, 0}, {-3, 1000}, {1, 30}} {
		got, r2 := AlphaReQ(sigma, rng[0], rng[1])
		if math.Abs(got-1.5) > 1e-12 || math.Abs(r2-1) > 1e-12 {
			t.Errorf("range %v: AlphaReQ = (%v, %v), want (1.5, 1)", rng, got, r2)
		}
	}
	// Exponential decay is not a power law: R² < 1, fitted by hand below.
	exp := []float64{1, math.Exp(-0.5), math.Exp(-1)} // λ = 1, e⁻¹, e⁻²
	// x = log(1,2,3), y = (0, −1, −2); slope = Sxy/Sxx.
	x := []float64{0, math.Log(2), math.Log(3)}
	mx := (x[0] + x[1] + x[2]) / 3
	var sxx, sxy float64
	for i, xi := range x {
		sxx += (xi - mx) * (xi - mx)
		sxy += (xi - mx) * (-float64(i) + 1)
	}
	wantAlpha := -sxy / sxx
	wantR2 := sxy * sxy / (sxx * 2) // SS_tot of (0, −1, −2) is 2
	got, r2 := AlphaReQ(exp, 1, 3)
	if math.Abs(got-wantAlpha) > 1e-14 || math.Abs(r2-wantR2) > 1e-14 {
		t.Errorf("AlphaReQ(exp) = (%v, %v), want (%v, %v)", got, r2, wantAlpha, wantR2)
	}
	if a, r := AlphaReQ([]float64{1, 0, 0}, 1, 3); !math.IsNaN(a) || !math.IsNaN(r) {
		t.Errorf("AlphaReQ with one non-zero value = (%v, %v), want NaN, NaN", a, r)
	}
}

func TestCodingRateMatchesLogDet(t *testing.T) {
	const d, m, eps = 12, 30, 0.5
	rnd := rand.New(rand.NewPCG(21, 21))
	z := gaussian(rnd, d, m)
	// ½ log det(I + d/(m ε²) ZZᵀ), computed directly.
	var zzt mat.SymDense
	zzt.SymOuterK(d/(m*eps*eps), z)
	for i := range d {
		zzt.SetSym(i, i, zzt.At(i, i)+1)
	}
	var chol mat.Cholesky
	if !chol.Factorize(&zzt) {
		t.Fatal("I + cZZᵀ not positive definite")
	}
	want := chol.LogDet() / 2
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	if got := CodingRate(svd.Values(nil), m, d, eps); math.Abs(got-want) > 1e-12*want {
		t.Errorf("CodingRate = %v, ½ log det = %v", got, want)
	}
	if got := CodingRate([]float64{0, 0}, m, d, eps); got != 0 {
		t.Errorf("CodingRate of zeros = %v, want 0", got)
	}
}
