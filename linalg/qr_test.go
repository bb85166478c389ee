package linalg

import (
	"math/rand/v2"
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
