package heavytail

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// golden is testdata/heavytail/golden.json, written by
// scripts/make_heavytail_goldens.py (an independent NumPy implementation).
type golden struct {
	Spectra []goldenSpectrum `json:"spectra"`
	Matrix  struct {
		Rows, Cols int
		Data       []float64
		Lambda     []float64
		Fit        *goldenFit
		Metrics    goldenMetrics
	} `json:"matrix"`
}

type goldenSpectrum struct {
	Kind    string        `json:"kind"`
	MinTail int           `json:"min_tail"`
	Lambda  []float64     `json:"lambda"`
	Fit     *goldenFit    `json:"fit"`
	Metrics goldenMetrics `json:"metrics"`
	RankCut *struct {
		Ranks []int     `json:"ranks"`
		Kept  []float64 `json:"kept"`
	} `json:"rank_cut"`
}

type goldenFit struct {
	Alpha      float64  `json:"alpha"`
	Xmin       float64  `json:"xmin"`
	KS         float64  `json:"ks"`
	Tail       int      `json:"tail"`
	KSRunnerUp *float64 `json:"ks_runner_up"`
}

type goldenMetrics struct {
	AlphaWeighted   *float64 `json:"alpha_weighted"`
	LogAlphaNorm    *float64 `json:"log_alpha_norm"`
	LogSpectralNorm float64  `json:"log_spectral_norm"`
	LogNorm         float64  `json:"log_norm"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("../../testdata/heavytail/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Abs(want)
}

// checkFit compares a fit with the NumPy golden: α to 1e-9 relative, KS to
// 1e-9 absolute, xmin and the tail size exactly. When the runner-up's D is
// within 1e-12 of the best (a near-tie rounding could flip) the xmin is not
// compared; the script reports that no golden spectrum has one.
func checkFit(t *testing.T, fit PowerLaw, err error, want *goldenFit) {
	t.Helper()
	if want == nil {
		if !errors.Is(err, ErrNoFit) {
			t.Errorf("want no fit, got %+v, %v", fit, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("want %+v, got error %v", *want, err)
	}
	if want.KSRunnerUp != nil && *want.KSRunnerUp-want.KS < 1e-12 {
		t.Logf("near-tie in D (%.3g): xmin not compared", *want.KSRunnerUp-want.KS)
		return
	}
	if fit.Xmin != want.Xmin || fit.Tail != want.Tail {
		t.Errorf("xmin, tail = %v, %d; want %v, %d", fit.Xmin, fit.Tail, want.Xmin, want.Tail)
	}
	if e := relErr(fit.Alpha, want.Alpha); e > 1e-9 {
		t.Errorf("alpha = %.17g, want %.17g (rel err %.2g)", fit.Alpha, want.Alpha, e)
	}
	if e := math.Abs(fit.KS - want.KS); e > 1e-9 {
		t.Errorf("ks = %.17g, want %.17g (err %.2g)", fit.KS, want.KS, e)
	}
}

// TestFitPowerLawGolden checks FitPowerLaw on the golden spectra: Pareto
// tails, Marchenko–Pastur bulks with tails, ties, zeros, short tails (exactly
// minTail values, one fewer), constant tails and random draws.
func TestFitPowerLawGolden(t *testing.T) {
	g := loadGolden(t)
	if len(g.Spectra) < 50 {
		t.Fatalf("%d golden spectra, want ≥ 50", len(g.Spectra))
	}
	var fits, noFits int
	var worstAlpha, worstKS float64
	for _, s := range g.Spectra {
		t.Run(s.Kind, func(t *testing.T) {
			fit, err := FitPowerLaw(s.Lambda, s.MinTail)
			checkFit(t, fit, err, s.Fit)
			if s.Fit == nil {
				noFits++
				return
			}
			fits++
			worstAlpha = max(worstAlpha, relErr(fit.Alpha, s.Fit.Alpha))
			worstKS = max(worstKS, math.Abs(fit.KS-s.Fit.KS))
		})
	}
	t.Logf("%d fits, %d without fit; max rel err α %.2g, max abs err D %.2g", fits, noFits, worstAlpha, worstKS)
	if noFits < 4 {
		t.Errorf("only %d no-fit cases in the golden file", noFits)
	}
}

// TestMetricsGolden checks WeightWatcher's metrics and the rank-cut profile
// against the NumPy definitions, to 1e-12 (1e-9 where α enters).
func TestMetricsGolden(t *testing.T) {
	g := loadGolden(t)
	for _, s := range g.Spectra {
		if s.RankCut == nil { // no positive λ
			if _, err := ComputeMetrics(s.Lambda, s.MinTail); err == nil {
				t.Errorf("%s: ComputeMetrics of a zero spectrum: want an error", s.Kind)
			}
			continue
		}
		t.Run(s.Kind, func(t *testing.T) {
			m, err := ComputeMetrics(s.Lambda, s.MinTail)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(m.LogNorm - s.Metrics.LogNorm); e > 1e-12 {
				t.Errorf("log_norm = %v, want %v", m.LogNorm, s.Metrics.LogNorm)
			}
			if e := math.Abs(m.LogSpectralNorm - s.Metrics.LogSpectralNorm); e > 1e-12 {
				t.Errorf("log_spectral_norm = %v, want %v", m.LogSpectralNorm, s.Metrics.LogSpectralNorm)
			}
			if m.Fitted != (s.Fit != nil) {
				t.Fatalf("Fitted = %v, want %v", m.Fitted, s.Fit != nil)
			}
			if m.Fitted {
				if e := relErr(m.AlphaWeighted, *s.Metrics.AlphaWeighted); e > 1e-9 {
					t.Errorf("alpha_weighted = %v, want %v", m.AlphaWeighted, *s.Metrics.AlphaWeighted)
				}
				if e := relErr(m.LogAlphaNorm, *s.Metrics.LogAlphaNorm); e > 1e-9 {
					t.Errorf("log_alpha_norm = %v, want %v", m.LogAlphaNorm, *s.Metrics.LogAlphaNorm)
				}
			}
			sorted := sortedDescending(s.Lambda)
			kept, err := KeptEnergy(nil, sorted, s.RankCut.Ranks)
			if err != nil {
				t.Fatal(err)
			}
			for k, r := range s.RankCut.Ranks {
				if e := math.Abs(kept[k] - s.RankCut.Kept[k]); e > 1e-12 {
					t.Errorf("kept(r=%d) = %v, want %v", r, kept[k], s.RankCut.Kept[k])
				}
			}
		})
	}
}

// TestGoldenMatrixChain runs the whole chain W → λ → fit → metrics on the
// golden heavy-tailed 90×60 matrix and compares with np.linalg.svd.
func TestGoldenMatrixChain(t *testing.T) {
	g := loadGolden(t).Matrix
	w := mat.NewDense(g.Rows, g.Cols, g.Data)
	lambda, err := SquaredSingularValues(w)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range g.Lambda {
		if e := relErr(lambda[i], want); e > 1e-10 && math.Abs(lambda[i]-want) > 1e-13*g.Lambda[0] {
			t.Errorf("λ[%d] = %v, want %v", i, lambda[i], want)
		}
	}
	m, err := ComputeMetrics(lambda, 0)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fit == nil || !m.Fitted {
		t.Fatalf("fitted = %v, golden fit %v", m.Fitted, g.Fit)
	}
	if relErr(m.Fit.Xmin, g.Fit.Xmin) > 1e-10 || m.Fit.Tail != g.Fit.Tail {
		t.Errorf("xmin, tail = %v, %d; want %v, %d", m.Fit.Xmin, m.Fit.Tail, g.Fit.Xmin, g.Fit.Tail)
	}
	if e := relErr(m.Fit.Alpha, g.Fit.Alpha); e > 1e-9 {
		t.Errorf("alpha = %v, want %v", m.Fit.Alpha, g.Fit.Alpha)
	}
	if e := relErr(m.LogAlphaNorm, *g.Metrics.LogAlphaNorm); e > 1e-9 {
		t.Errorf("log_alpha_norm = %v, want %v", m.LogAlphaNorm, *g.Metrics.LogAlphaNorm)
	}
}

func sortedDescending(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	slices.Reverse(s)
	return s
}
