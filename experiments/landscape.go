package experiments

import (
	"fmt"
	"math"
)

// LandscapeParams are the params of the landscape study: the Vietoris–Rips
// persistence diagram (Z/2 coefficients, design §4) of every point cloud of
// the input, or of subsamples of it, and its persistence landscapes
// λₖ(t) = k-th largest max(0, min(t − b, d − t)) (Bubenik 2015, no √2
// factor) sampled on one grid fixed before the run, averaged per
// (cloud, dimension).
//
// One input file is one cloud: its rows are the points. With
// input.group_by, input.path is one table (csv with a header, or Parquet)
// and each distinct value of that column is a cloud, named by the value,
// whose points are its rows less the group column. The study has no grid
// axes.
type LandscapeParams struct {
	// MaxDim is the largest homological dimension computed. Default 1.
	MaxDim int `yaml:"max_dim" comment:"largest homology dimension"`
	// Threshold is the largest edge length of the Rips complex. nil (the
	// default) chooses the largest enclosing radius min_i max_j ‖xᵢ − xⱼ‖
	// among the first samples (sample 0) of the clouds: above its own
	// enclosing radius a complex is a cone, so that sample's diagram is the
	// one of the full filtration. It must be finite and > 0 when set.
	Threshold *float64 `yaml:"threshold" comment:"null = largest enclosing radius of the clouds' sample 0"`
	// Subsamples is the number of samples drawn from every cloud. Default 1.
	Subsamples int `yaml:"subsamples" comment:"samples per cloud"`
	// SubsampleSize is the number of points of a sample; 0 (the default)
	// takes the whole cloud, and then Subsamples must be 1. Sample s of
	// cloud c is drawn with the seed linalg.DeriveSeed(linalg.DeriveSeed(seed,
	// FNV-1a(c)), s), whatever the number of clouds, samples or workers.
	SubsampleSize int `yaml:"subsample_size" comment:"points per sample; 0 = the whole cloud"`
	// Replace draws the points of a random sample with replacement (a
	// bootstrap sample: duplicate points are allowed) instead of without.
	// Default false.
	Replace bool `yaml:"replace" comment:"random samples with replacement (bootstrap)"`
	// Landmarks is how a sample's points are chosen: "random" (uniformly)
	// or "maxmin" (max-min landmarks, de Silva & Carlsson 2004: a seeded
	// random first point, then repeatedly the point farthest from those
	// chosen). Default "random".
	Landmarks string `yaml:"landmarks" comment:"random | maxmin"`
	// Levels is the number of landscape levels λ₁ … λ_levels. Default 5.
	Levels int `yaml:"levels" comment:"landscape levels k = 1..levels"`
	// Resolution is the number of grid points, both ends included. Default 100.
	Resolution int `yaml:"resolution" comment:"grid points"`
	// Range is the grid [lo, hi]; empty (the default) means [0, threshold].
	// Essential classes are truncated at hi.
	Range []float64 `yaml:"range" comment:"[lo, hi]; [] = [0, threshold]"`
	// MaxBytes bounds the memory estimate of one diagram (ph.Options.MaxBytes);
	// 0 (the default) means 8 GiB. A cloud over it is refused before the
	// pipeline runs.
	MaxBytes int64 `yaml:"max_bytes" comment:"memory bound per diagram; 0 = 8 GiB"`

	// Two-parameter persistence (issue 19; package linalg/multipers): the
	// codensity–Rips bifiltration K(t, r) = Rips_r({x : f(x) ≤ t}) of every
	// sample, its Hilbert function on a (t, r) grid, its signed barcode and
	// the landscapes of its restrictions to lines. The codensity f is
	// computed on the whole cloud and restricted to each sample's points.
	//
	// Codensity is "" (off, the default), "knn" (distance to the
	// codensity_k-th nearest other point, multipers.KNNCodensity) or
	// "gaussian" (negative Gaussian kernel density with bandwidth,
	// multipers.GaussianCodensity).
	Codensity string `yaml:"codensity" comment:"'' (off) | knn | gaussian: the codensity–Rips bifiltration"`
	// CodensityK is k of the knn codensity. Default 10.
	CodensityK int `yaml:"codensity_k" comment:"k of the knn codensity"`
	// Bandwidth is h of the gaussian codensity; it must be > 0 then.
	Bandwidth float64 `yaml:"bandwidth" comment:"h of the gaussian codensity"`
	// CodensityGrid are the thresholds t, strictly increasing; empty (the
	// default) takes 20 quantiles of the whole cloud's codensity
	// (multipers.DefaultGrid), fixed per cloud before the run.
	CodensityGrid []float64 `yaml:"codensity_grid" comment:"t values; [] = 20 quantiles of the cloud's codensity"`
	// RadiusGrid are the Rips radii r, strictly increasing and ≥ 0; empty
	// (the default) takes 20 quantiles of the whole cloud's pairwise
	// distances up to their 0.3 quantile (multipers.DefaultGrid).
	RadiusGrid []float64 `yaml:"radius_grid" comment:"r values; [] = 20 quantiles of the distances up to their 30% quantile"`
	// Slices is the number of evenly spaced parallel lines through the grid's
	// box along which the bifiltration's landscapes are computed; the lines
	// have slope 1 once the box is rescaled to a square (direction
	// (t_max − t_min, r_max − r_min)). 0 computes none. Default 10.
	Slices int `yaml:"slices" comment:"lines of slope 1 (in the grid box scaled to a square); 0 = none"`
}

// Multipers reports whether two-parameter persistence is switched on.
func (p LandscapeParams) Multipers() bool { return p.Codensity != "" }

// DefaultLandscapeParams returns the defaults of the landscape study:
// max_dim 1, threshold null (the largest enclosing radius), subsamples 1,
// subsample_size 0 (the whole cloud), replace false, landmarks random,
// levels 5, resolution 100, range [] ([0, threshold]), max_bytes 0 (8 GiB);
// two-parameter persistence off (codensity ""), codensity_k 10, bandwidth 0,
// codensity_grid and radius_grid [] (quantiles of each cloud), slices 10.
func DefaultLandscapeParams() LandscapeParams {
	return LandscapeParams{
		MaxDim:     1,
		Subsamples: 1,
		Landmarks:  "random",
		Levels:     5,
		Resolution: 100,
		CodensityK: 10,
		Slices:     10,
	}
}

// Validate checks 0 ≤ max_dim ≤ 8, threshold finite and > 0 when set,
// subsamples ≥ 1, subsample_size 0 or ≥ 2 (and subsamples 1 when it is 0),
// landmarks random or maxmin (maxmin without replace), levels ≥ 1,
// resolution ≥ 2, range empty or two finite values lo < hi, max_bytes ≥ 0,
// and the two-parameter params (validateMultipers). The error is FieldErrors.
func (p LandscapeParams) Validate() error {
	var fe FieldErrors
	bad := func(key, format string, args ...any) {
		fe = append(fe, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.MaxDim < 0 || p.MaxDim > 8 {
		bad("max_dim", "must be in [0, 8], got %d", p.MaxDim)
	}
	if t := p.Threshold; t != nil && (!(*t > 0) || math.IsInf(*t, 1)) {
		bad("threshold", "must be a finite number > 0 (or null for the largest enclosing radius), got %v", *t)
	}
	if p.Subsamples < 1 {
		bad("subsamples", "must be ≥ 1, got %d", p.Subsamples)
	}
	switch {
	case p.SubsampleSize < 0 || p.SubsampleSize == 1:
		bad("subsample_size", "must be ≥ 2, or 0 for the whole cloud; got %d", p.SubsampleSize)
	case p.SubsampleSize == 0 && p.Subsamples > 1:
		bad("subsamples", "is %d but subsample_size is 0 (the whole cloud): every sample would be the same; set subsample_size", p.Subsamples)
	}
	switch p.Landmarks {
	case "random":
	case "maxmin":
		if p.Replace {
			bad("replace", "must be false with landmarks: maxmin (max-min landmarks are distinct points)")
		}
	default:
		bad("landmarks", "must be random or maxmin, got %q", p.Landmarks)
	}
	if p.Levels < 1 {
		bad("levels", "must be ≥ 1, got %d", p.Levels)
	}
	if p.Resolution < 2 {
		bad("resolution", "must be ≥ 2, got %d", p.Resolution)
	}
	switch {
	case len(p.Range) == 0:
	case len(p.Range) != 2:
		bad("range", "must be [lo, hi] or [], got %d values", len(p.Range))
	case math.IsNaN(p.Range[0]) || math.IsInf(p.Range[0], 0) || math.IsNaN(p.Range[1]) || math.IsInf(p.Range[1], 0) || !(p.Range[0] < p.Range[1]):
		bad("range", "must be finite with lo < hi, got %v", p.Range)
	}
	if p.MaxBytes < 0 {
		bad("max_bytes", "must be ≥ 0 (0 = 8 GiB), got %d", p.MaxBytes)
	}
	p.validateMultipers(bad)
	return fe.Err()
}

// validate checks codensity "", knn or gaussian, codensity_k ≥ 1,
// bandwidth finite and > 0 with gaussian, both grids finite and strictly
// increasing, radii ≥ 0 with the last > 0, slices ≥ 0, and with slices > 0
// at least two values on a given grid axis; grids and a bandwidth need
// codensity set.
func (p LandscapeParams) validateMultipers(bad func(key, format string, args ...any)) {
	switch p.Codensity {
	case "":
		if len(p.CodensityGrid) > 0 || len(p.RadiusGrid) > 0 || p.Bandwidth != 0 {
			bad("codensity", "is unset (two-parameter persistence off) but codensity_grid, radius_grid or bandwidth is set; set codensity: knn or gaussian")
		}
		return
	case "knn":
	case "gaussian":
		if !(p.Bandwidth > 0) || math.IsInf(p.Bandwidth, 1) {
			bad("bandwidth", "must be a finite number > 0 with codensity: gaussian, got %v", p.Bandwidth)
		}
	default:
		bad("codensity", "must be knn or gaussian (or unset: off), got %q", p.Codensity)
	}
	if p.CodensityK < 1 {
		bad("codensity_k", "must be ≥ 1, got %d", p.CodensityK)
	}
	if p.Slices < 0 {
		bad("slices", "must be ≥ 0, got %d", p.Slices)
	}
	for k, axis := range [][]float64{p.CodensityGrid, p.RadiusGrid} {
		key := []string{"codensity_grid", "radius_grid"}[k]
		for i, v := range axis {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad(key, "value %d is %v, want finite values", i, v)
			} else if i > 0 && !(axis[i-1] < v) {
				bad(key, "must be strictly increasing: %v then %v", axis[i-1], v)
			}
		}
		if len(axis) == 1 && p.Slices > 0 {
			bad(key, "has one value: slices need a box, at least two values (or slices: 0)")
		}
	}
	if r := p.RadiusGrid; len(r) > 0 && (r[0] < 0 || !(r[len(r)-1] > 0)) {
		bad("radius_grid", "radii must be ≥ 0 with the largest > 0, got %v", r)
	}
}

// GridRange returns the grid [lo, hi] for the resolved threshold: Range when
// set, else [0, threshold].
func (p LandscapeParams) GridRange(threshold float64) (lo, hi float64) {
	if len(p.Range) == 2 {
		return p.Range[0], p.Range[1]
	}
	return 0, threshold
}

func init() {
	Register(Study{Name: "landscape", Params: func() any { p := DefaultLandscapeParams(); return &p }, ReadsInput: true, GroupBy: true})
}

// LandscapeParams returns the params of a landscape spec (defaults
// overwritten by the values under params), validated. The landscape study
// has no grid axes.
func (s *Spec) LandscapeParams() (LandscapeParams, error) {
	e := &errs{file: s.File}
	if s.Study != "landscape" {
		e.add(s.at("study"), "study is %q, not landscape", s.Study)
		return DefaultLandscapeParams(), e.err()
	}
	p := s.typedParams(paramsOf("landscape"), nil, e).(*LandscapeParams)
	return *p, e.err()
}
