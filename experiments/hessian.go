package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Hessian methods (params.methods).
const (
	HessianExact      = "exact"
	HessianLanczos    = "lanczos"
	HessianSLQ        = "slq"
	HessianHutchinson = "hutchinson"
)

// Hessian blocks (params.blocks).
const (
	// HessianWhole is the Hessian of every parameter of the model.
	HessianWhole = "whole"
	// HessianPerLayer is one diagonal block per layer: the parameters of
	// layers.l.weight and layers.l.bias.
	HessianPerLayer = "per_layer"
)

// HessianMaxExactParams is the largest exact_max_params: the exact method
// forms the D×D matrix (linalg/hessian.MaxExactDim; ≈ 400 MB at 5,000).
const HessianMaxExactParams = 5000

var (
	hessianMethods = []string{HessianExact, HessianLanczos, HessianSLQ, HessianHutchinson}
	hessianBlocks  = []string{HessianWhole, HessianPerLayer}
)

// HessianParams are the params of the hessian study: spectra of the Hessian
// ∇²L(θ) of the mean softmax cross-entropy of a lowdim MLP checkpoint on
// labelled rows (input.dataset, or input.path with input.label_column),
// one per checkpoint of a series and block, by exact Hessian-vector products
// (Pearlmutter 1994; design §4), as in Sagun et al. 2018 ("Empirical
// analysis of the Hessian of over-parametrized neural networks": a bulk near
// zero and about one outlier per class) and PyHessian (Yao et al. 2020).
// The study has no grid axes.
type HessianParams struct {
	// Checkpoints is a file, folder or glob of lowdim checkpoints
	// (safetensors with layers.<l>.weight out × in and layers.<l>.bias, as
	// intrinsic_dim's checkpoint_every writes them), local or gs://; a
	// folder holding a series gives one Hessian per step. Required.
	Checkpoints string `yaml:"checkpoints" comment:"file, folder or glob of lowdim checkpoints; a series gives one Hessian per step"`
	// Samples is the number of rows the loss averages over: 0 (the
	// default) takes every row, otherwise a seeded subsample drawn once,
	// the same rows for every checkpoint and block.
	Samples int `yaml:"samples" comment:"rows of the loss; 0 = all, else a seeded subsample, the same for every checkpoint"`
	// Methods lists what is computed: lanczos (the top_k largest and
	// smallest eigenvalues), slq (the eigenvalue density), hutchinson (the
	// trace and its standard error) and exact (every eigenvalue, from the
	// dense Hessian). Default [lanczos, slq, hutchinson]; exact is added for
	// every block with D ≤ exact_max_params, and listing it computes it for
	// every block (each must then have D ≤ HessianMaxExactParams).
	Methods []string `yaml:"methods" comment:"lanczos | slq | hutchinson | exact (exact is added when D ≤ exact_max_params)"`
	// ExactMaxParams is the largest block (D parameters) whose dense
	// Hessian and full spectrum are computed (D products and an O(D³)
	// eigendecomposition); 0 turns exact off unless listed. Default 5000,
	// at most HessianMaxExactParams.
	ExactMaxParams int `yaml:"exact_max_params" comment:"exact spectrum of blocks with D ≤ this (D products + O(D³)); 0 = only if listed"`
	// TopK is the number of eigenvalues Lanczos resolves at each end of
	// the spectrum; the outliers are sought among the top ones. Default 20.
	TopK int `yaml:"top_k" comment:"Lanczos eigenvalues at each end"`
	// Probes is the number of Rademacher probes of slq and hutchinson.
	// Default 10.
	Probes int `yaml:"probes" comment:"Rademacher probes of slq and hutchinson"`
	// SLQSteps is the number of Lanczos steps per slq probe (min with D).
	// Default 80.
	SLQSteps int `yaml:"slq_steps" comment:"Lanczos steps per slq probe"`
	// DensityGrid is the number of points at which the density is written.
	// Default 200.
	DensityGrid int `yaml:"density_grid" comment:"points of the density grid"`
	// Broadening is the standard deviation σ of the Gaussian each
	// quadrature node is smeared by (Ghorbani et al. 2019, eq. 8); 0 (the
	// default) is 1 % of the width of the spectrum found.
	Broadening float64 `yaml:"broadening" comment:"σ of the Gaussian broadening; 0 = 1 % of the spectrum's width"`
	// Blocks is whole (the Hessian of all parameters) or per_layer (one
	// diagonal block per layer). Default whole.
	Blocks string `yaml:"blocks" comment:"whole | per_layer"`
}

// DefaultHessianParams returns the defaults listed on HessianParams.
func DefaultHessianParams() HessianParams {
	return HessianParams{
		Methods:        []string{HessianLanczos, HessianSLQ, HessianHutchinson},
		ExactMaxParams: HessianMaxExactParams,
		TopK:           20,
		Probes:         10,
		SLQSteps:       80,
		DensityGrid:    200,
		Blocks:         HessianWhole,
	}
}

// Validate checks checkpoints set, samples ≥ 0, methods a non-empty list of
// distinct known methods, 0 ≤ exact_max_params ≤ HessianMaxExactParams,
// top_k, probes and slq_steps ≥ 1, density_grid ≥ 2, broadening finite and
// ≥ 0, and blocks whole or per_layer. The error is FieldErrors.
func (p HessianParams) Validate() error {
	var fe FieldErrors
	bad := func(key, format string, args ...any) {
		fe = append(fe, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(p.Checkpoints) == "" {
		bad("checkpoints", "is required: a file, folder or glob of lowdim checkpoints (OUT/checkpoints/run=<id>/<model folder> of an intrinsic_dim run with checkpoint_every)")
	}
	if p.Samples < 0 {
		bad("samples", "must be ≥ 0 (0 = every row), got %d", p.Samples)
	}
	if len(p.Methods) == 0 {
		bad("methods", "must list at least one of %s", strings.Join(hessianMethods, ", "))
	}
	for i, m := range p.Methods {
		if !slices.Contains(hessianMethods, m) {
			bad("methods", "[%d] must be one of %s, got %q%s", i, strings.Join(hessianMethods, ", "), m, suggest(m, hessianMethods))
		} else if slices.Index(p.Methods, m) < i {
			bad("methods", "[%d] lists %s twice", i, m)
		}
	}
	if p.ExactMaxParams < 0 || p.ExactMaxParams > HessianMaxExactParams {
		bad("exact_max_params", "must be in [0, %d] (the dense Hessian takes 8·D² bytes), got %d", HessianMaxExactParams, p.ExactMaxParams)
	}
	if p.TopK < 1 {
		bad("top_k", "must be ≥ 1, got %d", p.TopK)
	}
	if p.Probes < 1 {
		bad("probes", "must be ≥ 1, got %d", p.Probes)
	}
	if p.SLQSteps < 1 {
		bad("slq_steps", "must be ≥ 1, got %d", p.SLQSteps)
	}
	if p.DensityGrid < 2 {
		bad("density_grid", "must be ≥ 2 points, got %d", p.DensityGrid)
	}
	if !(p.Broadening >= 0) || math.IsInf(p.Broadening, 1) {
		bad("broadening", "must be a finite number ≥ 0 (0 = automatic), got %v", p.Broadening)
	}
	if !slices.Contains(hessianBlocks, p.Blocks) {
		bad("blocks", "must be one of %s, got %q%s", strings.Join(hessianBlocks, ", "), p.Blocks, suggest(p.Blocks, hessianBlocks))
	}
	return fe.Err()
}

// Uses reports whether method is listed in Methods.
func (p HessianParams) Uses(method string) bool { return slices.Contains(p.Methods, method) }

// ExactFor reports whether the exact method runs on a block of D
// parameters: listed in Methods, or D ≤ ExactMaxParams. (A plan refuses a
// listed exact for D > HessianMaxExactParams.)
func (p HessianParams) ExactFor(D int) bool {
	return p.Uses(HessianExact) || D <= p.ExactMaxParams
}

func init() {
	Register(Study{Name: "hessian", Params: func() any { p := DefaultHessianParams(); return &p }, ReadsInput: true})
}

// HessianParams returns the params of a hessian spec (defaults overwritten
// by the values under params), validated. The study has no grid axes.
func (s *Spec) HessianParams() (HessianParams, error) {
	e := &errs{file: s.File}
	if s.Study != "hessian" {
		e.add(s.at("study"), "study is %q, not hessian", s.Study)
		return DefaultHessianParams(), e.err()
	}
	p := s.typedParams(paramsOf("hessian"), nil, e).(*HessianParams)
	return *p, e.err()
}

// ErrorAt returns a problem found after parsing (by a plan, against the
// data) as an ErrorList of one *Error positioned at the value of key, a
// dotted path such as "params.checkpoints" or "input.label_column" (at its
// nearest enclosing key written in the file when key itself is not).
func (s *Spec) ErrorAt(key, format string, args ...any) error {
	e := &errs{file: s.File}
	e.add(s.at(key), format, args...)
	return e.err()
}
