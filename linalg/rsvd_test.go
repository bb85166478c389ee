package linalg

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// lowRankPlusNoise returns A = U·diag(s)·Vᵀ + N with U (m×r), V (n×r)
// orthonormal, sᵢ = decay^(i−1), and N Gaussian scaled so that
// ‖N‖₂ ≈ noise·s₁ (its spectral norm is about std·(√m + √n)).
func lowRankPlusNoise(m, n, r int, decay, noise float64, seed uint64) *mat.Dense {
	rnd := rand.New(rand.NewPCG(seed, 1))
	u := gaussian(rnd, m, r)
	Orthonormalize(u)
	v := gaussian(rnd, n, r)
	Orthonormalize(v)
	for j := range r {
		s := math.Pow(decay, float64(j))
		for i := range m {
			u.Set(i, j, s*u.At(i, j))
		}
	}
	a := mat.NewDense(m, n, nil)
	a.Mul(u, v.T())
	if noise > 0 {
		std := noise / (math.Sqrt(float64(m)) + math.Sqrt(float64(n)))
		raw := a.RawMatrix()
		for i := range raw.Data {
			raw.Data[i] += std * rnd.NormFloat64()
		}
	}
	return a
}

// exactSVD returns the thin SVD of a with canonical signs.
func exactSVD(t *testing.T, a mat.Matrix) (sigma []float64, u, v *mat.Dense) {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		t.Fatal("reference SVD did not converge")
	}
	u, v = new(mat.Dense), new(mat.Dense)
	svd.UTo(u)
	svd.VTo(v)
	canonicalSigns(v, u)
	return svd.Values(nil), u, v
}

// maxRelErr returns max_i |got_i − want_i|/|want_i| over the first k values.
func maxRelErr(got, want []float64, k int) float64 {
	var worst float64
	for i := range k {
		worst = max(worst, math.Abs(got[i]-want[i])/math.Abs(want[i]))
	}
	return worst
}

// colDistance returns max_j ‖x[:, j] − y[:, j]‖ over the first k columns.
func colDistance(x, y *mat.Dense, k int) float64 {
	var worst float64
	for j := range k {
		var d mat.VecDense
		d.SubVec(x.ColView(j), y.ColView(j))
		worst = max(worst, mat.Norm(&d, 2))
	}
	return worst
}

// orthonormalityError returns ‖XᵀX − I‖_max.
func orthonormalityError(x *mat.Dense) float64 {
	_, c := x.Dims()
	var g mat.Dense
	g.Mul(x.T(), x)
	var worst float64
	for i := range c {
		for j := range c {
			want := 0.0
			if i == j {
				want = 1
			}
			worst = max(worst, math.Abs(g.At(i, j)-want))
		}
	}
	return worst
}

func TestRandomizedSVDMatchesExact(t *testing.T) {
	const k = 20
	tall := lowRankPlusNoise(2000, 300, k, 0.85, 1e-3, 1)
	for _, tc := range []struct {
		name string
		a    mat.Matrix
	}{
		{"tall 2000x300", tall},
		{"wide 300x2000", mat.DenseCopyOf(tall.T())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, n := tc.a.Dims()
			got, err := RandomizedSVD(tc.a, RSVDOptions{K: k, PowerIters: -1, Seed: 42, WantU: true})
			if err != nil {
				t.Fatal(err)
			}
			l := k + DefaultOversample
			if len(got.Sigma) != l {
				t.Fatalf("len(Sigma) = %d, want %d", len(got.Sigma), l)
			}
			if r, c := got.V.Dims(); r != n || c != l {
				t.Fatalf("V is %d×%d, want %d×%d", r, c, n, l)
			}
			if r, c := got.U.Dims(); r != m || c != l {
				t.Fatalf("U is %d×%d, want %d×%d", r, c, m, l)
			}
			for i := 1; i < l; i++ {
				if got.Sigma[i] > got.Sigma[i-1] {
					t.Fatalf("Sigma not descending at %d: %v", i, got.Sigma)
				}
			}
			want, wantU, wantV := exactSVD(t, tc.a)
			e := maxRelErr(got.Sigma, want, k)
			if e > 1e-6 {
				t.Errorf("top-%d relative singular value error %.3g > 1e-6", k, e)
			}
			t.Logf("top-%d max relative σ error %.2g, ErrorEstimate %.3g, ResidualFrobenius %.3g", k, e, got.ErrorEstimate, got.ResidualFrobenius)
			if d := colDistance(got.V, wantV, k); d > 1e-5 {
				t.Errorf("top-%d right singular vectors differ by %.3g", k, d)
			}
			if d := colDistance(got.U, wantU, k); d > 1e-5 {
				t.Errorf("top-%d left singular vectors differ by %.3g", k, d)
			}
			if e := orthonormalityError(got.V); e > 1e-12 {
				t.Errorf("VᵀV − I = %.3g", e)
			}
			if e := orthonormalityError(got.U); e > 1e-12 {
				t.Errorf("UᵀU − I = %.3g", e)
			}
			var fro float64
			for _, s := range want {
				fro += s * s
			}
			if math.Abs(got.FrobeniusSq-fro) > 1e-12*fro {
				t.Errorf("FrobeniusSq = %v, want %v", got.FrobeniusSq, fro)
			}
		})
	}
}

func TestRandomizedSVDResidualAndErrorEstimate(t *testing.T) {
	a := lowRankPlusNoise(500, 200, 15, 0.8, 1e-2, 2)
	residByQ := map[int]float64{}
	for _, q := range []int{0, 1, 3} {
		got, err := RandomizedSVD(a, RSVDOptions{K: 5, Oversample: 3, PowerIters: q, Seed: 7, WantU: true})
		if err != nil {
			t.Fatal(err)
		}
		// E = A − U Σ Vᵀ = A − QQᵀA.
		e := mat.DenseCopyOf(got.U)
		for j, s := range got.Sigma {
			for i := range 500 {
				e.Set(i, j, s*e.At(i, j))
			}
		}
		var usv mat.Dense
		usv.Mul(e, got.V.T())
		var resid mat.Dense
		resid.Sub(a, &usv)
		fro := mat.Norm(&resid, 2)
		if math.Abs(got.ResidualFrobenius-fro) > 1e-8*fro {
			t.Errorf("q=%d: ResidualFrobenius = %.12g, direct ‖A − UΣVᵀ‖_F = %.12g", q, got.ResidualFrobenius, fro)
		}
		var svd mat.SVD
		if !svd.Factorize(&resid, mat.SVDNone) {
			t.Fatal("SVD of residual failed")
		}
		spec := svd.Values(nil)[0]
		if got.ErrorEstimate < spec {
			t.Errorf("q=%d: ErrorEstimate %.6g < true spectral error %.6g", q, got.ErrorEstimate, spec)
		}
		// Each probe has ‖ω‖ < sqrt(2n) with overwhelming probability, so the
		// estimate cannot exceed 10·sqrt(2/π)·sqrt(2n)·‖E‖₂.
		if hi := 10 * math.Sqrt(2/math.Pi) * math.Sqrt(2*200) * spec; got.ErrorEstimate > hi {
			t.Errorf("q=%d: ErrorEstimate %.6g above %.6g", q, got.ErrorEstimate, hi)
		}
		t.Logf("q=%d: ‖E‖₂ = %.4g, estimate = %.4g (ratio %.2f), ‖E‖_F = %.4g", q, spec, got.ErrorEstimate, got.ErrorEstimate/spec, fro)
		residByQ[q] = got.ResidualFrobenius
	}
	// Power iterations sharpen the captured subspace (HMT 2011 Corollary 10.10).
	if residByQ[3] >= 0.8*residByQ[0] {
		t.Errorf("residual with q=3 (%.4g) is not clearly below q=0 (%.4g): are power iterations applied?", residByQ[3], residByQ[0])
	}
}

func TestRandomizedSVDExactPath(t *testing.T) {
	a := lowRankPlusNoise(60, 40, 40, 0.9, 0, 3)
	want, _, wantV := exactSVD(t, a)
	got, err := RandomizedSVD(a, RSVDOptions{K: 5, Oversample: 5, PowerIters: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sigma) != 10 {
		t.Fatalf("len(Sigma) = %d, want 10", len(got.Sigma))
	}
	if e := maxRelErr(got.Sigma, want, 10); e > 1e-13 {
		t.Errorf("exact path singular values differ by %.3g", e)
	}
	if d := colDistance(got.V, wantV, 10); d > 1e-10 {
		t.Errorf("exact path V differs by %.3g", d)
	}
	if got.ErrorEstimate != want[10] {
		t.Errorf("exact path ErrorEstimate = %v, want σ₁₁ = %v", got.ErrorEstimate, want[10])
	}
	var tail float64
	for _, s := range want[10:] {
		tail += s * s
	}
	if math.Abs(got.ResidualFrobenius-math.Sqrt(tail)) > 1e-12*math.Sqrt(tail) {
		t.Errorf("exact path ResidualFrobenius = %v, want %v", got.ResidualFrobenius, math.Sqrt(tail))
	}
	// l = min(m, n): everything is captured.
	full, err := RandomizedSVD(a, RSVDOptions{K: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Sigma) != 40 || full.ErrorEstimate != 0 || full.ResidualFrobenius != 0 {
		t.Errorf("full rank: len(Sigma) = %d, ErrorEstimate = %v, ResidualFrobenius = %v; want 40, 0, 0",
			len(full.Sigma), full.ErrorEstimate, full.ResidualFrobenius)
	}
}

func TestRandomizedSVDDeterministic(t *testing.T) {
	a := lowRankPlusNoise(400, 150, 10, 0.8, 1e-3, 4)
	opts := RSVDOptions{K: 8, PowerIters: 2, Seed: 99, WantU: true}
	x, err := RandomizedSVD(a, opts)
	if err != nil {
		t.Fatal(err)
	}
	y, err := RandomizedSVD(a, opts)
	if err != nil {
		t.Fatal(err)
	}
	same := func(p, q []float64) bool {
		if len(p) != len(q) {
			return false
		}
		for i := range p {
			if math.Float64bits(p[i]) != math.Float64bits(q[i]) {
				return false
			}
		}
		return true
	}
	if !same(x.Sigma, y.Sigma) || !same(x.V.RawMatrix().Data, y.V.RawMatrix().Data) ||
		!same(x.U.RawMatrix().Data, y.U.RawMatrix().Data) ||
		x.ErrorEstimate != y.ErrorEstimate || x.ResidualFrobenius != y.ResidualFrobenius {
		t.Error("same seed gave different results")
	}
	opts.Seed = 100
	z, err := RandomizedSVD(a, opts)
	if err != nil {
		t.Fatal(err)
	}
	if same(x.V.RawMatrix().Data, z.V.RawMatrix().Data) {
		t.Error("different seeds gave bit-identical V: the seed is not used")
	}
	if e := maxRelErr(z.Sigma, x.Sigma, 8); e > 1e-6 {
		t.Errorf("different seeds disagree on the top singular values by %.3g", e)
	}
}

func TestRandomizedSVDErrors(t *testing.T) {
	a := mat.NewDense(30, 20, nil)
	for _, tc := range []struct {
		opts RSVDOptions
		want string
	}{
		{RSVDOptions{K: 0}, "K = 0"},
		{RSVDOptions{K: -3}, "K = -3"},
		{RSVDOptions{K: 21}, "exceeds min(m, n) = 20"},
		{RSVDOptions{K: 5, Oversample: -1}, "Oversample = -1"},
	} {
		got, err := RandomizedSVD(a, tc.opts)
		if err == nil || got != nil {
			t.Errorf("%+v: got (%v, %v), want an error", tc.opts, got, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %q does not mention %q", tc.opts, err, tc.want)
		}
	}
}

func TestAutoPowerIters(t *testing.T) {
	for _, tc := range []struct{ k, minDim, want int }{
		{20, 300, 7}, {29, 300, 7}, {30, 300, 4}, {50, 300, 4},
	} {
		if got := autoPowerIters(tc.k, tc.minDim); got != tc.want {
			t.Errorf("autoPowerIters(%d, %d) = %d, want %d", tc.k, tc.minDim, got, tc.want)
		}
	}
}
