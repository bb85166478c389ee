package transforms

import (
	"testing"

	"github.com/lowdim/lowdim/io/checkpoints"
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
