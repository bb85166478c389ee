package transforms

import (
	"math"
	"os"
	"path/filepath"
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
	mp, err := linalg.NewMultiPass(m, n, linalg.MultiPassOptions{K: 3, PowerIters: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	mp.Gram = false
	basis := *mp.FirstBasis()
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
		path := filepath.Join(t.TempDir(), "a.npy")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := npy.Write(f, m, n, data, tc.descr, false); err != nil {
			t.Fatal(err)
		}
		f.Close()
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
