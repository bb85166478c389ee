package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/hessian"
	"github.com/lowdim/lowdim/linalg/nn"
	"github.com/lowdim/lowdim/transforms"
)

const hessianExample = "../experiments/hessian-digits.yaml"

// hessianTrainingSpec returns the training spec that the example's comments
// tell users to save and run, with the given old → new replacements.
func hessianTrainingSpec(t *testing.T, replace ...string) string {
	t.Helper()
	src, err := os.ReadFile(hessianExample)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), "# --- training spec")
	body, _, ok2 := strings.Cut(rest, "# --- end of training spec")
	if !ok || !ok2 {
		t.Fatalf("%s: no training spec between the markers", hessianExample)
	}
	var lines []string
	for _, l := range strings.Split(body, "\n")[1:] {
		if l != "" {
			lines = append(lines, strings.TrimPrefix(l, "#   "))
		}
	}
	return strings.NewReplacer(replace...).Replace(strings.Join(lines, "\n") + "\n")
}

// setParam rewrites the line "  key: …" of a spec under params.
func setParam(t *testing.T, spec, key, value string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(key) + `:.*$`)
	if !re.MatchString(spec) {
		return strings.Replace(spec, "\nparams:\n", "\nparams:\n  "+key+": "+value+"\n", 1)
	}
	return re.ReplaceAllLiteralString(spec, "  "+key+": "+value)
}

// trainHessianCheckpoints runs the example's training spec (with
// replacements) on Prism, publishes its checkpoints as the launcher does,
// and returns the full-space model's folder.
func trainHessianCheckpoints(t *testing.T, replace ...string) string {
	t.Helper()
	ctx := context.Background()
	spec, err := experiments.Parse([]byte(hessianTrainingSpec(t, replace...)), "train.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	plan, err := PlanIntrinsic(ctx, spec, out, "ckpt")
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	if _, err := tables.Commit(ctx, out, "ckpt", false, plan.Tables()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, CheckpointsFolder, "run=ckpt", "mlp-full-seed0")
}

type hessianTables struct {
	plan    *HessianPlan
	eigs    []transforms.HessianEigRow
	density []transforms.HessianDensityRow
	summary []transforms.HessianSummaryRow
}

func hessianStaged[T any](t *testing.T, out, table string) []T {
	t.Helper()
	files, err := files.List(context.Background(), tables.Join(tables.StagingFolder(out, table, "r1"), "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []T
	for _, f := range files {
		part, err := tables.ReadFile[T](context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, part...)
	}
	return rows
}

func runHessian(t *testing.T, yaml string) hessianTables {
	t.Helper()
	spec, err := experiments.Parse([]byte(yaml), "h.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	plan, err := PlanHessian(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	return hessianTables{plan: plan,
		eigs:    hessianStaged[transforms.HessianEigRow](t, out, HessianEigsTable),
		density: hessianStaged[transforms.HessianDensityRow](t, out, HessianDensityTable),
		summary: hessianStaged[transforms.HessianSummaryRow](t, out, HessianSummaryTable),
	}
}

// hessianExampleSpec is the example spec reading checkpoints from folder,
// with params overridden as key, value pairs.
func hessianExampleSpec(t *testing.T, folder string, kv ...string) string {
	t.Helper()
	src, err := os.ReadFile(hessianExample)
	if err != nil {
		t.Fatal(err)
	}
	spec := setParam(t, string(src), "checkpoints", filepath.ToSlash(folder))
	for i := 0; i+1 < len(kv); i += 2 {
		spec = setParam(t, spec, kv[i], kv[i+1])
	}
	return spec
}

// TestHessianDigitsTraining runs the example end to end at a smaller size:
// trains the MLP 64-16-10 with the example's training spec (checkpoints at
// steps 0, 450, 900), then the example's hessian spec on 600 of the digits.
// After training the Hessian has C − 1 or C outliers for C = 10 classes
// (Sagun et al. 2018: about one per class) and a gap of ≥ 2× at the bulk
// edge; at initialisation far fewer. Lanczos' top 10 agree with the exact
// spectrum to 1e-6·λ₁; Hutchinson's trace is within 4 standard errors of
// the exact trace; both densities integrate to 1.
func TestHessianDigitsTraining(t *testing.T) {
	folder := trainHessianCheckpoints(t, "checkpoint_every: 150", "checkpoint_every: 450")
	res := runHessian(t, hessianExampleSpec(t, folder, "samples", "600", "probes", "6", "slq_steps", "40"))
	if got := res.plan.Tables(); !slices.Equal(got, []string{HessianEigsTable, HessianDensityTable, HessianSummaryTable}) {
		t.Errorf("tables %v", got)
	}
	if w := res.plan.Work(); w.Total != 3 || w.Unit != "Hessians" || w.Counter != transforms.HessiansCounter {
		t.Errorf("work %+v, want 3 Hessians counted by %s", w, transforms.HessiansCounter)
	}
	sums := res.summary
	slices.SortFunc(sums, func(a, b transforms.HessianSummaryRow) int { return int(a.Step - b.Step) })
	if len(sums) != 3 || sums[0].Step != 0 || sums[1].Step != 450 || sums[2].Step != 900 {
		t.Fatalf("summary rows %+v", sums)
	}
	for _, r := range sums {
		t.Logf("step %d: loss %.3f acc %.3f top %.4g trace %s ± %s (exact %s) outliers %s gap %s edge %s lanczos steps %d",
			r.Step, r.Loss, r.Accuracy, *r.TopEigenvalue, fmtP(r.Trace), fmtP(r.TraceStderr), fmtP(r.TraceExact), fmtI(r.Outliers), fmtP(r.OutlierGap), fmtP(r.BulkEdge), *r.LanczosSteps)
		if r.Checkpoint != "mlp-full-seed0" || r.Block != "whole" || r.Params != 1210 || r.Rows != 600 || r.Classes != 10 ||
			r.InputScale != 16 || r.SpectrumMethod != "exact" || r.TraceExact == nil || r.Trace == nil || r.TraceStderr == nil || r.Outliers == nil {
			t.Errorf("summary %+v", r)
		}
		if d := math.Abs(*r.Trace - *r.TraceExact); d > 4**r.TraceStderr {
			t.Errorf("step %d: Hutchinson trace %v ± %v, exact %v", r.Step, *r.Trace, *r.TraceStderr, *r.TraceExact)
		}
	}
	first, last := sums[0], sums[2]
	if k := *last.Outliers; k < 9 || k > 10 || *last.OutlierGap < 2 {
		t.Errorf("trained: %d outliers (gap %.3g), want C − 1 or C = 9 or 10 with a gap ≥ 2", k, *last.OutlierGap)
	}
	if *first.Outliers >= 9 {
		t.Errorf("at initialisation %d outliers: the class structure should appear with training", *first.Outliers)
	}
	if last.Loss > 0.5*first.Loss || last.Accuracy < 0.9 {
		t.Errorf("training did not train: loss %.3g → %.3g, accuracy %.3g", first.Loss, last.Loss, last.Accuracy)
	}

	type key struct {
		step   int64
		method string
		index  int64
	}
	eig := map[key]float64{}
	count := map[string]int{}
	for _, e := range res.eigs {
		eig[key{e.Step, e.Method, e.Index}] = e.Eigenvalue
		count[fmt.Sprintf("%d/%s", e.Step, e.Method)]++
		if (e.Method == "exact") != (e.Residual == nil) {
			t.Errorf("eig row %+v: residual only for lanczos", e)
		}
	}
	for _, r := range sums {
		if c, l := count[fmt.Sprintf("%d/exact", r.Step)], count[fmt.Sprintf("%d/lanczos", r.Step)]; c != 1210 || l != 40 {
			t.Errorf("step %d: %d exact and %d lanczos eigenvalues, want 1210 and 40", r.Step, c, l)
		}
		top := eig[key{r.Step, "exact", 1}]
		for i := int64(1); i <= 10; i++ {
			if d := math.Abs(eig[key{r.Step, "lanczos", i}] - eig[key{r.Step, "exact", i}]); d > 1e-6*top {
				t.Errorf("step %d: λ%d lanczos %v, exact %v", r.Step, i, eig[key{r.Step, "lanczos", i}], eig[key{r.Step, "exact", i}])
			}
		}
		if d := math.Abs(eig[key{r.Step, "lanczos", -1}] - eig[key{r.Step, "exact", 1210}]); d > 1e-6*top {
			t.Errorf("step %d: smallest eigenvalue lanczos %v, exact %v", r.Step, eig[key{r.Step, "lanczos", -1}], eig[key{r.Step, "exact", 1210}])
		}
	}
	mass := map[string]float64{}
	points := map[string][]transforms.HessianDensityRow{}
	for _, d := range res.density {
		k := fmt.Sprintf("%d/%s", d.Step, d.Method)
		points[k] = append(points[k], d)
	}
	for k, pts := range points {
		slices.SortFunc(pts, func(a, b transforms.HessianDensityRow) int { return int(math.Copysign(1, a.X-b.X)) })
		for i := 1; i < len(pts); i++ {
			mass[k] += (pts[i].X - pts[i-1].X) * (pts[i].Density + pts[i-1].Density) / 2
		}
		if len(pts) != 200 || math.Abs(mass[k]-1) > 0.02 {
			t.Errorf("density %s: %d points, mass %v", k, len(pts), mass[k])
		}
	}
	if len(points) != 6 {
		t.Errorf("densities %v, want slq and exact at 3 steps", len(points))
	}

	// The last checkpoint alone, read 97 rows at a time and 4096 at a time:
	// the same tables bit for bit (the Hessian-vector products use shards
	// of a size fixed by the number of rows, not by input.shard_rows).
	var runs [2]hessianTables
	for i, rows := range []string{"97", "4096"} {
		spec := hessianExampleSpec(t, filepath.Join(folder, "step-00000900.safetensors"), "samples", "300", "probes", "3", "slq_steps", "30", "exact_max_params", "0")
		runs[i] = runHessian(t, strings.Replace(spec, "  dataset: digits", "  dataset: digits\n  shard_rows: "+rows, 1))
		if runs[i].plan.Data.BlockRows != map[int]int{0: 97, 1: 4096}[i] || len(runs[i].summary) != 1 {
			t.Fatalf("shard_rows %s: plan %+v, %d summary rows", rows, runs[i].plan.Data, len(runs[i].summary))
		}
		runs[i].summary[0].Seconds = 0
	}
	for _, c := range []struct {
		name string
		a, b []string
	}{
		{"hessian_eigs", hessianCanon(runs[0].eigs), hessianCanon(runs[1].eigs)},
		{"hessian_density", hessianCanon(runs[0].density), hessianCanon(runs[1].density)},
		{"hessian_summary", hessianCanon(runs[0].summary), hessianCanon(runs[1].summary)},
	} {
		if len(c.a) == 0 || !slices.Equal(c.a, c.b) {
			t.Errorf("%s differs with input.shard_rows 97 and 4096 (%d and %d rows)", c.name, len(c.a), len(c.b))
		}
	}
}

// hessianCanon is rows as sorted JSON lines (pointers followed, floats
// written to round trip exactly).
func hessianCanon[T any](rows []T) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		out[i] = string(b)
	}
	slices.Sort(out)
	return out
}

func fmtP(p *float64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprintf("%.4g", *p)
}

func fmtI(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

// writeModel saves θ of m (seeded He initialisation) as a checkpoint with
// metadata, as intrinsic_dim does.
func writeModel(t *testing.T, name string, m *nn.MLP, meta map[string]string) {
	t.Helper()
	theta := make([]float64, m.NumParams())
	m.Init(theta, 3)
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := checkpoints.EncodeModel(f, m, theta, meta); err != nil {
		t.Fatal(err)
	}
}

// TestPlanHessianErrors: what can be checked before the pipeline runs is
// refused with the spec position of the key concerned.
func TestPlanHessianErrors(t *testing.T) {
	dir := t.TempDir()
	lowdim := map[string]string{"format": "lowdim"}
	mk := func(sub string, m *nn.MLP) string {
		d := filepath.Join(dir, sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeModel(t, filepath.Join(d, "step-00000000.safetensors"), m, lowdim)
		return filepath.ToSlash(d)
	}
	good := mk("good", nn.NewMLP(64, []int{4}, 10))
	wide := mk("wide", nn.NewMLP(65, []int{4}, 10))
	few := mk("few", nn.NewMLP(64, []int{4}, 5))
	big := mk("big", nn.NewMLP(64, []int{100}, 10))
	if err := os.MkdirAll(filepath.Join(dir, "foreign"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "foreign", "step-1.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := safetensors.Write(f, nil, safetensors.Matrix{Name: "encoder.weight", Rows: 2, Cols: 2, Data: []float64{1, 2, 3, 4}, DType: "F32", Shape: []int{2, 2}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	spec := func(input, params string) string {
		return "study: hessian\n" + input + "params:\n" + params
	}
	digits := "input: {dataset: digits}\n"
	for _, c := range []struct{ yaml, want string }{
		{spec(digits, "  checkpoints: "+dir+"/none\n"), "h.yaml:4:16: params.checkpoints: " + dir + "/none: no safetensors checkpoint files"},
		{spec(digits, "  checkpoints: "+wide+"\n"), "h.yaml:4:16: params.checkpoints: " + wide + "/step-00000000.safetensors: the model (mlp 65-4-10) reads 65 features, the data (digits) has 64"},
		{spec(digits, "  checkpoints: "+few+"\n"), "the model (mlp 64-4-5) has 5 classes, the data (digits) has label 9"},
		{spec(digits, "  checkpoints: "+filepath.ToSlash(dir)+"/foreign\n"), "not a lowdim MLP checkpoint: no tensor layers.0.weight (tensors: encoder.weight)"},
		{spec(digits, "  checkpoints: "+big+"\n  methods: [exact, lanczos]\n"), "h.yaml:5:12: params.methods lists exact, but block whole of " + big + "/step-00000000.safetensors (mlp 64-100-10) has D = 7510 > 5000"},
		{spec(digits, "  checkpoints: "+good+"\n  samples: 5000\n"), "h.yaml:5:12: params.samples 5000 exceeds the 1797 rows of digits"},
		{spec("input:\n  path: ../testdata/digits.csv.gz\n", "  checkpoints: "+good+"\n"), "h.yaml:3:3: the hessian study needs labelled rows: set input.label_column"},
		{spec("input:\n  path: ../testdata/digits.csv.gz\n  label_column: \"70\"\n", "  checkpoints: "+good+"\n"), "h.yaml:4:17: input.label_column \"70\": want a column index in [0, 65)"},
		{spec(digits, "  checkpoints: "+good+"\n  grid:\n    top_k: [5, 10]\n"), "params.grid: the hessian study has no grid"},
		{spec(digits, ""), "params.checkpoints is required"},
	} {
		s, err := experiments.Parse([]byte(c.yaml), "h.yaml")
		if err == nil {
			_, err = PlanHessian(context.Background(), s, t.TempDir(), "r1")
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\nerror %v\nwant %s", c.yaml, err, c.want)
		}
	}
	// A good spec plans one task per checkpoint and block.
	s, err := experiments.Parse([]byte(spec(digits, "  checkpoints: "+good+"\n  blocks: per_layer\n")), "h.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanHessian(context.Background(), s, t.TempDir(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Tasks) != 2 || plan.Tasks[0].Block != "layers.0" || plan.Tasks[0].Params != 260 || plan.Tasks[1].Params != 50 ||
		!plan.Tasks[0].Exact || plan.Tasks[0].InputScale != 16 || plan.Tasks[0].Layer != 0 || plan.Tasks[1].Layer != 1 {
		t.Errorf("per-layer tasks %+v", plan.Tasks)
	}
	if hessian.MaxExactDim != experiments.HessianMaxExactParams {
		t.Errorf("experiments.HessianMaxExactParams %d ≠ hessian.MaxExactDim %d", experiments.HessianMaxExactParams, hessian.MaxExactDim)
	}
}
