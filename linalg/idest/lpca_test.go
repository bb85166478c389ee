package idest

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestLPCAGolden(t *testing.T) {
	for _, s := range goldens(t) {
		k := field[int](t, s.LPCA, "k")
		for _, rule := range []string{FukunagaOlsen, Fan, MaxGap} {
			p := DefaultLPCA.WithRule(rule)
			got, err := p.Local(s.graph, k, 2)
			if err != nil {
				t.Fatal(err)
			}
			e := checkClose(t, s.Name+" lPCA "+rule, got, field[[]float64](t, s.LPCA, rule))
			mean, _ := p.LocalMean(s.graph, k, 1)
			glob, err := p.Global(s.x)
			if err != nil {
				t.Fatal(err)
			}
			wantMean, wantGlobal := field[float64](t, s.LPCA, "mean_"+rule), field[float64](t, s.LPCA, "global_"+rule)
			if relErr(mean.Value, wantMean) > goldenTol || glob.Value != wantGlobal {
				t.Errorf("%s %s: local mean %v, global %v; want %v, %v", s.Name, rule, mean.Value, glob.Value, wantMean, wantGlobal)
			}
			// Moments merged over two shards give the global value.
			a, b := NewMoments(s.Dim), NewMoments(s.Dim)
			a.Add(s.x.Slice(0, s.N/3, 0, s.Dim))
			b.Add(s.x.Slice(s.N/3, s.N, 0, s.Dim))
			a.Merge(b)
			if m, err := p.Moments(a); err != nil || m.Value != wantGlobal {
				t.Errorf("%s %s: from merged moments %v (%v), want %v", s.Name, rule, m.Value, err, wantGlobal)
			}
			t.Logf("%s lPCA %-6s per-row max rel. error %.2g, local mean %.3f, global %v", s.Name, rule, e, mean.Value, glob.Value)
		}
	}
}

// TestPCARules: the rules on hand-made spectra.
func TestPCARules(t *testing.T) {
	for _, c := range []struct {
		rule string
		lam  []float64
		want float64
	}{
		{FukunagaOlsen, []float64{10, 5, 0.6, 0.4}, 3}, // 0.6 > 0.5 ≥ 0.4
		{FukunagaOlsen, []float64{10, 5, 0.5, 0.4}, 2}, // strict >
		{MaxGap, []float64{10, 9, 1, 0.9}, 2},          // 9/1
		{MaxGap, []float64{4, 4, 4, 1e-20, 0, 0}, 3},   // noise set to 0: 4/0
		{MaxGap, []float64{0, 0}, math.NaN()},          // 0/0 only
		{Fan, []float64{100, 1, 1, 1}, 1},              // λ₁ > 0.95 Σλ
		// Cases checked with the NumPy rule of scripts/make_idest_goldens.py:
		{Fan, []float64{5, 4, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 2},             // β test at the 2nd
		{Fan, []float64{10, 10, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05}, 1}, // r = 1 takes λ₂ into σ
		{Fan, []float64{3, 1, 0.9, 0.05, 0.04, 0.03, 0.02, 0.01}, 2},
		{Fan, []float64{1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, 4}, // β test at the 4th of 5 equal
	} {
		got, err := DefaultLPCA.WithRule(c.rule).Dimension(c.lam)
		if err != nil || relErr(got, c.want) != 0 {
			t.Errorf("%s%v = %v (%v), want %v", c.rule, c.lam, got, err, c.want)
		}
	}
	if _, err := DefaultLPCA.Dimension([]float64{1}); err == nil {
		t.Error("one eigenvalue accepted")
	}
}

// TestCovarianceEigenvaluesWide: with fewer rows than columns the
// eigenvalues come from VVᵀ; they equal the squared singular values of V
// over n−1, both ways round.
func TestCovarianceEigenvaluesWide(t *testing.T) {
	for _, shape := range [][2]int{{30, 50}, {50, 30}} {
		x := centred(uniformCube(shape[0], min(shape[0], shape[1]), shape[1], 4))
		got, err := covarianceEigenvalues(x)
		if err != nil {
			t.Fatal(err)
		}
		var svd mat.SVD
		svd.Factorize(x, mat.SVDNone)
		sv := svd.Values(nil)
		want := min(shape[0]-1, shape[1])
		if len(got) != want {
			t.Fatalf("%v: %d eigenvalues, want %d", shape, len(got), want)
		}
		for i, v := range got {
			w := sv[i] * sv[i] / float64(shape[0]-1)
			if math.Abs(v-w) > 1e-12*sv[0]*sv[0] {
				t.Errorf("%v: eigenvalue %d = %v, want %v", shape, i, v, w)
			}
		}
	}
}
