package transforms

import (
	"bytes"
	"compress/gzip"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/linalg/hessian"
	"github.com/lowdim/lowdim/linalg/nn"
)

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestReadModelRoundTrip: a checkpoint written by EncodeCheckpoint reads
// back to the F32-rounded θ in nn's order with its sizes and metadata,
// gzipped too; tensors in another file order and in F64 read back exactly.
func TestReadModelRoundTrip(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	m := nn.NewMLP(5, []int{4, 3}, 3)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 9)
	for i := range theta {
		theta[i] += 0.001 * float64(i) // nonzero biases
	}
	meta := map[string]string{"format": "lowdim", "step": "7"}
	var buf bytes.Buffer
	if err := EncodeCheckpoint(&buf, m, theta, meta); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(buf.Bytes())
	zw.Close()
	want := make([]float64, len(theta))
	for i, v := range theta {
		want[i] = float64(float32(v))
	}
	for _, name := range []string{
		writeFile(t, filepath.Join(dir, "step-7.safetensors"), buf.Bytes()),
		writeFile(t, filepath.Join(dir, "step-7.safetensors.gz"), gz.Bytes()),
	} {
		ck, err := ReadModel(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ck.Sizes, []int{5, 4, 3, 3}) || !slices.Equal(ck.Theta, want) || ck.Metadata["step"] != "7" || ck.Model().Name() != "mlp 5-4-3-3" {
			t.Errorf("%s: sizes %v, metadata %v, θ equal %v", name, ck.Sizes, ck.Metadata, slices.Equal(ck.Theta, want))
		}
		sizes, md, err := ReadModelHeader(ctx, name)
		if err != nil || !slices.Equal(sizes, ck.Sizes) || md["format"] != "lowdim" {
			t.Errorf("%s: header %v %v %v", name, sizes, md, err)
		}
	}
	// Reversed file order, F64.
	ts := m.Tensors(theta)
	var ms []safetensors.Matrix
	for i := len(ts) - 1; i >= 0; i-- {
		tn := ts[i]
		rows, cols := tn.Shape[0], 1
		if len(tn.Shape) == 2 {
			cols = tn.Shape[1]
		}
		ms = append(ms, safetensors.Matrix{Name: tn.Name, Rows: rows, Cols: cols, Data: tn.Data, DType: "F64", Shape: tn.Shape})
	}
	buf.Reset()
	if err := safetensors.Write(&buf, nil, ms...); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadModel(ctx, writeFile(t, filepath.Join(dir, "rev.safetensors"), buf.Bytes()))
	if err != nil || !slices.Equal(ck.Theta, theta) {
		t.Errorf("reversed F64 checkpoint: %v, θ equal %v", err, err == nil && slices.Equal(ck.Theta, theta))
	}
}

// TestReadModelErrors: files that are not a chained MLP are refused with
// the reason.
func TestReadModelErrors(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	w := func(r, c int) safetensors.Matrix {
		return safetensors.Matrix{Rows: r, Cols: c, Data: make([]float64, r*c), DType: "F32"}
	}
	named := func(name string, m safetensors.Matrix, shape ...int) safetensors.Matrix {
		m.Name, m.Shape = name, shape
		return m
	}
	for i, c := range []struct {
		ms   []safetensors.Matrix
		want string
	}{
		{[]safetensors.Matrix{named("encoder.weight", w(2, 2))}, "not a lowdim MLP checkpoint: no tensor layers.0.weight (tensors: encoder.weight)"},
		{[]safetensors.Matrix{named("layers.0.weight", w(3, 2))}, "tensor layers.0.weight has no layers.0.bias"},
		{[]safetensors.Matrix{named("layers.0.weight", w(3, 2)), named("layers.0.bias", w(2, 1), 2)}, "tensor layers.0.bias has shape [2], want [3]"},
		{[]safetensors.Matrix{named("layers.0.weight", w(3, 2)), named("layers.0.bias", w(3, 1), 3),
			named("layers.1.weight", w(2, 4)), named("layers.1.bias", w(2, 1), 2)}, "tensor layers.1.weight has 4 inputs, layer 0 has 3 outputs"},
		{[]safetensors.Matrix{named("layers.0.weight", w(3, 2)), named("layers.0.bias", w(3, 1), 3), named("layers.2.weight", w(2, 3))},
			`tensor "layers.2.weight" is not part of an MLP layers.<l>.weight/bias chain of 1 layers`},
		{[]safetensors.Matrix{named("layers.0.weight", w(1, 2)), named("layers.0.bias", w(1, 1), 1)}, "the last layer has 1 output; a classifier needs ≥ 2 classes"},
		{[]safetensors.Matrix{named("layers.0.weight", w(6, 1), 1, 2, 3), named("layers.0.bias", w(2, 1), 2)}, "tensor layers.0.weight has shape [1 2 3], want [out, in]"},
	} {
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, nil, c.ms...); err != nil {
			t.Fatal(err)
		}
		name := writeFile(t, filepath.Join(dir, "bad.safetensors"), buf.Bytes())
		if _, err := ReadModel(ctx, name); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: %v, want %s", i, err, c.want)
		}
		if _, _, err := ReadModelHeader(ctx, name); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d (header): %v, want %s", i, err, c.want)
		}
	}
	// A weight set to NaN is refused when read.
	m := nn.NewMLP(2, nil, 2)
	theta := []float64{1, math.NaN(), 3, 4, 5, 6}
	var buf bytes.Buffer
	if err := EncodeCheckpoint(&buf, m, theta, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadModel(ctx, writeFile(t, filepath.Join(dir, "nan.safetensors"), buf.Bytes())); err == nil || !strings.Contains(err.Error(), `tensor "layers.0.weight": element 1 is NaN`) {
		t.Errorf("NaN weight: %v", err)
	}
}

func TestCheckpointSeries(t *testing.T) {
	for p, want := range map[string]string{
		"out/checkpoints/run=ckpt/mlp-full-seed0/step-00000100.safetensors": "mlp-full-seed0",
		"gs://b/run=1/mlp-sparse-d300-seed2/step-00000000.safetensors":      "mlp-sparse-d300-seed2",
		"run/checkpoint-1000/model.safetensors":                             "run",
		"step-5.safetensors":                                                ".",
		"/abs/step-5.safetensors":                                           "abs",
		`C:\runs\mlp\step-3.safetensors`:                                    "mlp",
	} {
		if got := CheckpointSeries(p); got != want {
			t.Errorf("CheckpointSeries(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestInputScale(t *testing.T) {
	for _, c := range []struct {
		meta  map[string]string
		scale float64
		rule  string
		err   bool
	}{
		{map[string]string{"format": "lowdim"}, 16, "max |x| (lowdim training scaling)", false},
		{map[string]string{"format": "lowdim", "input_scale": "255"}, 255, "metadata input_scale", false},
		{map[string]string{"input_scale": "0"}, 0, "", true},
		{map[string]string{"input_scale": "x"}, 0, "", true},
		{nil, 1, "none", false},
		{map[string]string{"format": "pt"}, 1, "none", false},
	} {
		s, rule, err := InputScale(c.meta, 16)
		if (err != nil) != c.err || s != c.scale || rule != c.rule {
			t.Errorf("InputScale(%v) = %v, %q, %v", c.meta, s, rule, err)
		}
	}
}

// TestSampleRows: a subsample is k distinct sorted rows, the same for the
// same seed, another for another seed; 0 and k ≥ n mean every row.
func TestSampleRows(t *testing.T) {
	a, b, c := SampleRows(100, 10, 1), SampleRows(100, 10, 1), SampleRows(100, 10, 2)
	if len(a) != 10 || !slices.IsSorted(a) || len(slices.Compact(slices.Clone(a))) != 10 || a[9] >= 100 || a[0] < 0 {
		t.Errorf("sample %v", a)
	}
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Errorf("seeded samples %v %v %v", a, b, c)
	}
	if SampleRows(100, 0, 1) != nil || SampleRows(100, 100, 1) != nil || SampleRows(100, 200, 1) != nil {
		t.Errorf("every row is nil")
	}
}

// TestHessianDataLoad: features without the label column, read in blocks
// of any size to the same rows; MaxAbs over every row's features (not the
// labels); a subsample keeps the rows SampleRows names; bad labels and
// features are errors naming the row.
func TestHessianDataLoad(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	csv := "1,0,2\n-5,1,0.5\n3,9,1\n0,2,4\n2,1,-1\n"
	name := writeFile(t, filepath.Join(dir, "d.csv"), []byte(csv))
	var first *HessianRows
	for _, step := range []int{1, 2, 4096} {
		d := HessianData{Path: name, Options: matrix.Options{Format: "csv"}, LabelColumn: 1, ReadRows: step}
		r, err := d.Load(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{1, 2, -5, 0.5, 3, 1, 0, 4, 2, -1}
		if !slices.Equal(r.X.RawMatrix().Data, want) || !slices.Equal(r.Y, []int{0, 1, 9, 2, 1}) || r.Total != 5 || r.MaxAbs != 5 || r.MaxLabel != 9 {
			t.Errorf("read %d rows at a time: X %v, Y %v, total %d, max |x| %v, max label %d", step, r.X.RawMatrix().Data, r.Y, r.Total, r.MaxAbs, r.MaxLabel)
		}
		first = r
	}
	d := HessianData{Path: name, Options: matrix.Options{Format: "csv"}, LabelColumn: 1, ReadRows: 2}
	sub, err := d.Load(ctx, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	rows := SampleRows(5, 3, 7)
	for i, k := range rows {
		if !slices.Equal(sub.X.RawRowView(i), first.X.RawRowView(k)) || sub.Y[i] != first.Y[k] {
			t.Errorf("sample row %d is not row %d", i, k)
		}
	}
	if sub.Total != 5 || sub.MaxAbs != 5 {
		t.Errorf("a subsample still scans every row: total %d, max |x| %v", sub.Total, sub.MaxAbs)
	}
	for _, c := range []struct{ csv, want string }{
		{"1,0,2\n1,1.5,2\n", "row 1: label 1.5 is not a class index"},
		{"1,0,2\n1,-1,2\n", "row 1: label -1 is not a class index"},
		{"1,0,2\nnan,1,2\n", "row 1, column 0 is NaN"},
	} {
		d := HessianData{Path: writeFile(t, filepath.Join(dir, "bad.csv"), []byte(c.csv)), Options: matrix.Options{Format: "csv"}, LabelColumn: 1}
		if _, err := d.Load(ctx, 0, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %s", c.csv, err, c.want)
		}
	}
	if _, err := (HessianData{Path: name, Options: matrix.Options{Format: "csv"}, LabelColumn: 3}).Load(ctx, 0, 0); err == nil {
		t.Errorf("label column outside the file accepted")
	}
}

// planted is Q diag(λ) Qᵀ for a seeded random orthogonal Q.
func planted(lambda []float64, seed uint64) *mat.SymDense {
	n := len(lambda)
	rng := rand.New(rand.NewPCG(seed, 1))
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	var a mat.Dense
	a.Mul(&q, mat.NewDiagDense(n, lambda))
	a.Mul(&a, q.T())
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}

// TestHessianSpectraPlanted: on a matrix with three outliers (50, 40, 30)
// over a bulk in [−0.5, 1], every method finds what it should, the rows
// carry it, and missing values are NULL.
func TestHessianSpectraPlanted(t *testing.T) {
	const n = 120
	lambda := make([]float64, n)
	for i := range lambda {
		lambda[i] = -0.5 + 1.5*float64(i)/float64(n-1)
	}
	lambda[n-1], lambda[n-2], lambda[n-3] = 50, 40, 30
	op := hessian.Sym{A: planted(lambda, 4)}
	var trace float64
	for _, v := range lambda {
		trace += v
	}
	res, err := ComputeHessianSpectra(op, HessianOptions{Exact: true, Lanczos: true, SLQ: true, Hutchinson: true,
		TopK: 8, Probes: 30, SLQSteps: 30, DensityGrid: 400, MaxOutliers: 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Split == nil || res.Split.Outliers != 3 || res.SplitFrom != "exact" || res.SplitSeen != 8 || math.Abs(res.Split.Edge-lambda[n-4]) > 1e-9 {
		t.Fatalf("split %+v from %s", res.Split, res.SplitFrom)
	}
	if math.Abs(res.Sigma-0.01*50.5) > 1e-9 || res.Grid[0] > -0.5-3*res.Sigma+1e-9 || res.Grid[len(res.Grid)-1] < 50+3*res.Sigma-1e-9 {
		t.Errorf("σ %v, grid [%v, %v]", res.Sigma, res.Grid[0], res.Grid[len(res.Grid)-1])
	}
	task := HessianTask{Checkpoint: "s", Path: "p", Step: 3, Block: "whole", Layer: hessian.AllLayers, Params: n, InputScale: 1, ScaleRule: "none", Exact: true}
	eigs, dens, sum := HessianRowsOf("r", task, res)
	var exact, lanczos int
	for _, e := range eigs {
		switch e.Method {
		case "exact":
			exact++
			if e.Index == 1 && math.Abs(e.Eigenvalue-50) > 1e-9 || e.Index == n && math.Abs(e.Eigenvalue+0.5) > 1e-9 {
				t.Errorf("exact row %+v", e)
			}
		case "lanczos":
			lanczos++
			var want float64 // index i: the i-th largest; −i: the i-th smallest
			if e.Index > 0 {
				want = lambda[n-int(e.Index)]
			} else {
				want = lambda[-int(e.Index)-1]
			}
			if math.Abs(e.Eigenvalue-want) > 1e-8 || e.Residual == nil {
				t.Errorf("lanczos row %+v, want %v", e, want)
			}
		}
	}
	if exact != n || lanczos != 16 {
		t.Errorf("%d exact and %d lanczos rows", exact, lanczos)
	}
	mass := map[string]float64{}
	for i := 1; i < len(res.Grid); i++ {
		dx := res.Grid[i] - res.Grid[i-1]
		mass["slq"] += dx * (res.SLQDensity[i] + res.SLQDensity[i-1]) / 2
		mass["exact"] += dx * (res.ExactDensity[i] + res.ExactDensity[i-1]) / 2
	}
	if len(dens) != 800 || math.Abs(mass["slq"]-1) > 1e-3 || math.Abs(mass["exact"]-1) > 1e-3 {
		t.Errorf("%d density rows, mass %v", len(dens), mass)
	}
	if sum.SpectrumMethod != "exact" || *sum.TopEigenvalue != lambda[n-1] && math.Abs(*sum.TopEigenvalue-50) > 1e-9 || *sum.Outliers != 3 ||
		math.Abs(*sum.TraceExact-trace) > 1e-9 || math.Abs(*sum.Trace-trace) > 4**sum.TraceStderr || *sum.TraceProbes != 30 ||
		*sum.SLQProbes != 30 || *sum.SLQSteps != 30 || *sum.LanczosSteps < 16 || !*sum.LanczosConverged || sum.Params != n ||
		!strings.Contains(sum.OutlierRule, "among the top 8 exact eigenvalues (k ≤ 7)") {
		t.Errorf("summary %+v", sum)
	}

	// Lanczos alone, one Hutchinson probe: outliers from Lanczos, stderr NULL, no density.
	res, err = ComputeHessianSpectra(op, HessianOptions{Lanczos: true, Hutchinson: true, TopK: 8, Probes: 1, MaxOutliers: 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	eigs, dens, sum = HessianRowsOf("r", task, res)
	if sum.SpectrumMethod != "lanczos" || *sum.Outliers != 3 || sum.TraceStderr != nil || sum.Trace == nil || sum.Broadening != nil ||
		sum.TraceExact != nil || len(dens) != 0 || len(eigs) != 16 || !strings.Contains(sum.OutlierRule, "lanczos") {
		t.Errorf("lanczos only: summary %+v, %d eigs, %d density", sum, len(eigs), len(dens))
	}
	// SLQ alone: no outliers, no top eigenvalue.
	res, err = ComputeHessianSpectra(op, HessianOptions{SLQ: true, Probes: 2, SLQSteps: 10, DensityGrid: 50, Broadening: 0.2, MaxOutliers: 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, dens, sum = HessianRowsOf("r", task, res)
	if sum.SpectrumMethod != "" || sum.TopEigenvalue != nil || sum.Outliers != nil || *sum.Broadening != 0.2 || len(dens) != 50 ||
		sum.OutlierRule != "not computed (needs exact or lanczos)" {
		t.Errorf("slq only: summary %+v, %d density", sum, len(dens))
	}
}
