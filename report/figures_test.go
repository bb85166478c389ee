package report_test

import (
	"bytes"
	"context"
	"flag"
	"html"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lowdim/lowdim/internal/studies"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/report"
	"github.com/lowdim/lowdim/transforms"
)

var updateGolden = flag.Bool("update", false, "rewrite report/testdata/figures/ from the figures drawn")

// allStudies is one output folder holding a run of every study's example
// (and of every kind of figure), with its report written: built once,
// shared by the figure and browser tests.
var allStudies struct {
	once sync.Once
	out  string
	runs []string // run ids, in the order run
	ok   bool
}

// exampleRuns are small specs of every study, by run id.
var exampleRuns = []struct{ id, spec string }{
	{"spectrum", "file:../experiments/quickstart.yaml"},
	{"landscape", "file:../experiments/landscape-torus.yaml"},
	{"multipers", "file:../experiments/multipers-hidden-circle.yaml"},
	// Several clouds: the summary figures, one colour per cloud (testdata/clouds: circle, torus).
	{"clouds", "study: landscape\nname: two-clouds\nseed: 4\ninput:\n  path: testdata/clouds\nparams:\n  max_dim: 1\n  threshold: 1.5\n  subsamples: 2\n  subsample_size: 100\n"},
	// More clouds than colours: the summary figures pool them.
	{"manyclouds", "study: landscape\nname: eleven-rings\nseed: 4\ninput:\n  path: report/testdata/manyclouds\nparams:\n  max_dim: 1\n  threshold: 1.5\n"},
	{"phase", "file:../experiments/phase-quick.yaml"},
	{"rankdyn", "study: rank_dynamics\nname: rank-dynamics-example\nseed: 3\ninput:\n  path: testdata/rankdyn/st\nparams:\n  k: 4\n"},
	// One swept d (as experiments/mnist-mlp-checkpoints.yaml on MNIST).
	{"single-d", "study: intrinsic_dim\nname: one-subspace-dim\nseed: 7\ninput: {dataset: digits}\nparams:\n  model: logistic\n  lr: 0.1\n  epochs: 2\n  projection: sparse\n  subspace_dim: 300\n"},
	{"subspace", "study: intrinsic_dim\nname: subspace-sweep\nseed: 1\ninput: {dataset: digits}\nparams:\n  model: logistic\n  lr: 0.1\n  epochs: 2\n  grid:\n    projection: [dense, fastfood]\n    subspace_dim: [5, 20, 50, 200]\n    seed: [1, 2]\n"},
	{"estimators", "study: intrinsic_dim\nname: manifolds\nseed: 5\ninput: {dataset: \"manifold:M7_Roll,M2_Affine_3to5\", shard_rows: 200}\nparams:\n  points: 400\n  local_k: 30\n  local: [mle, twonn]\n  grid:\n    method: [mle, twonn, lpca]\n"},
	{"checkpoints", "study: intrinsic_dim\nname: mlp-checkpoints\nseed: 5\ninput: {dataset: digits}\nparams:\n  model: mlp\n  hidden: [8]\n  baseline_lr: 0.01\n  epochs: 3\n  subspace_dim: 10\n  checkpoint_every: 40\n"},
	{"hessian", "study: hessian\nname: hessian-example\nseed: 2\ninput: {dataset: digits}\nparams:\n  checkpoints: OUT/checkpoints/run=checkpoints/mlp-full-seed0\n  samples: 300\n  probes: 3\n  slq_steps: 20\n  top_k: 12\n"},
}

func lookupStudy(name string) (report.Section, report.Summary, error) {
	st, err := studies.Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	return st.Report, st.Summary, nil
}

// allStudiesOutput returns the shared output folder, running the examples
// and writing the report the first time.
func allStudiesOutput(t *testing.T) string {
	t.Helper()
	allStudies.once.Do(func() {
		out, err := os.MkdirTemp("", "lowdim-all-studies-")
		if err != nil {
			t.Fatal(err)
		}
		allStudies.out = out
		for _, r := range exampleRuns {
			spec := r.spec
			if name, ok := strings.CutPrefix(spec, "file:"); ok {
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				spec = string(b)
			}
			spec = strings.ReplaceAll(spec, "OUT/", filepath.ToSlash(out)+"/")
			runStudyAs(t, out, r.id, spec)
			allStudies.runs = append(allStudies.runs, r.id)
		}
		if _, err := report.Write(context.Background(), out, "spectrum", lookupStudy); err != nil {
			t.Fatal(err)
		}
		allStudies.ok = true
	})
	if !allStudies.ok {
		t.Fatal("the example runs failed (see the first test that ran them)")
	}
	return allStudies.out
}

// TestFigureStructure draws every figure of every study's example into a
// folder per run (report.AllFigures: the per-cloud figures too) and checks
// each against its golden structure
// (testdata/figures/<run>/<figure>.json: axes, scales, labelled ticks,
// series, legend, colour bar, caption), and that the PNG is at least 1200
// pixels wide and the SVG beside it holds the title, axis labels and legend.
func TestFigureStructure(t *testing.T) {
	out := allStudiesOutput(t)
	ctx := context.Background()
	for _, id := range allStudies.runs {
		st, err := studies.Lookup(runStudyName(t, out, id))
		if err != nil {
			t.Fatal(err)
		}
		if st.Report == nil {
			continue
		}
		dir := filepath.Join(t.TempDir(), id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		md, err := st.Report(report.WithFigures(ctx, report.AllFigures), out, id, dir)
		if err != nil {
			t.Fatal(err)
		}
		pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		if len(pngs) == 0 {
			t.Errorf("run %s: no figures", id)
		}
		golden := filepath.Join("testdata", "figures", id)
		if *updateGolden {
			os.RemoveAll(golden)
			if err := os.MkdirAll(golden, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, file := range pngs {
			name := filepath.Base(file)
			if !strings.Contains(md, "("+name+")") {
				t.Errorf("%s/%s: not shown in the markdown", id, name)
			}
			s, ok := report.SavedFigure(file)
			if !ok {
				t.Errorf("%s/%s: not saved through the figure helper", id, name)
				continue
			}
			checkFigureFiles(t, id, file, s)
			got, err := s.MarshalIndent()
			if err != nil {
				t.Fatal(err)
			}
			gfile := filepath.Join(golden, strings.TrimSuffix(name, ".png")+".json")
			if *updateGolden {
				if err := os.WriteFile(gfile, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(gfile)
			if err != nil {
				t.Errorf("%s/%s: no golden structure (go test ./report/ -run TestFigureStructure -update): %v", id, name, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s: structure differs from %s (rerun with -update if intended):\n got %s\nwant %s", id, name, gfile, got, want)
			}
		}
		if !*updateGolden {
			goldens, _ := filepath.Glob(filepath.Join(golden, "*.json"))
			if len(goldens) != len(pngs) {
				t.Errorf("run %s: %d figures, %d golden structures", id, len(pngs), len(goldens))
			}
		}
	}
}

func runStudyName(t *testing.T, out, id string) string {
	t.Helper()
	runs, err := tables.ReadRun[pipelines.RunRow](context.Background(), out, pipelines.RunsTable, id)
	if err != nil || len(runs) != 1 {
		t.Fatalf("run %s in %s: %v", id, out, err)
	}
	return runs[0].Study
}

// checkFigureFiles checks the PNG's size and that the SVG beside it holds
// every text of the structure.
func checkFigureFiles(t *testing.T, id, file string, s report.FigureStructure) {
	t.Helper()
	name := id + "/" + filepath.Base(file)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width < 1200 || cfg.Width != s.WidthPx || cfg.Height != s.HeightPx {
		t.Errorf("%s: PNG %d × %d (%v), want ≥ 1200 wide and %d × %d", name, cfg.Width, cfg.Height, err, s.WidthPx, s.HeightPx)
	}
	svg, err := os.ReadFile(strings.TrimSuffix(file, ".png") + ".svg")
	if err != nil {
		t.Errorf("%s: no SVG beside the PNG: %v", name, err)
		return
	}
	if s.Caption == "" {
		t.Errorf("%s: no caption", name)
	}
	for i, p := range s.Panels {
		texts := append([]string{p.Title, p.X.Label, p.Y.Label}, p.Legend...)
		texts = append(texts, p.X.Ticks...)
		if p.ColorBar != nil {
			texts = append(texts, p.ColorBar.Label)
		}
		for _, text := range texts {
			if text != "" && !bytes.Contains(svg, []byte(">"+html.EscapeString(text)+"<")) {
				t.Errorf("%s panel %d: SVG lacks the text %q", name, i+1, text)
			}
		}
		if len(p.Series) == 0 {
			t.Errorf("%s panel %d: no series", name, i+1)
		}
		if p.Title == "" {
			t.Errorf("%s panel %d: no title", name, i+1)
		}
	}
}

// figureOf returns the structure of figure name of run id as drawn for the report.
func figureOf(t *testing.T, id, name string) report.FigureStructure {
	t.Helper()
	out := allStudiesOutput(t)
	st, err := studies.Lookup(runStudyName(t, out, id))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := st.Report(context.Background(), out, id, dir); err != nil {
		t.Fatal(err)
	}
	s, ok := report.SavedFigure(filepath.Join(dir, name))
	if !ok {
		pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		t.Fatalf("run %s drew no %s (drew %v)", id, name, pngs)
	}
	return s
}

// The findings of issue 22, one by one.

func TestScreeFigure(t *testing.T) {
	s := figureOf(t, "spectrum", "scree-digits.png")
	if len(s.Panels) != 2 {
		t.Fatalf("scree: %d panels, want the per-component and cumulative panels", len(s.Panels))
	}
	perComp, cum := s.Panels[0], s.Panels[1]
	for _, p := range s.Panels {
		for _, l := range []string{p.X.Label, p.Y.Label} {
			if strings.Contains(l, "bars") || strings.Contains(l, "_F") {
				t.Errorf("scree label %q: names bars that are not drawn or prints TeX", l)
			}
		}
	}
	if perComp.Y.Scale != "log" || perComp.Series[0].Kind != "points" {
		t.Errorf("per-component panel: %s scale, series %v; want points on a log axis", perComp.Y.Scale, perComp.Series)
	}
	// 48 components: ticks at 1 and every 5, not only 5, 25, 45.
	if want := []string{"1", "5", "10", "15", "20", "25", "30", "35", "40", "45"}; !slices.Equal(perComp.X.Ticks, want) {
		t.Errorf("scree x ticks %v, want %v", perComp.X.Ticks, want)
	}
	if !slices.Contains(cum.Legend, "90 % energy rank r = 21") && !slices.ContainsFunc(cum.Legend, func(l string) bool { return strings.HasPrefix(l, "90 % energy rank r = ") }) {
		t.Errorf("cumulative legend %v lacks the 90 %% energy rank", cum.Legend)
	}
}

func TestPhaseFigureTicksAtSweptValues(t *testing.T) {
	s := figureOf(t, "phase", "phase-n12-K1-noise0.png")
	p := s.Panels[0]
	if !slices.Equal(p.X.Ticks, []string{"1", "2", "3", "4"}) || !slices.Equal(p.Y.Ticks, []string{"2", "3"}) {
		t.Errorf("phase heatmap ticks x %v y %v: want the swept N (1 2 3 4) and d (2 3)", p.X.Ticks, p.Y.Ticks)
	}
	if p.ColorBar == nil || p.ColorBar.Min != 0 || p.ColorBar.Max != 1 || p.ColorBar.Label == "" {
		t.Errorf("phase heatmap colour bar %+v: want a labelled bar over [0, 1]", p.ColorBar)
	}
}

func TestIntrinsicFigureSingleD(t *testing.T) {
	s := figureOf(t, "single-d", "intrinsic-0-digits-logistic-64-10.png")
	p := s.Panels[0]
	if !slices.Equal(p.X.Ticks, []string{"300"}) {
		t.Errorf("one swept d: x ticks %v, want [300]", p.X.Ticks)
	}
	if p.X.Max-p.X.Min < 100 || p.X.Min > 300 || p.X.Max < 300 {
		t.Errorf("one swept d = 300: x axis %g–%g, want a range around 300, not 299–301", p.X.Min, p.X.Max)
	}
	var hlines int
	for _, se := range p.Series {
		if se.Kind == "hline" {
			hlines++
		}
	}
	if hlines != 2 || !slices.ContainsFunc(p.Legend, func(l string) bool { return strings.HasPrefix(l, "full-space baseline") }) {
		t.Errorf("one swept d: series %v legend %v; want the baseline and threshold drawn across the plot", p.Series, p.Legend)
	}
}

func TestIntrinsicFigureSweep(t *testing.T) {
	s := figureOf(t, "subspace", "intrinsic-0-digits-logistic-64-10.png")
	p := s.Panels[0]
	if !slices.Equal(p.X.Ticks, []string{"5", "20", "50", "200"}) || p.X.Scale != "log" {
		t.Errorf("d swept over 5…200: x %s ticks %v, want log with ticks at the swept d", p.X.Scale, p.X.Ticks)
	}
}

// TestLandscapeSummaryFigures: a landscape run of several clouds draws, by
// default, only the two figures that put its clouds together (every cloud's
// pairs and first two landscape levels in them), says how to draw the rest,
// and shows only files it drew; report.AllFigures adds each cloud's figures.
// A run of one cloud draws that cloud's figures either way.
func TestLandscapeSummaryFigures(t *testing.T) {
	out := allStudiesOutput(t)
	ctx := context.Background()
	st, err := studies.Lookup("landscape")
	if err != nil {
		t.Fatal(err)
	}
	draw := func(id string, f report.Figures) (string, []string, string) {
		t.Helper()
		dir := t.TempDir()
		md, err := st.Report(report.WithFigures(ctx, f), out, id, dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, p := range pngs {
			names = append(names, filepath.Base(p))
		}
		for _, m := range imageRefs.FindAllStringSubmatch(md, -1) {
			if !slices.Contains(names, m[1]) {
				t.Errorf("run %s (%s figures): markdown shows %s, which was not drawn", id, f, m[1])
			}
		}
		return md, names, dir
	}
	md, names, dir := draw("clouds", report.SummaryFigures)
	if want := []string{"diagrams.png", "landscapes.png"}; !slices.Equal(names, want) {
		t.Errorf("two clouds, default: drew %v, want %v", names, want)
	}
	if !strings.Contains(md, "--figures=all") || !strings.Contains(md, "| circle | 100 | 2 × 100 | H1 |") || !strings.Contains(md, "| torus | 1000 | 2 × 100 | H0 |") {
		t.Errorf("two clouds, default markdown lacks the table rows or how to draw each cloud's figures:\n%s", md)
	}
	lands, _ := report.SavedFigure(filepath.Join(dir, "landscapes.png"))
	if len(lands.Panels) != 2 {
		t.Fatalf("landscapes.png: %d panels, want H0 and H1", len(lands.Panels))
	}
	for _, p := range lands.Panels {
		if n := countKind(p.Series, "line"); n != 4 {
			t.Errorf("landscapes.png %q: %d lines, want λ₁ and λ₂ of 2 clouds", p.Title, n)
		}
	}
	if l := lands.Panels[1].Legend; !slices.Contains(l, "circle") || !slices.Contains(l, "torus") {
		t.Errorf("landscapes.png legend %v: want every cloud", l)
	}
	diags, _ := report.SavedFigure(filepath.Join(dir, "diagrams.png"))
	if got, want := countKind(diags.Panels[0].Series, "points"), diagramRows(t, out, "clouds"); got != want {
		t.Errorf("diagrams.png draws %d pairs, the diagram table has %d", got, want)
	}
	_, names, _ = draw("clouds", report.AllFigures)
	for _, want := range []string{"diagrams.png", "landscapes.png", "diagram-circle.png", "diagram-torus.png", "landscape-circle-H0.png", "landscape-circle-H1.png", "landscape-torus-H0.png", "landscape-torus-H1.png"} {
		if !slices.Contains(names, want) {
			t.Errorf("two clouds, all figures: no %s (drew %v)", want, names)
		}
	}

	_, names, dir = draw("manyclouds", report.SummaryFigures)
	if want := []string{"diagrams.png", "landscapes.png"}; !slices.Equal(names, want) {
		t.Errorf("eleven clouds, default: drew %v, want %v", names, want)
	}
	lands, _ = report.SavedFigure(filepath.Join(dir, "landscapes.png"))
	for _, p := range lands.Panels {
		if n := countKind(p.Series, "line"); n != 22 {
			t.Errorf("eleven clouds, %q: %d lines, want λ₁ and λ₂ of each cloud", p.Title, n)
		}
	}
	if l := lands.Panels[len(lands.Panels)-1].Legend; !slices.Equal(l, []string{"level k = 1, one line per cloud", "level k = 2, one line per cloud"}) {
		t.Errorf("eleven clouds: landscapes.png legend %v, want the levels, one line per cloud", l)
	}
	diags, _ = report.SavedFigure(filepath.Join(dir, "diagrams.png"))
	if got, want := countKind(diags.Panels[0].Series, "points"), diagramRows(t, out, "manyclouds"); got != want || !slices.Contains(diags.Panels[0].Legend, "H1 pairs, all 11 clouds") {
		t.Errorf("eleven clouds: diagrams.png draws %d pairs (the table has %d), legend %v", got, want, diags.Panels[0].Legend)
	}

	for _, f := range []report.Figures{report.SummaryFigures, report.AllFigures} {
		if _, names, _ := draw("landscape", f); !slices.Equal(names, []string{"diagram-torus.png", "landscape-torus-H0.png", "landscape-torus-H1.png"}) {
			t.Errorf("one cloud, %s figures: drew %v, want the cloud's own figures", f, names)
		}
	}
}

// imageRefs matches the file of a markdown image.
var imageRefs = regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`)

// countKind counts the series of a kind: lines one each, points by their points.
func countKind(series []report.SeriesStructure, kind string) int {
	n := 0
	for _, s := range series {
		switch {
		case s.Kind != kind:
		case kind == "points":
			n += s.Points
		default:
			n++
		}
	}
	return n
}

// diagramRows is the number of rows of the diagram table of run id.
func diagramRows(t *testing.T, out, id string) int {
	t.Helper()
	rows, err := tables.ReadRun[transforms.LandscapeDiagramRow](context.Background(), out, pipelines.DiagramTable, id)
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}
