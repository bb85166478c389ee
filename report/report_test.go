package report_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/internal/studies"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/report"
	"github.com/lowdim/lowdim/transforms"
)

func TestMain(m *testing.M) {
	code := ptest.MainRet(m)
	if allStudies.out != "" {
		os.RemoveAll(allStudies.out)
	}
	os.Exit(code)
}

// runStudy runs spec (YAML, inputs relative to the repository root) on
// Prism with its registered plan, commits its tables and a runs row as the
// CLI does, and returns the output folder and the run.
func runStudy(t *testing.T, yaml string) (string, pipelines.RunRow) {
	t.Helper()
	return runStudyAs(t, t.TempDir(), "r1", yaml)
}

// runStudyAs runs spec into out as run runID.
func runStudyAs(t *testing.T, out, runID, yaml string) (string, pipelines.RunRow) {
	t.Helper()
	spec, err := experiments.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Input.Path != "" {
		spec.Input.Path = filepath.Join("..", spec.Input.Path)
	}
	st, err := studies.Lookup(spec.Study)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	plan, err := st.Plan(ctx, spec, out, runID)
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	started := time.Now().UTC()
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	specJSON, err := spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	run := pipelines.RunRow{RunID: runID, Study: spec.Study, Name: spec.Name, Spec: string(specJSON), Seed: spec.Seed, Runner: "prism",
		StartedAt: started, FinishedAt: time.Now().UTC()}
	runs := tables.Join(tables.StagingFolder(out, pipelines.RunsTable, runID), tables.PartName(0, 1))
	if err := tables.WriteFile(ctx, runs, []any{run}); err != nil {
		t.Fatal(err)
	}
	if _, err := tables.Commit(ctx, out, runID, false, append(plan.Tables(), pipelines.RunsTable)); err != nil {
		t.Fatal(err)
	}
	return out, run
}

// checkReport writes the study's report with report.Write and checks that
// report.md shows every wanted figure (a real PNG) and string, and that the
// summary prints what it should.
func checkReport(t *testing.T, out string, run pipelines.RunRow, figures, md []string, summary string) {
	t.Helper()
	st, err := studies.Lookup(run.Study)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := report.Write(context.Background(), out, run.RunID, func(string) (report.Section, report.Summary, error) { return st.Report, st.Summary, nil })
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("LOWDIM_KEEP_REPORT"); keep != "" {
		os.CopyFS(filepath.Join(keep, t.Name()), os.DirFS(dir))
	}
	text, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figures {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
			t.Errorf("%s: not a PNG (%d bytes, %v)", f, len(b), err)
		}
		if !strings.Contains(string(text), "("+f+")") {
			t.Errorf("report.md does not show %s", f)
		}
	}
	for _, want := range append(md, "read_parquet('"+out) {
		if !strings.Contains(string(text), want) {
			t.Errorf("report.md lacks %q:\n%s", want, text)
		}
	}
	var b bytes.Buffer
	if err := st.Summary(context.Background(), &b, out, run); err != nil || !strings.Contains(b.String(), summary) {
		t.Errorf("summary %q (%v) lacks %q", b.String(), err, summary)
	}
}

func TestSpectrumReport(t *testing.T) {
	out, run := runStudy(t, "study: spectrum\nname: q\ninput:\n  path: testdata/digits.csv.gz\n  label_column: \"64\"\n  shard_rows: 500\nparams:\n  k: 10\n")
	checkReport(t, out, run, []string{"scree-digits.png"}, []string{"| RankMe |"}, "top singular values")
}

// TestLandscapeTorusReport runs the torus example: H1 of a torus has two
// long classes, so the mean λ₁ and λ₂ both stand well above λ₃; the report
// draws the diagram and a landscape per dimension.
func TestLandscapeTorusReport(t *testing.T) {
	src, err := os.ReadFile("../experiments/landscape-torus.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, run := runStudy(t, string(src))
	rows, err := tables.ReadRun[transforms.LandscapeRow](context.Background(), out, pipelines.LandscapeTable, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var h1 report.MeanLandscape
	for _, m := range report.MeanLandscapes(rows) {
		if m.Dim == 1 {
			h1 = m
		}
	}
	peaks := make([]float64, len(h1.Values))
	for k, v := range h1.Values {
		peaks[k] = slices.Max(v)
	}
	if len(peaks) != 5 || peaks[1] < 1.5*peaks[2] || peaks[1] < 0.4 {
		t.Errorf("torus H1 peaks %v: want two long classes (λ₂ ≫ λ₃)", peaks)
	}
	checkReport(t, out, run, []string{"diagram-torus.png", "landscape-torus-H0.png", "landscape-torus-H1.png"}, []string{"| H1 |"}, "torus H1")
}

func TestRankDynamicsReport(t *testing.T) {
	out, run := runStudy(t, "study: rank_dynamics\nname: t\nseed: 3\ninput:\n  path: testdata/rankdyn/st\nparams:\n  k: 4\n")
	checkReport(t, out, run, []string{"rank-dynamics-stable_rank.png", "rank-drift-mean_principal_angle.png", "rank-dynamics-alpha.png"},
		[]string{"layers.0.attn.weight", "| 300 |"}, "layers.0.attn.weight")
}

func TestIntrinsicDimReport(t *testing.T) {
	out, run := runStudy(t, `study: intrinsic_dim
seed: 1
input: {dataset: digits}
params:
  model: logistic
  lr: 0.1
  epochs: 2
  grid:
    projection: [fastfood]
    subspace_dim: [5, 50]
`)
	checkReport(t, out, run, []string{"intrinsic-0-digits-logistic-64-10.png"},
		[]string{"## digits, logistic 64-10 (D = 650)", "| fastfood |"}, "fastfood projection: d_int90")
}

func TestPhaseReport(t *testing.T) {
	src, err := os.ReadFile("../experiments/phase-quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, run := runStudy(t, string(src))
	checkReport(t, out, run, []string{"phase-n12-K1-noise0.png"}, []string{"| d | N* |"}, "N*")
}

func TestPhaseHeatmaps(t *testing.T) {
	rows := []transforms.PhaseSummaryRow{
		{AmbientDim: 48, Components: 2, IntrinsicDim: 3, SamplesPerComponent: 5, SuccessRate: 1},
		{AmbientDim: 48, Components: 1, IntrinsicDim: 3, SamplesPerComponent: 2, SuccessRate: 0},
		{AmbientDim: 48, Components: 1, IntrinsicDim: 2, SamplesPerComponent: 5, SuccessRate: 0.5},
	}
	maps := report.PhaseHeatmaps(rows)
	if len(maps) != 2 || maps[0].Components != 1 || maps[1].Components != 2 {
		t.Fatalf("panels %+v", maps)
	}
	h := maps[0]
	if !slices.Equal(h.Dims, []int64{2, 3}) || !slices.Equal(h.Samples, []int64{2, 5}) {
		t.Fatalf("axes %v × %v", h.Dims, h.Samples)
	}
	if !math.IsNaN(h.Rate[0][0]) || h.Rate[0][1] != 0.5 || h.Rate[1][0] != 0 || !math.IsNaN(h.Rate[1][1]) {
		t.Errorf("rates %v", h.Rate)
	}
}
