package idest

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestMiNDMatchesNumPy(t *testing.T) {
	for _, c := range loadDANCoGolden(t).MiND {
		t.Run(c.Name, func(t *testing.T) {
			x := mat.NewDense(c.Rows, c.Cols, c.X)
			rhos, err := MiNDRatios(x, c.K)
			if err != nil {
				t.Fatal(err)
			}
			if len(rhos) != len(c.Rho) {
				t.Fatalf("%d ratios, NumPy %d", len(rhos), len(c.Rho))
			}
			var worst float64
			for i := range rhos {
				worst = max(worst, dancoRelErr(rhos[i], c.Rho[i]))
			}
			if worst > 1e-12 {
				t.Errorf("ratios differ from NumPy by up to %.3g", worst)
			}
			for i, d := range []float64{0.5, 1, 2.5, float64(c.MaxDim)} {
				if got := MiNDLogLikelihood(rhos, c.K, d); dancoRelErr(got, c.LogLik[i]) > 1e-12 {
					t.Errorf("ℓ(%v) = %.15g, NumPy %.15g", d, got, c.LogLik[i])
				}
			}
			est, err := MiNDML(x, c.K, c.MaxDim)
			if err != nil {
				t.Fatal(err)
			}
			if est.MLi != c.MLi || math.Abs(est.MLk-c.MLk) > 1e-9 || est.N != c.Rows {
				t.Errorf("MiND %+v, NumPy MLi %d MLk %.15g", est, c.MLi, c.MLk)
			}
			if math.Abs(est.MLk-c.MLkLBFGSB) > 1e-5*est.MLk {
				t.Errorf("MLk %.12g, skdim's L-BFGS-B %.12g", est.MLk, c.MLkLBFGSB)
			}
			t.Logf("MLi %d, MLk %.12f (NumPy %.12f, L-BFGS-B %.12f)", est.MLi, est.MLk, c.MLk, c.MLkLBFGSB)
		})
	}
}

func TestMiNDRecoversDimension(t *testing.T) {
	for _, c := range []struct {
		name string
		x    *mat.Dense
		d    int
	}{
		{"3-sphere", embedded(2000, 3, 12, true, 21), 3},
		{"5-ball", dancoUniformBall(2000, 5, 12, 22), 5},
		{"8-gaussian", embedded(2000, 8, 12, false, 23), 8},
	} {
		est, err := MiNDML(c.x, DefaultMiNDK, DefaultMiNDMaxDim)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(est.MLk-float64(c.d)) > 0.1*float64(c.d) || math.Abs(float64(est.MLi-c.d)) > 1 {
			t.Errorf("%s: MiND %+v, want d = %d", c.name, est, c.d)
		}
		t.Logf("%s: MLi %d, MLk %.3f", c.name, est.MLi, est.MLk)
	}
}

func TestMiNDMLkMaximisesLikelihood(t *testing.T) {
	rhos, err := MiNDRatios(dancoUniformBall(500, 4, 6, 24), 10)
	if err != nil {
		t.Fatal(err)
	}
	d, err := MiNDMLk(rhos, 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	best := MiNDLogLikelihood(rhos, 10, d)
	for _, step := range []float64{1e-6, 1e-3, 0.1, 1} {
		for _, e := range []float64{d - step, d + step} {
			if l := MiNDLogLikelihood(rhos, 10, e); l > best {
				t.Errorf("ℓ(%v) = %v > ℓ(MLk = %v) = %v", e, l, d, best)
			}
		}
	}
	mli, _ := MiNDMLi(rhos, 10, 20)
	if math.Abs(float64(mli)-d) > 1 {
		t.Errorf("MLi %d is not an integer next to MLk %v", mli, d)
	}
	// A bound below the maximiser caps both estimates.
	if capped, _ := MiNDMLk(rhos, 10, 2); capped != 2 {
		t.Errorf("MLk with maximal dimension 2 = %v, want 2", capped)
	}
	if capped, _ := MiNDMLi(rhos, 10, 2); capped != 2 {
		t.Errorf("MLi with maximal dimension 2 = %v, want 2", capped)
	}
}

func TestMiNDDropsDuplicates(t *testing.T) {
	x := dancoUniformBall(300, 3, 5, 25)
	doubled := mat.NewDense(600, 5, nil)
	doubled.Stack(x, x)
	a, err := MiNDML(x, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MiNDML(doubled, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("with every row twice %+v, once %+v", b, a)
	}
}

func TestMiNDErrors(t *testing.T) {
	x := dancoUniformBall(12, 2, 3, 26)
	if _, err := MiNDRatios(x, 0); err == nil {
		t.Error("k = 0: no error")
	}
	if _, err := MiNDRatios(x, 11); err == nil {
		t.Error("k+1 ≥ distinct rows: no error")
	}
	if _, err := MiNDML(x, 3, 0); err == nil {
		t.Error("maximal dimension 0: no error")
	}
	if _, err := MiNDMLk(nil, 3, 5); err == nil {
		t.Error("no ratios: no error")
	}
	if _, err := MiNDMLi([]float64{0.5, 1}, 3, 5); err == nil {
		t.Error("ratio 1: no error")
	}
}
