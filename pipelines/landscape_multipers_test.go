package pipelines

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/io/clouds"
	"github.com/lowdim/lowdim/linalg/multipers"
	"github.com/lowdim/lowdim/linalg/ph"
	"github.com/lowdim/lowdim/linalg/sample"
	"github.com/lowdim/lowdim/transforms"
)

type multipersTables struct {
	landscapeTables
	hilbert []transforms.HilbertRow
	signed  []transforms.SignedBarcodeRow
	sliced  []transforms.SlicedLandscapeRow
}

// runMultipers runs a landscape spec with params.codensity set and reads
// back every staged table.
func runMultipers(t *testing.T, yaml string) multipersTables {
	t.Helper()
	out := t.TempDir()
	spec := parseSpec(t, yaml)
	plan, err := PlanLandscape(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{DiagramTable, LandscapeTable, LandscapeSummaryTable, HilbertTable, SignedBarcodeTable}
	if plan.Params.Slices > 0 {
		want = append(want, SlicedLandscapeTable)
	}
	if got := plan.Tables(); !slices.Equal(got, want) {
		t.Fatalf("tables %v, want %v", got, want)
	}
	// runLandscapeSpec checks the three one-parameter tables; run it by hand.
	lt := runLandscapeSpecTables(t, plan)
	mt := multipersTables{
		landscapeTables: lt,
		hilbert:         readStagedAll[transforms.HilbertRow](t, out, HilbertTable),
		signed:          readStagedAll[transforms.SignedBarcodeRow](t, out, SignedBarcodeTable),
	}
	if plan.Params.Slices > 0 {
		mt.sliced = readStagedAll[transforms.SlicedLandscapeRow](t, out, SlicedLandscapeTable)
	}
	return mt
}

// hilbertAt returns the hilbert rows of (cloud, dim) as value[i][j] on the
// sorted grid, with the grid.
func hilbertAt(t *testing.T, rows []transforms.HilbertRow, cloud string, dim int64) (ts, rs []float64, value [][]float64) {
	t.Helper()
	for _, r := range rows {
		if r.Cloud == cloud && r.Dim == dim {
			if !slices.Contains(ts, r.T) {
				ts = append(ts, r.T)
			}
			if !slices.Contains(rs, r.R) {
				rs = append(rs, r.R)
			}
		}
	}
	slices.Sort(ts)
	slices.Sort(rs)
	value = make([][]float64, len(ts))
	seen := 0
	for i := range value {
		value[i] = make([]float64, len(rs))
		for j := range value[i] {
			value[i][j] = math.NaN()
		}
	}
	for _, r := range rows {
		if r.Cloud == cloud && r.Dim == dim {
			i, _ := slices.BinarySearch(ts, r.T)
			j, _ := slices.BinarySearch(rs, r.R)
			if !math.IsNaN(value[i][j]) {
				t.Fatalf("%s H%d: two rows at (%v, %v)", cloud, dim, r.T, r.R)
			}
			value[i][j] = r.Value
			seen++
		}
	}
	if seen != len(ts)*len(rs) {
		t.Fatalf("%s H%d: %d rows on a %d × %d grid", cloud, dim, seen, len(ts), len(rs))
	}
	return ts, rs, value
}

// TestMultipersHiddenCircle runs the spec of experiments/multipers-hidden-
// circle.yaml and checks (1) every table against the kernel on the same
// cloud: hilbert equals multipers.Hilbert on multipers.DefaultGrid of the
// whole cloud, signed_barcode its SignedMeasure, sliced_landscape
// multipers.SliceLandscapes along the study's lines, all exactly; and (2)
// the example's claim on the tables: the one-parameter H1 diagram has no
// outstanding bar, while the hilbert table has a column t ≤ median f with
// H1 = 1 for every r ≥ 0.5, and the whole cloud (last t) has H1 = 0 from
// r = 0.75 on.
func TestMultipersHiddenCircle(t *testing.T) {
	path := filepath.Join("..", "testdata", "multipers", "hidden_circle.csv")
	yaml := "study: landscape\nname: t\nseed: 7\ninput:\n  path: " + path + "\n  label_column: f\nparams:\n  max_dim: 1\n  codensity: gaussian\n  bandwidth: 0.1\n  slices: 4\n  resolution: 50\n"
	got := runMultipers(t, yaml)
	cloud := "hidden_circle"

	c, err := clouds.Reader{Drop: []string{"f"}}.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 300 || c.Dim != 2 {
		t.Fatalf("cloud of %d × %d points, want 300 × 2", c.N, c.Dim)
	}
	f, err := multipers.GaussianCodensity(c.Points, c.N, c.Dim, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := multipers.DefaultGrid(c.Points, c.N, c.Dim, f)
	if err != nil {
		t.Fatal(err)
	}
	h, err := multipers.Hilbert(c.Points, c.N, c.Dim, f, grid, multipers.Options{MaxDim: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for q := int64(0); q <= 1; q++ {
		ts, rs, v := hilbertAt(t, got.hilbert, cloud, q)
		if !slices.Equal(ts, grid.T) || !slices.Equal(rs, grid.R) {
			t.Fatalf("H%d grid t %v r %v, want the kernel's default grid t %v r %v", q, ts, rs, grid.T, grid.R)
		}
		for i := range ts {
			for j := range rs {
				if v[i][j] != float64(h.At(int(q), i, j)) {
					t.Errorf("hilbert H%d (t=%v, r=%v) = %v, kernel %d", q, ts[i], rs[j], v[i][j], h.At(int(q), i, j))
				}
			}
		}
	}
	for _, r := range got.hilbert {
		if r.Samples != 1 || r.RunID != "r1" {
			t.Fatalf("hilbert row %+v: want samples 1, run_id r1", r)
		}
	}

	var wantW []string
	for _, p := range h.SignedMeasure() {
		wantW = append(wantW, canonical([]transforms.SignedBarcodeRow{{RunID: "r1", Cloud: cloud, Dim: int64(p.Dim), T: p.T, R: p.R, Weight: float64(p.Weight), Samples: 1}})...)
	}
	slices.Sort(wantW)
	if gotW := canonical(got.signed); !slices.Equal(gotW, wantW) {
		t.Errorf("signed_barcode: %d rows, kernel %d nonzero weights; first rows %v vs %v", len(gotW), len(wantW), head(gotW), head(wantW))
	}

	lines, err := transforms.MultipersLines(grid, 4)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := multipers.SliceLandscapes(c.Points, c.N, c.Dim, f, lines, 5, 50, multipers.Options{MaxDim: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * 2 * 5 * 50; len(got.sliced) != want {
		t.Fatalf("%d sliced_landscape rows, want %d", len(got.sliced), want)
	}
	nonzero := 0
	for _, r := range got.sliced {
		l := lines[r.Slice]
		s := ls[r.Slice][r.Dim]
		i := int(math.Round(r.S / l.Length * 49))
		wt, wr := l.Point(s.Grid.Points()[i])
		if r.S != s.Grid.Points()[i] || r.T != wt || r.R != wr || r.Value != s.At(int(r.Level-1), i) {
			t.Fatalf("sliced row %+v; kernel s %v (t %v, r %v) value %v", r, s.Grid.Points()[i], wt, wr, s.At(int(r.Level-1), i))
		}
		if r.Value != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Error("every sliced landscape value is 0")
	}

	// The example's claim, on the tables.
	var bars []float64
	for _, d := range got.diagram {
		if d.Dim == 1 && d.Death != nil {
			bars = append(bars, *d.Death-d.Birth)
		}
	}
	slices.Sort(bars)
	slices.Reverse(bars)
	bars = append(bars, 0, 0)
	if !(bars[0] < 0.5 && bars[0] < 2*bars[1]) {
		t.Errorf("one-parameter H1 bars %.3f, %.3f: the circle is already visible", bars[0], bars[1])
	}
	ts, rs, v := hilbertAt(t, got.hilbert, cloud, 1)
	for j, r := range rs {
		if r >= 0.75 && v[len(ts)-1][j] != 0 {
			t.Errorf("whole cloud: H1(r=%.3f) = %v, want 0", r, v[len(ts)-1][j])
		}
	}
	median := multipers.Quantile(slices.Sorted(slices.Values(f)), 0.5)
	found := -1
	for i := 0; i < len(ts) && ts[i] <= median && found < 0; i++ {
		all := true
		for j, r := range rs {
			if r >= 0.5 && v[i][j] != 1 {
				all = false
			}
		}
		if all {
			found = i
		}
	}
	if found < 0 {
		t.Errorf("no column t ≤ median f = %.5f with H1 = 1 for r ∈ [0.5, %.3f]", median, rs[len(rs)-1])
	} else {
		t.Logf("one-parameter H1 bars %.3f, %.3f; hilbert H1 = 1 over r ∈ [0.5, %.3f] at t = %.5f (column %d of %d)", bars[0], bars[1], rs[len(rs)-1], ts[found], found, len(ts))
	}
}

func head(s []string) []string { return s[:min(3, len(s))] }

// TestMultipersConstantCodensity: on a 5 × 5 integer lattice the distance to
// the nearest other point is 1 for every point, so the knn codensity
// (k = 1) is constant and K(t, r) is the whole cloud's Rips complex for
// t ≥ 1 and empty below. Each hilbert column t ≥ 1 must then equal the mean
// over the samples of the Betti numbers β_q(r) = #{pairs: birth ≤ r < death}
// of the study's own one-parameter diagrams (diagram table), and the column
// t = 0.5 must be 0. Three subsamples of 18 points check the mean.
func TestMultipersConstantCodensity(t *testing.T) {
	var pts []float64
	for i := range 5 {
		for j := range 5 {
			pts = append(pts, float64(i), float64(j))
		}
	}
	path := writeCloud(t, filepath.Join(t.TempDir(), "lattice.npy"), pts, 2)
	got := runMultipers(t, landscapeSpec(path, 5, "  max_dim: 1\n  threshold: 2\n  subsamples: 3\n  subsample_size: 18\n  codensity: knn\n  codensity_k: 1\n  codensity_grid: [0.5, 1, 2]\n  radius_grid: [0.5, 1.2, 1.6]\n  slices: 0\n"))
	if len(got.sliced) != 0 {
		t.Fatalf("slices: 0 wrote %d sliced rows", len(got.sliced))
	}
	diag := map[int64][]ph.Pair{}
	for _, d := range got.diagram {
		p := ph.Pair{Dim: int(d.Dim), Birth: d.Birth, Death: math.Inf(1)}
		if d.Death != nil {
			p.Death = *d.Death
		}
		diag[d.Sample] = append(diag[d.Sample], p)
	}
	if len(diag) != 3 {
		t.Fatalf("diagrams of %d samples, want 3", len(diag))
	}
	checked := 0
	for q := int64(0); q <= 1; q++ {
		ts, rs, v := hilbertAt(t, got.hilbert, "lattice", q)
		if !slices.Equal(ts, []float64{0.5, 1, 2}) || !slices.Equal(rs, []float64{0.5, 1.2, 1.6}) {
			t.Fatalf("grid t %v r %v, want the params'", ts, rs)
		}
		for j, r := range rs {
			if v[0][j] != 0 {
				t.Errorf("H%d(t=0.5, r=%v) = %v, want 0 (no point has f ≤ 0.5)", q, r, v[0][j])
			}
			sum := 0
			for s := range int64(3) {
				sum += multipers.Betti(ph.Diagram{Pairs: diag[s]}, int(q), r)
			}
			want := float64(sum) / 3
			for i := 1; i < len(ts); i++ {
				if v[i][j] != want {
					t.Errorf("H%d(t=%v, r=%v) = %v, want the mean Betti number %v of the samples' diagrams", q, ts[i], r, v[i][j], want)
				}
				checked++
			}
		}
	}
	// On the whole lattice H1(r = 1.2) is 16 squares; each sample of 18
	// keeps some: the mean must be positive.
	if _, _, v := hilbertAt(t, got.hilbert, "lattice", 1); !(v[2][1] > 0) {
		t.Errorf("mean H1 at r = 1.2: %v, want > 0", v[2][1])
	}
	for _, r := range got.hilbert {
		if r.Samples != 3 {
			t.Fatalf("hilbert row %+v: samples %d, want 3", r, r.Samples)
		}
	}
	// The signed barcode is the Möbius inversion of the mean: its weights
	// sum back to it.
	for q := int64(0); q <= 1; q++ {
		ts, rs, v := hilbertAt(t, got.hilbert, "lattice", q)
		for i, tv := range ts {
			for j, rv := range rs {
				var sum float64
				for _, w := range got.signed {
					if w.Dim == q && w.T <= tv && w.R <= rv {
						sum += w.Weight
					}
				}
				if math.Abs(sum-v[i][j]) > 1e-12 {
					t.Errorf("H%d(%v, %v) = %v, signed barcode sums to %v", q, tv, rv, v[i][j], sum)
				}
			}
		}
	}
	t.Logf("%d hilbert values checked against the diagrams' Betti numbers", checked)
}

// TestPlanMultipersErrors: bad two-parameter params are refused before the
// pipeline runs, naming the key or the cloud.
func TestPlanMultipersErrors(t *testing.T) {
	path := filepath.Join("..", "testdata", "multipers", "hidden_circle.csv")
	for _, c := range []struct{ params, want string }{
		{"  codensity: knn\n  codensity_k: 300\n", "codensity_k 300"},
		{"  codensity: gaussian\n", "bandwidth"},
		{"  codensity: density\n", "codensity"},
		{"  radius_grid: [0.1, 0.2]\n", "codensity"},
		{"  codensity: knn\n  radius_grid: [0.2, 0.1]\n", "strictly increasing"},
		{"  codensity: knn\n  codensity_grid: [0.1]\n", "slices"},
	} {
		err := parseAndPlan(t, "study: landscape\nname: t\nseed: 7\ninput:\n  path: "+path+"\n  label_column: f\nparams:\n"+c.params, PlanLandscape)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("params %q: error %v, want one mentioning %q", c.params, err, c.want)
		}
	}
}

// runLandscapeSpecTables runs plan on Prism (ptest) and reads back the
// one-parameter tables.
func runLandscapeSpecTables(t *testing.T, plan *LandscapePlan) landscapeTables {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	return landscapeTables{
		plan:    plan,
		diagram: readStagedAll[transforms.LandscapeDiagramRow](t, plan.Out, DiagramTable),
		land:    readStagedAll[transforms.LandscapeRow](t, plan.Out, LandscapeTable),
		summary: readStagedAll[transforms.LandscapeSummaryRow](t, plan.Out, LandscapeSummaryTable),
	}
}

// TestMultipersSubsampleMeans: with 3 random subsamples of 150 points the
// hilbert rows are the mean of the kernel's Hilbert functions of the three
// samples (the same samples as the diagram table's: LandscapeSeed), the
// signed_barcode rows the Möbius inversion of that mean, and the
// sliced_landscape rows the exact mean of the samples' slice landscapes,
// whatever the bundling.
func TestMultipersSubsampleMeans(t *testing.T) {
	path := filepath.Join("..", "testdata", "multipers", "hidden_circle.csv")
	got := runMultipers(t, "study: landscape\nname: t\nseed: 11\ninput:\n  path: "+path+"\n  label_column: f\nparams:\n  max_dim: 1\n  subsamples: 3\n  subsample_size: 150\n  codensity: knn\n  codensity_k: 8\n  slices: 2\n  levels: 2\n  resolution: 20\n")
	c, err := clouds.Reader{Drop: []string{"f"}}.Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := multipers.KNNCodensity(c.Points, c.N, c.Dim, 8)
	if err != nil {
		t.Fatal(err)
	}
	g := got.plan.MultipersGrids[0]
	fn := &transforms.MultipersFn{Seed: 11, Sampling: sample.Scheme{Size: 150, Landmarks: "random"}, MaxDim: 1, Slices: 2, Levels: 2, Resolution: 20, Workers: 2}
	nt, nr := len(g.T), len(g.R)
	hsum := make([]int, 2*nt*nr)
	lvals := map[[4]int64][]float64{} // (dim, slice, level, i) → one value per sample
	for s := range int64(3) {
		h, ls, err := fn.Compute(c, f, transforms.MultipersTask{Cloud: "hidden_circle", Path: path, Sample: s, T: g.T, R: g.R})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h.Values {
			hsum[k] += v
		}
		for k, perDim := range ls {
			for q, l := range perDim {
				for lev := range 2 {
					for i := range 20 {
						key := [4]int64{int64(q), int64(k), int64(lev + 1), int64(i)}
						lvals[key] = append(lvals[key], l.At(lev, i))
					}
				}
			}
		}
	}
	for q := int64(0); q <= 1; q++ {
		_, _, v := hilbertAt(t, got.hilbert, "hidden_circle", q)
		for i := range nt {
			for j := range nr {
				if want := float64(hsum[(int(q)*nt+i)*nr+j]) / 3; v[i][j] != want {
					t.Fatalf("hilbert H%d (%d, %d) = %v, want the samples' mean %v", q, i, j, v[i][j], want)
				}
			}
		}
	}
	mean := multipers.HilbertFunction{Grid: g, MaxDim: 1, Values: hsum}
	var wantW []string
	for _, p := range mean.SignedMeasure() {
		wantW = append(wantW, canonical([]transforms.SignedBarcodeRow{{RunID: "r1", Cloud: "hidden_circle", Dim: int64(p.Dim), T: p.T, R: p.R, Weight: float64(p.Weight) / 3, Samples: 3}})...)
	}
	slices.Sort(wantW)
	if gotW := canonical(got.signed); !slices.Equal(gotW, wantW) {
		t.Errorf("signed_barcode: %d rows, want %d (the Möbius inversion of the mean)", len(gotW), len(wantW))
	}
	if len(got.sliced) != 2*2*2*20 {
		t.Fatalf("%d sliced rows, want %d", len(got.sliced), 2*2*2*20)
	}
	lines, _ := transforms.MultipersLines(g, 2)
	for _, r := range got.sliced {
		i := int(math.Round(r.S / lines[r.Slice].Length * 19))
		if want := exactSum(lvals[[4]int64{r.Dim, r.Slice, r.Level, int64(i)}]) / 3; r.Value != want {
			t.Fatalf("sliced row %+v: want the exact mean %v", r, want)
		}
	}
}
