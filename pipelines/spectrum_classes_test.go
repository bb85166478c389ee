package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/transforms"
)

// classGolden is the part of testdata/classgeom/golden.json (written by
// scripts/make_classgeom_goldens.py with NumPy and SciPy) the study tables
// are checked against.
type classGolden struct {
	Cases []classGoldenCase `json:"cases"`
}

type classGoldenCase struct {
	Name                string             `json:"name"`
	NormalizeRows       bool               `json:"normalize_rows"`
	M                   int                `json:"m"`
	CodingRateTotal     float64            `json:"coding_rate_total"`
	CodingRateClasses   float64            `json:"coding_rate_classes"`
	RateReduction       float64            `json:"rate_reduction"`
	CentroidNuclearNorm float64            `json:"centroid_nuclear_norm"`
	Classes             []classGoldenClass `json:"classes"`
	Pairs               []classGoldenPair  `json:"pairs"`
}

type classGoldenClass struct {
	Label        string    `json:"label"`
	Count        int       `json:"count"`
	Sigma        []float64 `json:"sigma"` // NumPy SVD of the centred rows
	Rank         int       `json:"rank"`
	SubspaceRank int       `json:"subspace_rank"`
	RankMe       float64   `json:"rankme"`
}

type classGoldenPair struct {
	A                  string    `json:"a"`
	B                  string    `json:"b"`
	AnglesDeg          []float64 `json:"angles_deg"`
	MinAngleDeg        *float64  `json:"min_angle_deg"`
	MeanAngleDeg       *float64  `json:"mean_angle_deg"`
	ProjectionDistance float64   `json:"projection_distance"`
	MeanDistanceSq     float64   `json:"mean_distance_sq"`
	// The eigh/nuclear-norm reference of W₂² (scipy's sqrtm is only good to ~1e-9 here).
	BuresWassersteinSq float64 `json:"bures_wasserstein_check"`
}

type classTables struct {
	summary transforms.SpectrumSummaryRow
	classes []transforms.ClassGeometryRow
	pairs   []transforms.ClassPairRow
}

// runClassSpectrum runs the spectrum study on the bundled digits (label
// column "64") on Prism with the given shard rows and extra params, and
// reads back the staged tables.
func runClassSpectrum(t *testing.T, shardRows int, params string) classTables {
	t.Helper()
	out := t.TempDir()
	yaml := fmt.Sprintf("study: spectrum\nname: t\nseed: 7\ninput:\n  path: %s\n  label_column: \"64\"\n  shard_rows: %d\nparams:\n  k: 20\n%s",
		filepath.Join("..", "testdata", "digits.csv.gz"), shardRows, params)
	spec, err := experiments.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanSpectrum(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Tables(); !slices.Contains(got, ClassGeometryTable) || !slices.Contains(got, ClassPairsTable) {
		t.Fatalf("Tables() = %v, want the class tables", got)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	sum := readStagedAll[transforms.SpectrumSummaryRow](t, out, SpectrumSummaryTable)
	if len(sum) != 1 {
		t.Fatalf("%d summary rows, want 1", len(sum))
	}
	ct := classTables{
		summary: sum[0],
		classes: readStagedAll[transforms.ClassGeometryRow](t, out, ClassGeometryTable),
		pairs:   readStagedAll[transforms.ClassPairRow](t, out, ClassPairsTable),
	}
	// Rows are staged in no particular order: sort as the kernel orders them.
	slices.SortFunc(ct.classes, func(a, b transforms.ClassGeometryRow) int { return labelCmp(a.Label, b.Label) })
	slices.SortFunc(ct.pairs, func(a, b transforms.ClassPairRow) int {
		if c := labelCmp(a.LabelA, b.LabelA); c != 0 {
			return c
		}
		return labelCmp(a.LabelB, b.LabelB)
	})
	return ct
}

// labelCmp orders the digit labels "0" … "9" numerically.
func labelCmp(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func readClassGolden(t *testing.T) classGolden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "classgeom", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g classGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func classRelErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// TestSpectrumClassesGolden: on the digits, every class value of the study's
// tables equals the NumPy/SciPy golden value to 1e-8 relative, for 19, 6 and
// 1 shard(s) (shard_rows 97, 300, 1,797), and the three runs agree to 1e-10;
// the main spectrum is the same as without the class geometry.
func TestSpectrumClassesGolden(t *testing.T) {
	g := readClassGolden(t)
	cases := []struct {
		golden, params string
		shards         []int
	}{
		{"digits", "", []int{97, 300, 1797}},
		{"digits_normalized", "  normalize_rows: true\n", []int{300}},
		{"digits_rank5_eps1", "  class_rank: 5\n  coding_rate_eps: 1\n", []int{97}},
	}
	for _, tc := range cases {
		i := slices.IndexFunc(g.Cases, func(c classGoldenCase) bool { return c.Name == tc.golden })
		if i < 0 {
			t.Fatalf("golden case %q missing", tc.golden)
		}
		want := g.Cases[i]
		var runs []classTables
		for _, shardRows := range tc.shards {
			t.Run(fmt.Sprintf("%s/shard_rows=%d", tc.golden, shardRows), func(t *testing.T) {
				got := runClassSpectrum(t, shardRows, tc.params)
				runs = append(runs, got)
				worst := map[string]float64{}
				check := func(name string, got, want, tol float64) {
					t.Helper()
					e := classRelErr(got, want)
					worst[name] = max(worst[name], e)
					if !(e <= tol) {
						t.Errorf("%s = %.17g, want %.17g (relative error %.2e > %.0e)", name, got, want, e, tol)
					}
				}
				const tol = 1e-8
				s := got.summary
				if s.Shards != int64((want.M+shardRows-1)/shardRows) || s.Rows != int64(want.M) || s.Cols != 64 {
					t.Errorf("summary: %d shards, %d × %d, want the label column dropped from the matrix", s.Shards, s.Rows, s.Cols)
				}
				if s.CodingRateTotal == nil || s.CodingRateClasses == nil || s.RateReduction == nil || s.CentroidNuclearNorm == nil {
					t.Fatalf("class columns of spectrum_summary are NULL: %+v", s)
				}
				check("coding_rate_total", *s.CodingRateTotal, want.CodingRateTotal, tol)
				check("coding_rate_classes", *s.CodingRateClasses, want.CodingRateClasses, tol)
				check("rate_reduction", *s.RateReduction, want.RateReduction, tol)
				check("centroid_nuclear_norm", *s.CentroidNuclearNorm, want.CentroidNuclearNorm, tol)

				if len(got.classes) != len(want.Classes) {
					t.Fatalf("%d class rows, want %d", len(got.classes), len(want.Classes))
				}
				for j, w := range want.Classes {
					c := got.classes[j]
					if c.RunID != "r1" || c.Dataset != "digits" || c.Label != w.Label || c.Rows != int64(w.Count) || c.Rank != int64(w.Rank) ||
						c.SubspaceRank != int64(w.SubspaceRank) || c.Normalized != want.NormalizeRows {
						t.Errorf("class row %d: %+v, want label %q, %d rows, rank %d, subspace rank %d", j, c, w.Label, w.Count, w.Rank, w.SubspaceRank)
					}
					var frobSq float64
					for _, v := range w.Sigma {
						frobSq += v * v
					}
					check("rankme", c.RankMe, w.RankMe, tol)
					check("stable_rank", c.StableRank, frobSq/(w.Sigma[0]*w.Sigma[0]), tol)
					check("spectral_norm", c.SpectralNorm, w.Sigma[0], tol)
					for _, e := range []struct {
						x   float64
						got *int64
					}{{0.90, c.EnergyRank90}, {0.95, c.EnergyRank95}, {0.99, c.EnergyRank99}} {
						r, ok := linalg.EnergyRank(w.Sigma, frobSq, e.x)
						if !ok || e.got == nil || *e.got != int64(r) {
							t.Errorf("class %q energy rank %.2f = %v, want %d", w.Label, e.x, e.got, r)
						}
					}
					// α-ReQ on the golden σ over the class's numerical rank
					// (the study's σ below the rank are exact zeros).
					alpha, r2 := linalg.AlphaReQ(w.Sigma[:w.Rank], 1, 0)
					if c.AlphaReQ == nil || c.AlphaReQR2 == nil {
						t.Errorf("class %q: α-ReQ is NULL", w.Label)
					} else {
						check("alpha_req", *c.AlphaReQ, alpha, tol)
						check("alpha_req_r2", *c.AlphaReQR2, r2, tol)
					}
				}
				if len(got.pairs) != len(want.Pairs) {
					t.Fatalf("%d pair rows, want %d", len(got.pairs), len(want.Pairs))
				}
				for j, w := range want.Pairs {
					p := got.pairs[j]
					if p.LabelA != w.A || p.LabelB != w.B || len(p.AnglesDeg) != len(w.AnglesDeg) {
						t.Fatalf("pair row %d: (%q, %q) with %d angles, want (%q, %q) with %d", j, p.LabelA, p.LabelB, len(p.AnglesDeg), w.A, w.B, len(w.AnglesDeg))
					}
					for k := range w.AnglesDeg {
						check("angles_deg", p.AnglesDeg[k], w.AnglesDeg[k], tol)
					}
					if (p.MinAngleDeg == nil) != (w.MinAngleDeg == nil) || (p.MeanAngleDeg == nil) != (w.MeanAngleDeg == nil) {
						t.Errorf("pair (%s, %s): min/mean angle NULL mismatch", w.A, w.B)
					} else if w.MinAngleDeg != nil {
						check("min_angle_deg", *p.MinAngleDeg, *w.MinAngleDeg, tol)
						check("mean_angle_deg", *p.MeanAngleDeg, *w.MeanAngleDeg, tol)
					}
					check("projection_distance", p.ProjectionDistance, w.ProjectionDistance, tol)
					check("mean_distance_sq", p.MeanDistanceSq, w.MeanDistanceSq, tol)
					check("bures_wasserstein", p.BuresWasserstein, math.Sqrt(w.BuresWassersteinSq), tol)
				}
				names := make([]string, 0, len(worst))
				for n := range worst {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					t.Logf("%-22s max relative error %.2e", n, worst[n])
				}
			})
		}
		for r := 1; r < len(runs); r++ {
			compareClassRuns(t, tc.golden, runs[0], runs[r], 1e-10)
		}
	}
}

// compareClassRuns checks that two runs on different shardings agree to tol relative.
func compareClassRuns(t *testing.T, name string, a, b classTables, tol float64) {
	t.Helper()
	var worst float64
	same := func(what string, x, y float64) {
		t.Helper()
		e := classRelErr(y, x)
		worst = max(worst, e)
		if !(e <= tol) {
			t.Errorf("%s: %s differs between shardings: %.17g vs %.17g (%.2e)", name, what, x, y, e)
		}
	}
	same("rate_reduction", *a.summary.RateReduction, *b.summary.RateReduction)
	same("coding_rate_total", *a.summary.CodingRateTotal, *b.summary.CodingRateTotal)
	same("centroid_nuclear_norm", *a.summary.CentroidNuclearNorm, *b.summary.CentroidNuclearNorm)
	for i := range a.classes {
		same("rankme", a.classes[i].RankMe, b.classes[i].RankMe)
		same("stable_rank", a.classes[i].StableRank, b.classes[i].StableRank)
		same("alpha_req", *a.classes[i].AlphaReQ, *b.classes[i].AlphaReQ)
	}
	for i := range a.pairs {
		same("bures_wasserstein", a.pairs[i].BuresWasserstein, b.pairs[i].BuresWasserstein)
		same("projection_distance", a.pairs[i].ProjectionDistance, b.pairs[i].ProjectionDistance)
		for k := range a.pairs[i].AnglesDeg {
			same("angles_deg", a.pairs[i].AnglesDeg[k], b.pairs[i].AnglesDeg[k])
		}
	}
	t.Logf("%s: largest relative difference between shardings %.2e", name, worst)
}
