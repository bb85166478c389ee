package hessian

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg/nn"
)

const digitsPath = "../../testdata/digits.csv.gz"

// golden is one file written by scripts/make_hessian_goldens.py.
type golden struct {
	Name             string      `json:"name"`
	Sizes            []int       `json:"sizes"`
	Rows             int         `json:"rows"`
	Scale            float64     `json:"scale"`
	Theta            []float64   `json:"theta"`
	Eigenvalues      []float64   `json:"eigenvalues"`
	Trace            float64     `json:"trace"`
	Frobenius        float64     `json:"frobenius"`
	V                []float64   `json:"v"`
	HV               []float64   `json:"hv"`
	LayerEigenvalues [][]float64 `json:"layer_eigenvalues"`
}

func readGolden(t testing.TB, name string) golden {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/hessian/" + name)
	if err != nil {
		t.Fatalf("%v: run /usr/bin/python3 scripts/make_hessian_goldens.py", err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// digits returns the first n rows of scikit-learn's digits (all for n ≤ 0),
// pixels multiplied by scale, labels from column 64.
func digits(t testing.TB, n int, scale float64) nn.Data {
	t.Helper()
	f, err := os.Open(digitsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 || n > len(recs) {
		n = len(recs)
	}
	x := mat.NewDense(n, 64, nil)
	y := make([]int, n)
	for i, rec := range recs[:n] {
		for j := 0; j < 64; j++ {
			v, err := strconv.ParseFloat(rec[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			x.Set(i, j, v*scale)
		}
		if y[i], err = strconv.Atoi(rec[64]); err != nil {
			t.Fatal(err)
		}
	}
	return nn.Data{X: x, Y: y}
}

// split cuts d into k shards of nearly equal size, in row order.
func split(d nn.Data, k int) []nn.Data {
	n := d.Len()
	var out []nn.Data
	for s := 0; s < k; s++ {
		lo, hi := s*n/k, (s+1)*n/k
		out = append(out, nn.Data{X: d.X.Slice(lo, hi, 0, 64).(*mat.Dense), Y: d.Y[lo:hi]})
	}
	return out
}

func newModel(sizes []int) *nn.MLP {
	return nn.NewMLP(sizes[0], sizes[1:len(sizes)-1], sizes[len(sizes)-1])
}

func mustCrossEntropy(t testing.TB, m *nn.MLP, theta []float64, shards []nn.Data, layer, workers int) *CrossEntropy {
	t.Helper()
	h, err := NewCrossEntropy(m, theta, shards, layer, workers)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mulVec(t testing.TB, op Operator, v []float64) []float64 {
	t.Helper()
	dst := make([]float64, len(v))
	if err := op.MulVec(dst, v); err != nil {
		t.Fatal(err)
	}
	return dst
}

// relDiff returns ‖a − b‖₂ / ‖b‖₂.
func relDiff(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}

// descending returns the k largest of ascending values, largest first.
func descending(ascending []float64, k int) []float64 {
	out := make([]float64, k)
	for i := range out {
		out[i] = ascending[len(ascending)-1-i]
	}
	return out
}
