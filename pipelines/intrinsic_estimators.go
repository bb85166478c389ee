package pipelines

import (
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/idest"
	"github.com/lowdim/lowdim/transforms"
)

// LocalIntrinsicDimTable holds the per-point (local) intrinsic dimension of
// every input row by every estimator of params.local (see
// transforms.LocalIDRow).
const LocalIntrinsicDimTable = "local_intrinsic_dim"

// isManifoldDataset reports whether input.dataset names generated
// benchmark manifolds (transforms.ManifoldPrefix).
func isManifoldDataset(dataset string) bool {
	return strings.HasPrefix(dataset, transforms.ManifoldPrefix)
}

// planManifoldID plans the data estimators on generated benchmark
// manifolds: params.points points of each manifold, drawn with the spec
// seed (manifolds.Generate(name, points, seed)), split into shards of
// input.shard_rows rows.
func planManifoldID(spec *experiments.Spec, plan *IntrinsicPlan) (*IntrinsicPlan, error) {
	if plan.Params.Method == "subspace" {
		return nil, fmt.Errorf("%s: input.dataset %s: generated manifolds have no labels; choose a data estimator as params.method", spec.File, spec.Input.Dataset)
	}
	names, err := transforms.ManifoldNames(strings.TrimPrefix(spec.Input.Dataset, transforms.ManifoldPrefix))
	if err != nil {
		return nil, fmt.Errorf("%s: input.dataset: %w", spec.File, err)
	}
	plan.Dataset = spec.Input.Dataset
	n := plan.Params.Points
	for _, name := range names {
		for _, r := range blocks.Plan(n, spec.Input.ShardRows) {
			plan.Manifolds = append(plan.Manifolds, transforms.ManifoldShard{Name: name, Points: n, Seed: spec.Seed, Index: r.Index, Start: r.Start, End: r.End})
		}
	}
	return planDataCells(spec, plan)
}

// dataIDCell is the estimator setting of a grid cell's params.
func dataIDCell(p experiments.IntrinsicParams) transforms.DataIDCell {
	cell := transforms.DataIDCell{Method: p.Method}
	switch p.Method {
	case "mle":
		cell.K, cell.Convention = int64(p.K), p.Convention
	case "pca":
		cell.Energy = p.Energy
	case "lpca":
		cell.Rule = p.LPCARule
	case "ess":
		cell.LocalK = int64(p.LocalK)
	case "mind_ml":
		cell.K, cell.MaxDim = int64(p.K), int64(p.MaxDim)
	case "danco":
		cell.K, cell.MaxDim = idest.DefaultDANCoK, int64(p.MaxDim)
	}
	return cell
}

// dataIntrinsicDim builds the data estimators: shards (read, or generated
// for manifolds) estimated one by one, their statistics pooled per (data
// set, setting) into the overall rows; the local estimates of every row.
func dataIntrinsicDim(s beam.Scope, plan IntrinsicPlan) {
	p := plan.Params
	var rows beam.PCollection
	perBlock := len(plan.Manifolds) > 0
	if perBlock {
		rows = beam.ParDo(s, &transforms.ManifoldShardFn{}, beam.Reshuffle(s, beam.CreateList(s, plan.Manifolds)))
	} else {
		rows = blocks.Read(s, plan.Read, plan.Ranges)
	}
	shardFn := &transforms.DataIDShardFn{
		RunID: plan.RunID, Dataset: plan.Dataset, Cells: plan.Cells, PerBlockDataset: perBlock, Seed: plan.Seed,
		Local: transforms.LocalIDConfig{Methods: p.Local, K: int64(p.K), Convention: p.Convention, LocalK: int64(p.LocalK), Rule: p.LPCARule},
	}
	shardRows, partials, local := beam.ParDo3(s, shardFn, rows)
	overall := beam.ParDo(s, &transforms.DataIDOverallFn{RunID: plan.RunID, Dataset: plan.Dataset},
		beam.CombinePerKey(s, &transforms.DataIDMergeFn{}, partials))
	tables.Write(s, plan.Out, plan.RunID, DataIntrinsicDimTable, 1, beam.Flatten(s, shardRows, overall))
	if len(p.Local) > 0 {
		tables.Write(s, plan.Out, plan.RunID, LocalIntrinsicDimTable, 1, local)
	}
}
