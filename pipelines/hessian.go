package pipelines

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/datasets"
	"github.com/lowdim/lowdim/io/labelled"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/hessian"
	"github.com/lowdim/lowdim/transforms"
)

// Hessian tables (see the row types in package transforms for every column):
//
//   - hessian_eigs: one row per eigenvalue: run_id, checkpoint, step,
//     block, method (exact: all D, index 1…D descending; lanczos: the top_k
//     largest, index 1…k, and smallest, index −1…−k, with their residuals),
//     index, eigenvalue, residual.
//   - hessian_density: one row per grid point: run_id, checkpoint, step,
//     block, method (slq, and exact when computed), x, density.
//   - hessian_summary: one row per (checkpoint, step, block): run_id,
//     checkpoint, path, step, block, params (D), rows, classes, input_scale,
//     loss, accuracy, top_eigenvalue, trace ± trace_stderr (Hutchinson),
//     trace_exact, outliers, bulk_edge, outlier_gap, outlier_rule, ….
//
// checkpoint names the series (the model folder, checkpoints.Series);
// block is "whole" or "layers.<l>". Missing values are NULL, never NaN.
const (
	HessianEigsTable    = "hessian_eigs"
	HessianDensityTable = "hessian_density"
	HessianSummaryTable = "hessian_summary"
)

// HessianPlan is everything the hessian pipeline needs.
type HessianPlan struct {
	RunID   string
	Out     string
	Dataset string
	Seed    uint64
	Params  experiments.HessianParams
	Data    labelled.Source
	// Rows is the number of rows the loss averages over (all, or
	// params.samples of Total).
	Rows, Total int
	// Tasks are the elements, one per (checkpoint, block), sorted by
	// series, step and block.
	Tasks []transforms.HessianTask
}

// HessianSampleSeed is the seed of the row subsample (params.samples).
func HessianSampleSeed(specSeed uint64) uint64 {
	return transforms.HessianBlockSeed(specSeed, "\x00samples")
}

// PlanHessian checks a hessian spec against its data and checkpoints before
// anything runs: the labelled rows are read once (labels must be class
// indices, features finite), the checkpoints listed (checkpoints.List, format
// safetensors) and each file's header read: it must be a lowdim MLP whose
// inputs match the data's feature count and whose classes cover its labels.
// Problems are positioned at the spec key they concern. It lists one task
// per (checkpoint, block).
func PlanHessian(ctx context.Context, spec *experiments.Spec, out, runID string) (*HessianPlan, error) {
	params, err := spec.HessianParams()
	if err != nil {
		return nil, err
	}
	plan := &HessianPlan{RunID: runID, Out: out, Seed: spec.Seed, Params: params}
	in := spec.Input
	switch in.Dataset {
	case "":
		plan.Dataset = datasetName(in.Path)
		opts := MatrixOptions(in)
		opts.DropColumns = nil
		if in.LabelColumn == "" {
			return nil, spec.ErrorAt("input", "the hessian study needs labelled rows: set input.label_column (a column index) or input.dataset")
		}
		src, err := matrix.Open(ctx, in.Path, opts)
		if err != nil {
			return nil, spec.ErrorAt("input.path", "%v", err)
		}
		lc, err := strconv.Atoi(in.LabelColumn)
		if err == nil && lc < 0 {
			lc += src.Cols()
		}
		if err != nil || lc < 0 || lc >= src.Cols() {
			return nil, spec.ErrorAt("input.label_column", "input.label_column %q: want a column index in [0, %d) (or negative from the end)", in.LabelColumn, src.Cols())
		}
		plan.Data = labelled.Source{Path: in.Path, Options: opts, LabelColumn: lc}
	case DigitsDataset:
		p, err := datasets.DigitsPath()
		if err != nil {
			return nil, spec.ErrorAt("input.dataset", "%v", err)
		}
		plan.Dataset = DigitsDataset
		plan.Data = labelled.Source{Path: p, Options: matrix.Options{Format: "csv"}, LabelColumn: 64}
	case MNISTDataset:
		mnist, err := datasets.MNIST()
		if err != nil {
			return nil, spec.ErrorAt("input.dataset", "%v", err)
		}
		plan.Dataset = MNISTDataset
		plan.Data = labelled.Source{
			Path: mnist.TrainImages, LabelsPath: mnist.TrainLabels,
			Options: matrix.Options{Format: "idx"},
		}
	default:
		return nil, spec.ErrorAt("input.dataset", "input.dataset %q: the hessian study knows %s and %s (or set input.path and input.label_column)", in.Dataset, DigitsDataset, MNISTDataset)
	}
	plan.Data.BlockRows = in.ShardRows
	rows, err := labelled.ReadSample(ctx, plan.Data, params.Samples, HessianSampleSeed(spec.Seed))
	if err != nil {
		return nil, spec.ErrorAt("input", "%v", err)
	}
	if params.Samples > rows.Total {
		return nil, spec.ErrorAt("params.samples", "params.samples %d exceeds the %d rows of %s", params.Samples, rows.Total, plan.Dataset)
	}
	plan.Total = rows.Total
	plan.Rows, _ = rows.X.Dims()
	_, features := rows.X.Dims()

	cks, err := checkpoints.List(ctx, params.Checkpoints, "safetensors")
	if err != nil {
		return nil, spec.ErrorAt("params.checkpoints", "params.checkpoints: %v", err)
	}
	type seriesStep struct {
		series string
		step   int64
	}
	seen := map[seriesStep]string{}
	for _, ck := range cks {
		sizes, meta, err := checkpoints.ReadModelHeader(ctx, ck.Path)
		if err != nil {
			return nil, spec.ErrorAt("params.checkpoints", "params.checkpoints: %v", err)
		}
		m := (&checkpoints.Model{Sizes: sizes}).MLP()
		if sizes[0] != features {
			return nil, spec.ErrorAt("params.checkpoints", "params.checkpoints: %s: the model (%s) reads %d features, the data (%s) has %d", ck.Path, m.Name(), sizes[0], plan.Dataset, features)
		}
		if classes := sizes[len(sizes)-1]; rows.MaxLabel >= classes {
			return nil, spec.ErrorAt("params.checkpoints", "params.checkpoints: %s: the model (%s) has %d classes, the data (%s) has label %d", ck.Path, m.Name(), classes, plan.Dataset, rows.MaxLabel)
		}
		scale, rule, err := transforms.InputScale(meta, rows.MaxAbs)
		if err != nil {
			return nil, spec.ErrorAt("params.checkpoints", "params.checkpoints: %s: %v", ck.Path, err)
		}
		series := checkpoints.Series(ck.Path)
		key := seriesStep{series, ck.Step}
		if prev, dup := seen[key]; dup {
			return nil, spec.ErrorAt("params.checkpoints", "params.checkpoints: %s and %s are both step %d of series %s; point params.checkpoints at one model folder", prev, ck.Path, ck.Step, series)
		}
		seen[key] = ck.Path
		type block struct {
			name  string
			layer int
		}
		blocks := []block{{transforms.HessianWholeBlock, hessian.AllLayers}}
		if params.Blocks == experiments.HessianPerLayer {
			blocks = blocks[:0]
			for l := 0; l < len(sizes)-1; l++ {
				blocks = append(blocks, block{transforms.HessianLayerBlock(l), l})
			}
		}
		for _, b := range blocks {
			lo, hi, err := hessian.LayerRange(m, b.layer)
			if err != nil {
				return nil, err
			}
			D := hi - lo
			if params.Uses(experiments.HessianExact) && D > experiments.HessianMaxExactParams {
				return nil, spec.ErrorAt("params.methods", "params.methods lists exact, but block %s of %s (%s) has D = %d > %d parameters; drop exact (it is added automatically for D ≤ exact_max_params)",
					b.name, ck.Path, m.Name(), D, experiments.HessianMaxExactParams)
			}
			plan.Tasks = append(plan.Tasks, transforms.HessianTask{
				Checkpoint: series, Path: ck.Path, Step: ck.Step, Block: b.name, Layer: b.layer, Params: int64(D),
				InputScale: scale, ScaleRule: rule, Exact: params.ExactFor(D),
			})
		}
	}
	slices.SortStableFunc(plan.Tasks, func(a, b transforms.HessianTask) int {
		return cmp.Or(strings.Compare(a.Checkpoint, b.Checkpoint), cmp.Compare(a.Step, b.Step), cmp.Compare(a.Layer, b.Layer))
	})
	return plan, nil
}

// Build implements Plan.
func (p *HessianPlan) Build(s beam.Scope) { Hessian(s, *p) }

// Work implements Plan: one Hessian (block) per checkpoint and block.
func (p *HessianPlan) Work() Work {
	return Work{Total: len(p.Tasks), Unit: "Hessians", Counter: transforms.HessiansCounter, NoRowRate: true}
}

// Tables implements Plan.
func (p *HessianPlan) Tables() []string {
	return []string{HessianEigsTable, HessianDensityTable, HessianSummaryTable}
}

// Hessian builds the hessian pipeline: every (checkpoint, block) is one
// element (Reshuffle spreads them over workers), which reads the rows and
// the checkpoint once and runs the methods with runtime.GOMAXPROCS(0)
// goroutines for the Hessian-vector products (transforms.HessianFn). Its
// rows go straight to the three tables; nothing of size D or N passes
// through a GroupByKey.
func Hessian(s beam.Scope, plan HessianPlan) {
	s = s.Scope("Hessian")
	p := plan.Params
	tasks := beam.Reshuffle(s, beam.CreateList(s, plan.Tasks))
	eigs, density, summary := beam.ParDo3(s, &transforms.HessianFn{
		RunID: plan.RunID, Data: plan.Data, Samples: p.Samples, SampleSeed: HessianSampleSeed(plan.Seed), Seed: plan.Seed,
		Lanczos: p.Uses(experiments.HessianLanczos), SLQ: p.Uses(experiments.HessianSLQ), Hutchinson: p.Uses(experiments.HessianHutchinson),
		TopK: p.TopK, Probes: p.Probes, SLQSteps: p.SLQSteps, DensityGrid: p.DensityGrid, Broadening: p.Broadening,
	}, tasks)
	tables.Write(s, plan.Out, plan.RunID, HessianEigsTable, 1, eigs)
	tables.Write(s, plan.Out, plan.RunID, HessianDensityTable, 1, density)
	tables.Write(s, plan.Out, plan.RunID, HessianSummaryTable, 1, summary)
}
