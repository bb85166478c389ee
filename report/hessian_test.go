package report_test

import (
	"path/filepath"
	"testing"
)

// TestHessianReport trains a small digits MLP with checkpoints (steps 0, 40,
// 80, 120, 135), runs the hessian study on them, and checks that the report
// draws the density per step, the top eigenvalues over steps and the
// outliers against the classes, with a table per series, and that the
// summary prints a line per step.
func TestHessianReport(t *testing.T) {
	ckpt, _ := runStudy(t, `study: intrinsic_dim
seed: 5
input: {dataset: digits}
params:
  model: mlp
  hidden: [8]
  baseline_lr: 0.01
  epochs: 3
  subspace_dim: 10
  checkpoint_every: 40
`)
	folder := filepath.ToSlash(filepath.Join(ckpt, "checkpoints", "run=r1", "mlp-full-seed0"))
	out, run := runStudy(t, `study: hessian
seed: 2
input: {dataset: digits}
params:
  checkpoints: `+folder+`
  samples: 300
  probes: 3
  slq_steps: 20
  top_k: 12
`)
	checkReport(t, out, run,
		[]string{"hessian-density-mlp-full-seed0-whole.png", "hessian-top-mlp-full-seed0-whole.png", "hessian-outliers-mlp-full-seed0-whole.png"},
		[]string{"## Hessian of mlp-full-seed0, block whole (D = 610, 300 rows, 10 classes)", "| 135 | ", "/ 10 |", "largest ratio gap", "Features were divided by 16"},
		"mlp-full-seed0, block whole: D = 610, 300 rows, 10 classes")
}
