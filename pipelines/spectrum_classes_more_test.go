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

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/linalg/classgeom"
	"github.com/lowdim/lowdim/transforms"
)

// wordLabelled writes a CSV with a header "x0,…,x4,kind" whose label column
// holds words, three classes of different shapes, and returns its path with
// the rows and labels. Row bad (if ≥ 0) gets a NaN in column 2.
func wordLabelled(t *testing.T, bad int) (string, []float64, []string) {
	t.Helper()
	rng := rand.New(rand.NewSource(41))
	const m, d = 211, 5
	kinds := []string{"owl", "cat", "dog"}
	var b strings.Builder
	b.WriteString("x0,x1,x2,x3,x4,kind\n")
	var rows []float64
	var labels []string
	for i := range m {
		k := rng.Intn(3)
		row := make([]string, d)
		for j := range d {
			v := float64(k+1)*rng.NormFloat64()*math.Pow(0.5, float64(j*k)) + float64(j*k)
			if i == bad && j == 2 {
				row[j] = "nan"
				continue
			}
			row[j] = fmt.Sprintf("%.17g", v)
			if i != bad {
				rows = append(rows, v)
			}
		}
		if i != bad {
			labels = append(labels, kinds[k])
		}
		fmt.Fprintf(&b, "%s,%s\n", strings.Join(row, ","), kinds[k])
	}
	name := filepath.Join(t.TempDir(), "words.csv")
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name, rows, labels
}

// runClassYAML runs a spectrum spec on Prism and returns its class tables,
// or the error of planning or running it.
func runClassYAML(t *testing.T, yaml string) (classTables, error) {
	t.Helper()
	out := t.TempDir()
	spec, err := experiments.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanSpectrum(context.Background(), spec, out, "r1")
	if err != nil {
		return classTables{}, err
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		return classTables{}, err
	}
	ct := classTables{summary: readStagedAll[transforms.SpectrumSummaryRow](t, out, SpectrumSummaryTable)[0]}
	if slices.Contains(plan.Tables(), ClassGeometryTable) {
		ct.classes = readStagedAll[transforms.ClassGeometryRow](t, out, ClassGeometryTable)
		ct.pairs = readStagedAll[transforms.ClassPairRow](t, out, ClassPairsTable)
		slices.SortFunc(ct.classes, func(a, b transforms.ClassGeometryRow) int { return strings.Compare(a.Label, b.Label) })
		slices.SortFunc(ct.pairs, func(a, b transforms.ClassPairRow) int {
			return strings.Compare(a.LabelA+"\x00"+a.LabelB, b.LabelA+"\x00"+b.LabelB)
		})
	}
	return ct, nil
}

// TestSpectrumClassesWordLabels: labels named by a header and spelt as
// words reach the tables; the values equal the kernel's on the same rows
// for 1, 4 and 11 shards, with a bad row skipped together with its label.
func TestSpectrumClassesWordLabels(t *testing.T) {
	path, rows, labels := wordLabelled(t, 57)
	var kernel classgeom.Summary
	if err := kernel.AddRows(labels, rows, 5); err != nil {
		t.Fatal(err)
	}
	fn := transforms.ClassGeometryFn{RunID: "r1", Dataset: "words", Eps: 0.5, AlphaFirst: 1}
	wantClasses, wantPairs, wantRates, err := fn.Rows(&kernel)
	if err != nil {
		t.Fatal(err)
	}
	for _, shardRows := range []int{211, 53, 20} {
		t.Run(fmt.Sprint(shardRows), func(t *testing.T) {
			got, err := runClassYAML(t, fmt.Sprintf("study: spectrum\ninput:\n  path: %s\n  label_column: kind\n  on_bad_rows: skip\n  shard_rows: %d\nparams:\n  k: 3\n", path, shardRows))
			if err != nil {
				t.Fatal(err)
			}
			close := func(what string, x, want float64) {
				t.Helper()
				if e := classRelErr(x, want); !(e <= 1e-10) {
					t.Errorf("%s = %.17g, kernel %.17g (%.2e)", what, x, want, e)
				}
			}
			if got.summary.Rows != 210 || got.summary.Cols != 5 {
				t.Errorf("spectrum of %d × %d, want 210 × 5", got.summary.Rows, got.summary.Cols)
			}
			close("rate_reduction", *got.summary.RateReduction, wantRates.RateReduction)
			close("coding_rate_total", *got.summary.CodingRateTotal, wantRates.CodingRateTotal)
			close("centroid_nuclear_norm", *got.summary.CentroidNuclearNorm, wantRates.CentroidNuclearNorm)
			if len(got.classes) != 3 || len(got.pairs) != 3 {
				t.Fatalf("%d classes, %d pairs, want 3, 3", len(got.classes), len(got.pairs))
			}
			for i, w := range wantClasses { // kernel order "cat" < "dog" < "owl"
				c := got.classes[i]
				if c.Label != w.Label || c.Rows != w.Rows || c.SubspaceRank != w.SubspaceRank {
					t.Errorf("class %d: %q %d rows rank %d, kernel %q %d %d", i, c.Label, c.Rows, c.SubspaceRank, w.Label, w.Rows, w.SubspaceRank)
				}
				close("rankme "+w.Label, c.RankMe, w.RankMe)
				close("stable_rank "+w.Label, c.StableRank, w.StableRank)
			}
			for i, w := range wantPairs {
				p := got.pairs[i]
				if p.LabelA != w.LabelA || p.LabelB != w.LabelB {
					t.Errorf("pair %d: (%s, %s), kernel (%s, %s)", i, p.LabelA, p.LabelB, w.LabelA, w.LabelB)
				}
				close("bures_wasserstein", p.BuresWasserstein, w.BuresWasserstein)
				close("projection_distance", p.ProjectionDistance, w.ProjectionDistance)
			}
		})
	}
}

// TestSpectrumClassesOptional: without a label column the class columns are
// NULL and no class table is planned; labels of a numeric Parquet column are
// read as numbers formatted by strconv ('g'); a NaN is an error naming the
// file, row and column.
func TestSpectrumClassesOptional(t *testing.T) {
	dir := filepath.Join("..", "testdata", "formats")
	got, err := runClassYAML(t, fmt.Sprintf("study: spectrum\ninput:\n  path: %s\nparams:\n  k: 3\n", filepath.Join(dir, "m_c.npy")))
	if err != nil {
		t.Fatal(err)
	}
	s := got.summary
	if s.CodingRateTotal != nil || s.CodingRateClasses != nil || s.RateReduction != nil || s.CentroidNuclearNorm != nil || got.classes != nil {
		t.Errorf("without labels: class columns %v %v %v %v, %d class rows; want NULL and none", s.CodingRateTotal, s.CodingRateClasses, s.RateReduction, s.CentroidNuclearNorm, len(got.classes))
	}

	got, err = runClassYAML(t, fmt.Sprintf("study: spectrum\ninput:\n  path: %s\n  label_column: label\n  shard_rows: 10\nparams:\n  k: 3\n", filepath.Join(dir, "m_wide.parquet")))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range got.classes {
		n += c.Rows
		if strings.ContainsAny(c.Label, ".e") {
			t.Errorf("label %q: want an integer's text", c.Label)
		}
	}
	if n != 37 || got.summary.RateReduction == nil {
		t.Errorf("parquet labels: %d rows in %d classes, ΔR %v", n, len(got.classes), got.summary.RateReduction)
	}

	path, _, _ := wordLabelled(t, 57)
	_, err = runClassYAML(t, fmt.Sprintf("study: spectrum\ninput:\n  path: %s\n  label_column: kind\n  shard_rows: 50\nparams:\n  k: 3\n", path))
	if err == nil || !strings.Contains(err.Error(), "words.csv: row 58, column 3") {
		t.Errorf("NaN without skip: error %v, want it to name words.csv, row 58, column 3 (1-based)", err)
	}
	_, err = runClassYAML(t, fmt.Sprintf("study: spectrum\ninput:\n  path: %s\n  label_column: kinds\n  on_bad_rows: skip\nparams:\n  k: 3\n", path))
	if err == nil || !strings.Contains(err.Error(), `"kinds"`) {
		t.Errorf("unknown label column: error %v, want it named", err)
	}
}

// TestSpectrumClassesEveryMethod: the class geometry rides on the first read
// of every spectrum method and gives the golden ΔR whichever runs.
func TestSpectrumClassesEveryMethod(t *testing.T) {
	const golden = 38.48746467634109 // digits, ε = 0.5 (testdata/classgeom/golden.json)
	for _, method := range []string{"randomized", "one_pass"} {
		got := runClassSpectrum(t, 600, "  method: "+method+"\n")
		if got.summary.Method != method || got.summary.RateReduction == nil || classRelErr(*got.summary.RateReduction, golden) > 1e-8 || len(got.pairs) != 45 {
			t.Errorf("%s: method %q, ΔR %v, %d pairs; want ΔR %.15g and 45 pairs", method, got.summary.Method, got.summary.RateReduction, len(got.pairs), golden)
		}
	}
}
