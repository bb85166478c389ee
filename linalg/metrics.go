package linalg

import "math"

// RankMeEps is the constant ε added to each normalised singular value by RankMe,
// as in Garrido et al. (2023).
const RankMeEps = 1e-7

// RankMe returns the effective rank of Garrido, Balestriero, Najman & LeCun,
// "RankMe: Assessing the downstream performance of pretrained self-supervised
// representations by their rank" (ICML 2023):
//
//	RankMe = exp(−Σₖ pₖ log pₖ),  pₖ = σₖ/‖σ‖₁ + ε,  ε = 1e-7,
//
// over the singular values σ of the matrix (not their squares). RankMe of an
// all-zero or empty spectrum is 0.
func RankMe(sigma []float64) float64 {
	var l1 float64
	for _, s := range sigma {
		l1 += math.Abs(s)
	}
	if l1 == 0 {
		return 0
	}
	var h float64
	for _, s := range sigma {
		p := math.Abs(s)/l1 + RankMeEps
		h -= p * math.Log(p)
	}
	return math.Exp(h)
}

// StableRank returns the stable (numerical) rank ‖A‖_F²/‖A‖₂² = frobSq/sigmaMax²,
// a continuous lower bound on rank(A). It is 0 when
// sigmaMax is 0.
func StableRank(frobSq, sigmaMax float64) float64 {
	if sigmaMax == 0 {
		return 0
	}
	return frobSq / (sigmaMax * sigmaMax)
}

// EnergyRank returns the energy rank r_x: the smallest r with
//
//	Σ_{i≤r} σᵢ² ≥ x·totalEnergy,
//
// for σ sorted descending. totalEnergy is normally ‖A‖_F² (which a truncated
// σ does not reach). ok is false when the given σ never reach the threshold;
// r is then len(sigma).
func EnergyRank(sigma []float64, totalEnergy, x float64) (r int, ok bool) {
	target := x * totalEnergy
	var cum float64
	if cum >= target {
		return 0, true
	}
	for i, s := range sigma {
		cum += s * s
		if cum >= target {
			return i + 1, true
		}
	}
	return len(sigma), false
}

// AlphaReQ returns the power-law decay exponent α of the eigenspectrum of
// Agrawal, Mondal, Ghosh & Richards, "α-ReQ: Assessing representation quality
// in self-supervised learning by measuring eigenspectrum decay" (NeurIPS 2022):
// the unweighted least-squares fit of
//
//	log λᵢ = c − α·log i,  λᵢ = σᵢ²,
//
// over the 1-based indices i = first..last, and the fit's coefficient of
// determination r2 = 1 − SS_res/SS_tot (1 when SS_tot = 0 and the fit is exact).
// The range is clamped to the leading non-zero eigenvalues: first < 1 means 1,
// last ≤ 0 or beyond them means the last of them. σ must be sorted descending.
// AlphaReQ returns NaN, NaN when fewer than two points remain.
func AlphaReQ(sigma []float64, first, last int) (alpha, r2 float64) {
	nonZero := 0
	for nonZero < len(sigma) && sigma[nonZero] != 0 {
		nonZero++
	}
	first = max(first, 1)
	if last <= 0 || last > nonZero {
		last = nonZero
	}
	n := last - first + 1
	if n < 2 {
		return math.NaN(), math.NaN()
	}
	var mx, my float64
	for i := first; i <= last; i++ {
		mx += math.Log(float64(i))
		my += 2 * math.Log(math.Abs(sigma[i-1]))
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy, syy float64
	for i := first; i <= last; i++ {
		dx := math.Log(float64(i)) - mx
		dy := 2*math.Log(math.Abs(sigma[i-1])) - my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	slope := sxy / sxx
	ssRes := syy - slope*sxy
	r2 = 1.0
	if syy > 0 {
		r2 = 1 - max(ssRes, 0)/syy
	}
	return -slope, r2
}

// NuclearNorm returns the nuclear (trace) norm ‖A‖_* = Σᵢ σᵢ.
func NuclearNorm(sigma []float64) float64 {
	var sum float64
	for _, s := range sigma {
		sum += s
	}
	return sum
}

// CodingRate returns the rate distortion of Yu, Chan, You, Song & Ma,
// "Learning diverse and discriminative representations via the principle of
// maximal coding rate reduction" (MCR², NeurIPS 2020), eq. (2), in nats:
//
//	R(Z, ε) = ½ log det(I + d/(m ε²) ZZᵀ) = ½ Σᵢ log(1 + d/(m ε²) σᵢ²),
//
// where Z ∈ R^{d×m} holds m = samples feature vectors of dimension d = dim
// as columns, and σ are its singular values.
func CodingRate(sigma []float64, samples, dim int, eps float64) float64 {
	scale := float64(dim) / (float64(samples) * eps * eps)
	var sum float64
	for _, s := range sigma {
		sum += math.Log1p(scale * s * s)
	}
	return sum / 2
}

// SpectralEntropy returns the von Neumann entropy of the density matrix
// ρ = AᵀA/tr(AᵀA), in nats:
//
//	S(ρ) = −Σᵢ pᵢ log pᵢ,  pᵢ = σᵢ²/Σⱼ σⱼ²,
//
// with 0·log 0 = 0. It is 0 for an all-zero or empty spectrum.
func SpectralEntropy(sigma []float64) float64 {
	var total float64
	for _, s := range sigma {
		total += s * s
	}
	if total == 0 {
		return 0
	}
	var h float64
	for _, s := range sigma {
		if p := s * s / total; p > 0 {
			h -= p * math.Log(p)
		}
	}
	return h
}

// SpectralMetrics are the metrics of design §4 that every spectral table
// carries, computed from the singular values σ (descending) and the exact
// ‖A‖_F². Pointer fields are NULL columns: α-ReQ when fewer than two
// non-zero σ fall in the fit range, an energy rank when σ never reach it.
type SpectralMetrics struct {
	RankMe, StableRank, SpectralNorm, NuclearNorm, SpectralEntropy float64
	AlphaReQ, AlphaReQR2                                           *float64
	EnergyRank90, EnergyRank95, EnergyRank99                       *int64
}

// ComputeSpectralMetrics computes SpectralMetrics (RankMe, StableRank,
// NuclearNorm, SpectralEntropy, AlphaReQ and EnergyRank at 0.90, 0.95 and
// 0.99 of frobSq); α-ReQ is fitted over the 1-based indices [alphaFirst,
// alphaLast], alphaLast ≤ 0 meaning len(σ). The zero SpectralMetrics when
// σ is empty.
func ComputeSpectralMetrics(sigma []float64, frobSq float64, alphaFirst, alphaLast int) SpectralMetrics {
	var m SpectralMetrics
	if len(sigma) == 0 {
		return m
	}
	m.RankMe = RankMe(sigma)
	m.SpectralNorm = sigma[0]
	m.StableRank = StableRank(frobSq, sigma[0])
	m.NuclearNorm = NuclearNorm(sigma)
	m.SpectralEntropy = SpectralEntropy(sigma)
	if alphaLast <= 0 || alphaLast > len(sigma) {
		alphaLast = len(sigma)
	}
	if alpha, r2 := AlphaReQ(sigma, alphaFirst, alphaLast); !math.IsNaN(alpha) {
		m.AlphaReQ, m.AlphaReQR2 = &alpha, &r2
	}
	for _, e := range []struct {
		x   float64
		dst **int64
	}{{0.90, &m.EnergyRank90}, {0.95, &m.EnergyRank95}, {0.99, &m.EnergyRank99}} {
		if r, ok := EnergyRank(sigma, frobSq, e.x); ok {
			v := int64(r)
			*e.dst = &v
		}
	}
	return m
}
