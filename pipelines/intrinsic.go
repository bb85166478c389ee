package pipelines

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/datasets"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/nn"
	"github.com/lowdim/lowdim/transforms"
)

// Intrinsic-dimension tables:
//
//   - subspace_runs: one row per training run (method subspace): run_id,
//     dataset, model, params_total, projection ("none" for the full-space
//     baseline, whose subspace_dim is params_total), subspace_dim, seed,
//     epochs, train_loss, val_loss, val_accuracy, train_seconds.
//   - intrinsic_dim: one row per (dataset, model, projection): run_id,
//     dataset, model, projection, baseline_accuracy, threshold, d_int90,
//     d_below, d_above, d_swept, seeds (see transforms.IntrinsicDimRow).
//   - data_intrinsic_dim: one row per (data set, method setting, shard) and
//     one with shard NULL over all shards (the data estimators): run_id,
//     dataset, method, k, convention, shard, estimate, spread, points,
//     true_dim (generated manifolds).
//   - local_intrinsic_dim (with params.local): one row per (data set, input
//     row, local estimator): run_id, dataset, row, estimator, estimate.
//
// With params.checkpoint_every > 0 a subspace sweep also publishes the
// weights of every trained model, committed with the tables (not a table:
// safetensors files):
//
//	OUT/checkpoints/run=<run_id>/<model folder>/step-NNNNNNNN.safetensors
//
// one folder per trained model (transforms.CheckpointFolder: mlp-full-seed0,
// mlp-sparse-d300-seed0, …), one file at step 0, every checkpoint_every
// optimizer steps and at the last step (checkpoints.EncodeModel). A
// model folder is the input.path of a rank_dynamics spec.
const (
	SubspaceRunsTable     = "subspace_runs"
	IntrinsicDimTable     = "intrinsic_dim"
	DataIntrinsicDimTable = "data_intrinsic_dim"
	// CheckpointsFolder is the output folder of the checkpoints, staged and
	// committed like a table (it is listed by IntrinsicPlan.Tables).
	CheckpointsFolder = "checkpoints"
)

// Built-in data sets of the intrinsic_dim study (input.dataset).
const (
	// DigitsDataset is the bundled digits (bundled://digits.csv.gz, package
	// io/datasets): 1797 8×8 digits, label in column 64.
	DigitsDataset = "digits"
	// MNISTDataset is the bundled MNIST (bundled://mnist/, package
	// io/datasets): 60 000 training and 10 000 test images of 28×28 pixels;
	// the test set is the validation split.
	MNISTDataset = "mnist"
)

// IntrinsicPlan is everything the intrinsic_dim pipeline needs.
type IntrinsicPlan struct {
	RunID   string
	Out     string
	Dataset string
	Seed    uint64
	Params  experiments.IntrinsicParams // base params (outside the grid)

	// Subspace sweep (Params.Method == "subspace").
	Data  transforms.LabelledData
	Tasks []transforms.SubspaceTask
	// StepsPerRun is the number of optimizer steps of each training run.
	StepsPerRun int64

	// Data estimators (other methods).
	Read   blocks.Config
	Ranges []blocks.Range
	Cells  []transforms.DataIDCell
	// Manifolds, instead of Read and Ranges, are the shards of generated
	// benchmark manifolds (input.dataset manifold:<Name>).
	Manifolds []transforms.ManifoldShard
}

// PlanIntrinsic checks an intrinsic_dim spec against its data and lists its
// elements: (cell, seed) training runs plus one baseline per (model, seed)
// for method subspace, row shards for the data estimators.
func PlanIntrinsic(ctx context.Context, spec *experiments.Spec, out, runID string) (*IntrinsicPlan, error) {
	params, err := spec.IntrinsicParams()
	if err != nil {
		return nil, err
	}
	if first, err := spec.IntrinsicParamsFor(spec.Cell(0)); err == nil {
		params.Method = first.Method // method may be a grid axis; the cells never mix subspace with the others
	}
	plan := &IntrinsicPlan{RunID: runID, Out: out, Seed: spec.Seed, Params: params}
	in := spec.Input
	opts := MatrixOptions(in)
	opts.DropColumns = nil
	var labelCol string
	if isManifoldDataset(in.Dataset) {
		return planManifoldID(spec, plan)
	}
	switch in.Dataset {
	case "":
		plan.Dataset = datasetName(in.Path)
		plan.Data = transforms.LabelledData{Path: in.Path, Options: opts}
		labelCol = in.LabelColumn
	case DigitsDataset:
		p, err := datasets.DigitsPath()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.File, err)
		}
		plan.Dataset = DigitsDataset
		plan.Data = transforms.LabelledData{Path: p, Options: matrix.Options{Format: "csv"}}
		labelCol = "64"
	case MNISTDataset:
		mnist, err := datasets.MNIST()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.File, err)
		}
		plan.Dataset = MNISTDataset
		plan.Data = transforms.LabelledData{
			Path: mnist.TrainImages, LabelsPath: mnist.TrainLabels,
			ValPath: mnist.TestImages, ValLabelsPath: mnist.TestLabels,
			Options: matrix.Options{Format: "idx"},
		}
	default:
		return nil, fmt.Errorf("%s: input.dataset %q: the intrinsic_dim study knows %s and %s (or set input.path)", spec.File, in.Dataset, DigitsDataset, MNISTDataset)
	}
	if params.Method != "subspace" {
		return planDataID(ctx, spec, plan, labelCol)
	}
	if plan.Data.LabelsPath == "" {
		if labelCol == "" {
			return nil, fmt.Errorf("%s: method subspace needs labels: set input.label_column (a column index)", spec.File)
		}
		src, err := matrix.Open(ctx, plan.Data.Path, plan.Data.Options)
		if err != nil {
			return nil, err
		}
		lc, err := strconv.Atoi(labelCol)
		if err == nil && lc < 0 {
			lc += src.Cols()
		}
		if err != nil || lc < 0 || lc >= src.Cols() {
			return nil, fmt.Errorf("%s: input.label_column %q: want a column index in [0, %d) (or negative from the end)", spec.File, labelCol, src.Cols())
		}
		plan.Data.LabelColumn = lc
	}
	plan.Data.ValFraction, plan.Data.MaxTrain = params.ValFraction, params.MaxTrain
	plan.Data.SplitSeed = linalg.DeriveSeed(spec.Seed, 0x5711)
	data, err := plan.Data.Load(ctx)
	if err != nil {
		return nil, err
	}
	plan.StepsPerRun = int64(nn.TrainConfig{Epochs: params.Epochs, BatchSize: params.BatchSize}.Steps(data.Train.Len()))
	if plan.Dataset == MNISTDataset && data.Features != datasets.MNISTPixels {
		return nil, fmt.Errorf("%s: MNIST images have %d pixels, want %d", spec.File, data.Features, datasets.MNISTPixels)
	}
	type baseKey struct {
		model string
		seed  int
	}
	seen := map[baseKey]bool{}
	for _, c := range spec.Cells() {
		p, err := spec.IntrinsicParamsFor(c)
		if err != nil {
			return nil, err
		}
		m := transforms.BuildModel(p.Model, data.Features, params.Hidden, data.Classes)
		if p.SubspaceDim > m.NumParams() {
			return nil, fmt.Errorf("%s: subspace_dim %d exceeds the %d parameters of %s", spec.File, p.SubspaceDim, m.NumParams(), m.Name())
		}
		if p.Projection == "dense" && int64(p.SubspaceDim)*int64(m.NumParams()) > 1<<28 {
			return nil, fmt.Errorf("%s: a dense projection of %d × %d needs %d MiB; use sparse or fastfood", spec.File,
				m.NumParams(), p.SubspaceDim, int64(p.SubspaceDim)*int64(m.NumParams())*8>>20)
		}
		plan.Tasks = append(plan.Tasks, transforms.SubspaceTask{Model: p.Model, Projection: p.Projection, SubspaceDim: int64(p.SubspaceDim), Seed: int64(p.Seed)})
		if k := (baseKey{p.Model, p.Seed}); params.Baseline && !seen[k] {
			seen[k] = true
			plan.Tasks = append(plan.Tasks, transforms.SubspaceTask{Model: p.Model, Seed: int64(p.Seed), Baseline: true})
		}
	}
	return plan, nil
}

func planDataID(ctx context.Context, spec *experiments.Spec, plan *IntrinsicPlan, labelCol string) (*IntrinsicPlan, error) {
	path, opts := plan.Data.Path, plan.Data.Options
	if labelCol != "" {
		opts.DropColumns = []string{labelCol}
	}
	plan.Read = blocks.Config{Path: path, Options: opts, SkipBadRows: spec.Input.OnBadRows == "skip"}
	src, err := plan.Read.Open(ctx)
	if err != nil {
		return nil, err
	}
	plan.Ranges = blocks.PlanSource(src, spec.Input.ShardRows)
	return planDataCells(spec, plan)
}

// planDataCells lists the estimator settings of the grid (each once) and
// the local estimators.
func planDataCells(spec *experiments.Spec, plan *IntrinsicPlan) (*IntrinsicPlan, error) {
	if len(plan.Params.Local) > 0 && spec.Input.OnBadRows == "skip" {
		return nil, fmt.Errorf("%s: params.local numbers input rows, which on_bad_rows: skip would shift; use on_bad_rows: error", spec.File)
	}
	for _, c := range spec.Cells() {
		p, err := spec.IntrinsicParamsFor(c)
		if err != nil {
			return nil, err
		}
		cell := dataIDCell(p)
		for _, prev := range plan.Cells {
			if prev.Key() == cell.Key() {
				cell.Method = "" // the same setting swept twice (k of twonn)
			}
		}
		if cell.Method != "" {
			plan.Cells = append(plan.Cells, cell)
		}
	}
	return plan, nil
}

// Build implements Plan.
func (p *IntrinsicPlan) Build(s beam.Scope) { IntrinsicDim(s, *p) }

// Work implements Plan: the training runs of a subspace sweep, or the row
// shards of the data estimators.
func (p *IntrinsicPlan) Work() Work {
	if len(p.Tasks) > 0 {
		return Work{Total: len(p.Tasks), Unit: "training runs", Counter: transforms.TrainingRunsCounter,
			Steps: int64(len(p.Tasks)) * p.StepsPerRun, StepUnit: "steps", StepCounter: transforms.OptimizerStepsCounter}
	}
	return Work{Total: len(p.Ranges) + len(p.Manifolds), Unit: "shards", Counter: blocks.ShardsCounter}
}

// Tables implements Plan. A subspace sweep with checkpoints lists
// CheckpointsFolder too, so that the launcher commits the checkpoints with
// the tables.
func (p *IntrinsicPlan) Tables() []string {
	if p.Params.Method == "subspace" {
		if p.Params.CheckpointEvery > 0 {
			return []string{SubspaceRunsTable, IntrinsicDimTable, CheckpointsFolder}
		}
		return []string{SubspaceRunsTable, IntrinsicDimTable}
	}
	if len(p.Params.Local) > 0 {
		return []string{DataIntrinsicDimTable, LocalIntrinsicDimTable}
	}
	return []string{DataIntrinsicDimTable}
}

// IntrinsicDim builds the intrinsic_dim pipeline. Method subspace: every
// task is one Beam element (Reshuffle spreads them over workers), the runs
// are grouped by (dataset, model) and reduced to d_int90 per projection;
// with checkpoint_every the training DoFn stages each model's checkpoints
// under OUT/_staging/run=<run_id>/checkpoints/.
// Data estimators: row shards are read in blocks, each estimated on its
// own, and the shards' statistics pooled per setting (CombinePerKey) into
// the overall row.
func IntrinsicDim(s beam.Scope, plan IntrinsicPlan) {
	s = s.Scope("IntrinsicDim")
	p := plan.Params
	if p.Method == "subspace" {
		tasks := beam.Reshuffle(s, beam.CreateList(s, plan.Tasks))
		runs := beam.ParDo(s, &transforms.SubspaceRunFn{
			RunID: plan.RunID, Dataset: plan.Dataset, Data: plan.Data, SpecSeed: plan.Seed, Hidden: p.Hidden,
			Optimizer: p.Optimizer, LR: p.LR, BaselineLR: p.BaselineLR, Momentum: p.Momentum, Epochs: p.Epochs, BatchSize: p.BatchSize,
			CheckpointEvery: p.CheckpointEvery, CheckpointDir: tables.StagingFolder(plan.Out, CheckpointsFolder, plan.RunID),
		}, tasks)
		dims := beam.ParDo(s, &transforms.IntrinsicDimFn{RunID: plan.RunID, Threshold: p.Threshold},
			beam.GroupByKey(s, beam.ParDo(s, transforms.KeyRunByModel, runs)))
		tables.Write(s, plan.Out, plan.RunID, SubspaceRunsTable, 1, runs)
		tables.Write(s, plan.Out, plan.RunID, IntrinsicDimTable, 1, dims)
		return
	}
	dataIntrinsicDim(s, plan)
}
