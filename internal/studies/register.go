package studies

import (
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/report"
)

func init() {
	Register(Study{Name: "spectrum", Plan: plan(pipelines.PlanSpectrum), Summary: report.SpectrumSummary, Report: report.SpectrumReport})
	Register(Study{Name: "landscape", Plan: plan(pipelines.PlanLandscape), Summary: report.LandscapeSummary, Report: report.LandscapeReport})
	Register(Study{Name: "phase_transition", Plan: plan(pipelines.PlanPhase), Summary: report.PhaseSummary, Report: report.PhaseReport})
	Register(Study{Name: "rank_dynamics", Plan: plan(pipelines.PlanRankDynamics), Summary: report.RankDynamicsSummary, Report: report.RankDynamicsReport})
	Register(Study{Name: "intrinsic_dim", Plan: plan(pipelines.PlanIntrinsic), Summary: report.IntrinsicSummary, Report: report.IntrinsicDimReport})
	Register(Study{Name: "hessian", Plan: plan(pipelines.PlanHessian), Summary: report.HessianSummary, Report: report.HessianReport})
}
