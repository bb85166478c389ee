package pipelines

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/linalg/heavytail"
	"github.com/lowdim/lowdim/transforms"
)

// paretoSigma returns σᵢ = √λᵢ for the p quantiles λᵢ = (1 − (i − ½)/p)^(−1/(α−1))
// of the Pareto law p(λ) ∝ λ^−α, λ ≥ 1: a spectrum whose whole ESD is a
// power-law tail of exponent α.
func paretoSigma(p int, alpha float64) []float64 {
	s := make([]float64, p)
	for i := range s {
		s[i] = math.Sqrt(math.Pow(1-(float64(i)+0.5)/float64(p), -1/(alpha-1)))
	}
	return s
}

// readMatrix reads tensor name of a safetensors checkpoint as written.
func readMatrix(t *testing.T, file, name string) *mat.Dense {
	t.Helper()
	ctx := context.Background()
	src, err := matrix.Open(ctx, file, matrix.Options{Format: "safetensors", Tensor: name})
	if err != nil {
		t.Fatal(err)
	}
	data, err := src.ReadRowsInto(ctx, 0, src.Rows(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return mat.NewDense(src.Rows(), src.Cols(), data)
}

// TestRankDynamicsHeavyTail: a checkpoint series whose matrices have Pareto
// σ² with α = 2, 3, 4 at steps 0, 1, 2 — "small" 240×200 (gonum SVD and
// heavytail) and "large" 560×530 (above svdMaxDim: heavytail's values only,
// σ = √λ) — gets alpha within 0.15 of the planted α, every heavy-tail
// column and rank_cut energy equal to heavytail's on the same matrix read
// back from the file (bit for bit), and log_norm, log_spectral_norm
// consistent with lowdim's norms. With exact_max_dim 300 the large matrix
// has a top-k spectrum only: its heavy-tail columns and energies are NULL,
// and the small one's rows are unchanged.
func TestRankDynamicsHeavyTail(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(16))
	alphas := []float64{2, 3, 4}
	shapes := map[string][2]int{"small": {240, 200}, "large": {560, 530}}
	for step, a := range alphas {
		file := filepath.Join(dir, fmt.Sprintf("step-%d.safetensors", step))
		small := plantedMatrix(rng, 240, 200, paretoSigma(200, a))
		large := plantedMatrix(rng, 560, 530, paretoSigma(530, a))
		writeCheckpoint(t, file, f64("small", small), f64("large", large))
	}
	out := t.TempDir()
	rows, _ := runRankDynamics(t, out, dir, "  k: 8\n  rank_cuts: [0.1, 0.5, 1]\n")
	cuts := cutsByRow(readStaged[transforms.RankCutRow](t, out, RankCutTable))
	if len(rows) != 6 || len(cuts) != 6 {
		t.Fatalf("%d rows, cuts of %d, want 6", len(rows), len(cuts))
	}
	worst := map[string]float64{}
	for _, r := range rows {
		want := alphas[r.Step]
		if !r.ExactSpectrum || r.Alpha == nil || r.AlphaTail == nil || r.LogAlphaNorm == nil || r.LogNorm == nil {
			t.Fatalf("%s step %d: exact %v, heavy-tail columns %v %v %v %v", r.Tensor, r.Step, r.ExactSpectrum, r.Alpha, r.AlphaTail, r.LogAlphaNorm, r.LogNorm)
		}
		if math.Abs(*r.Alpha-want) > 0.15 {
			t.Errorf("%s step %d: alpha %.4f, planted %v", r.Tensor, r.Step, *r.Alpha, want)
		}
		w := readMatrix(t, r.Path, r.Tensor)
		lambda, err := heavytail.SquaredSingularValues(w)
		if err != nil {
			t.Fatal(err)
		}
		mt, err := heavytail.ComputeMetrics(lambda, heavytail.DefaultMinTail)
		if err != nil || !mt.Fitted {
			t.Fatal(err)
		}
		if *r.Alpha != mt.Fit.Alpha || *r.AlphaXmin != mt.Fit.Xmin || *r.AlphaKS != mt.Fit.KS || *r.AlphaTail != int64(mt.Fit.Tail) ||
			*r.AlphaWeighted != mt.AlphaWeighted || *r.LogAlphaNorm != mt.LogAlphaNorm || *r.LogSpectralNorm != mt.LogSpectralNorm || *r.LogNorm != mt.LogNorm {
			t.Errorf("%s step %d: row %v %v %v %v %v %v %v %v differs from heavytail %+v", r.Tensor, r.Step, *r.Alpha, *r.AlphaXmin, *r.AlphaKS, *r.AlphaTail,
				*r.AlphaWeighted, *r.LogAlphaNorm, *r.LogSpectralNorm, *r.LogNorm, mt)
		}
		if d := math.Abs(*r.LogNorm - 2*math.Log10(r.FrobeniusNorm)); d > 1e-12 {
			t.Errorf("%s step %d: log_norm %v, 2·log₁₀ frobenius_norm %v", r.Tensor, r.Step, *r.LogNorm, 2*math.Log10(r.FrobeniusNorm))
		}
		if d := math.Abs(*r.LogSpectralNorm - 2*math.Log10(r.SpectralNorm)); d > 1e-10 {
			t.Errorf("%s step %d: log_spectral_norm %v, 2·log₁₀ spectral_norm %v", r.Tensor, r.Step, *r.LogSpectralNorm, 2*math.Log10(r.SpectralNorm))
		}
		if sh := shapes[r.Tensor]; int(r.NSigma) != sh[1] {
			t.Errorf("%s: n_sigma %d, want %d", r.Tensor, r.NSigma, sh[1])
		}
		worst[r.Tensor] = max(worst[r.Tensor], math.Abs(*r.Alpha-want))
		p := len(lambda)
		ranks := []int{int(math.Round(0.1 * float64(p))), p / 2, p}
		kept, err := heavytail.KeptEnergy(nil, lambda, ranks)
		if err != nil {
			t.Fatal(err)
		}
		c := cuts[cutKey(r.Tensor, r.Step)]
		if len(c) != 3 {
			t.Fatalf("%s step %d: %d rank_cut rows, want 3", r.Tensor, r.Step, len(c))
		}
		for i, cut := range c {
			if cut.R != int64(ranks[i]) || cut.EnergyKept == nil || *cut.EnergyKept != kept[i] || cut.RunID != "r1" {
				t.Errorf("%s step %d: rank_cut %+v, want r %d, energy_kept %v", r.Tensor, r.Step, cut, ranks[i], kept[i])
			}
		}
		if e := *c[2].EnergyKept; math.Abs(e-1) > 1e-14 {
			t.Errorf("%s step %d: the full rank keeps %v of the energy", r.Tensor, r.Step, e)
		}
		// Top-heavy Pareto spectrum: a tenth of the ranks keeps more than a tenth of the energy, more for smaller α.
		if e := *c[0].EnergyKept; e <= 0.1 {
			t.Errorf("%s step %d: rank %d keeps %v", r.Tensor, r.Step, c[0].R, e)
		}
	}
	t.Logf("largest |alpha − planted α|: %v", worst)

	// Only the top k of "large": NULL heavy tail and energies; "small" unchanged.
	out2 := t.TempDir()
	rows2, _ := runRankDynamics(t, out2, dir, "  k: 8\n  rank_cuts: [0.1, 0.5, 1]\n  exact_max_dim: 300\n")
	cuts2 := cutsByRow(readStaged[transforms.RankCutRow](t, out2, RankCutTable))
	for i, r := range rows2 {
		if r.Tensor == "small" {
			if !reflect.DeepEqual(r, rows[i]) || !reflect.DeepEqual(cuts2[cutKey(r.Tensor, r.Step)], cuts[cutKey(r.Tensor, r.Step)]) {
				t.Errorf("small step %d: row or cuts changed with exact_max_dim", r.Step)
			}
			continue
		}
		if r.ExactSpectrum || r.Alpha != nil || r.AlphaXmin != nil || r.AlphaKS != nil || r.AlphaTail != nil || r.AlphaWeighted != nil ||
			r.LogAlphaNorm != nil || r.LogSpectralNorm != nil || r.LogNorm != nil {
			t.Errorf("large step %d: top-k spectrum has heavy-tail columns: %+v", r.Step, r)
		}
		for _, c := range cuts2[cutKey(r.Tensor, r.Step)] {
			if c.EnergyKept != nil || c.R == 0 {
				t.Errorf("large step %d: rank_cut %+v, want r with NULL energy_kept", r.Step, c)
			}
		}
	}
}

func cutKey(tensor string, step int64) string { return fmt.Sprintf("%s@%d", tensor, step) }

// cutsByRow groups rank_cut rows by (tensor, step), each group sorted by fraction.
func cutsByRow(rows []transforms.RankCutRow) map[string][]transforms.RankCutRow {
	out := map[string][]transforms.RankCutRow{}
	for _, c := range rows {
		k := cutKey(c.Tensor, c.Step)
		out[k] = append(out[k], c)
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b transforms.RankCutRow) int { return cmpFloat(a.Fraction, b.Fraction) })
	}
	return out
}

// TestRankDynamicsCenter: params.center on a matrix M gives the rows of the
// same study without centring on M minus its mean row (read back from a
// file written with the explicitly centred matrix): same σ, stable rank and
// alpha to 1e-10 relative.
func TestRankDynamicsCenter(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	m := plantedMatrix(rng, 150, 60, paretoSigma(60, 3))
	for i := range 150 {
		for j := range 60 {
			m.Set(i, j, m.At(i, j)+float64(j%7)) // a large mean row
		}
	}
	c := mat.DenseCopyOf(m)
	heavytail.CenterRows(c)
	raw, centred := t.TempDir(), t.TempDir()
	writeCheckpoint(t, filepath.Join(raw, "step-1.safetensors"), f64("act", m))
	writeCheckpoint(t, filepath.Join(centred, "step-1.safetensors"), f64("act", c))
	got, _ := runRankDynamics(t, t.TempDir(), raw, "  k: 5\n  center: true\n")
	want, _ := runRankDynamics(t, t.TempDir(), centred, "  k: 5\n")
	off, _ := runRankDynamics(t, t.TempDir(), raw, "  k: 5\n")
	if len(got) != 1 || len(want) != 1 || got[0].Alpha == nil || want[0].Alpha == nil {
		t.Fatalf("rows %+v %+v", got, want)
	}
	g, w := got[0], want[0]
	for i := range g.SigmaTopK {
		if relErr(g.SigmaTopK[i], w.SigmaTopK[i]) > 1e-10 {
			t.Errorf("σ%d: centred %v, explicit %v", i+1, g.SigmaTopK[i], w.SigmaTopK[i])
		}
	}
	if relErr(g.StableRank, w.StableRank) > 1e-10 || relErr(*g.Alpha, *w.Alpha) > 1e-10 {
		t.Errorf("stable rank %v vs %v, alpha %v vs %v", g.StableRank, w.StableRank, *g.Alpha, *w.Alpha)
	}
	if relErr(off[0].SpectralNorm, g.SpectralNorm) < 0.1 {
		t.Errorf("centring did not change σ₁ (%v vs %v): the mean row should dominate", off[0].SpectralNorm, g.SpectralNorm)
	}
}

// TestRankDynamicsHeavyTailParams: bad alpha_min_tail and rank_cuts are refused with their key.
func TestRankDynamicsHeavyTailParams(t *testing.T) {
	for _, tc := range []struct{ params, want string }{
		{"  alpha_min_tail: 1\n", "alpha_min_tail"},
		{"  rank_cuts: [0.1, 0]\n", "rank_cuts"},
		{"  rank_cuts: [1.5]\n", "rank_cuts"},
	} {
		err := parseAndPlan(t, "study: rank_dynamics\ninput:\n  path: "+rankdynFixtures+"/st\nparams:\n"+tc.params, PlanRankDynamics)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("params %q: %v, want an error containing %q", tc.params, err, tc.want)
		}
	}
}
