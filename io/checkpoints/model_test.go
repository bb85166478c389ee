package checkpoints

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/linalg/nn"
)

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func fmtShape(s []int) string { return strings.ReplaceAll(fmt.Sprint(s), " ", ",") }

// TestReadModelRoundTrip: a checkpoint written by EncodeModel reads
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
	if err := EncodeModel(&buf, m, theta, meta); err != nil {
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
		if !slices.Equal(ck.Sizes, []int{5, 4, 3, 3}) || !slices.Equal(ck.Theta, want) || ck.Metadata["step"] != "7" || ck.MLP().Name() != "mlp 5-4-3-3" {
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
	if err := EncodeModel(&buf, m, theta, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadModel(ctx, writeFile(t, filepath.Join(dir, "nan.safetensors"), buf.Bytes())); err == nil || !strings.Contains(err.Error(), `tensor "layers.0.weight": element 2 is NaN`) {
		t.Errorf("NaN weight: %v", err)
	}
}

func TestSeries(t *testing.T) {
	for p, want := range map[string]string{
		"out/checkpoints/run=ckpt/mlp-full-seed0/step-00000100.safetensors": "mlp-full-seed0",
		"gs://b/run=1/mlp-sparse-d300-seed2/step-00000000.safetensors":      "mlp-sparse-d300-seed2",
		"run/checkpoint-1000/model.safetensors":                             "run",
		"step-5.safetensors":                                                ".",
		"/abs/step-5.safetensors":                                           "abs",
		`C:\runs\mlp\step-3.safetensors`:                                    "mlp",
	} {
		if got := Series(p); got != want {
			t.Errorf("Series(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestEncodeModelHeader: tensor shapes are stored as given (rank 1 for
// biases), and a Shape that does not hold the data is refused.
func TestEncodeModelHeader(t *testing.T) {
	m := nn.NewMLP(3, []int{2}, 2)
	theta := make([]float64, m.NumParams())
	var buf bytes.Buffer
	if err := EncodeModel(&buf, m, theta, map[string]string{"step": "0"}); err != nil {
		t.Fatal(err)
	}
	h, err := safetensors.ReadHeader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tn := range h.Tensors {
		got = append(got, tn.Name+fmtShape(tn.Shape)+tn.DType)
	}
	if s := strings.Join(got, " "); s != "layers.0.weight[2,3]F32 layers.0.bias[2]F32 layers.1.weight[2,2]F32 layers.1.bias[2]F32" || h.Metadata["step"] != "0" {
		t.Errorf("header %s, metadata %v", s, h.Metadata)
	}
	for _, shape := range [][]int{{4}, {3, -1}, {1 << 62, 1 << 62}} {
		err := safetensors.Write(io.Discard, nil, safetensors.Matrix{Name: "b", Rows: 3, Cols: 1, Data: make([]float64, 3), DType: "F32", Shape: shape})
		if err == nil || !strings.Contains(err.Error(), "shape") {
			t.Errorf("shape %v for 3 values: error %v", shape, err)
		}
	}
}
