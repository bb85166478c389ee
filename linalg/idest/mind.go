package idest

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Defaults of the MiND estimators, as skdim.id.MiND_ML sets them.
const (
	// DefaultMiNDK is the neighbour count k: ρ uses the (k+1)-th neighbour.
	DefaultMiNDK = 20
	// DefaultMiNDMaxDim is the largest dimension D the MiND estimators
	// consider (their estimates lie in [1, D] and (0, D]).
	DefaultMiNDMaxDim = 10
)

// MiNDEstimate holds both MiND maximum-likelihood estimates from the same
// ratios: MLi, the integer maximiser, and MLk, the real one; N is the number
// of ratios (points) they used.
type MiNDEstimate struct {
	MLi int
	MLk float64
	N   int
}

// MiNDRatios returns, for every distinct row x of x, the normalised
// nearest-neighbour distance
//
//	ρ(x) = r₁(x) / r_{k+1}(x),
//
// r_j(x) the distance to its j-th nearest other distinct row (Rozza,
// Lombardi, Ceruti, Casiraghi & Campadelli 2012, "Novel high intrinsic
// dimensionality estimators", Mach. Learn. 89:37–65: for points drawn
// uniformly from a d-ball, ρ has density k·d·ρ^{d−1}(1 − ρ^d)^{k−1}).
// Points with ρ = 1 (k+1 equidistant neighbours) are left out, their
// likelihood being 0 for every d. It returns an error if k < 1 or there are
// at most k+1 distinct rows.
//
// Ratios of several shards (neighbours found within each shard) concatenate
// into one pooled sample of ρ; MiNDFit estimates from any such sample.
func MiNDRatios(x mat.Matrix, k int) ([]float64, error) {
	if k < 1 {
		return nil, fmt.Errorf("idest: MiND with k = %d: want k ≥ 1", k)
	}
	u := dedupRows(x)
	if u == nil || u.RawMatrix().Rows <= k+1 {
		return nil, fmt.Errorf("idest: MiND with k = %d needs more than k+1 distinct rows", k)
	}
	dist, _ := mindNeighbours(u, k+1)
	n := u.RawMatrix().Rows
	rhos := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		r := dist[i*(k+1) : (i+1)*(k+1)]
		if rho := r[0] / r[k]; rho < 1 {
			rhos = append(rhos, rho)
		}
	}
	return rhos, nil
}

// MiNDLogLikelihood returns the log-likelihood of dimension d > 0 given
// ratios ρᵢ ∈ (0, 1) (Rozza et al. 2012), the log of Πᵢ k·d·ρᵢ^{d−1}(1 − ρᵢ^d)^{k−1}:
//
//	ℓ(d) = N·log(k·d) + (d − 1)·Σ log ρᵢ + (k − 1)·Σ log(1 − ρᵢ^d).
//
// ℓ is strictly concave in d (each log(1 − e^{d·log ρ}) is), so it has one
// maximiser on (0, ∞).
func MiNDLogLikelihood(rhos []float64, k int, d float64) float64 {
	var sumLog, sumTail float64
	for _, rho := range rhos {
		a := math.Log(rho)
		sumLog += a
		sumTail += math.Log(-math.Expm1(d * a))
	}
	return float64(len(rhos))*math.Log(float64(k)*d) + (d-1)*sumLog + float64(k-1)*sumTail
}

// mindScore is ℓ'(d) = N/d + Σ log ρᵢ + (k − 1)·Σ (−log ρᵢ)/(ρᵢ^{−d} − 1),
// decreasing from +∞ (d → 0) to Σ log ρᵢ < 0 (d → ∞).
func mindScore(rhos []float64, k int, d float64) float64 {
	var sumLog, sumTail float64
	for _, rho := range rhos {
		a := math.Log(rho)
		sumLog += a
		sumTail += -a / math.Expm1(-d*a)
	}
	return float64(len(rhos))/d + sumLog + float64(k-1)*sumTail
}

// MiNDMLi returns MiND_MLi (Rozza et al. 2012): the integer d in
// 1…maxDim maximising MiNDLogLikelihood (the smallest on ties). It returns an
// error if there are no ratios, a ratio lies outside (0, 1), k < 1 or
// maxDim < 1.
func MiNDMLi(rhos []float64, k, maxDim int) (int, error) {
	if err := checkMiND(rhos, k, maxDim); err != nil {
		return 0, err
	}
	best, bestLik := 1, math.Inf(-1)
	for d := 1; d <= maxDim; d++ {
		if lik := MiNDLogLikelihood(rhos, k, float64(d)); lik > bestLik {
			best, bestLik = d, lik
		}
	}
	return best, nil
}

// MiNDMLk returns MiND_MLk (Rozza et al. 2012): the real d in
// (0, maxDim] maximising MiNDLogLikelihood, i.e. the root of ℓ'(d) = 0 (or
// maxDim when ℓ still increases there), found by bisection to within a few
// ulps. skdim finds the same maximiser with L-BFGS-B started at MiND_MLi, to
// L-BFGS-B's tolerance. It returns the errors of MiNDMLi.
func MiNDMLk(rhos []float64, k, maxDim int) (float64, error) {
	if err := checkMiND(rhos, k, maxDim); err != nil {
		return 0, err
	}
	hi := float64(maxDim)
	if mindScore(rhos, k, hi) >= 0 {
		return hi, nil
	}
	lo := hi / 2
	for mindScore(rhos, k, lo) < 0 {
		hi, lo = lo, lo/2
	}
	for i := 0; i < 200; i++ {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if mindScore(rhos, k, mid) >= 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2, nil
}

func checkMiND(rhos []float64, k, maxDim int) error {
	if k < 1 {
		return fmt.Errorf("idest: MiND with k = %d: want k ≥ 1", k)
	}
	if maxDim < 1 {
		return fmt.Errorf("idest: MiND with maximal dimension %d: want ≥ 1", maxDim)
	}
	if len(rhos) == 0 {
		return fmt.Errorf("idest: MiND of no ratios")
	}
	for _, rho := range rhos {
		if !(rho > 0 && rho < 1) {
			return fmt.Errorf("idest: MiND ratio %v: want (0, 1)", rho)
		}
	}
	return nil
}

// MiNDFit returns both MiND estimates from ratios (see MiNDMLi, MiNDMLk).
func MiNDFit(rhos []float64, k, maxDim int) (MiNDEstimate, error) {
	mli, err := MiNDMLi(rhos, k, maxDim)
	if err != nil {
		return MiNDEstimate{}, err
	}
	mlk, err := MiNDMLk(rhos, k, maxDim)
	if err != nil {
		return MiNDEstimate{}, err
	}
	return MiNDEstimate{MLi: mli, MLk: mlk, N: len(rhos)}, nil
}

// MiNDML is MiNDFit(MiNDRatios(x, k), k, maxDim): skdim.id.MiND_ML with
// ver = "MLi" (MLi) and ver = "MLk" (MLk); skdim's defaults are DefaultMiNDK
// and DefaultMiNDMaxDim.
func MiNDML(x mat.Matrix, k, maxDim int) (MiNDEstimate, error) {
	rhos, err := MiNDRatios(x, k)
	if err != nil {
		return MiNDEstimate{}, err
	}
	return MiNDFit(rhos, k, maxDim)
}

// mindBlockRows is the number of rows whose Gram products with all rows
// mindNeighbours holds at once (memory mindBlockRows·n floats).
const mindBlockRows = 256

// mindNeighbours returns, for each row of x, its k nearest other rows:
// their indices and distances in increasing order of distance (n×k,
// row-major). Candidates are ranked by ‖a‖² + ‖b‖² − 2aᵀb from Gram products
// computed in blocks of rows; the chosen neighbours' distances are then
// recomputed exactly as ‖a − b‖ and re-sorted (ties keep the lower index).
// It needs n > k.
func mindNeighbours(x *mat.Dense, k int) (dist []float64, index []int) {
	n, D := x.Dims()
	sq := make([]float64, n)
	for i := range sq {
		row := x.RawRowView(i)
		for _, v := range row {
			sq[i] += v * v
		}
	}
	dist = make([]float64, n*k)
	index = make([]int, n*k)
	type cand struct {
		d2 float64
		j  int
	}
	best := make([]cand, 0, k+1)
	var g mat.Dense
	for i0 := 0; i0 < n; i0 += mindBlockRows {
		i1 := min(i0+mindBlockRows, n)
		g.Reset()
		g.Mul(x.Slice(i0, i1, 0, D), x.T())
		for i := i0; i < i1; i++ {
			best = best[:0]
			gi := g.RawRowView(i - i0)
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				d2 := max(sq[i]+sq[j]-2*gi[j], 0)
				if len(best) == k && d2 >= best[k-1].d2 {
					continue
				}
				p := len(best)
				for p > 0 && best[p-1].d2 > d2 {
					p--
				}
				if len(best) < k {
					best = append(best, cand{})
				}
				copy(best[p+1:], best[p:len(best)-1])
				best[p] = cand{d2, j}
			}
			xi := x.RawRowView(i)
			for m := range best {
				xj := x.RawRowView(best[m].j)
				var s float64
				for c, v := range xi {
					e := v - xj[c]
					s += e * e
				}
				best[m].d2 = s
			}
			slices.SortStableFunc(best, func(a, b cand) int {
				if a.d2 != b.d2 {
					if a.d2 < b.d2 {
						return -1
					}
					return 1
				}
				return a.j - b.j
			})
			for m, c := range best {
				dist[i*k+m] = math.Sqrt(c.d2)
				index[i*k+m] = c.j
			}
		}
	}
	return dist, index
}
