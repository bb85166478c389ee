package idest

import (
	"math"
	"testing"
)

func TestFisherSGolden(t *testing.T) {
	for _, s := range goldens(t) {
		f := DefaultFisherS()
		want := s.FisherS
		if e, _ := maxRelErr(f.Alphas, want.Alphas); e > 1e-15 {
			t.Fatalf("alphas %v, want %v", f.Alphas, want.Alphas)
		}
		got, err := f.Estimate(s.x, 2)
		if err != nil {
			t.Fatal(err)
		}
		one, _ := f.Estimate(s.x, 1)
		if relErr(one.Dimension, got.Dimension) != 0 {
			t.Errorf("%s: 1 and 2 workers differ", s.Name)
		}
		e := checkClose(t, s.Name+" FisherS profile", got.Profile, floats(want.Profile))
		e = max(e, checkClose(t, s.Name+" FisherS inseparability", got.Inseparability, want.Inseparability))
		checkClose(t, s.Name+" FisherS separable fraction", got.SeparableFraction, want.SeparableFraction)
		if got.Components != want.Components || relErr(got.Dimension, float64(want.Dimension)) > goldenTol || relErr(got.Alpha, float64(want.Alpha)) > 1e-15 {
			t.Errorf("%s: FisherS %v at α %v with %d components, want %v at %v with %d", s.Name, got.Dimension, got.Alpha, got.Components, want.Dimension, want.Alpha, want.Components)
		}
		t.Logf("%s FisherS %.4f at α = %.2f (%d components), max rel. error %.2g", s.Name, got.Dimension, got.Alpha, got.Components, e)
	}
}

// TestLambertW0: w·eʷ = x across the range FisherS uses, and known values.
func TestLambertW0(t *testing.T) {
	if w := lambertW0(math.E); math.Abs(w-1) > 1e-15 {
		t.Errorf("W(e) = %v", w)
	}
	if w := lambertW0(-1 / math.E); math.Abs(w+1) > 1e-7 {
		t.Errorf("W(−1/e) = %v", w)
	}
	for _, x := range []float64{-0.36, -0.2, 1e-12, 0.5, 2.9, 3, 10, 1e6, 1e18, 1e300} {
		w := lambertW0(x)
		if got := w * math.Exp(w); math.Abs(got-x) > 4e-15*math.Abs(x) && math.Abs(math.Log(w)+w-math.Log(x)) > 1e-14 {
			t.Errorf("W(%v) = %v: w·eʷ = %v", x, w, got)
		}
	}
	if !math.IsNaN(lambertW0(-1)) {
		t.Error("W(−1) defined")
	}
}

// TestSphereDimension: n(α) inverts the inseparability of the n-sphere.
func TestSphereDimension(t *testing.T) {
	for _, n := range []float64{2, 5, 13.5, 40} {
		for _, a := range []float64{0.6, 0.8, 0.9} {
			p := math.Pow(1-a*a, (n-1)/2) / (a * math.Sqrt(2*math.Pi*n))
			if got := sphereDimension(p, a); math.Abs(got-n) > 1e-9*n {
				t.Errorf("n(p(%v), %v) = %v", n, a, got)
			}
		}
	}
}
