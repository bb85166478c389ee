package experiments

import (
	"fmt"
	"path"
)

// RankDynamicsParams are the params of the rank_dynamics study: the singular
// value spectrum of every weight matrix of every checkpoint of a training
// run, its spectral measures (design §4), and the drift of each matrix's
// top-k right singular subspace between consecutive checkpoints.
//
// A tensor of rank ≥ 2 with shape (d₀, d₁, …) is read as the matrix
// d₀ × (d₁·…·dₙ); tensors of rank < 2 and of integer or boolean dtypes are
// skipped. The study has no grid axes.
type RankDynamicsParams struct {
	// K is the number of leading singular values stored (sigma_topk) and
	// the dimension of the right singular subspaces compared between
	// steps; min(K, rows, cols) for smaller matrices. Default 20.
	K int `yaml:"k" comment:"singular values kept and dimension of the drift subspaces"`
	// Include lists path.Match patterns on tensor names ("*.q_proj.weight");
	// a tensor is analysed when it matches one of them. Empty (the default)
	// includes every tensor.
	Include []string `yaml:"include" comment:"path.Match patterns on tensor names; [] = all"`
	// Exclude lists path.Match patterns of tensors skipped even when
	// included ("*embed*"). Default empty.
	Exclude []string `yaml:"exclude" comment:"path.Match patterns of tensors to skip"`
	// ExactMaxDim is the largest min(rows, cols) for which the full
	// spectrum is computed exactly: every σᵢ² by heavytail's values-only
	// eigensolver of the Gram matrix, and up to min(rows, cols) = 512 also
	// gonum's LAPACK-style SVD for σ and the drift subspace (above 512 the
	// subspace comes from a randomized SVD of rank K). Larger matrices get
	// a randomized SVD of rank K (Halko, Martinsson & Tropp 2011, Alg. 4.4),
	// their σ-metrics use the top K singular values only and the heavy-tail
	// columns and rank_cut energies are NULL. Default 4096 (a 4,096 × 4,096
	// matrix is exact).
	ExactMaxDim int `yaml:"exact_max_dim" comment:"full exact spectrum when min(rows, cols) ≤ this"`
	// Oversample is the oversampling p of the randomized SVD. Default 10.
	Oversample int `yaml:"oversample" comment:"randomized SVD: test matrix has k + oversample columns"`
	// PowerIters is the number q of power iterations of the randomized SVD;
	// -1 (the default) is 7 when k < 0.1·min(m, n), else 4 (scikit-learn).
	PowerIters int `yaml:"power_iters" comment:"-1 = auto: 7 if k < 0.1·min(m, n), else 4"`
	// AlphaRange is the 1-based inclusive index range [lo, hi] of the
	// α-ReQ fit log λᵢ = c − α log i, λᵢ = σᵢ², unweighted least squares
	// (Agrawal et al. 2022), over the singular values the σ-metrics use;
	// hi = 0 means all of them. Default [1, 0].
	AlphaRange [2]int `yaml:"alpha_range" comment:"[lo, hi], 1-based inclusive; hi 0 = all σ used"`
	// WeloreTau is the threshold τ ∈ (0, 1) on min-max normalised singular
	// values of the WeLore low-rank-component rule (Jaiswal et al. 2024,
	// "From GaLore to WeLore"); see linalg.WeLore for the exact rule.
	// Default 0.1.
	WeloreTau float64 `yaml:"welore_tau" comment:"τ on min-max normalised σ; σ̃ ≥ τ are kept"`
	// StepsPerElement is how many consecutive steps of one matrix one Beam
	// element analyses. The step before each element's first is analysed
	// again for the drift, so the SVD work is (n+1)/n of the minimum and a
	// worker holds two matrices at most; smaller values spread a long
	// series over more workers. Default 8.
	StepsPerElement int `yaml:"steps_per_element" comment:"consecutive steps of one matrix per element; SVD work is (n+1)/n"`
	// Representations lists path.Match patterns of the tensors that are
	// representations (activations saved per step, rows = samples) rather
	// than weights: besides every metric they get the TwoNN intrinsic
	// dimension of their rows (Facco et al. 2017). Default empty.
	Representations []string `yaml:"representations" comment:"path.Match patterns of activation matrices (rows = samples): + TwoNN"`
	// AlphaMinTail is the smallest tail (number of λ = σ² ≥ xmin) of the
	// Clauset–Shalizi–Newman power-law fit behind the alpha columns
	// (heavytail.FitPowerLaw). Default 10.
	AlphaMinTail int `yaml:"alpha_min_tail" comment:"smallest tail of the power-law fit of σ² (alpha columns)"`
	// RankCuts are fractions f of min(rows, cols): the rank_cut table has,
	// per matrix and step, the rank r = round(f·min(rows, cols)) (≥ 1) and
	// the fraction of ‖W‖_F² its best rank-r approximation keeps. Default
	// [0.1, 0.25, 0.5].
	RankCuts []float64 `yaml:"rank_cuts" comment:"fractions of min(rows, cols) of the rank_cut table"`
	// Center subtracts the column means from every row before the spectrum
	// (for representation matrices, rows = samples); it applies to every
	// analysed tensor, so restrict include to the representations. Default
	// false.
	Center bool `yaml:"center" comment:"subtract column means from the rows before the spectrum"`
}

// DefaultRankDynamicsParams returns the defaults of the rank_dynamics
// study: k 20, include [] (all), exclude [], exact_max_dim 4096,
// oversample 10, power_iters -1 (auto), alpha_range [1, 0], welore_tau 0.1,
// steps_per_element 8, alpha_min_tail 10, rank_cuts [0.1, 0.25, 0.5],
// center false.
func DefaultRankDynamicsParams() RankDynamicsParams {
	return RankDynamicsParams{
		K:           20,
		ExactMaxDim: 4096,
		Oversample:  10,
		PowerIters:  -1,
		AlphaRange:  [2]int{1, 0},
		WeloreTau:   0.1,

		StepsPerElement: 8,
		AlphaMinTail:    10,
		RankCuts:        []float64{0.1, 0.25, 0.5},
	}
}

// Validate checks k > 0, include, exclude and representations patterns well formed,
// exact_max_dim ≥ 0, oversample ≥ 0, power_iters ≥ -1, alpha_range[0] ≥ 1
// with alpha_range[1] = 0 or > alpha_range[0], 0 < welore_tau < 1 and
// steps_per_element ≥ 1, alpha_min_tail ≥ 2 and every rank cut in (0, 1].
// The error is FieldErrors.
func (p RankDynamicsParams) Validate() error {
	var fe FieldErrors
	bad := func(key, format string, args ...any) {
		fe = append(fe, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.K <= 0 {
		bad("k", "must be > 0, got %d", p.K)
	}
	for _, list := range []struct {
		key  string
		pats []string
	}{{"include", p.Include}, {"exclude", p.Exclude}, {"representations", p.Representations}} {
		for i, pat := range list.pats {
			if pat == "" {
				bad(list.key, "[%d] is empty", i)
			} else if _, err := path.Match(pat, ""); err != nil {
				bad(list.key, "[%d] %q is not a path.Match pattern: %v", i, pat, err)
			}
		}
	}
	if p.ExactMaxDim < 0 {
		bad("exact_max_dim", "must be ≥ 0, got %d", p.ExactMaxDim)
	}
	if p.Oversample < 0 {
		bad("oversample", "must be ≥ 0, got %d", p.Oversample)
	}
	if p.PowerIters < -1 {
		bad("power_iters", "must be ≥ 0, or -1 for auto; got %d", p.PowerIters)
	}
	lo, hi := p.AlphaRange[0], p.AlphaRange[1]
	switch {
	case lo < 1:
		bad("alpha_range", "must start at index ≥ 1, got [%d, %d]", lo, hi)
	case hi < 0:
		bad("alpha_range", "must end at an index ≥ 0 (0 = all), got [%d, %d]", lo, hi)
	case hi != 0 && hi <= lo:
		bad("alpha_range", "must select at least 2 indices, got [%d, %d]", lo, hi)
	}
	if !(p.WeloreTau > 0 && p.WeloreTau < 1) {
		bad("welore_tau", "must be in (0, 1), got %v", p.WeloreTau)
	}
	if p.StepsPerElement < 1 {
		bad("steps_per_element", "must be ≥ 1, got %d", p.StepsPerElement)
	}
	if p.AlphaMinTail < 2 {
		bad("alpha_min_tail", "must be ≥ 2, got %d", p.AlphaMinTail)
	}
	for i, f := range p.RankCuts {
		if !(f > 0 && f <= 1) {
			bad("rank_cuts", "[%d] must be a fraction of min(rows, cols) in (0, 1], got %v", i, f)
		}
	}
	return fe.Err()
}

// Included reports whether tensor name is analysed: it matches one of
// Include (or Include is empty) and none of Exclude.
func (p RankDynamicsParams) Included(name string) bool {
	in := len(p.Include) == 0
	for _, pat := range p.Include {
		if ok, _ := path.Match(pat, name); ok {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, pat := range p.Exclude {
		if ok, _ := path.Match(pat, name); ok {
			return false
		}
	}
	return true
}

func init() {
	Register(Study{Name: "rank_dynamics", Params: func() any { p := DefaultRankDynamicsParams(); return &p }, ReadsInput: true})
}

// RankDynamicsParams returns the params of a rank_dynamics spec (defaults
// overwritten by the values under params), validated. The study has no grid
// axes.
func (s *Spec) RankDynamicsParams() (RankDynamicsParams, error) {
	e := &errs{file: s.File}
	if s.Study != "rank_dynamics" {
		e.add(s.at("study"), "study is %q, not rank_dynamics", s.Study)
		return DefaultRankDynamicsParams(), e.err()
	}
	p := s.typedParams(paramsOf("rank_dynamics"), nil, e).(*RankDynamicsParams)
	return *p, e.err()
}
