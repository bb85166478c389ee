package idest

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// rotation returns a random D×D orthogonal matrix (QR of a Gaussian matrix).
func rotation(D int, rng *rand.Rand) *mat.Dense {
	g := mat.NewDense(D, D, nil)
	for i := 0; i < D; i++ {
		for j := 0; j < D; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// embedded returns n points of an intrinsically d-dimensional cloud in R^D:
// the unit sphere S^d ⊂ R^{d+1} (sphere) or a standard Gaussian in R^d,
// padded with zeros and rotated at random.
func embedded(n, d, D int, sphere bool, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 1))
	k := d
	if sphere {
		k = d + 1
	}
	x := mat.NewDense(n, D, nil)
	for i := 0; i < n; i++ {
		var norm float64
		for j := 0; j < k; j++ {
			v := rng.NormFloat64()
			x.Set(i, j, v)
			norm += v * v
		}
		if sphere {
			for j := 0; j < k; j++ {
				x.Set(i, j, x.At(i, j)/math.Sqrt(norm))
			}
		}
	}
	var y mat.Dense
	y.Mul(x, rotation(D, rng))
	return &y
}

func TestEstimatorsRecoverDimension(t *testing.T) {
	for _, c := range []struct {
		name   string
		d      int
		sphere bool
	}{{"3-sphere", 3, true}, {"5-sphere", 5, true}, {"4-gaussian", 4, false}, {"6-gaussian", 6, false}} {
		x := embedded(2000, c.d, 24, c.sphere, uint64(c.d))
		mle, err := MLE(x, 20, KMinus2)
		if err != nil {
			t.Fatal(err)
		}
		two, err := TwoNN(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []struct {
			method string
			est    Estimate
		}{{"MLE", mle}, {"TwoNN", two}} {
			if math.Abs(e.est.Value-float64(c.d)) > 0.1*float64(c.d) || !(e.est.Spread > 0) {
				t.Errorf("%s: %s = %.3f ± %.3f, want %d within 10%%", c.name, e.method, e.est.Value, e.est.Spread, c.d)
			}
		}
		t.Logf("%s: MLE %.3f ± %.3f, TwoNN %.3f ± %.3f", c.name, mle.Value, mle.Spread, two.Value, two.Spread)
	}
}

// TestMLEConventions: the k−1 and k−2 forms differ by the factor (k−1)/(k−2).
func TestMLEConventions(t *testing.T) {
	x := embedded(500, 3, 10, false, 9)
	a, _ := MLE(x, 10, KMinus1)
	b, _ := MLE(x, 10, KMinus2)
	if math.Abs(a.Value/b.Value-9.0/8) > 1e-12 {
		t.Errorf("k−1 %v / k−2 %v = %v, want 9/8", a.Value, b.Value, a.Value/b.Value)
	}
	if _, err := MLE(x, 2, KMinus1); err == nil {
		t.Error("k = 2 accepted")
	}
	if _, err := MLE(x, 10, "k"); err == nil {
		t.Error("unknown convention accepted")
	}
}

// TestDuplicatesDropped: repeating rows changes neither TwoNN nor MLE.
func TestDuplicatesDropped(t *testing.T) {
	x := embedded(400, 3, 8, true, 5)
	dup := mat.NewDense(800, 8, nil)
	dup.Stack(x, x)
	for _, f := range []func(mat.Matrix) (Estimate, error){
		TwoNN, func(m mat.Matrix) (Estimate, error) { return MLE(m, 10, KMinus2) },
	} {
		a, _ := f(x)
		b, err := f(dup)
		if err != nil || a != b {
			t.Errorf("with duplicates %+v (%v), without %+v", b, err, a)
		}
	}
}

// TestPCAEnergyRank: a d-dimensional Gaussian has covariance rank d, so its
// 0.9 energy rank is d when the eigenvalues are nearly equal; the moments of
// two halves merge to those of the whole.
func TestPCAEnergyRank(t *testing.T) {
	x := embedded(3000, 6, 20, false, 3)
	whole, err := PCA(x, 0.9)
	if err != nil || whole.Value != 6 {
		t.Fatalf("PCA = %+v (%v), want 6", whole, err)
	}
	a, b := NewMoments(20), NewMoments(20)
	a.Add(x.Slice(0, 1000, 0, 20))
	b.Add(x.Slice(1000, 3000, 0, 20))
	a.Merge(b)
	merged, _ := a.PCA(0.9)
	if merged.Value != whole.Value || merged.N != whole.N {
		t.Errorf("merged %+v, whole %+v", merged, whole)
	}
	if one, _ := PCA(x, 1e-9); one.Value != 1 {
		t.Errorf("energy rank at ~0 = %v, want 1", one.Value)
	}
}
