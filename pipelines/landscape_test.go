package pipelines

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/clouds"
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/ph"
	"github.com/lowdim/lowdim/linalg/sample"
	"github.com/lowdim/lowdim/transforms"
)

// noisyCircle returns n points of the circle of radius r at uniform random
// angles, with N(0, noise²) added to each coordinate.
func noisyCircle(n int, r, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]float64, 0, 2*n)
	for range n {
		t := 2 * math.Pi * rng.Float64()
		pts = append(pts, r*math.Cos(t)+noise*rng.NormFloat64(), r*math.Sin(t)+noise*rng.NormFloat64())
	}
	return pts
}

func writeCloud(t *testing.T, name string, pts []float64, dim int) string {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npy.Write(f, len(pts)/dim, dim, pts, "<f8", false); err != nil {
		t.Fatal(err)
	}
	return name
}

func writeCSVCloud(t *testing.T, name string, pts []float64, dim int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(pts); i += dim {
		for j := 0; j < dim; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.17g", pts[i+j])
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

type landscapeTables struct {
	plan    *LandscapePlan
	diagram []transforms.LandscapeDiagramRow
	land    []transforms.LandscapeRow
	summary []transforms.LandscapeSummaryRow
}

// readStagedAll reads every staged part of one table of run r1.
func readStagedAll[T any](t *testing.T, out, table string) []T {
	t.Helper()
	ctx := context.Background()
	files, err := files.List(ctx, filepath.Join(tables.StagingFolder(out, table, "r1"), "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: staged files %v, %v", table, files, err)
	}
	var all []T
	for _, f := range files {
		rows, err := tables.ReadFile[T](ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
	}
	return all
}

// runLandscape plans spec with PlanLandscape, runs it on Prism (ptest) into out
// and reads back the staged tables.
func runLandscapeSpec(t *testing.T, spec *experiments.Spec, out string) landscapeTables {
	t.Helper()
	plan, err := PlanLandscape(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Tables(), []string{DiagramTable, LandscapeTable, LandscapeSummaryTable}; !slices.Equal(got, want) {
		t.Fatalf("tables %v, want %v", got, want)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	return landscapeTables{
		plan:    plan,
		diagram: readStagedAll[transforms.LandscapeDiagramRow](t, out, DiagramTable),
		land:    readStagedAll[transforms.LandscapeRow](t, out, LandscapeTable),
		summary: readStagedAll[transforms.LandscapeSummaryRow](t, out, LandscapeSummaryTable),
	}
}

func runLandscape(t *testing.T, yaml string) landscapeTables {
	t.Helper()
	return runLandscapeSpec(t, parseSpec(t, yaml), t.TempDir())
}

func landscapeSpec(path string, seed int, params string) string {
	return fmt.Sprintf("study: landscape\nname: t\nseed: %d\ninput:\n  path: %s\nparams:\n%s", seed, path, params)
}

func sampleOf(r transforms.LandscapeRow) int64 {
	if r.Sample == nil {
		return -1
	}
	return *r.Sample
}

// TestLandscapeCircle runs the study on a noisy circle (radius 1): its one
// long H1 class is born near 0 and dies near √3 (the equilateral triangle
// inscribed in the circle). It checks the diagram of every sample against
// a direct ph call on the same subsample, λ₁'s peak against (death − birth)/2
// of the dominant class, the mean landscape against an exact mean of the
// per-sample rows, the summary against the diagrams, and NULL deaths.
func TestLandscapeCircle(t *testing.T) {
	const (
		n, m, samples   = 240, 120, 6
		levels, res     = 3, 201
		threshold       = 2.0
		radius, noise   = 1.0, 0.02
		seed            = 5
		circleName      = "circle"
		gridStep        = threshold / (res - 1)
		expectedH1Death = 1.7320508075688772 // r√3
	)
	pts := noisyCircle(n, radius, noise, 1)
	path := writeCloud(t, filepath.Join(t.TempDir(), circleName+".npy"), pts, 2)
	tb := runLandscape(t, landscapeSpec(path, seed, fmt.Sprintf(
		"  threshold: %g\n  subsamples: %d\n  subsample_size: %d\n  levels: %d\n  resolution: %d\n", threshold, samples, m, levels, res)))

	// Diagrams: each sample's rows are exactly ph's pairs on the same subsample.
	sampling := sample.Scheme{Size: m, Landmarks: "random"}
	bySample := map[int64][]transforms.LandscapeDiagramRow{}
	for _, r := range tb.diagram {
		if r.Cloud != circleName || r.RunID != "r1" {
			t.Fatalf("diagram row %+v", r)
		}
		bySample[r.Sample] = append(bySample[r.Sample], r)
	}
	if len(bySample) != samples {
		t.Fatalf("diagram rows of %d samples, want %d", len(bySample), samples)
	}
	dominant := map[int64]ph.Pair{}
	for s := range int64(samples) {
		idx, err := sampling.Indices(pts, n, 2, transforms.LandscapeSeed(seed, circleName, s))
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) != m {
			t.Fatalf("sample %d has %d points, want %d", s, len(idx), m)
		}
		want, err := ph.VietorisRips(sample.Gather(pts, 2, idx), m, 2, ph.Options{MaxDim: 1, Threshold: threshold})
		if err != nil {
			t.Fatal(err)
		}
		got := bySample[s]
		slices.SortFunc(got, func(a, b transforms.LandscapeDiagramRow) int {
			return comparePair(toPair(a), toPair(b))
		})
		if len(got) != len(want.Pairs) {
			t.Fatalf("sample %d: %d diagram rows, ph gives %d pairs", s, len(got), len(want.Pairs))
		}
		essential := [2]int{}
		for i, r := range got {
			if p := toPair(r); p != want.Pairs[i] {
				t.Errorf("sample %d pair %d: table %+v, ph %+v", s, i, p, want.Pairs[i])
			}
			if r.Death == nil {
				essential[r.Dim]++
			}
			if r.Dim == 1 && (r.Death == nil || *r.Death-r.Birth > dominant[s].Death-dominant[s].Birth) {
				dominant[s] = toPair(r)
			}
		}
		// H0 has one essential class (the threshold connects the cloud); H1 none.
		if essential != [2]int{1, 0} {
			t.Errorf("sample %d: essential classes (H0, H1) = %v, want [1 0]", s, essential)
		}
		if d := dominant[s]; math.Abs(d.Death-expectedH1Death) > 0.15 || d.Birth > 0.5 {
			t.Errorf("sample %d: dominant H1 class %+v, want death ≈ √3 and a small birth", s, d)
		}
	}

	// Per-sample landscapes: λ₁'s grid maximum is the tent height (d − b)/2
	// of the dominant class up to half a grid step.
	type key struct {
		sample, dim, level int64
	}
	curves := map[key][]transforms.LandscapeRow{}
	for _, r := range tb.land {
		k := key{sampleOf(r), r.Dim, r.Level}
		curves[k] = append(curves[k], r)
	}
	if want := (samples + 1) * 2 * levels; len(curves) != want {
		t.Fatalf("%d landscape curves, want %d", len(curves), want)
	}
	for k, c := range curves {
		if len(c) != res {
			t.Fatalf("curve %+v has %d points, want %d", k, len(c), res)
		}
		slices.SortFunc(c, func(a, b transforms.LandscapeRow) int { return cmpFloat(a.T, b.T) })
	}
	peak := func(c []transforms.LandscapeRow) float64 {
		m := 0.0
		for _, r := range c {
			m = max(m, r.Value)
		}
		return m
	}
	for s := range int64(samples) {
		d := dominant[s]
		h := (d.Death - d.Birth) / 2
		if got := peak(curves[key{s, 1, 1}]); got > h+1e-12 || got < h-gridStep/2-1e-12 {
			t.Errorf("sample %d: max λ₁ = %.6f, want (d − b)/2 = %.6f within half a grid step", s, got, h)
		}
	}

	// The mean landscape: λ₁'s peak is near that of the whole cloud's dominant class.
	full, err := ph.VietorisRips(pts, n, 2, ph.Options{MaxDim: 1, Threshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	var fullDom ph.Pair
	for _, p := range full.Dim(1) {
		if p.Death-p.Birth > fullDom.Death-fullDom.Birth {
			fullDom = p
		}
	}
	wantPeak := (fullDom.Death - fullDom.Birth) / 2
	meanPeak := peak(curves[key{-1, 1, 1}])
	// The peak of the mean is at most the mean of the samples' peaks, and
	// close to it when the tents line up; a subsample's class is born later
	// (wider gaps) than the whole cloud's, so its tents are a little lower.
	var meanOfPeaks float64
	for s := range int64(samples) {
		meanOfPeaks += peak(curves[key{s, 1, 1}]) / samples
	}
	t.Logf("whole cloud: dominant H1 %+v, (d − b)/2 = %.4f; mean landscape max λ₁ = %.4f; mean of the samples' max λ₁ = %.4f", fullDom, wantPeak, meanPeak, meanOfPeaks)
	if meanPeak > meanOfPeaks+1e-12 || meanPeak < meanOfPeaks-0.05 {
		t.Errorf("mean max λ₁ = %.4f, mean of the samples' max λ₁ = %.4f", meanPeak, meanOfPeaks)
	}
	if math.Abs(meanPeak-wantPeak) > 0.1 {
		t.Errorf("mean max λ₁ = %.4f, whole cloud's (d − b)/2 = %.4f", meanPeak, wantPeak)
	}
	if math.Abs(fullDom.Death-expectedH1Death) > 0.1 {
		t.Errorf("whole cloud dominant H1 dies at %.4f, want ≈ √3", fullDom.Death)
	}

	// Exact merge: every mean value is the correctly rounded exact sum of the
	// per-sample values, divided by the number of samples.
	for k, c := range curves {
		if k.sample != -1 {
			continue
		}
		for i, r := range c {
			var vals []float64
			for s := range int64(samples) {
				vals = append(vals, curves[key{s, k.dim, k.level}][i].Value)
			}
			if want := exactSum(vals) / samples; r.Value != want {
				t.Fatalf("H%d λ%d(%g): mean %v, exact mean of the samples %v", k.dim, k.level, r.T, r.Value, want)
			}
		}
	}

	// Summary: one row per dim, consistent with the diagrams and the mean.
	if len(tb.summary) != 2 {
		t.Fatalf("%d summary rows, want 2", len(tb.summary))
	}
	for _, s := range tb.summary {
		var feats, ess int
		var pers []float64
		for _, r := range tb.diagram {
			if r.Dim != s.Dim {
				continue
			}
			feats++
			if r.Death == nil {
				ess++
			} else {
				pers = append(pers, *r.Death-r.Birth)
			}
		}
		if s.Samples != samples || s.Points != n || s.SampleSize != m || s.Threshold != threshold || s.RangeLo != 0 || s.RangeHi != threshold {
			t.Errorf("summary H%d: %+v", s.Dim, s)
		}
		if s.Features != float64(feats)/samples || s.Essential != float64(ess)/samples {
			t.Errorf("summary H%d: features %v, essential %v; diagrams give %v, %v", s.Dim, s.Features, s.Essential, float64(feats)/samples, float64(ess)/samples)
		}
		if want := exactSum(pers) / samples; math.Abs(s.TotalPersistence-want) > 1e-12*want {
			t.Errorf("summary H%d: total persistence %v, diagrams give %v", s.Dim, s.TotalPersistence, want)
		}
		var mean []float64
		for l := int64(1); l <= levels; l++ {
			for _, r := range curves[key{-1, s.Dim, l}] {
				mean = append(mean, r.Value)
			}
		}
		sm := landscape.Sampled{Grid: landscape.Grid{Lo: 0, Hi: threshold, Resolution: res}, Levels: levels, Values: mean}
		if s.Linf != peak(curves[key{-1, s.Dim, 1}]) || s.L1 != sm.Norm(1) || s.L2 != sm.Norm(2) {
			t.Errorf("summary H%d norms (%v, %v, %v), mean landscape gives (%v, %v, %v)", s.Dim, s.L1, s.L2, s.Linf, sm.Norm(1), sm.Norm(2), peak(curves[key{-1, s.Dim, 1}]))
		}
	}
}

func toPair(r transforms.LandscapeDiagramRow) ph.Pair {
	p := ph.Pair{Dim: int(r.Dim), Birth: r.Birth, Death: math.Inf(1)}
	if r.Death != nil {
		p.Death = *r.Death
	}
	return p
}

func comparePair(a, b ph.Pair) int {
	if a.Dim != b.Dim {
		return a.Dim - b.Dim
	}
	if c := cmpFloat(a.Birth, b.Birth); c != 0 {
		return c
	}
	return cmpFloat(a.Death, b.Death)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// exactSum is Σ vals correctly rounded (ties to even), computed with big.Float.
func exactSum(vals []float64) float64 {
	s := new(big.Float).SetPrec(4096)
	for _, v := range vals {
		s.Add(s, new(big.Float).SetFloat64(v))
	}
	f, _ := s.Float64()
	return f
}

// TestLandscapeMeanOrderIndependent: LandscapeMeanFn's mean is the
// correctly rounded exact mean whatever the order of AddInput and
// MergeAccumulators, while a plain float sum (landscape.MeanAccumulator)
// differs in the last bits.
func TestLandscapeMeanOrderIndependent(t *testing.T) {
	const levels, res, n = 2, 3, 40
	rng := rand.New(rand.NewPCG(9, 9))
	stats := make([]transforms.LandscapeStats, n)
	for i := range stats {
		v := make([]float64, levels*res)
		for j := range v {
			v[j] = math.Ldexp(rng.Float64(), rng.IntN(80)-40) // 80 binades: order matters for float sums
		}
		stats[i] = transforms.LandscapeStats{Cloud: "c", Dim: 1, Values: v, Features: 1, Persistence: v[0]}
	}
	fn := &transforms.LandscapeMeanFn{Levels: levels, Resolution: res}
	combine := func(order []int, split int) []float64 {
		a, b := fn.CreateAccumulator(), fn.CreateAccumulator()
		for i, o := range order {
			if i < split {
				a = fn.AddInput(a, stats[o])
			} else {
				b = fn.AddInput(b, stats[o])
			}
		}
		acc := fn.ExtractOutput(fn.MergeAccumulators(b, a))
		if acc.Count != n || acc.Features != n {
			t.Fatalf("count %d, features %d, want %d", acc.Count, acc.Features, n)
		}
		return acc.Accumulator(levels, res).Mean()
	}
	want := make([]float64, levels*res)
	for j := range want {
		var col []float64
		for _, s := range stats {
			col = append(col, s.Values[j])
		}
		want[j] = exactSum(col) / n
	}
	naiveDiffers := false
	for trial := range 20 {
		order := rng.Perm(n)
		got := combine(order, trial*2)
		if !slices.Equal(got, want) {
			t.Fatalf("order %v split %d: mean %v, exact %v", order, trial*2, got, want)
		}
		var naive landscape.MeanAccumulator
		for _, o := range order {
			if err := naive.Add(landscape.Sampled{Grid: landscape.Grid{Lo: 0, Hi: 1, Resolution: res}, Levels: levels, Values: stats[o].Values}); err != nil {
				t.Fatal(err)
			}
		}
		for j, v := range naive.Mean() {
			if math.Abs(v-want[j]) > 1e-14*want[j] {
				t.Fatalf("plain mean %v far from exact %v", v, want[j])
			}
			naiveDiffers = naiveDiffers || v != want[j]
		}
	}
	if !naiveDiffers {
		t.Log("plain float sums happened to round exactly in every order")
	}
}

// TestLandscapeDeterminism: the same seed gives identical tables; another
// seed draws other subsamples.
func TestLandscapeDeterminism(t *testing.T) {
	dir := t.TempDir()
	writeCloud(t, filepath.Join(dir, "a.npy"), noisyCircle(60, 1, 0.05, 2), 2)
	writeCloud(t, filepath.Join(dir, "b.npy"), noisyCircle(50, 0.5, 0.05, 3), 2)
	params := "  subsamples: 4\n  subsample_size: 30\n  levels: 2\n  resolution: 50\n"
	one := runLandscape(t, landscapeSpec(dir, 11, params))
	two := runLandscape(t, landscapeSpec(dir, 11, params))
	other := runLandscape(t, landscapeSpec(dir, 12, params))
	if len(one.summary) != 4 {
		t.Fatalf("%d summary rows, want 2 clouds × 2 dims", len(one.summary))
	}
	if !slices.Equal(canonical(one.diagram), canonical(two.diagram)) {
		t.Error("diagram tables differ between two runs with the same seed")
	}
	if !slices.Equal(canonical(one.land), canonical(two.land)) {
		t.Error("landscape tables differ between two runs with the same seed")
	}
	if !slices.Equal(canonical(one.summary), canonical(two.summary)) {
		t.Error("landscape_summary tables differ between two runs with the same seed")
	}
	if slices.Equal(canonical(one.diagram), canonical(other.diagram)) {
		t.Error("seeds 11 and 12 gave the same diagrams")
	}
	// The default threshold is the largest enclosing radius of the clouds' sample 0.
	if one.plan.Threshold <= 0.5 || one.plan.Threshold > 2.5 {
		t.Errorf("default threshold %v for circles of radius 1 and 0.5", one.plan.Threshold)
	}
}

// canonical prints rows one per line, pointers dereferenced, sorted.
func canonical[T any](rows []T) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		s := fmt.Sprintf("%+v", r)
		switch v := any(r).(type) {
		case transforms.LandscapeDiagramRow:
			if v.Death != nil {
				s += fmt.Sprintf(" death=%v", *v.Death)
			}
		case transforms.LandscapeRow:
			if v.Sample != nil {
				s += fmt.Sprintf(" sample=%v", *v.Sample)
			}
		}
		s = stripPointers(s)
		out[i] = s
	}
	slices.Sort(out)
	return out
}

// stripPointers drops the addresses %+v prints for pointer fields.
func stripPointers(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "0x")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := i + 2
		for j < len(s) && strings.ContainsRune("0123456789abcdef", rune(s[j])) {
			j++
		}
		s = s[j:]
	}
}

// TestLandscapeInputs: a directory of npy, csv and Parquet clouds gives one
// cloud per file, named by its file name; other files are skipped; a glob
// selects some; duplicate points give the diagram of the distinct points.
func TestLandscapeInputs(t *testing.T) {
	dir := t.TempDir()
	circle := noisyCircle(30, 1, 0.02, 4)
	writeCloud(t, filepath.Join(dir, "ring.npy"), circle, 2)
	writeCSVCloud(t, filepath.Join(dir, "ring2.csv"), circle, 2)
	type xy struct {
		X float64 `parquet:"x"`
		Y float64 `parquet:"y"`
	}
	var rows []xy
	for i := 0; i < len(circle); i += 2 {
		rows = append(rows, xy{circle[i], circle[i+1]})
	}
	if err := parquet.WriteFile(filepath.Join(dir, "ring3.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	// Every point twice.
	dup := append(slices.Clone(circle), circle...)
	writeCloud(t, filepath.Join(dir, "twice.npy"), dup, 2)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a cloud"), 0o644)
	os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644)

	tb := runLandscape(t, landscapeSpec(dir, 1, "  threshold: 1.5\n  levels: 2\n  resolution: 20\n"))
	diagrams := map[string][]ph.Pair{}
	for _, r := range tb.diagram {
		diagrams[r.Cloud] = append(diagrams[r.Cloud], toPair(r))
	}
	var names []string
	for name, d := range diagrams {
		names = append(names, name)
		slices.SortFunc(d, comparePair)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"ring", "ring2", "ring3", "twice"}) {
		t.Fatalf("clouds %v", names)
	}
	for _, name := range names[1:] {
		if !slices.Equal(diagrams[name], diagrams["ring"]) {
			t.Errorf("cloud %s: diagram %v, want that of ring %v", name, diagrams[name], diagrams["ring"])
		}
	}
	for _, s := range tb.summary {
		want := int64(30)
		if s.Cloud == "twice" {
			want = 60
		}
		if s.Points != want {
			t.Errorf("cloud %s: %d points, want %d", s.Cloud, s.Points, want)
		}
	}

	glob := runLandscape(t, landscapeSpec(filepath.Join(dir, "ring*.npy"), 1, "  threshold: 1.5\n"))
	if len(glob.summary) != 2 || glob.summary[0].Cloud != "ring" {
		t.Errorf("glob ring*.npy: summary %+v", glob.summary)
	}
}

// TestLandscapeBootstrap: samples drawn with replacement, as many as the
// cloud's points, are the diagrams of the drawn points (duplicates give no
// pairs, so H0 has fewer pairs than points).
func TestLandscapeBootstrap(t *testing.T) {
	const n, seed = 40, 4
	pts := noisyCircle(n, 1, 0.02, 6)
	path := writeCloud(t, filepath.Join(t.TempDir(), "boot.npy"), pts, 2)
	tb := runLandscape(t, landscapeSpec(path, seed, fmt.Sprintf("  threshold: 2\n  subsamples: 3\n  subsample_size: %d\n  replace: true\n  levels: 1\n  resolution: 10\n", n)))
	got := map[int64][]ph.Pair{}
	for _, r := range tb.diagram {
		got[r.Sample] = append(got[r.Sample], toPair(r))
	}
	for s := range int64(3) {
		idx, err := sample.Scheme{Size: n, Replace: true}.Indices(pts, n, 2, transforms.LandscapeSeed(seed, "boot", s))
		if err != nil {
			t.Fatal(err)
		}
		distinct := len(slices.Compact(slices.Clone(idx)))
		want, err := ph.VietorisRips(sample.Gather(pts, 2, idx), n, 2, ph.Options{MaxDim: 1, Threshold: 2})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got[s], comparePair)
		if !slices.Equal(got[s], want.Pairs) {
			t.Errorf("sample %d: diagram %v, ph on the drawn points %v", s, got[s], want.Pairs)
		}
		if h0 := len(want.Dim(0)); h0 != distinct || distinct == n {
			t.Errorf("sample %d: %d H0 pairs for %d distinct points of %d drawn", s, h0, distinct, n)
		}
	}
}

// TestLandscapeMaxMin: the pipeline's maxmin samples of 8 points of 64
// evenly spaced on a circle (every 8th point, see sample's tests) have their
// H1 class born at the chord of 2π/8.
func TestLandscapeMaxMin(t *testing.T) {
	const n = 64
	pts := make([]float64, 0, 2*n)
	for i := range n {
		a := 2 * math.Pi * float64(i) / n
		pts = append(pts, math.Cos(a), math.Sin(a))
	}
	path := writeCloud(t, filepath.Join(t.TempDir(), "even.npy"), pts, 2)
	tb := runLandscape(t, landscapeSpec(path, 3, "  threshold: 2\n  subsamples: 3\n  subsample_size: 8\n  landmarks: maxmin\n  levels: 1\n  resolution: 10\n"))
	chord := 2 * math.Sin(math.Pi/8)
	h1 := 0
	for _, r := range tb.diagram {
		if r.Dim == 1 {
			h1++
			if math.Abs(r.Birth-chord) > 1e-12 {
				t.Errorf("sample %d: H1 born at %v, want the chord %v", r.Sample, r.Birth, chord)
			}
		}
	}
	if h1 != 3 {
		t.Errorf("%d H1 pairs over 3 samples, want 3", h1)
	}
}

// TestPlanLandscapeErrors: bad input fails in PlanLandscape, before any pipeline,
// with a message that says what and where.
func TestPlanLandscapeErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeCloud(t, filepath.Join(dir, "good.npy"), noisyCircle(40, 1, 0.01, 1), 2)
	nan := noisyCircle(10, 1, 0.01, 1)
	nan[2*7+1] = math.NaN()
	nanPath := writeCSVCloud(t, filepath.Join(dir, "nan.csv"), nan, 2)
	one := writeCloud(t, filepath.Join(dir, "one.npy"), []float64{1, 2}, 2)
	big := writeCloud(t, filepath.Join(t.TempDir(), "big.npy"), noisyCircle(300, 1, 0.01, 1), 2)
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"nan", landscapeSpec(nanPath, 0, "  threshold: 1\n"), []string{"nan.csv: row 8, column 2", "not finite", "on_bad_rows: skip"}},
		{"one point", landscapeSpec(one, 0, "  threshold: 1\n"), []string{"cloud one", "one.npy", "1 point(s)", "at least 2"}},
		{"threshold 0", landscapeSpec(good, 0, "  threshold: 0\n"), []string{"test.yaml:7:14: params.threshold must be a finite number > 0"}},
		{"threshold negative", landscapeSpec(good, 0, "  threshold: -1\n"), []string{"params.threshold must be a finite number > 0 (or null", "got -1"}},
		{"too large", landscapeSpec(big, 0, "  threshold: 3\n  max_bytes: 100000\n"), []string{"cloud big", "big.npy", "300 points at threshold", "subsample (params.subsample_size) or lower params.threshold"}},
		{"subsample too large", landscapeSpec(good, 0, "  subsamples: 2\n  subsample_size: 41\n"), []string{"params.subsample_size 41 exceeds its 40 points"}},
		{"subsamples without size", landscapeSpec(good, 0, "  subsamples: 3\n"), []string{"params.subsamples is 3 but subsample_size is 0"}},
		{"typo", landscapeSpec(good, 0, "  treshold: 1\n"), []string{`unknown key "treshold" in params (did you mean threshold?)`}},
		{"grid", landscapeSpec(good, 0, "  grid:\n    levels: [1, 2]\n"), []string{"params.grid: the landscape study has no grid"}},
		{"range", landscapeSpec(good, 0, "  range: [2, 1]\n"), []string{"params.range must be finite with lo < hi"}},
		{"no files", landscapeSpec(filepath.Join(dir, "*.parquet"), 0, ""), []string{"no point cloud files"}},
		{"dataset", "study: landscape\ninput:\n  dataset: molrg\n", []string{"set input.path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := experiments.Parse([]byte(tc.yaml), "test.yaml")
			if err == nil {
				_, err = PlanLandscape(context.Background(), spec, t.TempDir(), "r1")
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.name == "too large" {
				if !errors.Is(err, ph.ErrTooLarge) {
					t.Errorf("error %v does not wrap ph.ErrTooLarge", err)
				}
				// The plan's estimate is ph's: ph refuses the same cloud with the same figures.
				c, rerr := clouds.Reader{}.Read(context.Background(), big)
				if rerr != nil {
					t.Fatal(rerr)
				}
				_, pherr := ph.VietorisRips(c.Points, c.N, c.Dim, ph.Options{MaxDim: 1, Threshold: 3, MaxBytes: 100000})
				if pherr == nil {
					t.Fatal("ph accepted the cloud the plan refused")
				}
				_, figures, _ := strings.Cut(pherr.Error(), " give ")
				figures, _, _ = strings.Cut(figures, " of memory")
				if figures == "" || !strings.Contains(err.Error(), figures) {
					t.Errorf("plan: %v\nph:   %v", err, pherr)
				}
			}
		})
	}
	// on_bad_rows: skip drops the NaN point and counts it.
	spec := parseSpec(t, landscapeSpec(nanPath, 0, "  threshold: 1\n")+"")
	spec.Input.OnBadRows = "skip"
	plan, err := PlanLandscape(context.Background(), spec, t.TempDir(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Clouds[0].Points != 9 {
		t.Errorf("skip: %d points, want 9", plan.Clouds[0].Points)
	}
}

// groupedSpec is landscapeSpec with input.group_by set.
func groupedSpec(path, groupBy string, seed int, params string) string {
	return fmt.Sprintf("study: landscape\nname: t\nseed: %d\ninput:\n  path: %s\n  group_by: %s\nparams:\n%s", seed, path, groupBy, params)
}

// diagramsByCloud returns each cloud's diagram rows as pairs, sorted, keyed
// by cloud and sample.
func diagramsByCloud(rows []transforms.LandscapeDiagramRow) map[string][]ph.Pair {
	out := map[string][]ph.Pair{}
	for _, r := range rows {
		k := fmt.Sprintf("%s/%d", r.Cloud, r.Sample)
		out[k] = append(out[k], toPair(r))
	}
	for _, d := range out {
		slices.SortFunc(d, comparePair)
	}
	return out
}

// TestLandscapeGroupBy: a csv table holding a circle and a noisy blob,
// told apart by a string column "cloud" (between the coordinates, rows
// interleaved), gives the two clouds with the diagrams, landscapes and
// summary of running each cloud from its own file; so does a Parquet table
// whose numeric column "id" names them 1 and 2.
func TestLandscapeGroupBy(t *testing.T) {
	const seed = 3
	circle := noisyCircle(36, 1, 0.03, 7)
	rng := rand.New(rand.NewPCG(8, 1))
	blob := make([]float64, 2*28)
	for i := range blob {
		blob[i] = 0.3 * rng.NormFloat64()
	}
	params := "  subsamples: 2\n  subsample_size: 24\n  levels: 2\n  resolution: 30\n"

	sep := t.TempDir()
	writeCSVCloud(t, filepath.Join(sep, "circle.csv"), circle, 2)
	writeCSVCloud(t, filepath.Join(sep, "blob.csv"), blob, 2)
	want := runLandscape(t, landscapeSpec(sep, seed, params))

	// Rows interleaved: blob first, so the clouds' order in the table differs from the files'.
	var b strings.Builder
	b.WriteString("x,cloud,y\n")
	type row struct {
		X  float64 `parquet:"x"`
		ID int64   `parquet:"id"`
		Y  float64 `parquet:"y"`
	}
	var prows []row
	for i := 0; i < max(len(circle), len(blob))/2; i++ {
		if 2*i < len(blob) {
			fmt.Fprintf(&b, "%.17g, blob ,%.17g\n", blob[2*i], blob[2*i+1])
			prows = append(prows, row{blob[2*i], 2, blob[2*i+1]})
		}
		if 2*i < len(circle) {
			fmt.Fprintf(&b, "%.17g,circle,%.17g\n", circle[2*i], circle[2*i+1])
			prows = append(prows, row{circle[2*i], 1, circle[2*i+1]})
		}
	}
	dir := t.TempDir()
	table := filepath.Join(dir, "two.csv")
	if err := os.WriteFile(table, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := runLandscape(t, groupedSpec(table, "cloud", seed, params))

	if len(got.plan.Clouds) != 2 || got.plan.Clouds[0].Name != "blob" || got.plan.Clouds[1].Name != "circle" {
		t.Fatalf("plan clouds %+v, want blob then circle", got.plan.Clouds)
	}
	if got.plan.Threshold != want.plan.Threshold {
		t.Errorf("threshold %v, want %v from the separate files", got.plan.Threshold, want.plan.Threshold)
	}
	if len(got.summary) != 4 {
		t.Fatalf("%d summary rows, want 2 clouds × 2 dims", len(got.summary))
	}
	points := map[string]int64{"circle": 36, "blob": 28}
	for _, s := range got.summary {
		if s.Points != points[s.Cloud] {
			t.Errorf("cloud %q: %d points, want %d", s.Cloud, s.Points, points[s.Cloud])
		}
	}
	gd, wd := diagramsByCloud(got.diagram), diagramsByCloud(want.diagram)
	if len(gd) != 4 || len(wd) != 4 {
		t.Fatalf("diagrams of %d and %d (cloud, sample)s, want 4", len(gd), len(wd))
	}
	for k, d := range wd {
		if !slices.Equal(gd[k], d) {
			t.Errorf("%s: grouped diagram %v, from its own file %v", k, gd[k], d)
		}
	}
	if !slices.Equal(canonical(got.summary), canonical(want.summary)) {
		t.Errorf("summaries differ:\ngrouped %v\nfiles   %v", canonical(got.summary), canonical(want.summary))
	}
	if !slices.Equal(canonical(got.land), canonical(want.land)) {
		t.Error("landscape tables differ between the grouped table and the separate files")
	}
	// The circle's H1 class stands well above anything the blob has.
	linf := map[string]float64{}
	for _, s := range got.summary {
		if s.Dim == 1 {
			linf[s.Cloud] = s.Linf
		}
	}
	t.Logf("H1 sup of the mean λ₁: circle %.3f, blob %.3f", linf["circle"], linf["blob"])
	if !(linf["circle"] > 3*linf["blob"]) {
		t.Errorf("H1 sup of the mean λ₁: circle %v, blob %v; want the circle's well above", linf["circle"], linf["blob"])
	}

	// Parquet, numeric group column: clouds "1" (circle) and "2" (blob).
	pq := filepath.Join(dir, "two.parquet")
	if err := parquet.WriteFile(pq, prows); err != nil {
		t.Fatal(err)
	}
	sepNum := t.TempDir()
	writeCSVCloud(t, filepath.Join(sepNum, "1.csv"), circle, 2)
	writeCSVCloud(t, filepath.Join(sepNum, "2.csv"), blob, 2)
	wantNum := runLandscape(t, landscapeSpec(sepNum, seed, params))
	gotNum := runLandscape(t, groupedSpec(pq, "id", seed, params))
	if len(gotNum.plan.Clouds) != 2 || gotNum.plan.Clouds[0].Name != "2" || gotNum.plan.Clouds[0].Dim != 2 {
		t.Fatalf("parquet plan clouds %+v, want 2 then 1, in 2 dimensions", gotNum.plan.Clouds)
	}
	if !slices.Equal(canonical(gotNum.diagram), canonical(wantNum.diagram)) {
		t.Error("parquet: diagrams differ from the separate files'")
	}
	if !slices.Equal(canonical(gotNum.summary), canonical(wantNum.summary)) {
		t.Errorf("parquet: summaries differ:\ngrouped %v\nfiles   %v", canonical(gotNum.summary), canonical(wantNum.summary))
	}
}

// TestPlanLandscapeGroupByErrors: a grouped table without its group column,
// or a directory, or a study that does not read group_by, fails before any
// pipeline with one line naming the file and the column.
func TestPlanLandscapeGroupByErrors(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "pts.csv")
	os.WriteFile(table, []byte("x,y,label\n0,0,a\n1,0,a\n0,1,b\n1,1,b\n"), 0o644)
	noHeader := writeCSVCloud(t, filepath.Join(dir, "plain.csv"), noisyCircle(5, 1, 0, 1), 2)
	type xy struct {
		X float64 `parquet:"x"`
		Y float64 `parquet:"y"`
	}
	pq := filepath.Join(dir, "pts.parquet")
	if err := parquet.WriteFile(pq, []xy{{0, 0}, {1, 1}}); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte("x,y,g\n0,0,a\n1,0,a\n5,5,b\n"), 0o644)
	nan := filepath.Join(dir, "nan.csv")
	os.WriteFile(nan, []byte("g,x,y\na,0,0\nb,1,0\na,0,NaN\nb,1,1\na,1,1\nb,2,2\n"), 0o644)
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"csv missing column", groupedSpec(table, "cloud", 0, "  threshold: 1\n"), []string{table + `: no column "cloud" to group the points by`, "x, y, label"}},
		{"csv without header", groupedSpec(noHeader, "cloud", 0, "  threshold: 1\n"), []string{noHeader + `: no header row, so no column "cloud"`}},
		{"parquet missing column", groupedSpec(pq, "cloud", 0, "  threshold: 1\n"), []string{`input.group_by "cloud"`, pq, `no column "cloud"`}},
		{"directory", groupedSpec(dir, "label", 0, "  threshold: 1\n"), []string{"must be one file, not a directory or glob"}},
		{"one point", groupedSpec(one, "g", 0, "  threshold: 1\n"), []string{"cloud b (" + one + ", g = b): 1 point(s)"}},
		{"other study", "study: spectrum\ninput:\n  path: " + table + "\n  group_by: label\n", []string{"test.yaml:4:13: input.group_by", "only the landscape study"}},
		{"npy", groupedSpec(filepath.Join(dir, "x.npy"), "label", 0, ""), []string{"input.group_by needs a table with named columns", "not npy"}},
		{"nan", groupedSpec(nan, "g", 0, "  threshold: 1\n"), []string{nan + ": row 3, column 2: coordinate NaN is not finite"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := experiments.Parse([]byte(tc.yaml), "test.yaml")
			if err == nil {
				_, err = PlanLandscape(context.Background(), spec, t.TempDir(), "r1")
			}
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of several lines: %q", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	// on_bad_rows: skip drops the NaN point from its own cloud only.
	spec := parseSpec(t, groupedSpec(nan, "g", 0, "  threshold: 1\n"))
	spec.Input.OnBadRows = "skip"
	plan, err := PlanLandscape(context.Background(), spec, t.TempDir(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Clouds) != 2 || plan.Clouds[0].Name != "a" || plan.Clouds[0].Points != 2 || plan.Clouds[1].Points != 3 {
		t.Errorf("skip: clouds %+v, want a with 2 points and b with 3", plan.Clouds)
	}
}
