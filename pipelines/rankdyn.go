package pipelines

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/transforms"
)

// Rank-dynamics tables:
//
//   - rank_dynamics: one row per (step, tensor): run_id, step, tensor, path,
//     rows, cols, shape, dtype, exact_spectrum, n_sigma, sigma_topk (list),
//     stable_rank, rankme, alpha_req, alpha_req_r2, energy_rank_90/95/99,
//     nuclear_norm, frobenius_norm, spectral_norm, spectral_entropy,
//     welore_tau, welore_rank, welore_rank_reduction,
//     welore_low_rank_component, and for representation matrices
//     (params.representations) twonn, twonn_spread, twonn_points, and the
//     heavy-tail columns alpha, alpha_xmin, alpha_ks, alpha_tail,
//     alpha_weighted, log_alpha_norm, log_spectral_norm, log_norm (NULL
//     unless exact_spectrum; see transforms.RankDynamicsRow).
//   - rank_drift: one row per (tensor, consecutive steps): run_id, tensor,
//     step_from, step_to, k, principal_angles (list, radians, ascending),
//     mean_principal_angle, max_principal_angle, subspace_overlap
//     = ‖V₁ᵀV₂‖_F²/k (see transforms.RankDriftRow).
//   - rank_cut: one row per (step, tensor, params.rank_cuts fraction):
//     run_id, step, tensor, r, fraction, energy_kept (see
//     transforms.RankCutRow).
const (
	RankDynamicsTable = "rank_dynamics"
	RankDriftTable    = "rank_drift"
	RankCutTable      = "rank_cut"
)

// RankDynamicsPlan is everything the rank_dynamics pipeline needs.
type RankDynamicsPlan struct {
	RunID       string
	Out         string
	Seed        uint64
	Params      experiments.RankDynamicsParams
	Checkpoints []checkpoints.Checkpoint // sorted by step, then path
	// MatricesPerStep is the number of matrices of the first step.
	MatricesPerStep int
}

// PlanRankDynamics lists the checkpoint series of a rank_dynamics spec
// (see checkpoints.List) and checks, on the files of the first step, that the
// include and exclude patterns leave at least one matrix.
func PlanRankDynamics(ctx context.Context, spec *experiments.Spec, out, runID string) (*RankDynamicsPlan, error) {
	params, err := spec.RankDynamicsParams()
	if err != nil {
		return nil, err
	}
	if spec.Input.Path == "" {
		return nil, fmt.Errorf("%s: the rank_dynamics study reads a checkpoint series: set input.path to a directory, glob or manifest CSV", spec.File)
	}
	cks, err := checkpoints.List(ctx, spec.Input.Path, spec.Input.Format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	var n int
	skipped := map[string]int{}
	for _, ck := range cks {
		if ck.Step != cks[0].Step {
			break
		}
		tasks, skip, err := checkpoints.Tensors(ctx, ck, params.Include, params.Exclude)
		if err != nil {
			return nil, err
		}
		n += len(tasks)
		for r, c := range skip {
			skipped[r] += c
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no matrix to analyse at step %d (%s): skipped %d tensors of rank < 2, %d of a non-float dtype, %d by params.include/exclude",
			spec.File, cks[0].Step, cks[0].Path, skipped["rank"], skipped["dtype"], skipped["name"])
	}
	return &RankDynamicsPlan{RunID: runID, Out: out, Seed: spec.Seed, Params: params, Checkpoints: cks, MatricesPerStep: n}, nil
}

// Work implements Plan: the matrices of the first step times the number of
// steps, an estimate when the files of later steps hold other tensors.
func (p *RankDynamicsPlan) Work() Work {
	steps := 0
	for i, ck := range p.Checkpoints {
		if i == 0 || ck.Step != p.Checkpoints[i-1].Step {
			steps++
		}
	}
	return Work{Total: p.MatricesPerStep * steps, Unit: "matrices", Counter: transforms.MatricesCounter}
}

// Build implements Plan.
func (p *RankDynamicsPlan) Build(s beam.Scope) { RankDynamics(s, *p) }

// Tables implements Plan.
func (p *RankDynamicsPlan) Tables() []string {
	return []string{RankDynamicsTable, RankDriftTable, RankCutTable}
}

// RankDynamics lists the matrices of every checkpoint (one element per
// file, reading headers only), groups the small checkpoints.Tensor elements by matrix name,
// cuts each matrix's steps into series of params.steps_per_element
// consecutive steps, and analyses each series in its own element, which
// reads one tensor of one checkpoint at a time and keeps only the previous
// step's top-k subspace for the drift. No matrix or subspace passes through a
// GroupByKey, so the runner's memory does not grow with the series. It
// stages the rank_dynamics, rank_drift and rank_cut tables and returns the
// rows of the first two.
// rank_drift has no file when no tensor was read at two steps.
func RankDynamics(s beam.Scope, plan RankDynamicsPlan) (rows, drift beam.PCollection) {
	s = s.Scope("RankDynamics")
	p := plan.Params
	cks := beam.Reshuffle(s, beam.CreateList(s, plan.Checkpoints))
	tasks := beam.ParDo(s, &transforms.ListTensorsFn{Include: p.Include, Exclude: p.Exclude}, cks)
	series := beam.Reshuffle(s, beam.ParDo(s, &transforms.SplitSeriesFn{StepsPerElement: p.StepsPerElement}, beam.GroupByKey(s, tasks)))
	var cuts beam.PCollection
	rows, drift, cuts = beam.ParDo3(s, &transforms.SeriesSpectrumFn{
		RunID: plan.RunID, K: p.K, ExactMaxDim: p.ExactMaxDim, Oversample: p.Oversample, PowerIters: p.PowerIters,
		Seed: plan.Seed, AlphaFirst: p.AlphaRange[0], AlphaLast: p.AlphaRange[1], WeloreTau: p.WeloreTau,
		Representations: p.Representations, AlphaMinTail: p.AlphaMinTail, RankCuts: p.RankCuts, Center: p.Center,
	}, series)
	tables.Write(s, plan.Out, plan.RunID, RankCutTable, 1, cuts)
	tables.Write(s, plan.Out, plan.RunID, RankDynamicsTable, 1, rows)
	tables.Write(s, plan.Out, plan.RunID, RankDriftTable, 1, drift)
	return rows, drift
}
