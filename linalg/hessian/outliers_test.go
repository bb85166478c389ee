package hessian

import (
	"math"
	"testing"

	"github.com/lowdim/lowdim/linalg/nn"
)

func TestOutliersRule(t *testing.T) {
	for _, c := range []struct {
		values []float64
		max    int
		want   int
		edge   float64
	}{
		{[]float64{10, 9, 8, 1, 0.9, 0.8}, 5, 3, 1},
		{[]float64{0.8, 10, 1, 9, 0.9, 8}, 5, 3, 1}, // any order
		{[]float64{10, 9, 8, 1, 0.9, 0.8}, 2, 2, 8}, // the cap keeps the split among the top 3
		{[]float64{5, 4, 0, 0, -1}, 4, 2, 0},        // zeros after the outliers
		{[]float64{4, 2, 1, 0.5, 0.25}, 4, 1, 2},    // no edge: ties go to the first
		{[]float64{-1, -2}, 1, 0, -1},
	} {
		s, err := Outliers(c.values, c.max)
		if err != nil {
			t.Fatal(err)
		}
		if s.Outliers != c.want || s.Edge != c.edge {
			t.Errorf("Outliers(%v, %d) = %+v, want %d outliers, edge %v", c.values, c.max, s, c.want, c.edge)
		}
	}
	if _, err := Outliers([]float64{1}, 1); err == nil {
		t.Errorf("one eigenvalue accepted")
	}
}

// TestOutliersTrained: Sagun et al.'s picture on digits. A 64-12-8-10
// network trained on 200 digits has a bulk near zero and C − 1 = 9 outliers
// for C = 10 classes, found alike from the exact spectrum and from Lanczos'
// top 21; the jump at the edge is ≥ 3×. At initialisation there is no such
// structure (logged).
func TestOutliersTrained(t *testing.T) {
	m := nn.NewMLP(64, []int{12, 8}, 10)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 1)
	data := digits(t, 200, 1.0/16)
	h := mustCrossEntropy(t, m, theta, split(data, 2), AllLayers, 2)
	ex, err := Lanczos(h, LanczosOptions{K: 21, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	s0, err := Outliers(ex.Top, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("at initialisation: %+v; top %.3g", s0, ex.Top[:12])

	p := nn.NewFull(theta)
	res, err := nn.Train(m, p, data, nn.Data{}, nn.TrainConfig{Epochs: 20, BatchSize: 32, Optimizer: "adam", LR: 0.01, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	trained := p.Theta()
	h = mustCrossEntropy(t, m, trained, split(data, 2), AllLayers, 2)
	spec, err := Exact(h)
	if err != nil {
		t.Fatal(err)
	}
	ex, err = Lanczos(h, LanczosOptions{K: 21, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	fromExact, err := Outliers(spec.Top(21), 20)
	if err != nil {
		t.Fatal(err)
	}
	fromLanczos, err := Outliers(ex.Top, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained (loss %.3g): exact %+v, Lanczos %+v (%d steps); top %.3g; smallest %.3g",
		res.TrainLoss, fromExact, fromLanczos, ex.Steps, spec.Top(12), spec.Values[0])
	if fromExact.Outliers != 9 || fromLanczos.Outliers != 9 || fromExact.Gap < 3 {
		t.Errorf("trained network: %d (exact) and %d (Lanczos) outliers with gap %.3g, want 9 and a gap ≥ 3", fromExact.Outliers, fromLanczos.Outliers, fromExact.Gap)
	}
	if math.Abs(fromExact.Edge-fromLanczos.Edge) > 1e-6*spec.Top(1)[0] {
		t.Errorf("bulk edge %v (exact) vs %v (Lanczos)", fromExact.Edge, fromLanczos.Edge)
	}
}
