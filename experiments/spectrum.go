package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Spectrum methods (params.method).
const (
	// SpectrumAuto picks exact for at most ExactMaxCols columns, else randomized.
	SpectrumAuto = "auto"
	// SpectrumExact is the tall-skinny QR of the rows (TSQR), merged exactly:
	// every singular value, as accurate as LAPACK's.
	SpectrumExact = "exact"
	// SpectrumRandomized is Halko–Martinsson–Tropp subspace iteration with one
	// global test matrix, one pass over the shards per iteration: the
	// single-machine arithmetic, whatever the sharding.
	SpectrumRandomized = "randomized"
	// SpectrumOnePass stacks each shard's truncated ΣᵢVᵢᵀ: one read of the
	// data, approximate and shard dependent (its error bound is reported).
	SpectrumOnePass = "one_pass"
)

// ExactMaxCols is the widest matrix the auto method computes exactly. The
// cut-over is measured: on 100,000 × 512 the exact method (QR of every
// shard, 2mn² flops at about 5 GFLOP/s) took 10.2 s and the randomized one
// (k = 20, l = 30, q = 7: 9 passes of 4mnl flops at about 29 GFLOP/s) 1.9 s,
// so exact is no slower only below about n ≈ 100; at n = 64 (digits) it
// is cheaper and gives every σ exactly.
const ExactMaxCols = 128

var spectrumMethods = []string{SpectrumAuto, SpectrumExact, SpectrumRandomized, SpectrumOnePass}

// SpectrumParams are the params of the spectrum study: the singular values
// of the input matrix A (m rows × n columns), computed over row shards by
// one of the methods above, and the spectral measures of design §4
// computed from its top-k singular values.
type SpectrumParams struct {
	// Method is auto, exact, randomized or one_pass. Default auto: exact
	// when n ≤ ExactMaxCols (128), else randomized.
	Method string `yaml:"method" comment:"auto | exact | randomized | one_pass"`
	// K is the number of singular values kept (top-k). Default 20.
	K int `yaml:"k"`
	// Oversample is the oversampling p of the Gaussian test matrix: the
	// range finder draws k+p columns (Halko, Martinsson & Tropp 2011,
	// Alg. 4.3/4.4). Default 10.
	Oversample int `yaml:"oversample" comment:"test matrix has k + oversample columns"`
	// PowerIters is the number q of power iterations, each followed by a
	// re-orthonormalisation (Halko et al. 2011, Alg. 4.4). -1, the default,
	// chooses like scikit-learn: 7 when k < 0.1·min(m, n), else 4; see
	// PowerItersFor.
	PowerIters int `yaml:"power_iters" comment:"-1 = auto: 7 if k < 0.1·min(m, n), else 4"`
	// Center subtracts the column means before the SVD (PCA). Default false.
	Center bool `yaml:"center"`
	// CodingRateEps is the distortion ε of the coding rate
	// R(Z, ε) = ½ log det(I + d/(m ε²) ZᵀZ) of the m×d matrix Z whose rows
	// are the samples (Ma et al. 2007; Yu et al. 2020, MCR²). Default 0.5.
	CodingRateEps float64 `yaml:"coding_rate_eps"`
	// AlphaRange is the 1-based, inclusive range [lo, hi] of covariance
	// eigenvalue indices i over which α-ReQ fits log λᵢ = c − α log i by
	// ordinary least squares with uniform weights (Agrawal et al. 2022).
	// hi = 0 means k. Default [1, 0]: all k eigenvalues. With hi = 0 and
	// k ≤ lo there are fewer than two points and α is not computed (NULL);
	// an explicit hi must satisfy lo < hi ≤ k. See AlphaIndices.
	AlphaRange [2]int `yaml:"alpha_range" comment:"[lo, hi], 1-based inclusive; hi 0 = k"`
	// NormalizeRows scales every row to unit Euclidean norm before the class
	// geometry (coding rate reduction, centroid nuclear norm, class spectra,
	// angles, Bures–Wasserstein) is computed, as MCR² and MMCR do. It applies
	// to the class geometry only (input.label_column set); the spectrum
	// itself is always that of the rows as read. Default false.
	NormalizeRows bool `yaml:"normalize_rows" comment:"unit-norm rows for the class geometry only"`
	// ClassRank is the dimension of each class's subspace in the principal
	// angles of class_pairs; 0, the default, is each class's 90 % energy
	// rank capped at 20 (classgeom.Options.SubspaceRank).
	ClassRank int `yaml:"class_rank" comment:"0 = each class's 90% energy rank, at most 20"`
}

// DefaultSpectrumParams returns the defaults of the spectrum study:
// k 20, oversample 10, power_iters -1 (auto), center false,
// coding_rate_eps 0.5, alpha_range [1, 0] (all k eigenvalues).
func DefaultSpectrumParams() SpectrumParams {
	return SpectrumParams{
		Method:        SpectrumAuto,
		K:             20,
		Oversample:    10,
		PowerIters:    -1,
		CodingRateEps: 0.5,
		AlphaRange:    [2]int{1, 0},
	}
}

// Validate checks k > 0, class_rank ≥ 0, oversample ≥ 0, power_iters ≥ -1, coding_rate_eps
// finite and > 0, alpha_range[0] ≥ 1, and either alpha_range[1] = 0 or
// alpha_range[0] < alpha_range[1] ≤ k. The error, when not nil, is
// FieldErrors.
func (p SpectrumParams) Validate() error {
	var fe FieldErrors
	bad := func(key, format string, args ...any) {
		fe = append(fe, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.Method != "" && !slices.Contains(spectrumMethods, p.Method) { // "" is auto
		bad("method", "must be one of %s, got %q%s", strings.Join(spectrumMethods, ", "), p.Method, suggest(p.Method, spectrumMethods))
	}
	if p.K <= 0 {
		bad("k", "must be > 0, got %d", p.K)
	}
	if p.ClassRank < 0 {
		bad("class_rank", "must be ≥ 0 (0 = each class's 90%% energy rank, at most 20), got %d", p.ClassRank)
	}
	if p.Oversample < 0 {
		bad("oversample", "must be ≥ 0, got %d", p.Oversample)
	}
	if p.PowerIters < -1 {
		bad("power_iters", "must be ≥ 0, or -1 for auto; got %d", p.PowerIters)
	}
	if !(p.CodingRateEps > 0) || math.IsInf(p.CodingRateEps, 1) {
		bad("coding_rate_eps", "must be a finite number > 0, got %v", p.CodingRateEps)
	}
	lo, hi := p.AlphaRange[0], p.AlphaRange[1]
	switch {
	case lo < 1:
		bad("alpha_range", "must start at index ≥ 1, got [%d, %d]", lo, hi)
	case hi < 0:
		bad("alpha_range", "must end at an index ≥ 0 (0 = k), got [%d, %d]", lo, hi)
	case p.K <= 0:
		// Reported under k.
	case hi == 0:
		// [lo, k]: α is not computed when k ≤ lo.
	case hi <= lo:
		bad("alpha_range", "must select at least 2 indices, got [%d, %d]", lo, hi)
	case hi > p.K:
		bad("alpha_range", "ends at %d, beyond k = %d", hi, p.K)
	}
	return fe.Err()
}

// AlphaIndices returns the 1-based inclusive index range of the α-ReQ fit,
// with the hi = 0 shorthand resolved to k. The fit needs hi > lo; when
// hi ≤ lo, α is not computed.
func (p SpectrumParams) AlphaIndices() (lo, hi int) {
	lo, hi = p.AlphaRange[0], p.AlphaRange[1]
	if hi == 0 {
		hi = p.K
	}
	return lo, hi
}

// MethodFor resolves auto for a matrix with n columns.
func (p SpectrumParams) MethodFor(n int) string {
	if p.Method != SpectrumAuto && p.Method != "" {
		return p.Method
	}
	if n <= ExactMaxCols {
		return SpectrumExact
	}
	return SpectrumRandomized
}

// PowerItersFor returns the number of power iterations for an m×n matrix:
// PowerIters when it is ≥ 0, else 7 when k < 0.1·min(m, n) and 4 otherwise
// (scikit-learn's randomized_svd rule).
func (p SpectrumParams) PowerItersFor(m, n int) int {
	if p.PowerIters >= 0 {
		return p.PowerIters
	}
	if 10*p.K < min(m, n) {
		return 7
	}
	return 4
}

// SpectrumParams returns the params of a spectrum spec: the defaults,
// overwritten by the values under params, validated. The study has no grid
// (Parse refuses params.grid: sweep with overrides).
func (s *Spec) SpectrumParams() (SpectrumParams, error) {
	e := &errs{file: s.File}
	if s.Study != "spectrum" {
		e.add(s.at("study"), "study is %q, not spectrum", s.Study)
		return DefaultSpectrumParams(), e.err()
	}
	p := s.typedParams(paramsOf("spectrum"), nil, e).(*SpectrumParams)
	return *p, e.err()
}

func init() {
	Register(Study{Name: "spectrum", Params: func() any { p := DefaultSpectrumParams(); return &p }, ReadsInput: true})
}
