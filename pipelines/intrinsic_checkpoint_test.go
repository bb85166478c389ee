package pipelines

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/nn"
	"github.com/lowdim/lowdim/transforms"
)

// checkpointSpec trains mlp 64-8-10 (D = 610) on 200 digits for 2 epochs
// of ⌈200/32⌉ = 7 steps: checkpoints at steps 0, 5, 10 and 14.
const checkpointSpec = `study: intrinsic_dim
seed: 4
input: {dataset: digits}
params:
  model: mlp
  hidden: [8]
  lr: 0.05
  baseline_lr: 0.01
  epochs: 2
  batch_size: 32
  max_train: 200
  projection: sparse
  subspace_dim: 20
  checkpoint_every: 5
`

// decodeCheckpoint reads every tensor of a safetensors file: names in file
// order, shapes, dtypes, values (weights through safetensors.ReadRows, the
// rank-1 biases from their F32 bytes) and metadata.
func decodeCheckpoint(t *testing.T, name string) (names, shapes, dtypes []string, values map[string][]float64, meta map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := safetensors.ReadHeader(f, int64(len(raw)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	values = map[string][]float64{}
	for _, tn := range h.Tensors {
		names = append(names, tn.Name)
		shapes = append(shapes, fmt.Sprint(tn.Shape))
		dtypes = append(dtypes, tn.DType)
		var v []float64
		if len(tn.Shape) >= 2 {
			v = make([]float64, tn.Rows()*tn.Cols())
			if err := safetensors.ReadRows(f, 0, tn, 0, tn.Rows(), v); err != nil {
				t.Fatalf("%s: %s: %v", name, tn.Name, err)
			}
		} else {
			for off := tn.Begin; off < tn.End; off += 4 {
				v = append(v, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[off:]))))
			}
		}
		values[tn.Name] = v
	}
	return names, shapes, dtypes, values, h.Metadata
}

// TestIntrinsicCheckpoints runs a tiny sweep (baseline + one sparse subspace)
// with checkpoint_every 5 on Prism: each model stages exactly the steps 0,
// 5, 10 and 14; every file decodes to the F32-rounded weights that
// linalg/nn's training reaches at that step when run directly (the last to
// the trained model's θ, for the subspace run θ₀ + Pθ_d), with the run's
// metadata; the launcher's commit publishes them under
// OUT/checkpoints/run=r1/<folder>/, where rank_dynamics finds the steps.
func TestIntrinsicCheckpoints(t *testing.T) {
	ctx := context.Background()
	spec := parseSpec(t, checkpointSpec)
	out, p := runIntrinsic(t, spec)
	plan := p.(*IntrinsicPlan)
	if got := plan.Tables(); !slices.Equal(got, []string{SubspaceRunsTable, IntrinsicDimTable, CheckpointsFolder}) {
		t.Fatalf("tables %v", got)
	}
	runs := readStaged[transforms.SubspaceRunRow](t, out, SubspaceRunsTable)
	staged := tables.StagingFolder(out, CheckpointsFolder, "r1")
	files, err := tables.ListTree(ctx, staged)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(staged, f)
		rel = append(rel, filepath.ToSlash(r))
	}
	var want []string
	for _, folder := range []string{"mlp-full-seed0", "mlp-sparse-d20-seed0"} {
		for _, s := range []string{"00000000", "00000005", "00000010", "00000014"} {
			want = append(want, folder+"/step-"+s+".safetensors")
		}
	}
	if !slices.Equal(rel, want) {
		t.Fatalf("staged checkpoints\n%v\nwant\n%v", rel, want)
	}

	data, err := plan.Data.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Tasks) != 2 {
		t.Fatalf("%d tasks", len(plan.Tasks))
	}
	for _, task := range plan.Tasks {
		// Train the task directly with linalg/nn, keeping θ at every step.
		m := transforms.BuildModel(task.Model, data.Features, plan.Params.Hidden, data.Classes)
		seed0, order, projSeed := transforms.SubspaceSeeds(spec.Seed, m.Name(), task.Projection, task.SubspaceDim, task.Seed)
		theta0 := make([]float64, m.NumParams())
		m.Init(theta0, seed0)
		cfg := nn.TrainConfig{Epochs: 2, BatchSize: 32, Optimizer: "adam", LR: 0.05, Seed: order, CheckpointEvery: 1}
		var params nn.Params
		projection, d := transforms.BaselineProjection, int64(m.NumParams())
		if task.Baseline {
			params, cfg.LR = nn.NewFull(theta0), 0.01
		} else {
			params = nn.NewSubspace(theta0, nn.NewProjection(task.Projection, m.NumParams(), int(task.SubspaceDim), projSeed))
			projection, d = task.Projection, task.SubspaceDim
		}
		at := map[int][]float64{}
		cfg.Checkpoint = func(step int, theta []float64) error {
			at[step] = slices.Clone(theta)
			return nil
		}
		res, err := nn.Train(m, params, data.Train, data.Val, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Steps != 14 || !slices.Equal(at[14], params.Theta()) {
			t.Fatalf("direct training: %d steps", res.Steps)
		}
		found := false
		for _, r := range runs {
			if r.Projection == projection && r.SubspaceDim == d {
				found = r.ValAccuracy == res.ValAccuracy && r.TrainLoss == res.TrainLoss
			}
		}
		if !found {
			t.Errorf("%s: no run row with the direct training's accuracy %v", transforms.CheckpointFolder(task), res.ValAccuracy)
		}
		for _, step := range []int{0, 5, 10, 14} {
			name := filepath.Join(staged, transforms.CheckpointFolder(task), transforms.CheckpointName(step))
			names, shapes, dtypes, values, meta := decodeCheckpoint(t, name)
			if got := strings.Join(names, " "); got != "layers.0.weight layers.0.bias layers.1.weight layers.1.bias" {
				t.Errorf("%s: tensors %s", name, got)
			}
			if got := strings.Join(shapes, " "); got != "[8 64] [8] [10 8] [10]" {
				t.Errorf("%s: shapes %s", name, got)
			}
			if slices.ContainsFunc(dtypes, func(s string) bool { return s != "F32" }) {
				t.Errorf("%s: dtypes %v", name, dtypes)
			}
			wantMeta := map[string]string{
				"run_id": "r1", "dataset": "digits", "model": "mlp 64-8-10", "params_total": "610", "projection": projection,
				"subspace_dim": fmt.Sprint(d), "seed": "0", "step": fmt.Sprint(step), "steps": "14", "epochs": "2", "batch_size": "32",
			}
			for k, v := range wantMeta {
				if meta[k] != v {
					t.Errorf("%s: metadata %s = %q, want %q", name, k, meta[k], v)
				}
			}
			for _, tn := range m.Tensors(at[step]) {
				got := values[tn.Name]
				if len(got) != len(tn.Data) {
					t.Fatalf("%s: %s has %d values, want %d", name, tn.Name, len(got), len(tn.Data))
				}
				for i, v := range tn.Data {
					if got[i] != float64(float32(v)) {
						t.Fatalf("%s: %s[%d] = %v, want float32(%v)", name, tn.Name, i, got[i], v)
					}
				}
			}
		}
		if !task.Baseline {
			// The saved θ is the materialised θ₀ + Pθ_d, not θ₀.
			s := params.(*nn.Subspace)
			pd := make([]float64, m.NumParams())
			s.P.MulVec(pd, s.ThetaD())
			moved := 0.0
			for i, v := range theta0 {
				if e := math.Abs(v + pd[i] - at[14][i]); e > 1e-12 {
					t.Fatalf("subspace θ at the end differs from θ₀ + Pθ_d by %v", e)
				}
				moved = max(moved, math.Abs(pd[i]))
			}
			if moved == 0 {
				t.Errorf("subspace run did not move")
			}
		}
	}

	committed, err := tables.Commit(ctx, out, "r1", false, append(plan.Tables(), RunsTable))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(committed, plan.Tables()) {
		t.Errorf("committed %v", committed)
	}
	if _, err := os.Stat(filepath.Join(out, tables.StagingDir)); !os.IsNotExist(err) {
		t.Errorf("staging left after commit: %v", err)
	}
	folder := filepath.Join(tables.RunFolder(out, CheckpointsFolder, "r1"), "mlp-full-seed0")
	cks, err := checkpoints.List(ctx, folder, "")
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	for _, ck := range cks {
		steps = append(steps, ck.Step)
	}
	if !slices.Equal(steps, []int64{0, 5, 10, 14}) {
		t.Errorf("rank_dynamics reads steps %v from %s", steps, folder)
	}
}

// TestIntrinsicCheckpointFailurePublishesNothing: when a checkpoint cannot
// be written (here step 5 of the baseline, whose file name is taken by a
// folder) the run fails naming the step, after staging step 0; the
// launcher's Abort then leaves no checkpoint and no staging behind.
func TestIntrinsicCheckpointFailurePublishesNothing(t *testing.T) {
	ctx := context.Background()
	spec := parseSpec(t, checkpointSpec)
	out := t.TempDir()
	plan, err := PlanIntrinsic(ctx, spec, out, "r1")
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(tables.StagingFolder(out, CheckpointsFolder, "r1"), "mlp-full-seed0")
	if err := os.MkdirAll(filepath.Join(model, transforms.CheckpointName(5), "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	err = ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), "checkpoint at step 5") {
		t.Fatalf("run error %v, want one naming the checkpoint at step 5", err)
	}
	if _, err := os.Stat(filepath.Join(model, transforms.CheckpointName(0))); err != nil {
		t.Errorf("step 0 was not staged before the failure: %v", err)
	}
	if err := tables.Abort(ctx, out, "r1"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 {
		t.Errorf("after the failed run %s holds %v", out, entries)
	}
}
