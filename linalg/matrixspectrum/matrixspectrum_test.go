package matrixspectrum

import (
	"math"
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"
)

// lowRank returns an m×n matrix of rank r with singular values 2⁻ⁱ·10
// (i < r) plus Gaussian noise of standard deviation noise, seeded.
func lowRank(m, n, r int, noise float64, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewSource(seed))
	gauss := func(rows, cols int) *mat.Dense {
		d := make([]float64, rows*cols)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		return mat.NewDense(rows, cols, d)
	}
	var qu, qv mat.QR
	qu.Factorize(gauss(m, r))
	qv.Factorize(gauss(n, r))
	var u, v mat.Dense
	qu.QTo(&u)
	qv.QTo(&v)
	s := mat.NewDense(r, r, nil)
	for i := range r {
		s.Set(i, i, 10*math.Pow(2, -float64(i)))
	}
	var us, a mat.Dense
	us.Mul(u.Slice(0, m, 0, r), s)
	a.Mul(&us, v.Slice(0, n, 0, r).T())
	if noise > 0 {
		e := gauss(m, n)
		e.Scale(noise, e)
		a.Add(&a, e)
	}
	return &a
}

// reference is gonum's SVD: every σ and the right singular vectors.
func reference(t *testing.T, a *mat.Dense) ([]float64, *mat.Dense) {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThinV) {
		t.Fatal("reference SVD failed")
	}
	var v mat.Dense
	svd.VTo(&v)
	return svd.Values(nil), &v
}

// overlap is |⟨vᵢ, wᵢ⟩| of row i of vt and column i of v: 1 for the same
// direction up to sign.
func overlap(vt *mat.Dense, v *mat.Dense, i int) float64 {
	return math.Abs(mat.Dot(vt.RowView(i), v.ColView(i)))
}

func frob(a *mat.Dense) float64 {
	f := mat.Norm(a, 2)
	return f * f
}

// TestExactSmall: below 512 columns the exact path is gonum's SVD (σ and
// vectors) with heavytail's σ² beside it, equal to the σ² within
// rounding of λ₁.
func TestExactSmall(t *testing.T) {
	a := lowRank(60, 40, 40, 0, 1)
	sp, err := Compute(a, Options{K: 5, ExactMaxDim: 512})
	if err != nil {
		t.Fatal(err)
	}
	sigma, v := reference(t, a)
	if !sp.Exact || len(sp.Sigma) != 40 || len(sp.Lambda) != 40 {
		t.Fatalf("exact %v, %d σ, %d λ", sp.Exact, len(sp.Sigma), len(sp.Lambda))
	}
	for i, s := range sigma {
		if sp.Sigma[i] != s {
			t.Fatalf("σ%d = %v, gonum %v", i+1, sp.Sigma[i], s)
		}
		if math.Abs(sp.Lambda[i]-s*s) > 1e-12*sigma[0]*sigma[0] {
			t.Errorf("λ%d = %v, σ² = %v", i+1, sp.Lambda[i], s*s)
		}
	}
	if r, c := sp.VT.Dims(); r != 5 || c != 40 {
		t.Fatalf("VT %d×%d", r, c)
	}
	for i := range 5 {
		if o := overlap(sp.VT, v, i); math.Abs(o-1) > 1e-12 {
			t.Errorf("v%d overlap %v", i+1, o)
		}
	}
	if math.Abs(sp.FrobSq-frob(a)) > 1e-12*frob(a) {
		t.Errorf("‖A‖_F² = %v, gonum %v", sp.FrobSq, frob(a))
	}
}

// TestExactLarge: above 512 columns σ are √λ of heavytail's full spectrum,
// and the top-k vectors come from a randomized SVD; both agree with gonum's
// SVD on a matrix of 8 well separated singular values plus small noise.
func TestExactLarge(t *testing.T) {
	a := lowRank(530, 520, 8, 1e-6, 2)
	sp, err := Compute(a, Options{K: 4, ExactMaxDim: 1000, PowerIters: -1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	sigma, v := reference(t, a)
	if !sp.Exact || len(sp.Sigma) != 520 {
		t.Fatalf("exact %v, %d σ", sp.Exact, len(sp.Sigma))
	}
	for i := range 8 {
		if math.Abs(sp.Sigma[i]-sigma[i]) > 1e-10*sigma[0] || sp.Sigma[i] != math.Sqrt(sp.Lambda[i]) {
			t.Errorf("σ%d = %v, gonum %v, √λ %v", i+1, sp.Sigma[i], sigma[i], math.Sqrt(sp.Lambda[i]))
		}
	}
	for i := range 4 {
		if o := overlap(sp.VT, v, i); math.Abs(o-1) > 1e-8 {
			t.Errorf("v%d overlap %v", i+1, o)
		}
	}
}

// TestRandomized: above ExactMaxDim only the top k σ are computed, equal
// to gonum's on a low-rank matrix, the vectors too; the same seed gives the
// same result.
func TestRandomized(t *testing.T) {
	a := lowRank(80, 70, 6, 0, 4)
	opts := Options{K: 6, ExactMaxDim: 10, PowerIters: -1, Seed: 5}
	sp, err := Compute(a, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Compute(a, opts)
	sigma, v := reference(t, a)
	if sp.Exact || sp.Lambda != nil || len(sp.Sigma) != 6 {
		t.Fatalf("exact %v, λ %v, %d σ", sp.Exact, sp.Lambda, len(sp.Sigma))
	}
	for i := range 6 {
		if math.Abs(sp.Sigma[i]-sigma[i]) > 1e-10*sigma[0] || sp.Sigma[i] != again.Sigma[i] {
			t.Errorf("σ%d = %v, gonum %v, again %v", i+1, sp.Sigma[i], sigma[i], again.Sigma[i])
		}
		if o := overlap(sp.VT, v, i); math.Abs(o-1) > 1e-8 {
			t.Errorf("v%d overlap %v", i+1, o)
		}
	}
	if !mat.Equal(sp.VT, again.VT) {
		t.Error("the same seed gave other vectors")
	}
	// K beyond min(m, n) is clamped.
	wide, err := Compute(lowRank(5, 9, 5, 0, 6), Options{K: 20, ExactMaxDim: 512})
	if err != nil || len(wide.Sigma) != 5 {
		t.Fatalf("5×9, K 20: %d σ, %v", len(wide.Sigma), err)
	}
	if r, c := wide.VT.Dims(); r != 5 || c != 9 {
		t.Errorf("5×9, K 20: VT %d×%d", r, c)
	}
}

// TestNonFinite: a NaN entry is an error, not a spectrum.
func TestNonFinite(t *testing.T) {
	a := lowRank(6, 5, 5, 0, 7)
	a.Set(2, 3, math.NaN())
	if _, err := Compute(a, Options{K: 2, ExactMaxDim: 512}); err == nil {
		t.Error("NaN entry: no error")
	}
}
