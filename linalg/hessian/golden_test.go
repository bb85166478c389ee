package hessian

import (
	"math"
	"testing"
)

// TestLogisticGolden: for multinomial logistic regression on 200 digits the
// exact method's eigenvalues equal those of the closed-form Hessian
// (1/N) Σᵢ (diag pᵢ − pᵢpᵢᵀ) ⊗ x̃ᵢx̃ᵢᵀ built by the NumPy script, and one
// product equals the script's H v in the checkpoint's parameter order.
func TestLogisticGolden(t *testing.T) {
	g := readGolden(t, "logistic.json")
	checkGolden(t, g, 1e-8)
}

// TestMLPGolden: the same for a 64-12-8-10 ReLU network against the script's
// complex-step Hessian (an independent route: backpropagation in complex
// arithmetic, not the R-operator), including each layer's diagonal block.
func TestMLPGolden(t *testing.T) {
	g := readGolden(t, "mlp.json")
	checkGolden(t, g, 1e-8)
}

func checkGolden(t *testing.T, g golden, tol float64) {
	m := newModel(g.Sizes)
	if m.NumParams() != len(g.Theta) {
		t.Fatalf("%s: D = %d, golden θ has %d", g.Name, m.NumParams(), len(g.Theta))
	}
	data := digits(t, g.Rows, g.Scale)
	h := mustCrossEntropy(t, m, g.Theta, split(data, 1), AllLayers, 1)

	if e := relDiff(mulVec(t, h, g.V), g.HV); e > 1e-12 {
		t.Errorf("%s: ‖Hv − Hv_golden‖/‖Hv_golden‖ = %.3g", g.Name, e)
	}
	spec, err := Exact(h)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Asymmetry > 1e-12 {
		t.Errorf("%s: asymmetry %.3g", g.Name, spec.Asymmetry)
	}
	top, want := spec.Top(20), descending(g.Eigenvalues, 20)
	var worst float64
	for i := range top {
		worst = max(worst, math.Abs(top[i]-want[i])/math.Abs(want[i]))
	}
	if worst > tol {
		t.Errorf("%s: top-20 eigenvalues off by %.3g relative, want ≤ %g", g.Name, worst, tol)
	}
	// All eigenvalues, including the near-zero bulk, to ‖H‖-relative accuracy.
	var all float64
	for i, v := range spec.Values {
		all = max(all, math.Abs(v-g.Eigenvalues[i]))
	}
	all /= want[0]
	if all > 1e-12 {
		t.Errorf("%s: all eigenvalues off by %.3g·λ_max", g.Name, all)
	}
	if e := math.Abs(spec.Trace()-g.Trace) / g.Trace; e > 1e-12 {
		t.Errorf("%s: trace %v, golden %v", g.Name, spec.Trace(), g.Trace)
	}
	t.Logf("%s D=%d: top-20 worst relative error %.2g, all eigenvalues %.2g·λ_max, λ_max %.6g, asymmetry %.2g",
		g.Name, len(g.Theta), worst, all, top[0], spec.Asymmetry)

	for l, wantEig := range g.LayerEigenvalues {
		hl := mustCrossEntropy(t, m, g.Theta, split(data, 1), l, 1)
		s, err := Exact(hl)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Values) != len(wantEig) {
			t.Fatalf("%s layer %d: %d eigenvalues, golden %d", g.Name, l, len(s.Values), len(wantEig))
		}
		var e float64
		for i, v := range s.Values {
			e = max(e, math.Abs(v-wantEig[i]))
		}
		if e /= wantEig[len(wantEig)-1]; e > 1e-12 {
			t.Errorf("%s layer %d block: eigenvalues off by %.3g·λ_max", g.Name, l, e)
		}
	}
}
