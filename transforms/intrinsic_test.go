package transforms

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/linalg/nn"
)

func TestCheckpointNames(t *testing.T) {
	for _, c := range []struct {
		task SubspaceTask
		want string
	}{
		{SubspaceTask{Model: "mlp", Seed: 2, Baseline: true}, "mlp-full-seed2"},
		{SubspaceTask{Model: "logistic", Projection: "fastfood", SubspaceDim: 750, Seed: 0}, "logistic-fastfood-d750-seed0"},
	} {
		if got := CheckpointFolder(c.task); got != c.want {
			t.Errorf("%+v: folder %q, want %q", c.task, got, c.want)
		}
	}
	if got := CheckpointName(120); got != "step-00000120.safetensors" {
		t.Errorf("CheckpointName(120) = %q", got)
	}
	if s, _, ok := checkpoints.StepOf(CheckpointName(100000000)); !ok || s != 100000000 {
		t.Errorf("StepOf(%q) = %d", CheckpointName(100000000), s)
	}
}

// TestEncodeCheckpointHeader: tensor shapes are stored as given (rank 1 for
// biases), and a Shape that does not hold the data is refused.
func TestEncodeCheckpointHeader(t *testing.T) {
	m := nn.NewMLP(3, []int{2}, 2)
	theta := make([]float64, m.NumParams())
	var buf bytes.Buffer
	if err := EncodeCheckpoint(&buf, m, theta, map[string]string{"step": "0"}); err != nil {
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

func fmtShape(s []int) string { return strings.ReplaceAll(fmt.Sprint(s), " ", ",") }
