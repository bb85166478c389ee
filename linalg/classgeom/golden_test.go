package classgeom

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// goldenFile is testdata/classgeom/golden.json, written by
// scripts/make_classgeom_goldens.py from the rows with NumPy and SciPy.
type goldenFile struct {
	Spread float64      `json:"bures_wasserstein_reference_spread"`
	Cases  []goldenCase `json:"cases"`
}

type goldenCase struct {
	Name                string        `json:"name"`
	Eps                 float64       `json:"eps"`
	Rank                int           `json:"rank"`
	NormalizeRows       bool          `json:"normalize_rows"`
	M                   int           `json:"m"`
	D                   int           `json:"d"`
	Labels              []string      `json:"labels"`
	CodingRateTotal     float64       `json:"coding_rate_total"`
	CodingRateClasses   float64       `json:"coding_rate_classes"`
	RateReduction       float64       `json:"rate_reduction"`
	CentroidNuclearNorm float64       `json:"centroid_nuclear_norm"`
	Classes             []goldenClass `json:"classes"`
	Pairs               []goldenPair  `json:"pairs"`
	Rows                [][]float64   `json:"rows"`       // edge cases only
	RowLabels           []string      `json:"row_labels"` // edge cases only
}

type goldenClass struct {
	Label        string    `json:"label"`
	Count        int       `json:"count"`
	Mean         []float64 `json:"mean"`
	Sigma        []float64 `json:"sigma"`
	ScatterFro   float64   `json:"scatter_fro"`
	Rank         int       `json:"rank"`
	SubspaceRank int       `json:"subspace_rank"`
	RankMe       float64   `json:"rankme"`
}

type goldenPair struct {
	A                  string    `json:"a"`
	B                  string    `json:"b"`
	AnglesDeg          []float64 `json:"angles_deg"`
	MinAngleDeg        *float64  `json:"min_angle_deg"`
	MeanAngleDeg       *float64  `json:"mean_angle_deg"`
	ProjectionDistance float64   `json:"projection_distance"`
	MeanDistanceSq     float64   `json:"mean_distance_sq"`
	BuresWassersteinSq float64   `json:"bures_wasserstein_sq"`
	BuresWassersteinCh float64   `json:"bures_wasserstein_check"`
}

func readGolden(t testing.TB) goldenFile {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/classgeom/golden.json")
	if err != nil {
		t.Fatalf("%v: run /usr/bin/python3 scripts/make_classgeom_goldens.py", err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) != 5 {
		t.Fatalf("golden.json has %d cases, want 5", len(g.Cases))
	}
	return g
}

// readDigits returns the 1,797 × 64 pixel rows (row-major) and the labels
// (column "64") of testdata/digits.csv.gz.
func readDigits(t testing.TB) (rows []float64, labels []string) {
	t.Helper()
	f, err := os.Open("../../testdata/digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(z).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range records {
		for _, s := range rec[:64] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, v)
		}
		labels = append(labels, rec[64])
	}
	if len(labels) != 1797 {
		t.Fatalf("%d digits rows, want 1797", len(labels))
	}
	return rows, labels
}

// caseRows returns the rows, labels and column count of a golden case.
func caseRows(t testing.TB, c goldenCase) (rows []float64, labels []string, cols int) {
	t.Helper()
	if c.Rows == nil {
		rows, labels = readDigits(t)
		return rows, labels, 64
	}
	for _, r := range c.Rows {
		rows = append(rows, r...)
	}
	return rows, c.RowLabels, c.D
}

// relErr returns |got − want|/|want|, or |got| when want is 0.
func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// worst records the largest error seen per quantity, for the test log.
type worst map[string]float64

func (w worst) add(name string, err float64) {
	if old, ok := w[name]; !ok || err > old || math.IsNaN(err) {
		w[name] = err
	}
}

// sigmaErr compares singular values: relative where σᵢ ≥ 1e-4·σ₁ (the
// range in which values derived from the scatter keep 8 digits), absolute in
// units of σ₁ below it.
func sigmaErr(got, want []float64) (rel, abs float64) {
	top := want[0]
	for i := range want {
		if want[i] >= 1e-4*top {
			rel = max(rel, relErr(got[i], want[i]))
		} else {
			abs = max(abs, math.Abs(got[i]-want[i])/top)
		}
	}
	return rel, abs
}

func TestGoldenDigits(t *testing.T) {
	g := readGolden(t)
	const tol = 1e-8
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			rows, labels, cols := caseRows(t, c)
			s := Summary{NormalizeRows: c.NormalizeRows}
			if err := s.AddRows(labels, rows, cols); err != nil {
				t.Fatal(err)
			}
			geo, err := s.Geometry(Options{Eps: c.Eps, SubspaceRank: c.Rank})
			if err != nil {
				t.Fatal(err)
			}
			w := worst{}
			compareGolden(t, c, &s, geo, w, tol)
			for _, name := range slices.Sorted(maps.Keys(w)) {
				t.Logf("%-30s max error %.2e", name, w[name])
			}
		})
	}
}

// compareGolden checks geo (and s) against the golden case to tol relative,
// recording the errors in w.
func compareGolden(t *testing.T, c goldenCase, s *Summary, geo *Geometry, w worst, tol float64) {
	t.Helper()
	if geo.Samples != c.M || geo.Dim != c.D {
		t.Fatalf("m, d = %d, %d, want %d, %d", geo.Samples, geo.Dim, c.M, c.D)
	}
	check := func(name string, got, want, tol float64) {
		t.Helper()
		e := relErr(got, want)
		w.add(name, e)
		if !(e <= tol) {
			t.Errorf("%s = %.17g, want %.17g (relative error %.2e > %.0e)", name, got, want, e, tol)
		}
	}
	check("coding_rate_total", geo.CodingRateTotal, c.CodingRateTotal, tol)
	check("coding_rate_classes", geo.CodingRateClasses, c.CodingRateClasses, tol)
	check("rate_reduction", geo.RateReduction, c.RateReduction, tol)
	check("centroid_nuclear_norm", geo.CentroidNuclearNorm, c.CentroidNuclearNorm, tol)
	if len(geo.Classes) != len(c.Classes) {
		t.Fatalf("%d classes, want %d", len(geo.Classes), len(c.Classes))
	}
	for j, want := range c.Classes {
		got, sum := geo.Classes[j], s.Classes[j]
		if got.Label != want.Label || got.Count != want.Count || got.Rank != want.Rank || got.SubspaceRank != want.SubspaceRank {
			t.Errorf("class %d: label %q count %d rank %d subspace rank %d, want %q %d %d %d", j,
				got.Label, got.Count, got.Rank, got.SubspaceRank, want.Label, want.Count, want.Rank, want.SubspaceRank)
		}
		for i := range want.Mean {
			e := math.Abs(sum.Mean[i]-want.Mean[i]) / max(maxAbs(want.Mean), 1e-300)
			w.add("mean (normwise)", e)
			if e > tol {
				t.Errorf("class %q mean[%d] = %v, want %v", want.Label, i, sum.Mean[i], want.Mean[i])
			}
		}
		check("scatter_fro", frobenius(sum.ScatterMatrix()), want.ScatterFro, tol)
		rel, abs := sigmaErr(got.Sigma, want.Sigma)
		w.add("sigma (≥1e-4 σ₁)", rel)
		w.add("sigma (<1e-4 σ₁, /σ₁)", abs)
		if rel > tol || abs > 2e-7 {
			t.Errorf("class %q sigma: relative error %.2e, absolute %.2e·σ₁\n got %v\nwant %v", want.Label, rel, abs, got.Sigma, want.Sigma)
		}
		check("rankme(sigma)", linalg.RankMe(got.Sigma), want.RankMe, tol)
	}
	if len(geo.Pairs) != len(c.Pairs) {
		t.Fatalf("%d pairs, want %d", len(geo.Pairs), len(c.Pairs))
	}
	for i, want := range c.Pairs {
		got := geo.Pairs[i]
		if got.A != want.A || got.B != want.B || len(got.AnglesDeg) != len(want.AnglesDeg) {
			t.Fatalf("pair %d: (%q, %q) with %d angles, want (%q, %q) with %d", i,
				got.A, got.B, len(got.AnglesDeg), want.A, want.B, len(want.AnglesDeg))
		}
		for k := range want.AnglesDeg {
			check("angles_deg", got.AnglesDeg[k], want.AnglesDeg[k], tol)
		}
		if want.MinAngleDeg == nil {
			if !math.IsNaN(got.MinAngleDeg) || !math.IsNaN(got.MeanAngleDeg) {
				t.Errorf("pair (%q, %q): min, mean angle %v, %v, want NaN", want.A, want.B, got.MinAngleDeg, got.MeanAngleDeg)
			}
		} else {
			check("min_angle_deg", got.MinAngleDeg, *want.MinAngleDeg, tol)
			check("mean_angle_deg", got.MeanAngleDeg, *want.MeanAngleDeg, tol)
		}
		check("projection_distance", got.ProjectionDistance, want.ProjectionDistance, tol)
		check("mean_distance_sq", got.MeanDistanceSq, want.MeanDistanceSq, tol)
		check("bures_wasserstein_sq (sqrtm)", got.BuresWassersteinSq, want.BuresWassersteinSq, tol)
		// The sqrtm reference itself is only good to ~1e-9 on singular
		// covariances (bures_wasserstein_reference_spread); the eigh/nuclear-norm
		// reference is tighter.
		check("bures_wasserstein_sq (check)", got.BuresWassersteinSq, want.BuresWassersteinCh, 1e-12)
	}
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// frobenius returns ‖a‖_F.
func frobenius(a mat.Matrix) float64 { return mat.Norm(a, 2) }
