package heavytail

import (
	"errors"
	"fmt"
	"math"
)

// WeightWatcher's per-layer metrics, with WeightWatcher's definitions
// (Martin, Peng & Mahoney 2021, "Predicting trends in the quality of
// state-of-the-art neural networks without access to training or testing
// data", Nat. Commun. 12:4122, and weightwatcher.py), on the eigenvalues
// λᵢ = σᵢ(W)² of WᵀW, unnormalised:
//
//	alpha_weighted    = α·log₁₀ λ_max
//	log_alpha_norm    = log₁₀ Σᵢ λᵢ^α   (all λ, not only the tail)
//	log_spectral_norm = log₁₀ λ_max     (λ_max = ‖W‖₂²)
//	log_norm          = log₁₀ Σᵢ λᵢ     (= log₁₀ ‖W‖_F²)
//
// These are not lowdim's own norms (which use σ, not σ²): the names keep
// WeightWatcher's meaning.

// AlphaWeighted returns WeightWatcher's alpha_weighted = α·log₁₀ λ_max.
func AlphaWeighted(alpha, lambdaMax float64) float64 {
	return alpha * math.Log10(lambdaMax)
}

// LogAlphaNorm returns WeightWatcher's log_alpha_norm = log₁₀ Σᵢ λᵢ^α over
// all λᵢ > 0, computed as α·log₁₀ λ_max + log₁₀ Σᵢ (λᵢ/λ_max)^α so that it
// does not overflow. It is −Inf when no λ is positive.
func LogAlphaNorm(lambda []float64, alpha float64) float64 {
	top := maxOf(lambda)
	if !(top > 0) {
		return math.Inf(-1)
	}
	var s float64
	for _, l := range lambda {
		if l > 0 {
			s += math.Pow(l/top, alpha)
		}
	}
	return alpha*math.Log10(top) + math.Log10(s)
}

// LogSpectralNorm returns WeightWatcher's log_spectral_norm = log₁₀ λ_max
// (−Inf when no λ is positive).
func LogSpectralNorm(lambda []float64) float64 {
	return math.Log10(maxOf(lambda))
}

// LogNorm returns WeightWatcher's log_norm = log₁₀ Σᵢ λᵢ = log₁₀ ‖W‖_F²
// (−Inf when no λ is positive). Negative λ count as 0.
func LogNorm(lambda []float64) float64 {
	var s float64
	for _, l := range lambda {
		if l > 0 {
			s += l
		}
	}
	return math.Log10(s)
}

func maxOf(lambda []float64) float64 {
	var top float64
	for _, l := range lambda {
		top = max(top, l)
	}
	return top
}

// Metrics are WeightWatcher's metrics of one weight matrix.
type Metrics struct {
	LogNorm         float64 // log₁₀ ‖W‖_F²
	LogSpectralNorm float64 // log₁₀ λ_max
	// Fitted reports whether FitPowerLaw found a tail; when it is false, Fit,
	// AlphaWeighted and LogAlphaNorm are zero and mean nothing (store NULL).
	Fitted        bool
	Fit           PowerLaw
	AlphaWeighted float64 // α·log₁₀ λ_max
	LogAlphaNorm  float64 // log₁₀ Σᵢ λᵢ^α
}

// ComputeMetrics fits a power law to λ (FitPowerLaw with minTail) and returns
// WeightWatcher's metrics. λ needs no order. It returns an error for a
// negative, NaN or infinite λ, or when no λ is positive; a spectrum without
// a tail long enough is not an error (Fitted is false).
func ComputeMetrics(lambda []float64, minTail int) (Metrics, error) {
	fit, err := FitPowerLaw(lambda, minTail)
	switch {
	case errors.Is(err, ErrNoFit):
	case err != nil:
		return Metrics{}, err
	}
	top := maxOf(lambda)
	if !(top > 0) {
		return Metrics{}, fmt.Errorf("heavytail: no positive eigenvalue (zero matrix)")
	}
	m := Metrics{LogNorm: LogNorm(lambda), LogSpectralNorm: math.Log10(top)}
	if err == nil {
		m.Fitted, m.Fit = true, fit
		m.AlphaWeighted = AlphaWeighted(fit.Alpha, top)
		m.LogAlphaNorm = LogAlphaNorm(lambda, fit.Alpha)
	}
	return m, nil
}
