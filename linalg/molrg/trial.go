package molrg

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// Trial is one draw of a MoLRG and its fit: the unit of work of the
// phase-transition study.
type Trial struct {
	Model
	// SamplesPerComponent is N: the mixture has K·N samples, N per
	// component, or apportioned by Weights (see Counts).
	SamplesPerComponent int
	Noise               float64    // σ
	Weights             []float64  // mixing weights; nil for equal weights
	KSS                 KSSOptions // options of the K > 1 fit; KSS.Seed is ignored
}

// TrialResult is the outcome of one trial.
type TrialResult struct {
	// Errors holds the projection distance ‖ÛÛᵀ − UUᵀ‖_F/√(2d) of each true
	// component to its matched estimate (see Recovery).
	Errors    []float64
	MaxError  float64 // max over components: the trial's error
	MeanError float64 // mean over components
	// Objective is the fit's Σᵢ minₖ ‖xᵢ − ÛₖÛₖᵀxᵢ‖².
	Objective float64
	// Misassigned counts samples whose fitted cluster is not the match of
	// their true component (0 for K = 1).
	Misassigned int
	Restart     int // the K-subspaces start that won (0 for K = 1)
	Iters       int // its rounds (0 for K = 1)
}

// Run draws the trial's bases and samples from seed and fits them: PCA for
// K = 1, KSubspaces with t.KSS (seeded from seed) for K > 1. Equal seeds give
// equal results. Within one seed, trials that differ only in
// SamplesPerComponent, Noise or Weights see nested draws (see Sample), and
// the fit's restarts use the same streams. Run returns an error if
// t.Model.Check fails, N < 1, the fit fails (an SVD that does not converge,
// as with a NaN noise level), or the recovery error is NaN; it panics if
// the weights are invalid for Counts.
func (t Trial) Run(seed uint64) (TrialResult, error) {
	if err := t.Model.Check(); err != nil {
		return TrialResult{}, err
	}
	if t.SamplesPerComponent < 1 {
		return TrialResult{}, fmt.Errorf("molrg: %d samples per component", t.SamplesPerComponent)
	}
	truth := t.DrawBases(seed)
	x, labels := Sample(truth, Counts(t.Components, t.SamplesPerComponent, t.Weights), t.Noise, seed)
	var res TrialResult
	var est []*mat.Dense
	var fitted []int
	if t.Components == 1 {
		u, err := PCA(x, t.Dim)
		if err != nil {
			return TrialResult{}, err
		}
		est = []*mat.Dense{u}
		fitted = make([]int, len(labels))
		var f kss
		f.x, f.m, f.n = x, len(labels), t.Ambient
		r := make([]float64, len(labels))
		f.residuals(est[0], r)
		for _, v := range r {
			res.Objective += v
		}
	} else {
		opts := t.KSS
		opts.Seed = linalg.DeriveSeed(seed, fitKey)
		c, err := KSubspaces(x, t.Components, t.Dim, opts)
		if err != nil {
			return TrialResult{}, err
		}
		est, fitted = c.Bases, c.Labels
		res.Objective, res.Restart, res.Iters = c.Objective, c.Restart, c.Iters
	}
	var match []int
	res.Errors, match = Recovery(truth, est)
	for i, l := range labels {
		if fitted[i] != match[l] {
			res.Misassigned++
		}
	}
	res.MaxError = slices.Max(res.Errors)
	var sum float64
	for _, e := range res.Errors {
		sum += e
	}
	res.MeanError = sum / float64(len(res.Errors))
	if math.IsNaN(res.MaxError) {
		return TrialResult{}, errors.New("molrg: NaN recovery error")
	}
	return res, nil
}
