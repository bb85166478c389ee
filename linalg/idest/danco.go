package idest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// DANCo (Ceruti, Bassis, Rozza, Lombardi, Casiraghi & Campadelli 2014,
// "DANCo: an intrinsic dimensionality estimator exploiting angle and norm
// concentration", Pattern Recognit. 47(8):2569–2581) compares three
// statistics of the data with those of uniform samples of the unit d-ball of
// the same size, for d = 1…D, and returns the d whose statistics are closest
// in Kullback–Leibler divergence. The statistics are the MiND_MLk dimension
// d̂ of the normalised neighbour distances, and the mean over points of the
// von Mises location ν̂ and concentration τ̂ fitted to the C(k, 2) angles
// between the vectors from each point to its k nearest neighbours.
//
// The calibration (the statistics of the d-balls) depends on the number of
// points n, on k, and on the seed of its samples, not on the data; it is
// computed once per (n, k, seed, d) and can be shared through a DANCoCache.

// DefaultDANCoK is the neighbour count k of skdim.id.DANCo. skdim's other
// defaults: the maximal dimension D is the number of columns, and
// fractal = True, which interpolates the divergences with a spline; lowdim
// returns the integer minimiser (fractal = False).
const DefaultDANCoK = 10

// dancoStream is the second PCG seed word of the calibration samples
// ("danco" in ASCII).
const dancoStream = 0x64616e636f

// DANCoStatistics are the three statistics DANCo compares: Dim, the MiND_MLk
// estimate d̂; Nu, the mean von Mises location ν̄; Tau, the mean von Mises
// concentration τ̄. N is the size of the sample whose neighbours they use,
// which a calibration must match (the size of each shard when shards are
// pooled), and Points the number of points pooled.
type DANCoStatistics struct {
	Dim, Nu, Tau float64
	N, Points    int
}

// DANCoPoints holds DANCo's per-point statistics for neighbour count K,
// neighbours found among SampleSize distinct rows: Rho[i] = r₁/r_{K+1} (see
// MiNDRatios) and the von Mises fit (Nu[i], Tau[i]) to the angles between
// the vectors from point i to its K nearest neighbours. The points of shards
// of the same size (neighbours found within each shard) merge by
// concatenation and are compared with the calibration of that size.
type DANCoPoints struct {
	K, SampleSize int
	Rho, Nu, Tau  []float64
}

// DANCoPointStatistics returns the per-point statistics of the distinct rows
// of x. For point x with nearest neighbours y₁…y_K, the angles are
// θ_ab = arccos(⟨y_a − x, y_b − x⟩ / (‖y_a − x‖‖y_b − x‖)), a < b, and
//
//	ν = arctan(Σ sin θ / Σ cos θ),  τ = A⁻¹(√(mean(cos θ)² + mean(sin θ)²)),
//
// the von Mises maximum-likelihood fit (Ceruti et al. 2014; the arctangent,
// not atan2, as the reference implementations compute it), A⁻¹ the inverse
// of A(τ) = I₁(τ)/I₀(τ) by the piecewise approximation of Best & Fisher
// (1981) those implementations use (see vonMisesInverseA). With one column τ is set to 1,
// as intrinsicDimension (R) does. Points whose Rho is 1 are kept here (their
// angles are valid); Pool leaves them out of d̂. It returns an error if
// k < 2 or there are at most k+1 distinct rows.
func DANCoPointStatistics(x mat.Matrix, k int) (DANCoPoints, error) {
	if k < 2 {
		return DANCoPoints{}, fmt.Errorf("idest: DANCo with k = %d: want k ≥ 2", k)
	}
	u := dedupRows(x)
	if u == nil || u.RawMatrix().Rows <= k+1 {
		return DANCoPoints{}, fmt.Errorf("idest: DANCo with k = %d needs more than k+1 distinct rows", k)
	}
	n, D := u.Dims()
	dist, index := mindNeighbours(u, k+1)
	p := DANCoPoints{K: k, SampleSize: n, Rho: make([]float64, n), Nu: make([]float64, n), Tau: make([]float64, n)}
	vec := make([]float64, k*D)
	norm := make([]float64, k)
	pairs := float64(k * (k - 1) / 2)
	for i := 0; i < n; i++ {
		p.Rho[i] = dist[i*(k+1)] / dist[i*(k+1)+k]
		xi := u.RawRowView(i)
		for a := 0; a < k; a++ {
			y := u.RawRowView(index[i*(k+1)+a])
			v := vec[a*D : (a+1)*D]
			for c := range v {
				v[c] = y[c] - xi[c]
			}
			norm[a] = math.Sqrt(dancoDot(v, v))
		}
		var sumSin, sumCos float64
		for a := 0; a < k; a++ {
			va := vec[a*D : (a+1)*D]
			for b := a + 1; b < k; b++ {
				c := dancoDot(va, vec[b*D:(b+1)*D]) / (norm[a] * norm[b])
				theta := math.Acos(max(-1, min(1, c)))
				sumSin += math.Sin(theta)
				sumCos += math.Cos(theta)
			}
		}
		p.Nu[i] = math.Atan(sumSin / sumCos)
		p.Tau[i] = vonMisesInverseA(math.Hypot(sumCos/pairs, sumSin/pairs))
		if D == 1 {
			p.Tau[i] = 1
		}
	}
	return p, nil
}

func dancoDot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func dancoSum(v []float64) float64 {
	var s float64
	for _, e := range v {
		s += e
	}
	return s
}

// vonMisesInverseA approximates A⁻¹(η), A(τ) = I₁(τ)/I₀(τ), piecewise:
// 2η + η³ + 5η⁵/6 below 0.53, −0.4 + 1.39η + 0.43/(1 − η) below 0.85,
// 1/(η³ − 4η² + 3η) above (Best & Fisher 1981, as DANCo's MATLAB, R and
// Python implementations compute it).
func vonMisesInverseA(eta float64) float64 {
	switch {
	case eta < 0.53:
		return 2*eta + eta*eta*eta + 5*math.Pow(eta, 5)/6
	case eta < 0.85:
		return -0.4 + 1.39*eta + 0.43/(1-eta)
	default:
		return 1 / (eta*eta*eta - 4*eta*eta + 3*eta)
	}
}

// Merge appends the points of o; merging into the zero value copies o. It
// returns an error if the neighbour counts or sample sizes differ: a shard
// of another size (such as a short last shard) needs its own calibration, so
// estimate it alone or leave it out.
func (p *DANCoPoints) Merge(o DANCoPoints) error {
	if p.K == 0 && p.SampleSize == 0 && len(p.Rho) == 0 {
		p.K, p.SampleSize = o.K, o.SampleSize
	}
	if o.K != p.K || o.SampleSize != p.SampleSize {
		return fmt.Errorf("idest: merging DANCo points of k = %d, sample size %d into k = %d, sample size %d",
			o.K, o.SampleSize, p.K, p.SampleSize)
	}
	p.Rho = append(p.Rho, o.Rho...)
	p.Nu = append(p.Nu, o.Nu...)
	p.Tau = append(p.Tau, o.Tau...)
	return nil
}

// Pool returns the statistics of the points: Dim = MiNDMLk of the ratios
// below 1 with maximal dimension maxDim, Nu and Tau the means of the
// per-point values, N the sample size and Points the number of points. It
// returns MiNDMLk's errors.
func (p DANCoPoints) Pool(maxDim int) (DANCoStatistics, error) {
	rhos := make([]float64, 0, len(p.Rho))
	for _, rho := range p.Rho {
		if rho < 1 {
			rhos = append(rhos, rho)
		}
	}
	d, err := MiNDMLk(rhos, p.K, maxDim)
	if err != nil {
		return DANCoStatistics{}, err
	}
	n := float64(len(p.Nu))
	s := DANCoStatistics{Dim: d, Nu: dancoSum(p.Nu) / n, Tau: dancoSum(p.Tau) / n, N: p.SampleSize, Points: len(p.Nu)}
	if math.IsNaN(s.Nu) || math.IsNaN(s.Tau) {
		return DANCoStatistics{}, fmt.Errorf("idest: DANCo angle statistics are NaN (ν̄ = %v, τ̄ = %v)", s.Nu, s.Tau)
	}
	return s, nil
}

// DANCoStats is DANCoPointStatistics(x, k) pooled with maximal dimension
// maxDim: the data side of DANCo.
func DANCoStats(x mat.Matrix, k, maxDim int) (DANCoStatistics, error) {
	p, err := DANCoPointStatistics(x, k)
	if err != nil {
		return DANCoStatistics{}, err
	}
	return p.Pool(maxDim)
}

// DANCoDivergence returns the Kullback–Leibler divergence DANCo minimises
// between the statistics of the data and of a calibration sample (Ceruti et
// al. 2014), the sum of
//
//	KL_d = H_k·q − log q − (k − 1)·Σ_{i=0}^{k} (−1)^i C(k, i) ψ(1 + i/q),
//	       q = d̂_cal/d̂_data, H_k = Σ_{i=1}^{k} 1/i,
//
// between the densities of ρ for the two MiND estimates, and
//
//	KL_νt = log(I₀(τ_cal)/I₀(τ_data)) + I₁(τ_data)/I₀(τ_data)·(τ_data − τ_cal·cos(ν_data − ν_cal)),
//
// between the von Mises laws VM(ν_data, τ_data) and VM(ν_cal, τ_cal). ψ is
// the digamma function, I₀, I₁ modified Bessel functions (evaluated scaled,
// so large τ does not overflow). The alternating sum loses about k·log₁₀2
// digits: for k ≤ 20 the divergence keeps 9 significant digits.
func DANCoDivergence(data, cal DANCoStatistics, k int) float64 {
	q := cal.Dim / data.Dim
	var harmonic float64
	for i := 1; i <= k; i++ {
		harmonic += 1 / float64(i)
	}
	var alternating float64
	binom := 1.0
	for i := 0; i <= k; i++ {
		term := binom * dancoDigamma(1+float64(i)/q)
		if i%2 == 1 {
			term = -term
		}
		alternating += term
		binom = binom * float64(k-i) / float64(i+1)
	}
	klDim := harmonic*q - math.Log(q) - float64(k-1)*alternating

	i0Data, i1Data, i0Cal := besselI0Scaled(data.Tau), besselI1Scaled(data.Tau), besselI0Scaled(cal.Tau)
	logI0Ratio := math.Log(i0Cal) + cal.Tau - math.Log(i0Data) - data.Tau
	klAngles := logI0Ratio + i1Data/i0Data*(data.Tau-cal.Tau*math.Cos(data.Nu-cal.Nu))
	return klDim + klAngles
}

// DANCoCalibration holds the statistics of uniform samples of the unit
// d-ball of N points, for d = 1…len(Stats) (Stats[d−1]), with neighbour
// count K; Seed is the seed of the samples (see NewDANCoCalibration).
type DANCoCalibration struct {
	N, K  int
	Seed  uint64
	Stats []DANCoStatistics
}

// DANCoKey identifies a calibration: N points, K neighbours, dimensions
// 1…MaxDim, samples seeded by Seed.
type DANCoKey struct {
	N, K, MaxDim int
	Seed         uint64
}

func (key DANCoKey) check() error {
	if key.K < 2 || key.N <= key.K+1 || key.MaxDim < 1 {
		return fmt.Errorf("idest: DANCo calibration of %d points, k = %d, dimensions 1…%d: want k ≥ 2, more than k+1 points and a dimension ≥ 1",
			key.N, key.K, key.MaxDim)
	}
	return nil
}

// NewDANCoCalibration computes the calibration of key without a cache. The
// sample of dimension d is N points uniform in the unit d-ball (direction
// g/‖g‖, g ~ N(0, I_d), radius U^{1/d}) drawn from a PCG seeded with
// linalg.DeriveSeed(key.Seed, d); its Dim is MiND_MLk with maximal dimension
// 2d + 5, as intrinsicDimension (R) computes it (skdim passes k there
// instead, which caps d̂ of balls of dimension above k at k). The dimensions
// are computed concurrently on the goroutines parallel.Reserve grants. Cost: O(N²·d) time and
// O(N·d) memory for dimension d.
func NewDANCoCalibration(key DANCoKey) (*DANCoCalibration, error) {
	return (*DANCoCache)(nil).Calibration(key)
}

// dancoBallStatistics returns the statistics of the calibration sample of
// dimension d.
func dancoBallStatistics(n, k, d int, seed uint64) (DANCoStatistics, error) {
	rng := rand.New(rand.NewPCG(linalg.DeriveSeed(seed, uint64(d)), dancoStream))
	ball := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		row := ball.RawRowView(i)
		var ss float64
		for ss == 0 {
			for c := range row {
				row[c] = rng.NormFloat64()
				ss += row[c] * row[c]
			}
		}
		scale := math.Pow(rng.Float64(), 1/float64(d)) / math.Sqrt(ss)
		for c := range row {
			row[c] *= scale
		}
	}
	p, err := DANCoPointStatistics(ball, k)
	if err != nil {
		return DANCoStatistics{}, err
	}
	return p.Pool(2*d + 5)
}

// DANCoCache shares calibrations between estimates, computing the statistics
// of each (N, K, Seed, d) once; a calibration for dimensions 1…D reuses those
// of any smaller D. It is safe for concurrent use: concurrent requests for
// the same statistics wait for one computation. The zero value is an empty
// cache; a nil *DANCoCache computes without caching. Each cached dimension
// holds a few words, so the cache grows by O(D) per distinct (N, K, Seed).
type DANCoCache struct {
	mu      sync.Mutex
	entries map[dancoDimKey]*dancoEntry
}

type dancoDimKey struct {
	n, k, d int
	seed    uint64
}

type dancoEntry struct {
	once  sync.Once
	stats DANCoStatistics
	err   error
}

// NewDANCoCache returns an empty cache.
func NewDANCoCache() *DANCoCache {
	return &DANCoCache{entries: make(map[dancoDimKey]*dancoEntry)}
}

// Calibration returns the calibration of key, computing the dimensions not
// yet cached (see NewDANCoCalibration). The returned value is the caller's.
func (c *DANCoCache) Calibration(key DANCoKey) (*DANCoCalibration, error) {
	if err := key.check(); err != nil {
		return nil, err
	}
	entries := make([]*dancoEntry, key.MaxDim)
	if c != nil {
		c.mu.Lock()
		if c.entries == nil {
			c.entries = make(map[dancoDimKey]*dancoEntry)
		}
		for d := 1; d <= key.MaxDim; d++ {
			dk := dancoDimKey{key.N, key.K, d, key.Seed}
			e := c.entries[dk]
			if e == nil {
				e = &dancoEntry{}
				c.entries[dk] = e
			}
			entries[d-1] = e
		}
		c.mu.Unlock()
	} else {
		for d := range entries {
			entries[d] = &dancoEntry{}
		}
	}
	// Largest dimensions first: they cost most.
	work := make(chan int, key.MaxDim)
	for d := key.MaxDim; d >= 1; d-- {
		work <- d
	}
	close(work)
	workers, release := parallel.Reserve(key.MaxDim)
	defer release()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				e := entries[d-1]
				e.once.Do(func() {
					e.stats, e.err = dancoBallStatistics(key.N, key.K, d, key.Seed)
				})
			}
		}()
	}
	wg.Wait()
	cal := &DANCoCalibration{N: key.N, K: key.K, Seed: key.Seed, Stats: make([]DANCoStatistics, key.MaxDim)}
	for d, e := range entries {
		if e.err != nil {
			return nil, fmt.Errorf("idest: DANCo calibration of dimension %d: %w", d+1, e.err)
		}
		cal.Stats[d] = e.stats
	}
	return cal, nil
}

// DANCoEstimate is the result of DANCo: Dim, the dimension d in 1…D whose
// calibration statistics minimise the divergence from the data's, KL that
// divergence, Divergences all D of them (Divergences[d−1]), and Data the
// statistics of the data.
type DANCoEstimate struct {
	Dim         int
	KL          float64
	Divergences []float64
	Data        DANCoStatistics
}

// DANCoFit returns the DANCo estimate of data given a calibration: the
// first d minimising DANCoDivergence(data, cal.Stats[d−1], cal.K), NaN
// divergences left out. It returns an error if the calibration was made for
// another number of points, has no dimension, or every divergence is NaN.
func DANCoFit(data DANCoStatistics, cal *DANCoCalibration) (DANCoEstimate, error) {
	if cal.N != data.N {
		return DANCoEstimate{}, fmt.Errorf("idest: DANCo calibration of %d points for data of %d points", cal.N, data.N)
	}
	if len(cal.Stats) == 0 {
		return DANCoEstimate{}, fmt.Errorf("idest: DANCo calibration has no dimension")
	}
	est := DANCoEstimate{KL: math.NaN(), Divergences: make([]float64, len(cal.Stats)), Data: data}
	for d, s := range cal.Stats {
		kl := DANCoDivergence(data, s, cal.K)
		est.Divergences[d] = kl
		if !math.IsNaN(kl) && (est.Dim == 0 || kl < est.KL) {
			est.Dim, est.KL = d+1, kl
		}
	}
	if est.Dim == 0 {
		return DANCoEstimate{}, fmt.Errorf("idest: every DANCo divergence is NaN (data statistics %+v)", data)
	}
	return est, nil
}

// DANCo estimates the intrinsic dimension of the rows of x (skdim.id.DANCo
// with fractal = False): the data's statistics with k neighbours and
// maximal dimension maxDim, compared with the calibration of
// DANCoKey{N: distinct rows, K: k, MaxDim: maxDim, Seed: seed}, taken from
// cache (nil: computed afresh). skdim's defaults are k = DefaultDANCoK and
// maxDim = the number of columns.
func DANCo(x mat.Matrix, k, maxDim int, seed uint64, cache *DANCoCache) (DANCoEstimate, error) {
	data, err := DANCoStats(x, k, maxDim)
	if err != nil {
		return DANCoEstimate{}, err
	}
	cal, err := cache.Calibration(DANCoKey{N: data.N, K: k, MaxDim: maxDim, Seed: seed})
	if err != nil {
		return DANCoEstimate{}, err
	}
	return DANCoFit(data, cal)
}

// dancoDigamma returns ψ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x up
// to x ≥ 10, then the asymptotic series ψ(x) ~ log x − 1/(2x) −
// Σ_{n=1}^{7} B_{2n}/(2n·x^{2n}) (DLMF 5.5.2, 5.11.2), whose truncation error
// there is below 1e-16.
func dancoDigamma(x float64) float64 {
	if !(x > 0) {
		return math.NaN()
	}
	var shift float64
	for ; x < 10; x++ {
		shift += 1 / x
	}
	w := 1 / (x * x)
	// B_{2n}/(2n) for n = 7…1, Horner in w.
	series := w * (1.0/12 + w*(-1.0/120+w*(1.0/252+w*(-1.0/240+w*(1.0/132+w*(-691.0/32760+w*(1.0/12)))))))
	return math.Log(x) - 0.5/x - series - shift
}

// besselI0Scaled returns e^{−x}·I₀(x) and besselI1Scaled e^{−x}·I₁(x), for
// x ≥ 0 (DLMF 10.25.2 power series up to x = 30, all terms positive; above,
// the asymptotic expansion DLMF 10.40.1, summed until a term is below 1e-17
// relative or the terms stop decreasing).
func besselI0Scaled(x float64) float64 { return besselIScaled(0, x) }

func besselI1Scaled(x float64) float64 { return besselIScaled(1, x) }

func besselIScaled(nu int, x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return math.NaN()
	case math.IsInf(x, 1):
		return 0
	case x <= 30:
		half := x / 2
		term := 1.0
		if nu == 1 {
			term = half
		}
		sum := term
		for m := 1; term > 1e-17*sum; m++ {
			term *= half * half / (float64(m) * float64(m+nu))
			sum += term
		}
		return sum * math.Exp(-x)
	default:
		mu := float64(4 * nu * nu)
		term, sum := 1.0, 1.0
		for m := 1; m < 200; m++ {
			next := -term * (mu - float64((2*m-1)*(2*m-1))) / (float64(m) * 8 * x)
			if math.Abs(next) >= math.Abs(term) || math.Abs(next) < 1e-17*math.Abs(sum) {
				break
			}
			term = next
			sum += term
		}
		return sum / math.Sqrt(2*math.Pi*x)
	}
}
