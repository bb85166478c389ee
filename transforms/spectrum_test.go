package transforms

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/linalg"
)

// partialDistanceFn emits the largest |P − Want| of a pass's output.
type partialDistanceFn struct{ Want []float64 }

func (f *partialDistanceFn) ProcessElement(out PassOutput) float64 {
	var d float64
	for i, v := range out.Partial.P {
		d = max(d, math.Abs(v-f.Want[i]))
	}
	if len(out.Partial.P) != len(f.Want) {
		d = math.Inf(1)
	}
	return d
}

func init() { beam.RegisterDoFn(&partialDistanceFn{}) }

// TestPassShardFnFloat32: a power pass that allows float32 multiplies a
// float32 .npy as stored (its partial is Process32's, bit for bit, not
// Process's) and a float64 .npy in float64 (Process's).
func TestPassShardFnFloat32(t *testing.T) {
	const m, n = 300, 40
	basis := firstPassBasis(t, m, n)
	basis.Pass, basis.Float32 = 1, true
	data := make([]float64, m*n)
	for i := range data {
		data[i] = float64(float32(math.Sin(float64(i)) * float64(1+i%7)))
	}
	data32 := make([]float32, len(data))
	for i, v := range data {
		data32[i] = float32(v)
	}
	want32, err := basis.Process32(m, n, data32)
	if err != nil {
		t.Fatal(err)
	}
	f64 := basis
	f64.Float32 = false
	want64, err := f64.Process(mat.NewDense(m, n, data))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		descr string
		want  []float64
	}{{"<f4", want32.P}, {"<f8", want64.P}} {
		path := writeNpyFile(t, "a.npy", m, n, data, tc.descr)
		p, s := beam.NewPipelineWithRoot()
		task := beam.Create(s, PassTask{Ranges: []blocks.Range{{Total: 1, End: m}}, Basis: basis})
		out := beam.ParDo(s, &PassShardFn{RunID: "t-" + tc.descr, Read: blocks.Config{Path: path}}, task)
		passert.Equals(s, beam.ParDo(s, &partialDistanceFn{Want: tc.want}, out), 0.0)
		if err := ptest.Run(p); err != nil {
			t.Fatalf("%s: %v", tc.descr, err)
		}
	}
	var d float64
	for i := range want32.P {
		d = max(d, math.Abs(want32.P[i]-want64.P[i]))
	}
	if d == 0 {
		t.Error("Process32 and Process agree bit for bit: the test cannot tell them apart")
	}
}

// TestPassShardFnFirstPassNonFinite: the first pass over a float32 .npy
// checks its values through the products, and a NaN or ±Inf is still the
// reader's error naming the file, row and column (1-based); a finite file
// passes.
func TestPassShardFnFirstPassNonFinite(t *testing.T) {
	const m, n = 300, 40
	basis := firstPassBasis(t, m, n)
	for _, tc := range []struct {
		name string
		bad  float64
		want string
	}{
		{"finite", 1, ""},
		{"nan", math.NaN(), "row 124, column 8"},
		{"inf", math.Inf(-1), "row 124, column 8"},
	} {
		data := make([]float64, m*n)
		for i := range data {
			data[i] = math.Sin(float64(i))
		}
		data[123*n+7] = tc.bad
		path := writeNpyFile(t, tc.name+".npy", m, n, data, "<f4")
		p, s := beam.NewPipelineWithRoot()
		task := beam.Create(s, PassTask{Ranges: []blocks.Range{{Total: 2, End: 200}, {Index: 1, Total: 2, Start: 200, End: m}}, Basis: basis})
		beam.ParDo(s, &PassShardFn{RunID: "t-" + tc.name, Read: blocks.Config{Path: path}}, task)
		err := ptest.Run(p)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.name+".npy") || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want it to name %s.npy and %s", tc.name, err, tc.name, tc.want)
		}
	}
}

// firstPassBasis is the first basis of a pass schedule (no Gram schedule)
// for an m × n matrix, k = 3.
func firstPassBasis(t *testing.T, m, n int) linalg.PassBasis {
	t.Helper()
	mp, err := linalg.NewMultiPass(int64(m), n, linalg.MultiPassOptions{K: 3, PowerIters: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	mp.Gram = false
	return *mp.FirstBasis()
}

// writeNpyFile writes data (m × n) as a .npy of dtype descr named name in a
// temporary folder and returns its path.
func writeNpyFile(t *testing.T, name string, m, n int, data []float64, descr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npy.Write(f, m, n, data, descr, false); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPassShardFnPieces: a shard cut into many pieces (passJobs; pieces of
// 37 rows here) is computed on the pool and its pieces' partials merged in
// order into one output, equal to the whole shard's partial to rounding
// (≤ 1e-12 relative in float64, 1e-5 for a pass multiplied in float32,
// whose sums round at 6e-8 per term) for a float64 and a float32 power pass
// and the final pass, on a slowly decaying spectrum (σᵢ ∝ i^-0.5) with
// shards of 300 and 100 rows.
func TestPassShardFnPieces(t *testing.T) {
	const m, n = 400, 40
	saved := passPieceBytes
	passPieceBytes = 8 * n * 37
	defer func() { passPieceBytes = saved }()
	data := make([]float64, m*n)
	for i := range m {
		for j := range n {
			data[i*n+j] = float64(float32(math.Sin(float64(i*n+j)) / math.Sqrt(float64(j+1))))
		}
	}
	data32 := make([]float32, len(data))
	for i, v := range data {
		data32[i] = float32(v)
	}
	path := writeNpyFile(t, "a.npy", m, n, data, "<f4")
	power := firstPassBasis(t, m, n)
	power32 := power
	power32.Pass, power32.Float32 = 1, true
	final := power
	final.Pass, final.Final = 5, true
	for _, basis := range []linalg.PassBasis{power, power32, final} {
		want, err := basis.Process32(m, n, data32)
		if err != nil {
			t.Fatal(err)
		}
		p, s := beam.NewPipelineWithRoot()
		task := beam.Create(s, PassTask{Ranges: []blocks.Range{{Total: 2, End: 300}, {Index: 1, Total: 2, Start: 300, End: m}}, Basis: basis})
		out := beam.ParDo(s, &PassShardFn{RunID: fmt.Sprintf("t-pieces-%d-%t", basis.Pass, basis.Final), Read: blocks.Config{Path: path}}, task)
		tol := 1e-12
		if basis.Float32 {
			tol = 1e-5
		}
		passert.Equals(s, beam.ParDo(s, &partialRelativeDistanceFn{Want: *want, Tol: tol}, out), true)
		if err := ptest.Run(p); err != nil {
			t.Fatalf("pass %d (final %t, float32 %t): %v", basis.Pass, basis.Final, basis.Float32, err)
		}
	}
}

// partialRelativeDistanceFn emits whether a pass output's partial matches
// Want to Tol relative (P, or the TSQR factor's RᵀR and ‖A‖_F²) over the
// same rows.
type partialRelativeDistanceFn struct {
	Want linalg.PassPartial
	Tol  float64
}

func (f *partialRelativeDistanceFn) ProcessElement(out PassOutput) bool {
	got, want := out.Partial, f.Want
	if got.Rows != want.Rows {
		return false
	}
	close := func(a, b []float64) bool {
		var d, s float64
		for i := range a {
			d = max(d, math.Abs(a[i]-b[i]))
			s = max(s, math.Abs(b[i]))
		}
		return len(a) == len(b) && d <= f.Tol*s
	}
	if !want.Final {
		return close(got.P, want.P)
	}
	gram := func(q linalg.RowQR) []float64 { // RᵀR: the factor's sign-free content
		r := mat.NewDense(q.RRows, q.Cols, q.R[:q.RRows*q.Cols])
		var g mat.Dense
		g.Mul(r.T(), r)
		return g.RawMatrix().Data
	}
	return close(gram(got.Projected), gram(want.Projected)) && math.Abs(got.FrobSq-want.FrobSq) <= f.Tol*want.FrobSq
}

func init() { beam.RegisterDoFn(&partialRelativeDistanceFn{}) }
