package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// PhaseParams are the params of the phase_transition study: K-component
// mixtures of low-rank Gaussians x = Uₖa + noise·ε in R^n (Wang et al. 2024,
// "Diffusion models learn low-dimensional distributions via subspace
// clustering", §2) drawn and fitted back, trials times per grid cell; a
// trial succeeds when every component's subspace is recovered within
// tolerance. The five model params (ambient_dim, intrinsic_dim, components,
// samples_per_component, noise) are the only ones that may be grid axes.
type PhaseParams struct {
	// AmbientDim is n. Default 48.
	AmbientDim int `yaml:"ambient_dim" comment:"n, dimension of the samples"`
	// IntrinsicDim is d, the dimension of every component. Default 4.
	IntrinsicDim int `yaml:"intrinsic_dim" comment:"d, dimension of each component's subspace"`
	// Components is K. Default 1.
	Components int `yaml:"components" comment:"K; 1 is fitted by PCA, more by K-subspaces"`
	// SamplesPerComponent is N; the mixture has K·N samples. Default 10.
	SamplesPerComponent int `yaml:"samples_per_component" comment:"N; K·N samples in all"`
	// Noise is σ of the isotropic Gaussian noise σε, ε ~ N(0, Iₙ). Default 0.
	Noise float64 `yaml:"noise" comment:"σ of the noise added to every sample"`
	// Trials is the number of independent draws per cell. Default 10.
	Trials int `yaml:"trials"`
	// Tolerance is the success threshold on the trial's error, the largest
	// over components of ‖ÛÛᵀ − UUᵀ‖_F/√(2d) after Hungarian matching.
	// Default 1e-2, meant for noise 0 where a success has error ~1e-15 and a
	// failure error ≥ ~0.1; with noise, scale it (the PCA error grows like
	// noise·√(n/N)).
	Tolerance float64 `yaml:"tolerance" comment:"success when max component error < tolerance"`
	// Bases is "orthogonal" (UₖᵀUₗ = 0, needs K·d ≤ n; Wang et al. 2024,
	// Assumption 1) or "random" (independent, uniform on the Grassmannian).
	// Default "orthogonal".
	Bases string `yaml:"bases" comment:"orthogonal (needs K·d ≤ n) | random"`
	// Weights are the mixing weights of the K components; K·N samples are
	// apportioned to them by largest remainders. Empty (default) means equal
	// weights, N samples each.
	Weights []float64 `yaml:"weights" comment:"K mixing weights; [] = equal, N per component"`
	// Restarts is the number of K-subspaces starts, the least objective
	// kept. Default 10.
	Restarts int `yaml:"restarts" comment:"K-subspaces starts (K > 1)"`
	// MaxIters bounds the assign/refit rounds of one start. Default 100.
	MaxIters int `yaml:"max_iters" comment:"K-subspaces rounds per start"`
	// Init is the K-subspaces start: "neighbors" (k-means++-style seeds,
	// each spanned with its d−1 nearest samples in |cosine|) or "random"
	// (random subspaces). Default "neighbors".
	Init string `yaml:"init" comment:"neighbors | random"`
}

// PhaseGridAxes are the params of the phase_transition study that may be
// grid axes; every phase table has a column for each.
var PhaseGridAxes = []string{"ambient_dim", "intrinsic_dim", "components", "samples_per_component", "noise"}

// DefaultPhaseParams returns the defaults of the phase_transition study:
// ambient_dim 48, intrinsic_dim 4, components 1, samples_per_component 10,
// noise 0, trials 10, tolerance 1e-2, bases orthogonal, equal weights,
// restarts 10, max_iters 100, init neighbors.
func DefaultPhaseParams() PhaseParams {
	return PhaseParams{
		AmbientDim:          48,
		IntrinsicDim:        4,
		Components:          1,
		SamplesPerComponent: 10,
		Trials:              10,
		Tolerance:           1e-2,
		Bases:               "orthogonal",
		Restarts:            10,
		MaxIters:            100,
		Init:                "neighbors",
	}
}

// Validate checks ambient_dim ≥ 1, 1 ≤ intrinsic_dim ≤ ambient_dim,
// components ≥ 1, samples_per_component ≥ 1, noise finite and ≥ 0,
// trials ≥ 1, tolerance finite and > 0, bases orthogonal or random with
// components·intrinsic_dim ≤ ambient_dim when orthogonal, weights empty or
// components finite values ≥ 0 with a positive sum, restarts ≥ 1,
// max_iters ≥ 1 and init neighbors or random. The error is FieldErrors.
func (p PhaseParams) Validate() error {
	var fe FieldErrors
	bad := func(key, format string, args ...any) {
		fe = append(fe, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.AmbientDim < 1 {
		bad("ambient_dim", "must be ≥ 1, got %d", p.AmbientDim)
	}
	if p.IntrinsicDim < 1 || (p.AmbientDim >= 1 && p.IntrinsicDim > p.AmbientDim) {
		bad("intrinsic_dim", "must be in [1, ambient_dim = %d], got %d", p.AmbientDim, p.IntrinsicDim)
	}
	if p.Components < 1 {
		bad("components", "must be ≥ 1, got %d", p.Components)
	}
	if p.SamplesPerComponent < 1 {
		bad("samples_per_component", "must be ≥ 1, got %d", p.SamplesPerComponent)
	}
	if !(p.Noise >= 0) || math.IsInf(p.Noise, 1) {
		bad("noise", "must be a finite number ≥ 0, got %v", p.Noise)
	}
	if p.Trials < 1 {
		bad("trials", "must be ≥ 1, got %d", p.Trials)
	}
	if !(p.Tolerance > 0) || math.IsInf(p.Tolerance, 1) {
		bad("tolerance", "must be a finite number > 0, got %v", p.Tolerance)
	}
	switch p.Bases {
	case "random":
	case "orthogonal":
		if p.Components >= 1 && p.IntrinsicDim >= 1 && p.Components*p.IntrinsicDim > p.AmbientDim && p.AmbientDim >= 1 {
			bad("bases", "orthogonal needs components·intrinsic_dim ≤ ambient_dim, got %d·%d > %d (use bases: random)", p.Components, p.IntrinsicDim, p.AmbientDim)
		}
	default:
		bad("bases", "must be orthogonal or random, got %q", p.Bases)
	}
	if len(p.Weights) > 0 {
		sum := 0.0
		for _, w := range p.Weights {
			sum += w
		}
		switch {
		case len(p.Weights) != p.Components:
			bad("weights", "has %d values for %d components", len(p.Weights), p.Components)
		case slices.ContainsFunc(p.Weights, func(w float64) bool { return !(w >= 0) || math.IsInf(w, 1) }):
			bad("weights", "must be finite numbers ≥ 0, got %v", p.Weights)
		case sum == 0:
			bad("weights", "sum to 0")
		}
	}
	if p.Restarts < 1 {
		bad("restarts", "must be ≥ 1, got %d", p.Restarts)
	}
	if p.MaxIters < 1 {
		bad("max_iters", "must be ≥ 1, got %d", p.MaxIters)
	}
	if p.Init != "neighbors" && p.Init != "random" {
		bad("init", "must be neighbors or random, got %q", p.Init)
	}
	return fe.Err()
}

func init() {
	Register(Study{Name: "phase_transition", Params: func() any { p := DefaultPhaseParams(); return &p }, Grid: true})
}

// PhaseParams returns the base params of a phase_transition spec (defaults
// overwritten by the values under params), validated together with every
// grid cell.
func (s *Spec) PhaseParams() (PhaseParams, error) {
	return s.phaseParams(nil)
}

// PhaseParamsFor returns the params of grid cell c of a phase_transition
// spec: the base params with the cell's values applied, validated.
func (s *Spec) PhaseParamsFor(c Cell) (PhaseParams, error) {
	return s.phaseParams(&c)
}

func (s *Spec) phaseParams(c *Cell) (PhaseParams, error) {
	e := &errs{file: s.File}
	if s.Study != "phase_transition" {
		e.add(s.at("study"), "study is %q, not phase_transition", s.Study)
		return DefaultPhaseParams(), e.err()
	}
	for _, a := range s.axes {
		if !slices.Contains(PhaseGridAxes, a.Name) {
			e.add(nodePos(a.key), "params.grid.%s: the phase_transition study sweeps only %s; set %s outside the grid",
				a.Name, strings.Join(PhaseGridAxes, ", "), a.Name)
		}
	}
	p := s.typedParams(paramsOf("phase_transition"), c, e).(*PhaseParams)
	return *p, e.err()
}
