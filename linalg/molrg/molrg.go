// Package molrg generates mixtures of low-rank Gaussians (MoLRG) and fits
// them back, for the phase-transition study of Wang et al. (2024),
// "Diffusion models learn low-dimensional distributions via subspace
// clustering" (arXiv:2409.02426), §2.
//
// A MoLRG in Rⁿ has K components with orthonormal bases Uₖ ∈ R^{n×d}; a
// sample of component k is
//
//	x = Uₖa + σε,   a ~ N(0, I_d),  ε ~ N(0, Iₙ),
//
// (Wang et al. 2024, eq. 3 with σ = 0). A fit returns estimates Ûₖ, compared
// with the truth by the projection distance ‖ÛÛᵀ − UUᵀ‖_F/√(2d) after
// matching components with the Hungarian algorithm.
//
// The package is pure numerics on gonum: it never imports Beam.
package molrg

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// Kinds of bases, the values of Model.Bases.
const (
	// Orthogonal bases are mutually orthogonal, UₖᵀUₗ = 0 for k ≠ l (the
	// setting of Wang et al. 2024, Assumption 1); they need K·d ≤ n.
	Orthogonal = "orthogonal"
	// Random bases are drawn independently, each uniform on the Grassmannian.
	Random = "random"
)

// Model is the population of a MoLRG: K components of dimension d in Rⁿ.
type Model struct {
	Ambient    int    // n
	Dim        int    // d, the dimension of every component
	Components int    // K
	Bases      string // Orthogonal or Random
}

// Check returns an error describing why m is not a valid model, or nil:
// it needs 1 ≤ d ≤ n, K ≥ 1, Bases Orthogonal or Random, and K·d ≤ n for
// Orthogonal bases.
func (m Model) Check() error {
	switch {
	case m.Ambient < 1:
		return fmt.Errorf("molrg: ambient dimension %d < 1", m.Ambient)
	case m.Dim < 1 || m.Dim > m.Ambient:
		return fmt.Errorf("molrg: intrinsic dimension %d not in [1, %d]", m.Dim, m.Ambient)
	case m.Components < 1:
		return fmt.Errorf("molrg: %d components", m.Components)
	case m.Bases != Orthogonal && m.Bases != Random:
		return fmt.Errorf("molrg: bases %q is neither %q nor %q", m.Bases, Orthogonal, Random)
	case m.Bases == Orthogonal && m.Components*m.Dim > m.Ambient:
		return fmt.Errorf("molrg: %d orthogonal components of dimension %d do not fit in R^%d", m.Components, m.Dim, m.Ambient)
	}
	return nil
}

// stream returns the PCG generator of sub-stream key of seed.
func stream(seed, key uint64) *rand.Rand {
	return rand.New(rand.NewPCG(linalg.DeriveSeed(seed, 2*key+1), linalg.DeriveSeed(seed, 2*key+2)))
}

// Stream keys of one trial seed: key 0 draws the bases, key 1+k the samples of
// component k, and fitKey the fit's restarts.
const fitKey = 1 << 40

// DrawBases returns K orthonormal n×d bases drawn from seed: the Q factor of
// a Gaussian n×(K·d) matrix split into K blocks of d columns (Orthogonal), or
// K independent Q factors of Gaussian n×d matrices (Random), both uniform
// (Haar) on their manifolds. DrawBases panics if m.Check fails.
func (m Model) DrawBases(seed uint64) []*mat.Dense {
	if err := m.Check(); err != nil {
		panic(err)
	}
	n, d, k := m.Ambient, m.Dim, m.Components
	rng := stream(seed, 0)
	bases := make([]*mat.Dense, k)
	if m.Bases == Orthogonal {
		q := orthonormalGaussian(rng, n, k*d)
		for c := range bases {
			bases[c] = mat.DenseCopyOf(q.Slice(0, n, c*d, (c+1)*d))
		}
		return bases
	}
	for c := range bases {
		bases[c] = orthonormalGaussian(rng, n, d)
	}
	return bases
}

// orthonormalGaussian returns the thin Q factor of an n×c Gaussian matrix,
// its columns scaled by the signs of diag(R) so that Q is Haar distributed
// (Mezzadri 2007).
func orthonormalGaussian(rng *rand.Rand, n, c int) *mat.Dense {
	g := mat.NewDense(n, c, nil)
	raw := g.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	out := mat.DenseCopyOf(q.Slice(0, n, 0, c))
	for j := 0; j < c; j++ {
		if r.At(j, j) < 0 {
			for i := 0; i < n; i++ {
				out.Set(i, j, -out.At(i, j))
			}
		}
	}
	return out
}

// Counts apportions K·perComponent samples to the K components in proportion
// to weights by the largest-remainder (Hamilton) method, ties to the lower
// component; nil or empty weights give perComponent to every component.
// Counts panics if weights has a length other than k or 0, or holds a
// negative or non-finite value, or sums to 0.
func Counts(k, perComponent int, weights []float64) []int {
	counts := make([]int, k)
	if len(weights) == 0 {
		for i := range counts {
			counts[i] = perComponent
		}
		return counts
	}
	if len(weights) != k {
		panic(fmt.Sprintf("molrg: %d weights for %d components", len(weights), k))
	}
	var sum float64
	for _, w := range weights {
		if w < 0 || math.IsInf(w, 0) || math.IsNaN(w) {
			panic(fmt.Sprintf("molrg: weight %v is not a finite number ≥ 0", w))
		}
		sum += w
	}
	if sum == 0 {
		panic("molrg: weights sum to 0")
	}
	total := k * perComponent
	rem := make([]float64, k)
	given := 0
	for i, w := range weights {
		q := float64(total) * w / sum
		counts[i] = int(math.Floor(q))
		rem[i] = q - float64(counts[i])
		given += counts[i]
	}
	for ; given < total; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		counts[best]++
		rem[best] = -1
	}
	return counts
}

// Sample draws counts[k] samples x = Uₖa + noise·ε of each component k as the
// rows of a (Σ counts)×n matrix, component 0 first, and returns the
// component of each row. Component k draws from its own stream of seed, a
// then ε for each sample, so the first m samples of a component are the same
// for every count ≥ m and every noise level: cells of a sweep over the sample
// count or the noise share their draws (common random numbers). Sample
// panics if counts and bases differ in length or the bases differ in shape.
func Sample(bases []*mat.Dense, counts []int, noise float64, seed uint64) (x *mat.Dense, labels []int) {
	if len(bases) != len(counts) {
		panic(fmt.Sprintf("molrg: %d bases and %d counts", len(bases), len(counts)))
	}
	n, d := bases[0].Dims()
	total := 0
	for k, b := range bases {
		if r, c := b.Dims(); r != n || c != d {
			panic(fmt.Sprintf("molrg: basis %d is %d×%d, basis 0 is %d×%d", k, r, c, n, d))
		}
		total += counts[k]
	}
	if total == 0 {
		panic("molrg: no samples to draw")
	}
	x = mat.NewDense(total, n, nil)
	labels = make([]int, 0, total)
	a := mat.NewVecDense(d, nil)
	eps := make([]float64, n)
	row := 0
	for k, b := range bases {
		rng := stream(seed, uint64(1+k))
		for range counts[k] {
			for j := 0; j < d; j++ {
				a.SetVec(j, rng.NormFloat64())
			}
			for j := range eps {
				eps[j] = rng.NormFloat64()
			}
			xi := x.RowView(row).(*mat.VecDense)
			xi.MulVec(b, a)
			if noise != 0 {
				xi.AddScaledVec(xi, noise, mat.NewVecDense(n, eps))
			}
			labels = append(labels, k)
			row++
		}
	}
	return x, labels
}

// ProjectionDistance returns ‖AAᵀ − BBᵀ‖_F/√(2d) for n×d matrices A and B
// with orthonormal columns: 0 when they span the same subspace, 1 when the
// subspaces are orthogonal; it equals √(Σ sin²θᵢ / d) over the principal
// angles θᵢ. It is computed from the n×n difference, without the
// cancellation of 2d − 2‖AᵀB‖²_F. ProjectionDistance panics if the shapes
// differ.
func ProjectionDistance(a, b mat.Matrix) float64 {
	n, d := a.Dims()
	if r, c := b.Dims(); r != n || c != d {
		panic(fmt.Sprintf("molrg: projection distance of %d×%d and %d×%d bases", n, d, r, c))
	}
	var pa, pb mat.Dense
	pa.Mul(a, a.T())
	pb.Mul(b, b.T())
	pa.Sub(&pa, &pb)
	return mat.Norm(&pa, 2) / math.Sqrt(float64(2*d))
}

// Recovery matches estimated bases to true ones, minimising the total
// projection distance with the Hungarian algorithm, and returns the distance
// of each true component to its match and the match (truth k ↔ est[match[k]]).
// Recovery panics if the two lists differ in length.
func Recovery(truth, est []*mat.Dense) (errs []float64, match []int) {
	k := len(truth)
	if len(est) != k {
		panic(fmt.Sprintf("molrg: %d true and %d estimated components", k, len(est)))
	}
	cost := make([][]float64, k)
	for i := range cost {
		cost[i] = make([]float64, k)
		for j := range cost[i] {
			cost[i][j] = ProjectionDistance(truth[i], est[j])
		}
	}
	match, _ = Hungarian(cost)
	errs = make([]float64, k)
	for i, j := range match {
		errs[i] = cost[i][j]
	}
	return errs, match
}
