package pipelines

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/transforms"
)

// Phase-transition tables (design §4, mixtures of low-rank Gaussians):
//
//   - phase_trials: one row per (cell, trial): run_id, ambient_dim,
//     intrinsic_dim, components, samples_per_component, noise, trial, error
//     (max over components of ‖ÛÛᵀ − UUᵀ‖_F/√(2d) after Hungarian matching),
//     error_mean, success (error < tolerance), objective, misassigned.
//   - phase_summary: one row per cell: the grid columns, trials, successes,
//     success_rate, mean_error, error_q10, error_q50, error_q90 (type-7
//     quantiles of error).
//   - phase_boundary: one row per (ambient_dim, intrinsic_dim, components,
//     noise): n_star (smallest swept N with success_rate ≥ 0.5, NULL if none),
//     n_star_interp (first upward crossing of 0.5 by the linearly
//     interpolated success rate), n_star_censored, n_swept.
//
// A heatmap of success_rate over (intrinsic_dim, samples_per_component),
// one panel per (ambient_dim, components, noise), is PhaseHeatmaps of the
// phase_summary rows.
const (
	PhaseTrialsTable   = "phase_trials"
	PhaseSummaryTable  = "phase_summary"
	PhaseBoundaryTable = "phase_boundary"
)

// PhaseDataset is the input.dataset a phase_transition spec names: the
// study draws its own data, so input.path must be empty.
const PhaseDataset = "molrg"

// PhasePlan is everything the phase_transition pipeline needs.
type PhasePlan struct {
	RunID  string
	Out    string
	Seed   uint64
	Params experiments.PhaseParams // the params outside the grid
	Cells  []transforms.PhaseCell  // in grid order
}

// PlanPhase checks a phase_transition spec and lists its cells.
func PlanPhase(ctx context.Context, spec *experiments.Spec, out, runID string) (*PhasePlan, error) {
	if spec.Input.Path != "" || (spec.Input.Dataset != "" && spec.Input.Dataset != PhaseDataset) {
		return nil, fmt.Errorf("%s: the phase_transition study draws its own data: remove the input block (or set input.dataset: %s)", spec.File, PhaseDataset)
	}
	params, err := spec.PhaseParams()
	if err != nil {
		return nil, err
	}
	plan := &PhasePlan{RunID: runID, Out: out, Seed: spec.Seed, Params: params}
	for _, c := range spec.Cells() {
		p, err := spec.PhaseParamsFor(c)
		if err != nil {
			return nil, err
		}
		plan.Cells = append(plan.Cells, transforms.PhaseCell{
			AmbientDim: int64(p.AmbientDim), IntrinsicDim: int64(p.IntrinsicDim), Components: int64(p.Components),
			SamplesPerComponent: int64(p.SamplesPerComponent), Noise: p.Noise,
		})
	}
	return plan, nil
}

// Build implements Plan.
func (p *PhasePlan) Build(s beam.Scope) { Phase(s, *p) }

// Work implements Plan: one trial per cell and trial number.
func (p *PhasePlan) Work() Work {
	return Work{Total: len(p.Cells) * p.Params.Trials, Unit: "trials", Counter: transforms.TrialsCounter}
}

// Tables implements Plan.
func (p *PhasePlan) Tables() []string {
	return []string{PhaseTrialsTable, PhaseSummaryTable, PhaseBoundaryTable}
}

// Phase runs plan.Params.Trials trials of every cell, one Beam element each,
// summarises them per cell (CombinePerKey) and per curve in N (GroupByKey),
// and stages the phase_trials, phase_summary and phase_boundary tables. It
// returns the three PCollections of rows.
func Phase(s beam.Scope, plan PhasePlan) (trials, summary, boundary beam.PCollection) {
	s = s.Scope("Phase")
	p := plan.Params
	tasks := make([]transforms.PhaseTask, 0, len(plan.Cells)*p.Trials)
	for _, c := range plan.Cells {
		for t := range p.Trials {
			tasks = append(tasks, transforms.PhaseTask{Cell: c, Trial: int64(t)})
		}
	}
	elems := beam.Reshuffle(s, beam.CreateList(s, tasks))
	trials = beam.ParDo(s, &transforms.PhaseTrialFn{
		RunID: plan.RunID, Seed: plan.Seed, Tolerance: p.Tolerance, Bases: p.Bases, Weights: p.Weights,
		Restarts: p.Restarts, MaxIters: p.MaxIters, Init: p.Init,
	}, elems)
	byCell := beam.ParDo(s, transforms.KeyTrialByCell, trials)
	summary = beam.ParDo(s, transforms.DropCellKey, beam.CombinePerKey(s, &transforms.PhaseSummaryFn{RunID: plan.RunID}, byCell))
	byCurve := beam.ParDo(s, transforms.KeySummaryByCurve, summary)
	boundary = beam.ParDo(s, &transforms.PhaseBoundaryFn{RunID: plan.RunID}, beam.GroupByKey(s, byCurve))
	tables.Write(s, plan.Out, plan.RunID, PhaseTrialsTable, 1, trials)
	tables.Write(s, plan.Out, plan.RunID, PhaseSummaryTable, 1, summary)
	tables.Write(s, plan.Out, plan.RunID, PhaseBoundaryTable, 1, boundary)
	return trials, summary, boundary
}
