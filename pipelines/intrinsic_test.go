package pipelines

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/transforms"
)

func runIntrinsic(t *testing.T, spec *experiments.Spec) (string, Plan) {
	t.Helper()
	out := t.TempDir()
	plan, err := PlanIntrinsic(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	return out, plan
}

// TestIntrinsicDigitsSweep runs a small subspace sweep of logistic
// regression on digits: the tables hold one run per (d, seed) plus one
// baseline per seed, the baseline is accurate, accuracy grows with d, and
// the intrinsic_dim rows agree with IntrinsicDim recomputed from the runs.
func TestIntrinsicDigitsSweep(t *testing.T) {
	spec := parseSpec(t, `study: intrinsic_dim
seed: 3
input: {dataset: digits}
params:
  model: logistic
  lr: 0.1
  baseline_lr: 0.003
  epochs: 10
  grid:
    projection: [sparse, fastfood]
    subspace_dim: [10, 100, 400]
    seed: [0, 1]
`)
	out, plan := runIntrinsic(t, spec)
	if got := plan.Tables(); !slices.Equal(got, []string{SubspaceRunsTable, IntrinsicDimTable}) {
		t.Fatalf("tables %v", got)
	}
	runs := readStaged[transforms.SubspaceRunRow](t, out, SubspaceRunsTable)
	dims := readStaged[transforms.IntrinsicDimRow](t, out, IntrinsicDimTable)
	if len(runs) != 2*3*2+2 {
		t.Fatalf("%d runs, want 14", len(runs))
	}
	acc := map[string]float64{}
	for _, r := range runs {
		if r.RunID != "r1" || r.Dataset != "digits" || r.Model != "logistic 64-10" || r.ParamsTotal != 650 || r.Epochs != 10 {
			t.Errorf("run row %+v", r)
		}
		if r.Projection == transforms.BaselineProjection {
			if r.SubspaceDim != 650 || r.ValAccuracy < 0.9 {
				t.Errorf("baseline %+v: want subspace_dim 650 and accuracy ≥ 0.9", r)
			}
		}
		acc[fmt.Sprintf("%s/%d/%d", r.Projection, r.SubspaceDim, r.Seed)] = r.ValAccuracy
	}
	for _, p := range []string{"sparse", "fastfood"} {
		for s := 0; s < 2; s++ {
			if a, b, c := acc[fmt.Sprintf("%s/10/%d", p, s)], acc[fmt.Sprintf("%s/100/%d", p, s)], acc[fmt.Sprintf("%s/400/%d", p, s)]; !(a < b && b < c) {
				t.Errorf("%s seed %d: accuracy %v, %v, %v at d = 10, 100, 400", p, s, a, b, c)
			}
		}
	}
	want := transforms.IntrinsicDim(runs, 0.9)
	if len(dims) != 2 || len(want) != 2 {
		t.Fatalf("%d intrinsic_dim rows, want 2", len(dims))
	}
	slices.SortFunc(dims, func(a, b transforms.IntrinsicDimRow) int { return strings.Compare(a.Projection, b.Projection) })
	for i, d := range dims {
		w := want[i]
		if d.Projection != w.Projection || *d.BaselineAccuracy != *w.BaselineAccuracy || fmt.Sprint(opt(d.DInt90), opt(d.DBelow), opt(d.DAbove)) != fmt.Sprint(opt(w.DInt90), opt(w.DBelow), opt(w.DAbove)) || d.Seeds != 2 || d.DSwept != 3 {
			t.Errorf("row %+v, recomputed %+v", d, w)
		}
		// Calibrated on this split: d = 100 reaches ≈ 0.70, d = 400 ≈ 0.93
		// of a ≈ 0.95 baseline, for both projections.
		if opt(d.DInt90) != "400" || opt(d.DBelow) != "100" {
			t.Errorf("%s: d_int90 %v, d_below %v, want 400, 100", d.Projection, opt(d.DInt90), opt(d.DBelow))
		}
	}
}

func opt(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

// TestIntrinsicDimDefinition checks d_int90, d_below and d_above on
// hand-made runs, including a non-monotone curve and a curve that never
// reaches the threshold.
func TestIntrinsicDimDefinition(t *testing.T) {
	mk := func(proj string, d int64, acc ...float64) []transforms.SubspaceRunRow {
		var rows []transforms.SubspaceRunRow
		for s, a := range acc {
			rows = append(rows, transforms.SubspaceRunRow{Dataset: "x", Model: "m", Projection: proj, SubspaceDim: d, Seed: int64(s), ValAccuracy: a})
		}
		return rows
	}
	var runs []transforms.SubspaceRunRow
	runs = append(runs, mk("none", 100, 1.0, 0.9)...) // baseline 0.95, threshold 0.855
	runs = append(runs, mk("a", 10, 0.5, 0.6)...)
	runs = append(runs, mk("a", 20, 0.9, 0.85)...) // mean 0.875 ≥ 0.855
	runs = append(runs, mk("a", 30, 0.8, 0.8)...)  // falls back
	runs = append(runs, mk("a", 40, 0.9, 0.9)...)
	runs = append(runs, mk("b", 5, 0.1, 0.1)...)
	runs = append(runs, mk("b", 50, 0.8, 0.85)...)
	got := transforms.IntrinsicDim(runs, 0.9)
	if len(got) != 2 {
		t.Fatalf("%d rows", len(got))
	}
	a, b := got[0], got[1]
	if math.Abs(*a.Threshold-0.855) > 1e-12 || opt(a.DInt90) != "20" || opt(a.DBelow) != "10" || opt(a.DAbove) != "40" || a.DSwept != 4 {
		t.Errorf("a: threshold %v, d_int90 %s, d_below %s, d_above %s", *a.Threshold, opt(a.DInt90), opt(a.DBelow), opt(a.DAbove))
	}
	if opt(b.DInt90) != "NULL" || opt(b.DBelow) != "50" || opt(b.DAbove) != "NULL" {
		t.Errorf("b: d_int90 %s, d_below %s, d_above %s", opt(b.DInt90), opt(b.DBelow), opt(b.DAbove))
	}
}

// TestDataIntrinsicDim estimates a 4-dimensional Gaussian rotated into R^16
// (three shards of 1000 rows and a label column to drop): every shard and
// the overall rows of MLE and TwoNN lie within 10 % of 4, PCA finds rank 4.
func TestDataIntrinsicDim(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const n, d, D = 3000, 4, 16
	g := mat.NewDense(D, D, nil)
	for i := 0; i < D; i++ {
		for j := 0; j < D; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	var b strings.Builder
	for i := 0; i < n; i++ {
		z := make([]float64, D)
		for j := 0; j < d; j++ {
			z[j] = rng.NormFloat64()
		}
		var x mat.VecDense
		x.MulVec(q.T(), mat.NewVecDense(D, z))
		for j := 0; j < D; j++ {
			fmt.Fprintf(&b, "%.17g,", x.AtVec(j))
		}
		fmt.Fprintf(&b, "%d\n", i%3)
	}
	path := filepath.Join(t.TempDir(), "gauss.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := parseSpec(t, fmt.Sprintf(`study: intrinsic_dim
input: {path: %s, label_column: "16", shard_rows: 1000}
params:
  k: 15
  grid:
    method: [mle, twonn, pca]
`, path))
	out, plan := runIntrinsic(t, spec)
	if got := plan.Tables(); !slices.Equal(got, []string{DataIntrinsicDimTable}) {
		t.Fatalf("tables %v", got)
	}
	rows := readStaged[transforms.DataIDRow](t, out, DataIntrinsicDimTable)
	if len(rows) != 3*(3+1) {
		t.Fatalf("%d rows, want 12", len(rows))
	}
	for _, r := range rows {
		shard := opt(r.Shard)
		switch r.Method {
		case "pca":
			if r.Estimate != d || r.Spread != nil || r.K != nil {
				t.Errorf("pca shard %s: %+v", shard, r)
			}
		case "mle", "twonn":
			if math.Abs(r.Estimate-d) > 0.1*d || r.Spread == nil || !(*r.Spread > 0) {
				t.Errorf("%s shard %s: estimate %v, want %d within 10%%", r.Method, shard, r.Estimate, d)
			}
			if r.Method == "mle" && (r.K == nil || *r.K != 15 || r.Convention != "k-2") {
				t.Errorf("mle row %+v", r)
			}
		}
		if want := int64(1000); r.Shard != nil && r.Points > want || r.Shard == nil && r.Method != "mle" && r.Points != n {
			t.Errorf("%s shard %s: %d points", r.Method, shard, r.Points)
		}
	}
}

// TestIntrinsicSpecErrors: grid axes that do not fit the method are
// rejected before any work, and subspace needs labels.
func TestIntrinsicSpecErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"study: intrinsic_dim\ninput: {dataset: digits}\nparams:\n  grid:\n    k: [5, 10]\n", "method subspace sweeps only"},
		{"study: intrinsic_dim\ninput: {dataset: digits}\nparams:\n  method: mle\n  grid:\n    subspace_dim: [5]\n", "method mle sweeps only"},
		{"study: intrinsic_dim\ninput: {dataset: digits}\nparams:\n  projection: dens\n", "must be one of dense, sparse, fastfood"},
		{"study: intrinsic_dim\ninput: {dataset: iris}\n", `input.dataset "iris"`},
		{"study: intrinsic_dim\ninput: {dataset: digits}\nparams:\n  model: logistic\n  subspace_dim: 651\n", "exceeds the 650 parameters"},
	} {
		spec, err := experiments.Parse([]byte(c.yaml), "t.yaml")
		if err == nil {
			_, err = PlanIntrinsic(context.Background(), spec, t.TempDir(), "r1")
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}
}
