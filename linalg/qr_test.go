package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestOrthonormalize(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	a := gaussian(rnd, 300, 12)
	q := mat.DenseCopyOf(a)
	Orthonormalize(q)
	if e := orthonormalityError(q); e > 1e-13 {
		t.Errorf("QᵀQ − I = %.3g", e)
	}
	// Q spans the columns of a: QQᵀa = a.
	var qta, proj, diff mat.Dense
	qta.Mul(q.T(), a)
	proj.Mul(q, &qta)
	diff.Sub(&proj, a)
	if e := mat.Norm(&diff, 2) / mat.Norm(a, 2); e > 1e-13 {
		t.Errorf("‖QQᵀa − a‖/‖a‖ = %.3g", e)
	}
	// R = Qᵀa is upper triangular (Householder QR keeps nested spans).
	for i := range 12 {
		for j := range i {
			if v := qta.At(i, j); v > 1e-12 || v < -1e-12 {
				t.Fatalf("(Qᵀa)[%d,%d] = %.3g, want 0", i, j, v)
			}
		}
	}
}

func TestOrthonormalizeRankDeficient(t *testing.T) {
	// Rank 2 with a zero column: Q must still be orthonormal.
	rnd := rand.New(rand.NewPCG(6, 6))
	x := gaussian(rnd, 200, 2)
	w := mat.NewDense(2, 8, []float64{
		1, 0, 1, 2, 0, -1, 3, 1,
		0, 1, 1, -1, 0, 2, 1, 1,
	})
	a := new(mat.Dense)
	a.Mul(x, w)
	var work qrWork
	work.orthonormalize(a)
	if e := orthonormalityError(a); e > 1e-13 {
		t.Errorf("QᵀQ − I = %.3g for a rank-deficient input", e)
	}
	// Reusing the workspace on another shape.
	b := gaussian(rnd, 50, 20)
	work.orthonormalize(b)
	if e := orthonormalityError(b); e > 1e-13 {
		t.Errorf("QᵀQ − I = %.3g after workspace reuse", e)
	}
}

func TestOrthonormalizePanicsOnWide(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a wide matrix")
		}
	}()
	Orthonormalize(mat.NewDense(3, 4, nil))
}

// conditionedMatrix returns U·diag(σ)·Vᵀ (m×l) with U, V random orthonormal
// and σ geometric from 1 down to 1/cond.
func conditionedMatrix(rnd *rand.Rand, m, l int, cond float64) *mat.Dense {
	u := gaussian(rnd, m, l)
	v := gaussian(rnd, l, l)
	var hw qrWork
	hw.householder(u)
	hw.householder(v)
	for j := range l {
		s := math.Pow(cond, -float64(j)/float64(l-1))
		for i := range m {
			u.Set(i, j, s*u.At(i, j))
		}
	}
	a := mat.NewDense(m, l, nil)
	a.Mul(u, v.T())
	return a
}

// checkQR checks that q (from a) is orthonormal to 1e-14 and that a = Q·R
// with R = Qᵀa upper triangular, both relative to ‖a‖ within tol.
func checkQR(t *testing.T, name string, a, q *mat.Dense, tol float64) {
	t.Helper()
	if e := orthonormalityError(q); e > 1e-14 {
		t.Errorf("%s: ‖QᵀQ − I‖_max = %.3g", name, e)
	}
	var r, qr mat.Dense
	r.Mul(q.T(), a)
	qr.Mul(q, &r)
	qr.Sub(&qr, a)
	norm := mat.Norm(a, 2)
	if e := mat.Norm(&qr, 2) / norm; e > tol {
		t.Errorf("%s: ‖Q·Qᵀa − a‖₂/‖a‖₂ = %.3g", name, e)
	}
	_, l := a.Dims()
	for i := range l {
		for j := range i {
			if v := math.Abs(r.At(i, j)) / norm; v > tol {
				t.Errorf("%s: (Qᵀa)[%d,%d]/‖a‖ = %.3g, want 0 (R upper triangular)", name, i, j, v)
				return
			}
		}
	}
}

// TestOrthonormalizeConditioned sweeps κ₂(a) and checks every route
// (CholeskyQR2, shifted CholeskyQR3, Householder) is taken where expected
// and gives an orthonormal Q with a = Q·R.
func TestOrthonormalizeConditioned(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	const m, l = 3000, 30
	for _, tc := range []struct {
		cond float64
		want qrRoute
	}{
		{1, routeCholQR2},
		{1e3, routeCholQR2},
		{1e4, routeCholQR2},
		{1e7, routeShiftedCholQR3},
		{1e9, routeShiftedCholQR3},
		{1e15, routeHouseholder},
		{1e18, routeHouseholder},
	} {
		a := conditionedMatrix(rnd, m, l, tc.cond)
		q := mat.DenseCopyOf(a)
		var w qrWork
		w.orthonormalize(q)
		name := fmt.Sprintf("κ=%.0e", tc.cond)
		if w.route != tc.want {
			t.Errorf("%s: route %d, want %d", name, w.route, tc.want)
		}
		checkQR(t, name, a, q, 1e-13)
	}
}

// TestOrthonormalizeExactLowRank orthonormalises the sketch of an exactly
// rank-5 matrix with l = 30 after power iterations, where σ_6…σ_30 of the
// sketch are rounding noise: Q must still be orthonormal and span range(A).
func TestOrthonormalizeExactLowRank(t *testing.T) {
	rnd := rand.New(rand.NewPCG(8, 8))
	const m, n, r, l = 4000, 300, 5, 30
	var a mat.Dense
	a.Mul(gaussian(rnd, m, r), gaussian(rnd, r, n))
	y := mat.NewDense(m, l, nil)
	z := mat.NewDense(n, l, nil)
	MulTallSkinny(y, &a, gaussian(rnd, n, l))
	var w qrWork
	w.orthonormalize(y)
	for range 2 {
		MulTransTallSkinny(z, &a, y)
		w.orthonormalize(z)
		if e := orthonormalityError(z); e > 1e-14 {
			t.Errorf("‖ZᵀZ − I‖_max = %.3g (route %d)", e, w.route)
		}
		MulTallSkinny(y, &a, z)
		y0 := mat.DenseCopyOf(y)
		w.orthonormalize(y)
		if w.route != routeHouseholder {
			t.Errorf("rank-%d sketch took route %d, want Householder", r, w.route)
		}
		checkQR(t, "rank 5", y0, y, 1e-13)
	}
	// range(A) ⊂ range(Q): ‖A − QQᵀA‖ ≈ 0.
	var qta, res mat.Dense
	qta.Mul(y.T(), &a)
	res.Mul(y, &qta)
	res.Sub(&res, &a)
	if e := mat.Norm(&res, 2) / mat.Norm(&a, 2); e > 1e-13 {
		t.Errorf("‖A − QQᵀA‖/‖A‖ = %.3g", e)
	}
}

// TestRandomizedSVDExactLowRank checks RandomizedSVD on an exactly rank-5
// matrix with l = 30: the five singular values match the exact ones, the rest
// vanish, U and V are orthonormal and the residual is ~0.
func TestRandomizedSVDExactLowRank(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	const m, n, r = 3000, 200, 5
	var a mat.Dense
	a.Mul(gaussian(rnd, m, r), gaussian(rnd, r, n))
	exact, _, _ := exactSVD(t, &a)
	for _, q := range []int{0, 2, 7} {
		res, err := RandomizedSVD(&a, RSVDOptions{K: 20, PowerIters: q, Seed: 1, WantU: true})
		if err != nil {
			t.Fatal(err)
		}
		if e := maxRelErr(res.Sigma, exact, r); e > 1e-12 {
			t.Errorf("q=%d: top-%d σ relative error %.3g", q, r, e)
		}
		if tail := res.Sigma[r] / res.Sigma[0]; tail > 1e-13 {
			t.Errorf("q=%d: σ_%d/σ_1 = %.3g, want ≈ 0", q, r+1, tail)
		}
		if e := orthonormalityError(res.U); e > 1e-13 {
			t.Errorf("q=%d: ‖UᵀU − I‖ = %.3g", q, e)
		}
		if e := orthonormalityError(res.V); e > 1e-13 {
			t.Errorf("q=%d: ‖VᵀV − I‖ = %.3g", q, e)
		}
		if res.ErrorEstimate/res.Sigma[0] > 1e-12 {
			t.Errorf("q=%d: error estimate %.3g for an exactly captured range", q, res.ErrorEstimate)
		}
	}
}

// TestOrthonormalizeDeterministic checks that every route and frobeniusSq are
// bit-for-bit identical across GOMAXPROCS = 1, 2, 3, on sizes large enough
// for the products to run in parallel.
func TestOrthonormalizeDeterministic(t *testing.T) {
	rnd := rand.New(rand.NewPCG(10, 10))
	const m, l = 20000, 30
	inputs := []*mat.Dense{
		conditionedMatrix(rnd, m, l, 10),
		conditionedMatrix(rnd, m, l, 1e8),
		conditionedMatrix(rnd, m, l, 1e17),
	}
	big := gaussian(rnd, 3001, 257)
	run := func() ([]*mat.Dense, []qrRoute, float64) {
		var out []*mat.Dense
		var routes []qrRoute
		for _, a := range inputs {
			q := mat.DenseCopyOf(a)
			var w qrWork
			w.orthonormalize(q)
			out = append(out, q)
			routes = append(routes, w.route)
		}
		return out, routes, frobeniusSq(big)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	want, wantRoutes, wantF := run()
	if wantRoutes[0] != routeCholQR2 || wantRoutes[1] != routeShiftedCholQR3 || wantRoutes[2] != routeHouseholder {
		t.Errorf("routes %v do not cover CholeskyQR2, shifted CholeskyQR3, Householder", wantRoutes)
	}
	var plain float64
	for _, x := range big.RawMatrix().Data {
		plain += x * x
	}
	if math.Abs(wantF-plain) > 1e-13*plain {
		t.Errorf("frobeniusSq = %v, sequential sum %v", wantF, plain)
	}
	if f := frobeniusSq(big.T()); f != wantF {
		t.Errorf("frobeniusSq(Aᵀ) = %v, frobeniusSq(A) = %v", f, wantF)
	}
	for _, procs := range []int{2, 3, 1} {
		runtime.GOMAXPROCS(procs)
		got, routes, f := run()
		for i := range got {
			if routes[i] != wantRoutes[i] || !mat.Equal(got[i], want[i]) {
				t.Errorf("GOMAXPROCS=%d: input %d not bit-identical (route %d vs %d)", procs, i, routes[i], wantRoutes[i])
			}
		}
		if math.Float64bits(f) != math.Float64bits(wantF) {
			t.Errorf("GOMAXPROCS=%d: frobeniusSq %v, want %v", procs, f, wantF)
		}
	}
}

// BenchmarkOrthonormalize times the thin QR of a tall Gaussian sketch:
// "auto" is orthonormalize (CholeskyQR2 here), "householder" the Dgeqrf +
// Dorgqr route it replaces.
func BenchmarkOrthonormalize(b *testing.B) {
	rnd := rand.New(rand.NewPCG(11, 11))
	for _, shape := range [][2]int{{100000, 30}, {20000, 30}, {1000, 30}} {
		a := gaussian(rnd, shape[0], shape[1])
		q := mat.NewDense(shape[0], shape[1], nil)
		for _, impl := range []string{"auto", "householder"} {
			b.Run(fmt.Sprintf("%dx%d/%s", shape[0], shape[1], impl), func(b *testing.B) {
				var w qrWork
				for b.Loop() {
					q.Copy(a)
					if impl == "auto" {
						w.orthonormalize(q)
					} else {
						w.householder(q)
					}
				}
			})
		}
	}
}
