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
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/linalg/idest"
	"github.com/lowdim/lowdim/linalg/idest/manifolds"
	"github.com/lowdim/lowdim/transforms"
)

// closeTo reports |a − b| ≤ tol·max(1, |b|).
func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*max(1, math.Abs(b)) }

// TestIntrinsicEstimatorsEqualKernel runs every data estimator and every
// local estimator on two generated manifolds in two shards each and checks
// each table value against linalg/idest on the same rows: shard rows equal
// the kernel on the shard, overall rows equal the kernel's pooling of the
// shards (lpca: the kernel on all rows, whatever the sharding), local rows
// equal the kernel's per-row values; true_dim is the manifold's.
func TestIntrinsicEstimatorsEqualKernel(t *testing.T) {
	const n, shardRows, seed = 600, 300, 7
	names := []string{"M2_Affine_3to5", "M7_Roll"}
	spec := parseSpec(t, fmt.Sprintf(`study: intrinsic_dim
seed: %d
input: {dataset: "manifold:%s", shard_rows: %d}
params:
  points: %d
  k: 20
  convention: k-1
  local_k: 30
  local: [mle, ess, lpca, twonn]
  grid:
    method: [mle, twonn, pca, lpca, corrint, ess, fishers, mind_ml, danco]
`, seed, strings.Join(names, ","), shardRows, n))
	out, plan := runIntrinsic(t, spec)
	if got := plan.Tables(); !slices.Equal(got, []string{DataIntrinsicDimTable, LocalIntrinsicDimTable}) {
		t.Fatalf("tables %v", got)
	}
	rows := readStaged[transforms.DataIDRow](t, out, DataIntrinsicDimTable)
	local := readStaged[transforms.LocalIDRow](t, out, LocalIntrinsicDimTable)
	if want := len(names) * 9 * 3; len(rows) != want {
		t.Fatalf("%d data rows, want %d", len(rows), want)
	}
	if want := len(names) * n * 4; len(local) != want {
		t.Fatalf("%d local rows, want %d", len(local), want)
	}
	type key struct {
		dataset, method string
		shard           int64 // −1 overall
	}
	got := map[key]transforms.DataIDRow{}
	for _, r := range rows {
		s := int64(-1)
		if r.Shard != nil {
			s = *r.Shard
		}
		got[key{r.Dataset, r.Method, s}] = r
	}
	type lkey struct {
		dataset, est string
		row          int64
	}
	gotLocal := map[lkey]*float64{}
	for _, r := range local {
		gotLocal[lkey{r.Dataset, r.Estimator, r.Row}] = r.Estimate
	}
	for _, name := range names {
		ds := transforms.ManifoldPrefix + name
		m, _ := manifolds.ByName(name)
		all, err := manifolds.Generate(name, n, seed)
		if err != nil {
			t.Fatal(err)
		}
		want := map[key]float64{}
		var mlePoints, twoNNRatios, essPoints, mindRatios []float64
		shardMean := map[string]float64{}
		for s := 0; s < n/shardRows; s++ {
			x := mat.DenseCopyOf(all.Slice(s*shardRows, (s+1)*shardRows, 0, m.Ambient))
			k := func(method string) key { return key{ds, method, int64(s)} }
			pts, err := idest.MLEPoints(x, 20, idest.KMinus1)
			must(t, err)
			mlePoints = append(mlePoints, pts...)
			want[k("mle")] = idest.MLEPool(pts).Value
			mu, err := idest.TwoNNRatios(x)
			must(t, err)
			twoNNRatios = append(twoNNRatios, mu...)
			want[k("twonn")] = idest.TwoNNFit(mu, idest.TwoNNDiscard).Value
			pca, err := idest.PCA(x, 0.9)
			must(t, err)
			want[k("pca")] = pca.Value
			lp, err := idest.DefaultLPCA.Global(x)
			must(t, err)
			want[k("lpca")] = lp.Value
			g20, err := idest.NewKNN(x, 20, 1)
			must(t, err)
			ci, err := idest.CorrInt(g20, 10, 20, 1)
			must(t, err)
			want[k("corrint")] = ci.Value
			g30, err := idest.NewKNN(x, 30, 1)
			must(t, err)
			essRows, err := idest.LocalESS(g30, 30, idest.ESSA, 1)
			must(t, err)
			essPoints = append(essPoints, g30.ToPoints(essRows)...)
			ess, err := idest.ESS(g30, 30, idest.ESSA, 1)
			must(t, err)
			want[k("ess")] = ess.Value
			fs, err := idest.DefaultFisherS().Estimate(x, 1)
			must(t, err)
			want[k("fishers")] = fs.Dimension
			rho, err := idest.MiNDRatios(x, 20)
			must(t, err)
			mindRatios = append(mindRatios, rho...)
			mind, err := idest.MiNDFit(rho, 20, m.Ambient)
			must(t, err)
			want[k("mind_ml")] = mind.MLk
			dc, err := idest.DANCo(x, idest.DefaultDANCoK, m.Ambient, seed, nil)
			must(t, err)
			want[k("danco")] = float64(dc.Dim)
			for _, method := range []string{"corrint", "fishers", "danco"} {
				shardMean[method] += want[k(method)] / float64(n/shardRows)
			}
			// Local estimates, row by row.
			lmle, err := idest.LocalMLE(g30, 20, idest.KMinus1, 1)
			must(t, err)
			llpca, err := idest.DefaultLPCA.Local(g30, 30, 1)
			must(t, err)
			ltwonn, err := idest.LocalTwoNN(g30, 30, 1)
			must(t, err)
			for est, v := range map[string][]float64{"mle": lmle, "ess": essRows, "lpca": llpca, "twonn": ltwonn} {
				for i, w := range v {
					g := gotLocal[lkey{ds, est, int64(s*shardRows + i + 1)}]
					if math.IsNaN(w) != (g == nil) || g != nil && !closeTo(*g, w, 1e-12) {
						t.Fatalf("%s local %s row %d: %v, kernel %v", name, est, s*shardRows+i+1, g, w)
					}
				}
			}
		}
		all2 := func(method string) key { return key{ds, method, -1} }
		want[all2("mle")] = idest.MLEPool(mlePoints).Value
		want[all2("twonn")] = idest.TwoNNFit(twoNNRatios, idest.TwoNNDiscard).Value
		want[all2("ess")] = idest.PoolMean(essPoints).Value
		mind, err := idest.MiNDFit(mindRatios, 20, m.Ambient)
		must(t, err)
		want[all2("mind_ml")] = mind.MLk
		pca, err := idest.PCA(all, 0.9)
		must(t, err)
		want[all2("pca")] = pca.Value
		lp, err := idest.DefaultLPCA.Global(all)
		must(t, err)
		want[all2("lpca")] = lp.Value
		for method, v := range shardMean {
			want[all2(method)] = v
		}
		for k, w := range want {
			r, ok := got[k]
			if !ok {
				t.Errorf("no row %+v", k)
				continue
			}
			if !closeTo(r.Estimate, w, 1e-9) {
				t.Errorf("%+v: table %.12g, kernel %.12g", k, r.Estimate, w)
			}
			if r.TrueDim == nil || *r.TrueDim != int64(m.Dim) {
				t.Errorf("%+v: true_dim %v, want %d", k, r.TrueDim, m.Dim)
			}
		}
		t.Logf("%s (d = %d): overall mle %.2f twonn %.2f pca %.0f lpca %.0f corrint %.2f ess %.2f fishers %.2f mind_ml %.2f danco %.1f",
			name, m.Dim, want[all2("mle")], want[all2("twonn")], want[all2("pca")], want[all2("lpca")], want[all2("corrint")],
			want[all2("ess")], want[all2("fishers")], want[all2("mind_ml")], want[all2("danco")])
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// knownSuiteBias lists the manifolds of dimension ≤ 10 on which MLE
// (k = 20, k−1) or TwoNN misses d by more than 10 % at n = 2,500, with the
// band (fraction of d) the estimate lands in, as linalg/idest/manifolds'
// TestEstimatorsOnSuite documents them; peers show the same misses (GeoMLE,
// Gomtsyan et al. 2019, Table 1, n = 1,000: MLE 2.77 on M5b (d = 2), 6.88
// on M6 (d = 6), 4.26 on Mp2 (d = 6), 4.86 on Mp3 (d = 9), 1.71–1.76 on
// M13b (d = 1)).
var knownSuiteBias = map[string][2]float64{
	"M5b_Helix2d/mle": {1.2, 1.6}, "M13b_Spiral/mle": {1.4, 2.0}, "M6_Nonlinear/mle": {1.05, 1.2},
	"M1_Sphere/twonn": {0.85, 0.95}, "Mbeta/mle": {0.55, 0.8}, "Mbeta/twonn": {0.55, 0.8},
	"Mp2_Paraboloid/mle": {0.75, 0.95}, "Mp2_Paraboloid/twonn": {0.75, 0.95},
	"Mp3_Paraboloid/mle": {0.6, 0.9}, "Mp3_Paraboloid/twonn": {0.6, 0.9},
}

// TestIntrinsicManifoldSuite runs MLE and TwoNN through the study on every
// benchmark manifold of dimension ≤ 10 at n = 2,500 (one shard, seed 1, as
// the kernel's suite test): each overall estimate equals the kernel's and
// is within 10 % of d, except the documented misses, which land in their
// band.
func TestIntrinsicManifoldSuite(t *testing.T) {
	var names []string
	for _, m := range manifolds.All() {
		if m.Dim <= 10 {
			names = append(names, m.Name)
		}
	}
	spec := parseSpec(t, fmt.Sprintf(`study: intrinsic_dim
seed: 1
input: {dataset: "manifold:%s", shard_rows: 2500}
params:
  convention: k-1
  grid:
    method: [mle, twonn]
`, strings.Join(names, ",")))
	out, _ := runIntrinsic(t, spec)
	rows := readStaged[transforms.DataIDRow](t, out, DataIntrinsicDimTable)
	seen := 0
	for _, r := range rows {
		if r.Shard != nil {
			continue
		}
		seen++
		name := strings.TrimPrefix(r.Dataset, transforms.ManifoldPrefix)
		m, err := manifolds.ByName(name)
		must(t, err)
		x, err := m.Sample(2500, 1)
		must(t, err)
		var kernel idest.Estimate
		if r.Method == "mle" {
			kernel, err = idest.MLE(x, 20, idest.KMinus1)
		} else {
			kernel, err = idest.TwoNN(x)
		}
		must(t, err)
		if r.Estimate != kernel.Value {
			t.Errorf("%s %s: table %v, kernel %v", name, r.Method, r.Estimate, kernel.Value)
		}
		band, known := knownSuiteBias[name+"/"+r.Method]
		if !known {
			band = [2]float64{0.9, 1.1}
		}
		if ratio := r.Estimate / float64(m.Dim); ratio < band[0] || ratio > band[1] {
			t.Errorf("%s %s = %.3f = %.2f·d, want [%.2f, %.2f]·d", name, r.Method, r.Estimate, ratio, band[0], band[1])
		}
	}
	if seen != 2*len(names) {
		t.Errorf("%d overall rows, want %d", seen, 2*len(names))
	}
}

// TestIntrinsicManifoldSpecErrors: unknown manifolds, subspace on a
// manifold, unknown local estimators and local with skipped rows are
// refused before any work.
func TestIntrinsicManifoldSpecErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"study: intrinsic_dim\ninput: {dataset: \"manifold:M99\"}\nparams: {method: mle}\n", `unknown manifold "M99"`},
		{"study: intrinsic_dim\ninput: {dataset: \"manifold:M7_Roll\"}\n", "generated manifolds have no labels"},
		{"study: intrinsic_dim\ninput: {dataset: \"manifold:M7_Roll\"}\nparams: {method: mle, local: [mle, foo]}\n", "must be one of mle, ess, lpca, twonn"},
		{"study: intrinsic_dim\ninput: {dataset: \"manifold:M7_Roll,M7_Roll\"}\nparams: {method: mle}\n", "listed twice"},
		{"study: intrinsic_dim\ninput: {dataset: digits, on_bad_rows: skip}\nparams: {method: mle, local: [mle]}\n", "on_bad_rows: skip would shift"},
		{"study: intrinsic_dim\ninput: {dataset: digits}\nparams: {method: lpca, lpca_rule: FOO}\n", "must be one of FO, Fan, maxgap"},
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

// TestIntrinsicExactPoolingShardInvariant: the overall pca and lpca rows
// come from exactly merged moments, so 1, 3 and 7 shards give the same
// dimension as the kernel on all rows.
func TestIntrinsicExactPoolingShardInvariant(t *testing.T) {
	const n = 700
	for _, rule := range []string{"FO", "Fan", "maxgap"} {
		x, err := manifolds.Generate("M10a_Cubic", n, 3)
		must(t, err)
		lp, err := idest.DefaultLPCA.WithRule(rule).Global(x)
		must(t, err)
		pca, err := idest.PCA(x, 0.9)
		must(t, err)
		for _, shardRows := range []int{700, 234, 100} {
			spec := parseSpec(t, fmt.Sprintf(`study: intrinsic_dim
seed: 3
input: {dataset: "manifold:M10a_Cubic", shard_rows: %d}
params:
  points: %d
  lpca_rule: %s
  grid:
    method: [pca, lpca]
`, shardRows, n, rule))
			out, _ := runIntrinsic(t, spec)
			overall := 0
			for _, r := range readStaged[transforms.DataIDRow](t, out, DataIntrinsicDimTable) {
				if r.Shard != nil {
					continue
				}
				overall++
				want := map[string]float64{"pca": pca.Value, "lpca": lp.Value}[r.Method]
				if r.Estimate != want || r.Points != n {
					t.Errorf("rule %s, %d rows a shard: overall %s %v over %d points, kernel on all rows %v", rule, shardRows, r.Method, r.Estimate, r.Points, want)
				}
			}
			if overall != 2 {
				t.Errorf("rule %s, %d rows a shard: %d overall rows, want 2", rule, shardRows, overall)
			}
		}
	}
}

// TestIntrinsicEstimatorErrorNamesRows: a shard too small for the kNN graph
// fails the run with the file and the shard's rows in the message.
func TestIntrinsicEstimatorErrorNamesRows(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "%d,%d,%d\n", i, i*i%7, i%5)
	}
	path := filepath.Join(t.TempDir(), "small.csv")
	must(t, os.WriteFile(path, []byte(b.String()), 0o644))
	spec := parseSpec(t, fmt.Sprintf("study: intrinsic_dim\ninput: {path: %s, shard_rows: 15}\nparams: {method: corrint}\n", path))
	plan, err := PlanIntrinsic(context.Background(), spec, t.TempDir(), "r1")
	must(t, err)
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	err = ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), path+": rows 1–15: corrint") && !strings.Contains(err.Error(), path+": rows 16–30: corrint") {
		t.Fatalf("error %v, want the file, the rows of the shard and the estimator", err)
	}
}
