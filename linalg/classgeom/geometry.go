package classgeom

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

const (
	// SubspaceEnergy is the energy fraction x of the energy rank r_x that sets
	// a class's subspace dimension when Options.SubspaceRank is 0.
	SubspaceEnergy = 0.9
	// MaxSubspaceRank caps the energy rank used as subspace dimension.
	MaxSubspaceRank = 20
)

// Options are the parameters of Geometry.
type Options struct {
	// Eps is the distortion ε > 0 of the coding rates (the spectrum study's
	// coding_rate_eps, 0.5 by default there).
	Eps float64
	// SubspaceRank is the dimension r of every class's subspace for the
	// principal angles; 0 means each class's energy rank r₀.₉ capped at
	// MaxSubspaceRank. Either way r is at most the class's numerical rank.
	SubspaceRank int
}

// Geometry is the geometry of labelled rows computed from their Summary.
// Logarithms are natural (nats).
type Geometry struct {
	Samples int // m, rows over all classes
	Dim     int // d, columns

	// CodingRateTotal is R(Z, ε) = ½ log det(I + d/(m ε²) ZᵀZ), Z the m×d
	// matrix of all rows, uncentred (Yu et al. 2020, "Learning diverse and
	// discriminative representations via the principle of maximal coding
	// rate reduction", eq. 2).
	CodingRateTotal float64
	// CodingRateClasses is Rc = Σⱼ mⱼ/(2m) log det(I + d/(mⱼ ε²) ZⱼᵀZⱼ),
	// Zⱼ the rows of class j (ibid., eq. 3).
	CodingRateClasses float64
	// RateReduction is ΔR = R − Rc (ibid., eq. 4).
	RateReduction float64
	// CentroidNuclearNorm is ‖C‖_*, the sum of the singular values of the
	// k×d matrix C whose rows are the class means (Yerxa et al. 2023,
	// "Learning efficient coding of natural images with maximum manifold
	// capacity representations", MMCR, with classes as manifolds).
	CentroidNuclearNorm float64

	Classes []ClassGeometry // in label order
	Pairs   []PairGeometry  // (a, b) for a before b in label order, row by row
}

// ClassGeometry is the spectrum of one class.
type ClassGeometry struct {
	Label string
	Count int
	// Sigma holds the d singular values of the class's centred rows
	// Zⱼ − 1μⱼᵀ, descending: σᵢ = √λᵢ for the eigenvalues λᵢ of the scatter
	// Mⱼ, with λᵢ ≤ d·ε_mach·λ₁ (rounding noise) set to 0. Because they
	// come from Mⱼ = (Zⱼ − 1μⱼᵀ)ᵀ(Zⱼ − 1μⱼᵀ), not from the rows, σᵢ carries
	// an absolute error of about ε_mach·σ₁²/σᵢ: relative 1e-8 needs
	// σᵢ ≳ 1e-4·σ₁, and σᵢ below √(d·ε_mach)·σ₁ cannot be told from 0.
	// Pass Sigma to linalg.RankMe, linalg.EnergyRank(Sigma, Σσ², x),
	// linalg.StableRank(Σσ², σ₁²) or linalg.AlphaReQ.
	Sigma []float64
	// Rank is the numerical rank, the number of non-zero Sigma.
	Rank int
	// SubspaceRank is r, the number of leading eigenvectors of Mⱼ spanning
	// the class's subspace in the principal angles.
	SubspaceRank int
}

// PairGeometry compares classes A and B.
type PairGeometry struct {
	A, B string
	// AnglesDeg are the principal angles θ₁ ≤ … ≤ θ_q, in degrees, between
	// the classes' subspaces (the top r_A and r_B eigenvectors of their
	// scatters); q = min(r_A, r_B) (linalg.SubspaceAngles).
	AnglesDeg []float64
	// MinAngleDeg is θ₁ and MeanAngleDeg the mean of the θᵢ; both are NaN
	// when q = 0.
	MinAngleDeg, MeanAngleDeg float64
	// ProjectionDistance is the chordal distance ‖P_A − P_B‖_F/√2 between
	// the orthogonal projectors onto the two subspaces,
	//
	//	√(Σᵢ sin² θᵢ + |r_A − r_B|/2),
	//
	// which is Edelman, Arias & Smith's (1998) projection distance ‖sin θ‖₂
	// when r_A = r_B and counts each unmatched dimension as a right angle
	// (its ½ from each side of ‖P_A − P_B‖²_F = r_A + r_B − 2Σcos² θᵢ).
	ProjectionDistance float64
	// MeanDistanceSq is ‖μ_A − μ_B‖².
	MeanDistanceSq float64
	// BuresWassersteinSq is the squared 2-Wasserstein distance between the
	// Gaussians N(μ_A, Σ_A) and N(μ_B, Σ_B), Σ = M/m (1/m-normalised):
	//
	//	W₂² = ‖μ_A − μ_B‖² + tr(Σ_A + Σ_B − 2 (Σ_A^½ Σ_B Σ_A^½)^½),
	//
	// see BuresWassersteinSq for how it is computed and its accuracy.
	BuresWassersteinSq float64
}

// Geometry computes the class geometry of the rows summarised by s. It
// returns an error when s has no class or is malformed, when opt.Eps is not a
// finite positive number or opt.SubspaceRank is negative, or when a
// factorisation fails (it does not for finite input).
//
// Cost: O(k·d³) for k classes (one symmetric eigendecomposition of each
// class's scatter, one Cholesky of each Gram) plus, per pair,
// O(d·r_A·r_B + ρ_A·ρ_B·min(ρ_A, ρ_B)) with ρ the numerical ranks; memory
// O(k·d²).
func (s *Summary) Geometry(opt Options) (*Geometry, error) {
	if len(s.Classes) == 0 {
		return nil, errors.New("classgeom: geometry of an empty summary")
	}
	if !(opt.Eps > 0) || math.IsInf(opt.Eps, 1) {
		return nil, fmt.Errorf("classgeom: coding rate ε must be a finite number > 0, got %v", opt.Eps)
	}
	if opt.SubspaceRank < 0 {
		return nil, fmt.Errorf("classgeom: subspace rank %d < 0", opt.SubspaceRank)
	}
	if err := s.checkDim(s.Dim); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	d, m, k := s.Dim, s.Samples(), len(s.Classes)
	g := &Geometry{Samples: m, Dim: d, Classes: make([]ClassGeometry, k)}

	total := mat.NewSymDense(d, nil)
	centroids := mat.NewDense(k, d, nil)
	spectra := make([]*spectrum, k)
	for j := range s.Classes {
		c := &s.Classes[j]
		gram := c.Gram()
		rate, err := codingRate(gram, c.Count, opt.Eps)
		if err != nil {
			return nil, fmt.Errorf("classgeom: class %q: %w", c.Label, err)
		}
		g.CodingRateClasses += float64(c.Count) / float64(m) * rate
		total.AddSym(total, gram)
		centroids.SetRow(j, c.Mean)

		sp, err := decompose(c.ScatterMatrix())
		if err != nil {
			return nil, fmt.Errorf("classgeom: class %q: %w", c.Label, err)
		}
		spectra[j] = sp
		sigma := make([]float64, d)
		var energy float64
		for i, v := range sp.values {
			sigma[i] = math.Sqrt(v)
			energy += v
		}
		r := opt.SubspaceRank
		if r == 0 {
			r, _ = linalg.EnergyRank(sigma, energy, SubspaceEnergy)
			r = min(r, MaxSubspaceRank)
		}
		g.Classes[j] = ClassGeometry{
			Label:        c.Label,
			Count:        c.Count,
			Sigma:        sigma,
			Rank:         sp.rank,
			SubspaceRank: min(r, sp.rank),
		}
	}
	rate, err := codingRate(total, m, opt.Eps)
	if err != nil {
		return nil, fmt.Errorf("classgeom: all classes: %w", err)
	}
	g.CodingRateTotal = rate
	g.RateReduction = g.CodingRateTotal - g.CodingRateClasses
	var svd mat.SVD
	if !svd.Factorize(centroids, mat.SVDNone) {
		return nil, errors.New("classgeom: SVD of the class means did not converge")
	}
	g.CentroidNuclearNorm = linalg.NuclearNorm(svd.Values(nil))

	for a := range k {
		for b := a + 1; b < k; b++ {
			p, err := s.pair(g, spectra, a, b)
			if err != nil {
				return nil, err
			}
			g.Pairs = append(g.Pairs, p)
		}
	}
	return g, nil
}

// pair compares classes a and b of s, whose class geometry and scatter
// spectra are in g and spectra.
func (s *Summary) pair(g *Geometry, spectra []*spectrum, a, b int) (PairGeometry, error) {
	ca, cb := &s.Classes[a], &s.Classes[b]
	ra, rb := g.Classes[a].SubspaceRank, g.Classes[b].SubspaceRank
	p := PairGeometry{A: ca.Label, B: cb.Label, MinAngleDeg: math.NaN(), MeanAngleDeg: math.NaN()}
	sinSq := float64(max(ra, rb)-min(ra, rb)) / 2
	if q := min(ra, rb); q > 0 {
		angles, err := linalg.SubspaceAngles(nil, spectra[a].leading(ra), spectra[b].leading(rb))
		if err != nil {
			return PairGeometry{}, fmt.Errorf("classgeom: classes %q and %q: %w", ca.Label, cb.Label, err)
		}
		var sum float64
		p.AnglesDeg = make([]float64, q)
		for i, t := range angles {
			p.AnglesDeg[i] = t * 180 / math.Pi
			sum += p.AnglesDeg[i]
			sin := math.Sin(t)
			sinSq += sin * sin
		}
		p.MinAngleDeg = p.AnglesDeg[0]
		p.MeanAngleDeg = sum / float64(q)
	}
	p.ProjectionDistance = math.Sqrt(sinSq)
	p.MeanDistanceSq = distanceSq(ca.Mean, cb.Mean)
	w, err := buresWassersteinSq(p.MeanDistanceSq,
		spectra[a], packedTrace(ca.Scatter, s.Dim), 1/float64(ca.Count),
		spectra[b], packedTrace(cb.Scatter, s.Dim), 1/float64(cb.Count))
	if err != nil {
		return p, fmt.Errorf("classgeom: classes %q and %q: %w", ca.Label, cb.Label, err)
	}
	p.BuresWassersteinSq = w
	return p, nil
}

// codingRate returns ½ log det(I + d/(m ε²) G) for the d×d Gram matrix G of m
// rows, by the Cholesky factor of the symmetric positive definite argument.
func codingRate(gram *mat.SymDense, m int, eps float64) (float64, error) {
	d := gram.SymmetricDim()
	a := mat.NewSymDense(d, nil)
	a.ScaleSym(float64(d)/(float64(m)*eps*eps), gram)
	for i := range d {
		a.SetSym(i, i, a.At(i, i)+1)
	}
	var chol mat.Cholesky
	if !chol.Factorize(a) {
		return 0, errors.New("Cholesky factorisation of I + d/(m ε²) ZᵀZ failed")
	}
	return chol.LogDet() / 2, nil
}

func distanceSq(x, y []float64) float64 {
	var sum float64
	for i := range x {
		t := x[i] - y[i]
		sum += t * t
	}
	return sum
}

// packedTrace returns the trace of the d×d matrix packed in p.
func packedTrace(p []float64, d int) float64 {
	var tr float64
	k := 0
	for i := range d {
		tr += p[k]
		k += d - i
	}
	return tr
}
