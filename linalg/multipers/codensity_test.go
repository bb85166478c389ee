package multipers

import (
	"math"
	"testing"
)

func TestCodensityGoldens(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			knn, err := KNNCodensity(g.points, g.N, g.Dim, g.FKNN.K)
			if err != nil {
				t.Fatal(err)
			}
			gauss, err := GaussianCodensity(g.points, g.N, g.Dim, g.FGaussian.Bandwidth)
			if err != nil {
				t.Fatal(err)
			}
			var worstKNN, worstGauss float64
			for i := range knn {
				worstKNN = max(worstKNN, relErr(knn[i], g.FKNN.Values[i]))
				worstGauss = max(worstGauss, relErr(gauss[i], g.FGaussian.Values[i]))
			}
			t.Logf("k=%d: max rel. error %.2g; h=%v: max rel. error %.2g", g.FKNN.K, worstKNN, g.FGaussian.Bandwidth, worstGauss)
			if !(worstKNN <= 1e-13) {
				t.Errorf("kNN codensity differs from sklearn by %g", worstKNN)
			}
			if !(worstGauss <= 1e-13) {
				t.Errorf("Gaussian codensity differs from numpy by %g", worstGauss)
			}
		})
	}
}

func TestCodensitySmall(t *testing.T) {
	// Four points on a line at 0, 1, 3, 3 (a duplicate).
	points := []float64{0, 1, 3, 3}
	knn, err := KNNCodensity(points, 4, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1, 1, 0, 0} {
		if knn[i] != want {
			t.Errorf("1-NN distance of point %d = %v, want %v (duplicates are other points)", i, knn[i], want)
		}
	}
	knn, _ = KNNCodensity(points, 4, 1, 3)
	for i, want := range []float64{3, 2, 3, 3} {
		if knn[i] != want {
			t.Errorf("3-NN distance of point %d = %v, want %v", i, knn[i], want)
		}
	}
	// h = 1: point 0 sees exp(0) + exp(−1/2) + 2·exp(−9/2).
	gauss, err := GaussianCodensity(points, 4, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := -(1 + math.Exp(-0.5) + 2*math.Exp(-4.5)) / 4
	if math.Abs(gauss[0]-want) > 1e-15 {
		t.Errorf("Gaussian codensity of point 0 = %v, want %v (self included, 1/n)", gauss[0], want)
	}
	if !(gauss[2] < gauss[0]) {
		t.Errorf("the duplicated point should be denser: f = %v vs %v", gauss[2], gauss[0])
	}
}

func TestCodensityErrors(t *testing.T) {
	points := []float64{0, 0, 1, 1, 2, math.NaN()}
	if _, err := KNNCodensity(points, 3, 2, 1); err == nil {
		t.Error("NaN coordinate accepted")
	}
	points[5] = 2
	for _, k := range []int{0, 3} {
		if _, err := KNNCodensity(points, 3, 2, k); err == nil {
			t.Errorf("k = %d accepted for 3 points", k)
		}
	}
	if _, err := KNNCodensity(points, 2, 2, 1); err == nil {
		t.Error("wrong coordinate count accepted")
	}
	for _, h := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := GaussianCodensity(points, 3, 2, h); err == nil {
			t.Errorf("bandwidth %v accepted", h)
		}
	}
}
