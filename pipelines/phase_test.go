package pipelines

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/transforms"
)

type phaseTables struct {
	trials   []transforms.PhaseTrialRow
	summary  []transforms.PhaseSummaryRow
	boundary []transforms.PhaseBoundaryRow
}

func readStaged[T any](t *testing.T, out, table string) []T {
	t.Helper()
	rows, err := tables.ReadFile[T](context.Background(), filepath.Join(tables.StagingFolder(out, table, "r1"), tables.PartName(0, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// runPhase runs the phase_transition pipeline of spec on Prism (ptest) and
// reads back its staged tables.
func runPhase(t *testing.T, spec *experiments.Spec) phaseTables {
	t.Helper()
	out := t.TempDir()
	plan, err := PlanPhase(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Tables(), []string{PhaseTrialsTable, PhaseSummaryTable, PhaseBoundaryTable}; !slices.Equal(got, want) {
		t.Fatalf("tables %v, want %v", got, want)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	return phaseTables{
		trials:   readStaged[transforms.PhaseTrialRow](t, out, PhaseTrialsTable),
		summary:  readStaged[transforms.PhaseSummaryRow](t, out, PhaseSummaryTable),
		boundary: readStaged[transforms.PhaseBoundaryRow](t, out, PhaseBoundaryTable),
	}
}

func parseSpec(t *testing.T, yaml string) *experiments.Spec {
	t.Helper()
	spec, err := experiments.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// parseAndPlan returns the first error of parsing yaml (spec-level checks,
// shared with lowdim validate) and of planning it with plan (checks against
// the input).
func parseAndPlan[P any](t *testing.T, yaml string, plan func(context.Context, *experiments.Spec, string, string) (P, error)) error {
	spec, err := experiments.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		return err
	}
	_, err = plan(context.Background(), spec, t.TempDir(), "r1")
	return err
}

// TestPhaseQuickNStar runs experiments/phase-quick.yaml: with K = 1 and no
// noise, PCA recovers the subspace iff N ≥ d, so n_star = d and the
// interpolated crossing lies halfway between d − 1 (rate 0) and d (rate 1).
// The summary and boundary tables agree with the trials.
func TestPhaseQuickNStar(t *testing.T) {
	spec, err := experiments.ParseFile("../experiments/phase-quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	params, _ := spec.PhaseParams()
	res := runPhase(t, spec)
	if want := spec.NumCells() * params.Trials; len(res.trials) != want {
		t.Fatalf("%d trial rows, want %d", len(res.trials), want)
	}
	if len(res.summary) != spec.NumCells() {
		t.Fatalf("%d summary rows, want %d", len(res.summary), spec.NumCells())
	}
	if len(res.boundary) != 4 { // K ∈ {1, 2} × d ∈ {2, 3}
		t.Fatalf("%d boundary rows, want 4", len(res.boundary))
	}
	for _, r := range res.trials {
		if r.RunID != "r1" || r.AmbientDim != 12 || r.Noise != 0 {
			t.Errorf("trial row %+v", r)
		}
		if r.Components == 1 {
			if ok := r.SamplesPerComponent >= r.IntrinsicDim; ok != r.Success || (ok && r.Error > 1e-12) || (!ok && r.Error < 0.1) {
				t.Errorf("K = 1, d = %d, N = %d: error %g, success %v", r.IntrinsicDim, r.SamplesPerComponent, r.Error, r.Success)
			}
		}
	}
	// Summary rows recomputed from the trial rows.
	byCell := map[string][]transforms.PhaseTrialRow{}
	for _, r := range res.trials {
		byCell[r.Cell().Key()] = append(byCell[r.Cell().Key()], r)
	}
	for _, s := range res.summary {
		trials := byCell[s.Cell().Key()]
		var errs []float64
		succ := 0
		for _, r := range trials {
			errs = append(errs, r.Error)
			if r.Success {
				succ++
			}
		}
		slices.Sort(errs)
		if s.Trials != int64(len(trials)) || s.Successes != int64(succ) || s.SuccessRate != float64(succ)/float64(len(trials)) {
			t.Errorf("%s: summary %+v from %d trials, %d successes", s.Cell().Key(), s, len(trials), succ)
		}
		if q := transforms.Quantile(errs, 0.5); s.ErrorQ50 != q || s.ErrorQ10 > s.ErrorQ50 || s.ErrorQ50 > s.ErrorQ90 || s.ErrorQ90 > errs[len(errs)-1] {
			t.Errorf("%s: quantiles %v %v %v of %v", s.Cell().Key(), s.ErrorQ10, s.ErrorQ50, s.ErrorQ90, errs)
		}
	}
	for _, b := range res.boundary {
		if b.Components != 1 {
			continue
		}
		if b.NStar == nil || *b.NStar != b.IntrinsicDim {
			t.Errorf("K = 1, d = %d: n_star %v, want %d", b.IntrinsicDim, b.NStar, b.IntrinsicDim)
		}
		if want := float64(b.IntrinsicDim) - 0.5; b.NStarInterp == nil || *b.NStarInterp != want || b.NStarCensored || b.NSwept != 4 {
			t.Errorf("K = 1, d = %d: n_star_interp %v (censored %v, %d swept), want %v", b.IntrinsicDim, b.NStarInterp, b.NStarCensored, b.NSwept, want)
		}
	}
}

// TestPhaseTrialIndependentOfGrid: a (cell, trial) gives bit-identical rows
// whatever the rest of the grid, its order and the axis order, because the
// seed keys on the cell's parameter values.
func TestPhaseTrialIndependentOfGrid(t *testing.T) {
	const head = "study: phase_transition\nseed: 11\ninput: {dataset: molrg}\nparams:\n  trials: 3\n  bases: random\n  noise: 0.01\n  tolerance: 0.05\n  grid:\n"
	a := runPhase(t, parseSpec(t, head+"    ambient_dim: [10, 16]\n    components: [1, 2]\n    intrinsic_dim: [2, 3]\n    samples_per_component: [3, 6]\n"))
	b := runPhase(t, parseSpec(t, head+"    samples_per_component: [6]\n    intrinsic_dim: [3, 2]\n    components: [2]\n    ambient_dim: [16]\n"))
	key := func(r transforms.PhaseTrialRow) string { return fmt.Sprintf("%s/%d", r.Cell().Key(), r.Trial) }
	rows := map[string]transforms.PhaseTrialRow{}
	for _, r := range a.trials {
		rows[key(r)] = r
	}
	if len(b.trials) != 6 {
		t.Fatalf("%d trial rows in the small grid, want 6", len(b.trials))
	}
	distinct := map[float64]bool{}
	for _, r := range b.trials {
		ra, ok := rows[key(r)]
		if !ok {
			t.Fatalf("%s missing from the large grid", key(r))
		}
		if ra != r {
			t.Errorf("%s:\nlarge grid %+v\nsmall grid %+v", key(r), ra, r)
		}
		distinct[r.Error] = true
	}
	if len(distinct) < 5 { // noisy trials: every error differs
		t.Errorf("only %d distinct errors among 6 noisy trials: trials share draws", len(distinct))
	}
}

// TestPhaseKSubspacesPipeline: well-separated noisy components (K = 3) are
// recovered in every trial, and the boundary is censored at the smallest N.
func TestPhaseKSubspacesPipeline(t *testing.T) {
	res := runPhase(t, parseSpec(t, "study: phase_transition\nseed: 3\ninput: {dataset: molrg}\nparams:\n  trials: 4\n  ambient_dim: 30\n  intrinsic_dim: 3\n  components: 3\n  noise: 0.001\n  tolerance: 0.01\n  grid:\n    samples_per_component: [10, 20]\n"))
	for _, s := range res.summary {
		if s.SuccessRate != 1 || s.ErrorQ90 > 0.01 {
			t.Errorf("N = %d: success rate %v, q90 error %v", s.SamplesPerComponent, s.SuccessRate, s.ErrorQ90)
		}
	}
	if len(res.boundary) != 1 {
		t.Fatalf("%d boundary rows", len(res.boundary))
	}
	if b := res.boundary[0]; b.NStar == nil || *b.NStar != 10 || !b.NStarCensored || *b.NStarInterp != 10 {
		t.Errorf("boundary %+v", b)
	}
	for _, r := range res.trials {
		if r.Misassigned != 0 {
			t.Errorf("N = %d, trial %d: %d samples misassigned", r.SamplesPerComponent, r.Trial, r.Misassigned)
		}
	}
}

func TestPhaseBoundary(t *testing.T) {
	row := func(n int64, rate float64) transforms.PhaseSummaryRow {
		return transforms.PhaseSummaryRow{AmbientDim: 48, IntrinsicDim: 3, Components: 2, SamplesPerComponent: n, SuccessRate: rate}
	}
	// Out of order on purpose; the rate dips after the crossing.
	b := transforms.PhaseBoundary([]transforms.PhaseSummaryRow{row(8, 1), row(2, 0), row(6, 0.75), row(4, 0.25), row(10, 0.4)})
	if b.NStar == nil || *b.NStar != 6 || b.NStarInterp == nil || *b.NStarInterp != 5 || b.NStarCensored || b.NSwept != 5 {
		t.Errorf("boundary %+v, want n_star 6, n_star_interp 5", b)
	}
	if b := transforms.PhaseBoundary([]transforms.PhaseSummaryRow{row(3, 0.4), row(5, 0.2)}); b.NStar != nil || b.NStarInterp != nil {
		t.Errorf("no crossing: %+v", b)
	}
	if b := transforms.PhaseBoundary([]transforms.PhaseSummaryRow{row(3, 0.5), row(5, 1)}); *b.NStar != 3 || *b.NStarInterp != 3 || !b.NStarCensored {
		t.Errorf("crossing at the first N: %+v", b)
	}
}

func TestQuantileType7(t *testing.T) {
	x := []float64{1, 2, 3, 4, 10}
	for q, want := range map[float64]float64{0: 1, 0.1: 1.4, 0.5: 3, 0.9: 7.6, 1: 10} {
		if got := transforms.Quantile(x, q); math.Abs(got-want) > 1e-12 {
			t.Errorf("q%v = %v, want %v (numpy linear)", q, got, want)
		}
	}
}

func TestPlanPhaseErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"study: phase_transition\ninput: {path: x.npy}\n", "generates its own data: remove input.path"},
		{"study: phase_transition\ninput: {dataset: molrg}\nparams:\n  grid:\n    restarts: [1, 5]\n", "params.grid.restarts: the phase_transition study sweeps only"},
	} {
		err := parseAndPlan(t, c.yaml, PlanPhase)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}
}
