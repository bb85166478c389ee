package heavytail

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lowdim/lowdim/internal/parallel"
)

// DefaultMinTail is the smallest tail FitPowerLaw considers when minTail ≤ 0.
const DefaultMinTail = 10

// ErrNoFit is returned by FitPowerLaw when no candidate xmin qualifies: fewer
// than minTail positive values, or no tail of minTail values that is not
// constant.
var ErrNoFit = errors.New("heavytail: no power-law fit (no tail of minTail values)")

// PowerLaw is a continuous power law p(x) = (α−1)/xmin·(x/xmin)^−α, x ≥ xmin,
// fitted to the tail of a spectrum.
type PowerLaw struct {
	Alpha float64 // maximum-likelihood exponent α̂
	Xmin  float64 // lower end of the tail (one of the data values)
	KS    float64 // Kolmogorov–Smirnov distance D between the tail and the fit
	Tail  int     // number n of values ≥ Xmin
}

// FitPowerLaw fits a power law to the tail of λ by the method of Clauset,
// Shalizi & Newman (2009), "Power-law distributions in empirical data", SIAM
// Review 51(4), §3: continuous maximum likelihood for α (their eq. (3.1)) and
// the xmin that minimises the Kolmogorov–Smirnov distance (§3.3), as
// WeightWatcher fits λᵢ = σᵢ² (Martin & Mahoney 2021, JMLR 22(165)).
//
// The values λ ≤ 0 are left out (zero singular values). Every distinct
// value xmin whose tail {λ ≥ xmin} holds n ≥ minTail values (DefaultMinTail
// when minTail ≤ 0), not all equal to xmin, is a candidate, with
//
//	α̂ = 1 + n / Σ_{tail} ln(λ/xmin),
//	F(x) = 1 − (x/xmin)^(1−α̂),
//	D = maxᵢ max(|i/n − F(xᵢ)|, |(i−1)/n − F(xᵢ)|)
//
// over the tail sorted ascending x₁ ≤ … ≤ xₙ. The fit is the candidate with
// the smallest D; on equal D, the smaller xmin. FitPowerLaw returns ErrNoFit
// when there is no candidate, and an error when a λ is negative, NaN or
// infinite. λ is not modified.
//
// Cost: O(N log N) to sort the N positive values and O(N) for all α̂
// together (the sums over the tails are accumulated from the top down as
// S(u_j) = S(u_{j+1}) + n_{j+1}·ln(u_{j+1}/u_j), u the distinct values, a sum
// of non-negative terms, so without cancellation); D costs O(n) per
// candidate (one exp per distinct tail value), O(N²) in the worst case, less
// as a candidate stops once its D exceeds the best complete one. Candidates
// are shared among the goroutines parallel.Reserve grants; the result does not
// depend on their number or scheduling.
func FitPowerLaw(lambda []float64, minTail int) (PowerLaw, error) {
	if minTail <= 0 {
		minTail = DefaultMinTail
	}
	x := make([]float64, 0, len(lambda))
	for i, v := range lambda {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return PowerLaw{}, fmt.Errorf("heavytail: λ[%d] = %v is not a finite non-negative value", i, v)
		case v > 0:
			x = append(x, v)
		}
	}
	slices.Sort(x)
	N := len(x)
	if N < minTail {
		return PowerLaw{}, ErrNoFit
	}

	// Distinct values u[j], first index first[j] in x (first[D] = N), and
	// c[j] = ln(u[j]/u[0]) as a running sum of positive terms.
	var u []float64
	var first []int
	for i, v := range x {
		if i == 0 || v != x[i-1] {
			u = append(u, v)
			first = append(first, i)
		}
	}
	D := len(u)
	first = append(first, N)
	c := make([]float64, D)
	for j := 1; j < D; j++ {
		c[j] = c[j-1] + math.Log1p((u[j]-u[j-1])/u[j-1])
	}

	// S[j] = Σ_{x ≥ u[j]} ln(x/u[j]), top down; candidates j with a tail of
	// at least minTail values and at least two distinct values.
	S := make([]float64, D)
	for j := D - 2; j >= 0; j-- {
		S[j] = S[j+1] + float64(N-first[j+1])*math.Log1p((u[j+1]-u[j])/u[j])
	}
	last := -1 // the largest candidate index
	for j := D - 2; j >= 0; j-- {
		if N-first[j] >= minTail {
			last = j
			break
		}
	}
	if last < 0 {
		return PowerLaw{}, ErrNoFit
	}

	// D of each candidate. A candidate whose running maximum already exceeds
	// the smallest complete D found so far cannot be chosen, so its loop
	// stops early: ks[j] is then a lower bound above the final minimum, and
	// the argmin below (ties included) is that of the complete D values.
	ks := make([]float64, last+1)
	var bestBits atomic.Uint64
	bestBits.Store(math.Float64bits(math.Inf(1)))
	ksOf := func(j int) float64 {
		bound := math.Float64frombits(bestBits.Load())
		n := N - first[j]
		fn := float64(n)
		slope := -fn / S[j] // 1 − α̂
		var d float64
		for t := j; t < D; t++ {
			F := 1 - math.Exp(slope*(c[t]-c[j]))
			lo := float64(first[t]-first[j]) / fn   // (a−1)/n
			hi := float64(first[t+1]-first[j]) / fn // b/n
			d = max(d, math.Abs(hi-F), math.Abs(lo-F))
			if d > bound {
				return d
			}
		}
		for { // bestBits = min(bestBits, d); non-negative floats order like their bits
			old := bestBits.Load()
			if math.Float64bits(d) >= old || bestBits.CompareAndSwap(old, math.Float64bits(d)) {
				return d
			}
		}
	}
	parallelCandidates(last+1, N-first[0], func(j int) { ks[j] = ksOf(j) })

	best := 0
	for j := 1; j <= last; j++ {
		if ks[j] < ks[best] {
			best = j
		}
	}
	n := N - first[best]
	return PowerLaw{
		Alpha: 1 + float64(n)/S[best],
		Xmin:  u[best],
		KS:    ks[best],
		Tail:  n,
	}, nil
}

// parallelCandidates runs do(j) for j in [0, count) on the goroutines
// parallel.Reserve grants when the work (about count·size/2 exps) is worth it.
func parallelCandidates(count, size int, do func(j int)) {
	workers, release := 1, func() {}
	if float64(count)*float64(size) >= 1<<18 {
		workers, release = parallel.Reserve((count + 15) / 16)
	}
	defer release()
	if workers == 1 {
		for j := range count {
			do(j)
		}
		return
	}
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				j0 := int(next.Add(chunk)) - chunk
				if j0 >= count {
					return
				}
				for j := j0; j < min(count, j0+chunk); j++ {
					do(j)
				}
			}
		})
	}
	wg.Wait()
}
