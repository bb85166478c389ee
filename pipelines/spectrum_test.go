package pipelines

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/transforms"
)

func TestMain(m *testing.M) { ptest.Main(m) }

// lowRank returns an m×n matrix of exact rank r with well-separated singular values.
func lowRank(m, n, r int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewSource(seed))
	left := mat.NewDense(m, r, nil)
	right := mat.NewDense(r, n, nil)
	for i := 0; i < m; i++ {
		for j := 0; j < r; j++ {
			left.Set(i, j, rng.NormFloat64()*math.Pow(0.7, float64(j)))
		}
	}
	for i := 0; i < r; i++ {
		for j := 0; j < n; j++ {
			right.Set(i, j, rng.NormFloat64())
		}
	}
	var a mat.Dense
	a.Mul(left, right)
	return &a
}

func exactSigma(a mat.Matrix) []float64 {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDNone) {
		panic("svd failed")
	}
	return svd.Values(nil)
}

func writeMatrix(t *testing.T, dir string, a *mat.Dense) string {
	t.Helper()
	r, c := a.Dims()
	name := filepath.Join(dir, "a.npy")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npy.Write(f, r, c, a.RawMatrix().Data, "<f8", false); err != nil {
		t.Fatal(err)
	}
	return name
}

// runSpectrum runs the spectrum pipeline on Prism (ptest) and returns the staged rows.
func runSpectrum(t *testing.T, input string, shardRows int, params experiments.SpectrumParams, inputKeys ...string) ([]transforms.SpectrumRow, transforms.SpectrumSummaryRow) {
	t.Helper()
	out := t.TempDir()
	var extra string
	for _, k := range inputKeys {
		extra += "  " + k + "\n"
	}
	method := params.Method
	if method == "" {
		method = experiments.SpectrumAuto
	}
	yaml := fmt.Sprintf("study: spectrum\nname: t\nseed: 7\ninput:\n  path: %s\n  shard_rows: %d\n%sparams:\n  k: %d\n  center: %v\n  method: %s\n  power_iters: %d\n",
		input, shardRows, extra, params.K, params.Center, method, params.PowerIters)
	spec, err := experiments.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanSpectrum(context.Background(), spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sigma, err := tables.ReadFile[transforms.SpectrumRow](ctx, filepath.Join(tables.StagingFolder(out, SpectrumTable, "r1"), tables.PartName(0, 1)))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := tables.ReadFile[transforms.SpectrumSummaryRow](ctx, filepath.Join(tables.StagingFolder(out, SpectrumSummaryTable, "r1"), tables.PartName(0, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) != 1 {
		t.Fatalf("%d summary rows, want 1", len(sum))
	}
	sort.Slice(sigma, func(i, j int) bool { return sigma[i].Index < sigma[j].Index })
	return sigma, sum[0]
}

// TestSpectrumShardInvariance: the pipeline's spectrum equals gonum's full SVD,
// and is the same for 1, 3 and 8 shards of the same matrix.
func TestSpectrumShardInvariance(t *testing.T) {
	const m, n, r = 400, 30, 6
	a := lowRank(m, n, r, 11)
	want := exactSigma(a)
	input := writeMatrix(t, t.TempDir(), a)
	params := experiments.DefaultSpectrumParams()
	params.K = r
	var first []float64
	for _, shards := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("%d shards", shards), func(t *testing.T) {
			sigma, sum := runSpectrum(t, input, (m+shards-1)/shards, params)
			if int(sum.Shards) != shards || sum.Rows != m || sum.Cols != n {
				t.Errorf("summary shape: %+v", sum)
			}
			if len(sigma) != r {
				t.Fatalf("%d singular values, want %d", len(sigma), r)
			}
			var got []float64
			for i, s := range sigma {
				got = append(got, s.Sigma)
				if d := math.Abs(s.Sigma-want[i]) / want[0]; d > 1e-9 {
					t.Errorf("σ%d = %.15g, full SVD %.15g (rel %.2g)", i+1, s.Sigma, want[i], d)
				}
			}
			if first == nil {
				first = got
			}
			for i := range got {
				if d := math.Abs(got[i]-first[i]) / first[0]; d > 1e-9 {
					t.Errorf("σ%d differs from the 1-shard run by %.2g", i+1, d)
				}
			}
			// Exact rank r: the top r hold all the energy.
			if sum.EnergyRank99 == nil || *sum.EnergyRank99 > r {
				t.Errorf("energy rank 99 = %v, want ≤ %d", sum.EnergyRank99, r)
			}
			if sum.RelativeError > 1e-6 {
				t.Errorf("relative error bound %.3g on an exactly rank-%d matrix", sum.RelativeError, r)
			}
		})
	}
}

// TestSpectrumCentered: center: true gives the spectrum of the column-centred matrix.
func TestSpectrumCentered(t *testing.T) {
	const m, n = 150, 12
	a := lowRank(m, n, n, 5)
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			a.Set(i, j, a.At(i, j)+float64(10*j)) // large column offsets
		}
	}
	c := mat.DenseCopyOf(a)
	for j := 0; j < n; j++ {
		mean := mat.Sum(c.ColView(j)) / m
		for i := 0; i < m; i++ {
			c.Set(i, j, c.At(i, j)-mean)
		}
	}
	want := exactSigma(c)
	params := experiments.DefaultSpectrumParams()
	params.K, params.Center = n, true
	sigma, sum := runSpectrum(t, writeMatrix(t, t.TempDir(), a), 40, params)
	if !sum.Centered {
		t.Error("summary not marked centred")
	}
	for i, s := range sigma {
		if d := math.Abs(s.Sigma-want[i]) / want[0]; d > 1e-9 {
			t.Errorf("σ%d = %.12g, centred SVD %.12g", i+1, s.Sigma, want[i])
		}
	}
}

// TestSpectrumSameAcrossFormats: one matrix stored in every format gives the
// same spectrum (exactly for float64 storage, within rounding for F32/BF16).
func TestSpectrumSameAcrossFormats(t *testing.T) {
	dir := filepath.Join("..", "testdata", "formats")
	params := experiments.DefaultSpectrumParams()
	params.K = 6
	ref, _ := runSpectrum(t, filepath.Join(dir, "m_c.npy"), 10, params)
	cases := []struct {
		file, extra string
		tol         float64
	}{
		{"m_f.npy", "", 1e-12},
		{"m.npz", "", 1e-12},
		{"m_deflate.npz", "", 1e-12},
		{"m_f64.safetensors", "", 1e-12},
		{"m_f32.safetensors", "", 1e-6},
		{"m_bf16.safetensors", "", 1.0 / 128},
		{"m_list.parquet", "column: x", 1e-12},
		{"m_wide.parquet", "label_column: label", 1e-12},
		{"m.csv", "", 1e-12},
		{"m.idx", "", 1e-12},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var keys []string
			if tc.extra != "" {
				keys = append(keys, tc.extra)
			}
			got, sum := runSpectrum(t, filepath.Join(dir, tc.file), 10, params, keys...)
			if sum.Rows != 37 || sum.Cols != 11 {
				t.Fatalf("shape %d × %d, want 37 × 11", sum.Rows, sum.Cols)
			}
			for i := range ref {
				if d := math.Abs(got[i].Sigma-ref[i].Sigma) / ref[0].Sigma; d > tc.tol {
					t.Errorf("σ%d = %.17g, npy %.17g (rel %.2g > %.2g)", i+1, got[i].Sigma, ref[i].Sigma, d, tc.tol)
				}
			}
		})
	}
}

// powerLaw returns an m×n matrix U·diag(σ)·Vᵀ with σᵢ = i^-1.3: a slowly
// decaying spectrum with no gap, the hard case for sketches.
func powerLaw(m, n int, seed uint64) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewSource(seed))
	orth := func(r, c int) *mat.Dense {
		g := mat.NewDense(r, c, nil)
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var q mat.Dense
		qr.QTo(&q)
		return mat.DenseCopyOf(q.Slice(0, r, 0, c))
	}
	u, v := orth(m, n), orth(n, n)
	sigma := make([]float64, n)
	for i := range sigma {
		sigma[i] = math.Pow(float64(i+1), -1.3)
	}
	us := mat.DenseCopyOf(u)
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			us.Set(i, j, us.At(i, j)*sigma[j])
		}
	}
	var a mat.Dense
	a.Mul(us, v.T())
	return &a, sigma
}

// TestSpectrumMethodsShardInvariant: on a power-law spectrum (no gap) the
// exact and randomized methods give the same σ for 1, 3, 8 and 80 shards and
// for shards smaller than l = k + p; exact equals LAPACK's SVD, randomized
// equals the in-memory single-machine algorithm (linalg.MultiPass.Run), and
// both do so centred too.
func TestSpectrumMethodsShardInvariant(t *testing.T) {
	const m, n, k = 1200, 100, 10
	a, _ := powerLaw(m, n, 3)
	input := writeMatrix(t, t.TempDir(), a)
	for _, center := range []bool{false, true} {
		c := mat.DenseCopyOf(a)
		if center {
			for j := 0; j < n; j++ {
				mean := mat.Sum(c.ColView(j)) / m
				for i := 0; i < m; i++ {
					c.Set(i, j, c.At(i, j)-mean)
				}
			}
		}
		lapack := exactSigma(c)
		mp, err := linalg.NewMultiPass(m, n, linalg.MultiPassOptions{K: k, PowerIters: -1, Seed: 7, Centered: center})
		if err != nil {
			t.Fatal(err)
		}
		single, err := mp.Run([]*mat.Dense{a})
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []string{experiments.SpectrumExact, experiments.SpectrumRandomized} {
			want := lapack
			if method == experiments.SpectrumRandomized {
				want = single.Sigma
			}
			params := experiments.DefaultSpectrumParams()
			params.K, params.Center, params.Method = k, center, method
			for i, shardRows := range []int{m, 400, 150, 15, 7} {
				t.Run(fmt.Sprintf("%s/center=%v/shard_rows=%d", method, center, shardRows), func(t *testing.T) {
					// Both graphs of the passes: with the Reshuffle that
					// spreads tasks over remote workers, and in process.
					InProcessWorkers = i%2 == 1
					defer func() { InProcessWorkers = false }()
					sigma, sum := runSpectrum(t, input, shardRows, params)
					if sum.Method != method || len(sigma) != k {
						t.Fatalf("method %q, %d σ", sum.Method, len(sigma))
					}
					for i, s := range sigma {
						if d := math.Abs(s.Sigma-want[i]) / want[i]; d > 1e-10 {
							t.Errorf("σ%d = %.15g, want %.15g (rel %.2g)", i+1, s.Sigma, want[i], d)
						}
					}
					if method == experiments.SpectrumRandomized {
						if sum.Reads != int64(mp.Reads()) || sum.ErrorEstimate <= 0 {
							t.Errorf("randomized: %d reads (want q + 2 = %d), error estimate %g", sum.Reads, mp.Reads(), sum.ErrorEstimate)
						}
						if d := math.Abs(sigma[k-1].Sigma-lapack[k-1]) / lapack[k-1]; d > 1e-6 {
							t.Errorf("randomized σ%d off LAPACK by %.2g", k, d)
						}
					}
				})
			}
		}
	}
}

// TestRandomizedRereadsAFileRewrittenBetweenRuns: the randomized passes keep
// their shard readers across passes; two runs in one process (same run id,
// same path) must not read the second file through the first's header.
func TestRandomizedRereadsAFileRewrittenBetweenRuns(t *testing.T) {
	dir := t.TempDir()
	params := experiments.DefaultSpectrumParams()
	params.K, params.Method = 4, experiments.SpectrumRandomized
	for i, m := range []int{300, 500} {
		a := lowRank(m, 20, 4, uint64(20+i))
		want := exactSigma(a)
		input := writeMatrix(t, dir, a)
		sigma, sum := runSpectrum(t, input, 64, params)
		if sum.Rows != int64(m) {
			t.Fatalf("run %d: %d rows, want %d", i+1, sum.Rows, m)
		}
		for j, s := range sigma {
			if d := math.Abs(s.Sigma-want[j]) / want[0]; d > 1e-9 {
				t.Errorf("run %d: σ%d = %.15g, full SVD %.15g", i+1, j+1, s.Sigma, want[j])
			}
		}
	}
}

// TestSpectrumFloat32PassesShardInvariant: a float32 .npy wide enough for
// the pass schedule (320 ≥ 4·(q + 1)·l = 300) has its middle power passes
// multiplied in float32 (passes 2 and 3 of 6 reads); its top k agree across
// shardings to 1e-10 and with the all-float64 run of the same values to 1e-9.
func TestSpectrumFloat32PassesShardInvariant(t *testing.T) {
	const m, n, k = 1500, 320, 5
	a, _ := powerLaw(m, n, 11)
	a.Apply(func(_, _ int, v float64) float64 { return float64(float32(v)) }, a)
	input := filepath.Join(t.TempDir(), "a32.npy")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, m, n, a.RawMatrix().Data, "<f4", false); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mp, err := linalg.NewMultiPass(m, n, linalg.MultiPassOptions{K: k, PowerIters: 4, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if mp.Gram {
		t.Fatal("the test matrix takes the Gram schedule; want the passes")
	}
	float64Run, err := mp.Run([]*mat.Dense{a})
	if err != nil {
		t.Fatal(err)
	}
	params := experiments.DefaultSpectrumParams()
	params.K, params.PowerIters, params.Method = k, 4, experiments.SpectrumRandomized
	var first []transforms.SpectrumRow
	var largest float64 // distance from the all-float64 run: 0 would mean no float32 pass ran
	for _, shardRows := range []int{m, 400, 77, 5} {
		sigma, sum := runSpectrum(t, input, shardRows, params)
		for i, s := range sigma {
			largest = max(largest, math.Abs(s.Sigma-float64Run.Sigma[i])/float64Run.Sigma[i])
		}
		if sum.Reads != 6 || len(sigma) != k {
			t.Fatalf("shard_rows %d: %d reads, %d σ", shardRows, sum.Reads, len(sigma))
		}
		for i, s := range sigma {
			if d := math.Abs(s.Sigma-float64Run.Sigma[i]) / float64Run.Sigma[i]; d > 1e-9 {
				t.Errorf("shard_rows %d: σ%d = %.15g, all-float64 %.15g (rel %.2g)", shardRows, i+1, s.Sigma, float64Run.Sigma[i], d)
			}
			if first != nil {
				if d := math.Abs(s.Sigma-first[i].Sigma) / first[i].Sigma; d > 1e-10 {
					t.Errorf("shard_rows %d: σ%d = %.15g, one shard %.15g (rel %.2g)", shardRows, i+1, s.Sigma, first[i].Sigma, d)
				}
			}
		}
		if first == nil {
			first = sigma
		}
	}
	if largest < 1e-15 {
		t.Errorf("σ equal the all-float64 run's to %.2g: the float32 passes did not run", largest)
	}
	t.Logf("largest distance from the all-float64 run: %.2g", largest)
}
