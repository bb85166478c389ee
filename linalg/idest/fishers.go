package idest

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// FisherS estimates the intrinsic dimension from the Fisher separability of
// the points (Albergante, Bac & Zinovyev 2019, "Estimating the effective
// dimension of large biological datasets using Fisher separability
// analysis", IJCNN; Gorban & Tyukin 2018), as scikit-dimension's FisherS
// does with its defaults:
//
//  1. centre the rows and keep the principal components whose variance
//     λᵢ > λ₁/ConditionalNumber;
//  2. whiten (divide each kept score column by its standard deviation,
//     divisor n−1) and project every point on the unit sphere;
//  3. for each α of Alphas, the inseparability pᵢ(α) of point i is the
//     fraction of points j ≠ i with (xᵢ·xⱼ)/(xᵢ·xᵢ) ≥ α, counted over
//     n (the point itself included in the divisor, as scikit-dimension);
//  4. with p̄(α) the mean of pᵢ(α), the dimension n(α) solves the
//     inseparability probability of the uniform n-sphere,
//     p̄ = (1−α²)^((n−1)/2) / (α√(2πn)) (Gorban & Tyukin 2018), i.e.
//     n(α) = W₀(−ln(1−α²) / (2π p̄² α² (1−α²))) / −ln(1−α²) (W₀ the
//     principal Lambert W), NaN where p̄(α) = 0 or n(α) is infinite;
//  5. the estimate is n(α*) for α* the α closest to 0.9·α_max, α_max the
//     largest α of finite n(α) (the largest n(α*) on a tie).
//
// Rows are used as given (duplicates are not dropped: a duplicate is an
// inseparable pair, as the method has it). Cost O(n²·r) for r kept
// components, O(n·|Alphas|) memory.
type FisherS struct {
	ConditionalNumber float64
	Alphas            []float64
}

// DefaultFisherS is scikit-dimension's FisherS default: conditional number
// 10 and α = 0.6, 0.62, …, 0.98.
func DefaultFisherS() FisherS {
	a := make([]float64, 20)
	for i := range a {
		a[i] = 0.6 + 0.02*float64(i)
	}
	return FisherS{ConditionalNumber: 10, Alphas: a}
}

// FisherSResult is a FisherS estimate with its profile over α.
type FisherSResult struct {
	// Dimension is n(α*), NaN if every point is separable for every α.
	Dimension float64
	// Alpha is α*.
	Alpha float64
	// Profile is n(α) for each α of Alphas (NaN where undefined).
	Profile []float64
	// Inseparability is p̄(α), the mean over points of pᵢ(α).
	Inseparability []float64
	// SeparableFraction is the fraction of points with pᵢ(α) = 0.
	SeparableFraction []float64
	// Components is the number of principal components kept.
	Components int
	// N is the number of rows.
	N int
}

// Estimate returns the estimate of x's rows, computed by workers goroutines
// (0 means parallel.Workers(), --cores) over blocks of rows; the result does not depend on
// workers. It returns an error for fewer than 2 rows or columns, a NaN or
// infinite entry, a conditional number ≤ 1, alphas not increasing in (0, 1),
// constant rows, or a failed eigendecomposition.
func (f FisherS) Estimate(x mat.Matrix, workers int) (FisherSResult, error) {
	n, d := x.Dims()
	if n < 2 || d < 2 {
		return FisherSResult{}, fmt.Errorf("idest: FisherS of %d×%d rows: want at least 2×2", n, d)
	}
	if !(f.ConditionalNumber > 1) {
		return FisherSResult{}, fmt.Errorf("idest: FisherS conditional number %v: want > 1", f.ConditionalNumber)
	}
	if len(f.Alphas) == 0 {
		return FisherSResult{}, fmt.Errorf("idest: FisherS without alphas")
	}
	for i, a := range f.Alphas {
		if !(a > 0 && a < 1) || (i > 0 && !(a > f.Alphas[i-1])) {
			return FisherSResult{}, fmt.Errorf("idest: FisherS alphas %v: want increasing in (0, 1)", f.Alphas)
		}
	}
	w, err := workerCount(workers)
	if err != nil {
		return FisherSResult{}, err
	}
	xd := mat.DenseCopyOf(x)
	for _, v := range xd.RawMatrix().Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return FisherSResult{}, fmt.Errorf("idest: FisherS: entry %v", v)
		}
	}
	z, err := f.sphere(xd)
	if err != nil {
		return FisherSResult{}, err
	}
	_, r := z.Dims()
	res := FisherSResult{N: n, Components: r}
	counts := f.inseparableCounts(z, w)
	na := len(f.Alphas)
	res.Profile = make([]float64, na)
	res.Inseparability = make([]float64, na)
	res.SeparableFraction = make([]float64, na)
	for m, a := range f.Alphas {
		var sum float64
		separable := 0
		for i := 0; i < n; i++ {
			c := counts[i*na+m]
			sum += float64(c) / float64(n)
			if c == 0 {
				separable++
			}
		}
		p := sum / float64(n)
		res.Inseparability[m] = p
		res.SeparableFraction[m] = float64(separable) / float64(n)
		res.Profile[m] = sphereDimension(p, a)
	}
	res.Dimension, res.Alpha = math.NaN(), math.NaN()
	alphaMax := math.Inf(-1)
	for m, v := range res.Profile {
		if !math.IsNaN(v) {
			alphaMax = max(alphaMax, f.Alphas[m])
		}
	}
	if math.IsInf(alphaMax, -1) {
		return res, nil
	}
	ref := 0.9 * alphaMax
	closest := math.Inf(1)
	for _, a := range f.Alphas {
		closest = min(closest, math.Abs(a-ref))
	}
	for m, v := range res.Profile {
		if !math.IsNaN(v) && math.Abs(f.Alphas[m]-ref) == closest && !(v <= res.Dimension) {
			res.Dimension, res.Alpha = v, f.Alphas[m]
		}
	}
	return res, nil
}

// sphere returns the whitened principal scores of the rows of x projected on
// the unit sphere (steps 1 and 2).
func (f FisherS) sphere(x *mat.Dense) (*mat.Dense, error) {
	n, d := x.Dims()
	c := centred(x)
	var cross mat.Dense
	linalg.MulTransTallSkinny(&cross, c, c)
	cov := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, cross.At(i, j)/float64(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("idest: FisherS: eigendecomposition failed")
	}
	lam := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	top := lam[d-1] // eigenvalues ascend
	if !(top > 0) {
		return nil, fmt.Errorf("idest: FisherS of constant rows")
	}
	var keep []int
	for i := d - 1; i >= 0; i-- {
		if lam[i]/top > 1/f.ConditionalNumber {
			keep = append(keep, i)
		}
	}
	basis := mat.NewDense(d, len(keep), nil)
	for col, i := range keep {
		for row := 0; row < d; row++ {
			basis.Set(row, col, vecs.At(row, i))
		}
	}
	var z mat.Dense
	linalg.MulTallSkinny(&z, c, basis)
	r := len(keep)
	for col := 0; col < r; col++ {
		var mean, ss float64
		for i := 0; i < n; i++ {
			mean += z.At(i, col)
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			v := z.At(i, col) - mean
			ss += v * v
		}
		sd := math.Sqrt(ss / float64(n-1))
		for i := 0; i < n; i++ {
			z.Set(i, col, z.At(i, col)/sd)
		}
	}
	for i := 0; i < n; i++ {
		row := z.RawRowView(i)
		var s float64
		for _, v := range row {
			s += v * v
		}
		norm := math.Sqrt(s)
		for j := range row {
			row[j] /= norm
		}
	}
	return &z, nil
}

// inseparableCounts returns, row-major n×|Alphas|, the number of points j ≠ i
// with (zᵢ·zⱼ)/(zᵢ·zᵢ) ≥ α for each point i and α (step 3).
func (f FisherS) inseparableCounts(z *mat.Dense, workers int) []int32 {
	n, _ := z.Dims()
	na := len(f.Alphas)
	counts := make([]int32, n*na)
	t := newGramTiler(z)
	scratch := make([]tileScratch, workers)
	lowest := f.Alphas[0]
	parallelBlocks(n, gramQueryRows, workers, func(i0, i1, w int) {
		b := i1 - i0
		for j0 := 0; j0 < n; j0 += gramTileRows {
			j1 := min(n, j0+gramTileRows)
			tile := t.tile(&scratch[w], i0, i1, j0, j1)
			for j := j0; j < j1; j++ {
				row := tile[(j-j0)*b : (j-j0+1)*b]
				for q, dot := range row {
					i := i0 + q
					v := dot / t.sq[i]
					if v < lowest || j == i {
						continue
					}
					// m alphas are ≤ v: count j in the histogram bin of
					// the largest; the cumulative sum below credits the rest.
					m, _ := slices.BinarySearch(f.Alphas, v)
					for m < na && f.Alphas[m] <= v {
						m++
					}
					counts[i*na+m-1]++
				}
			}
		}
		for i := i0; i < i1; i++ {
			c := counts[i*na : (i+1)*na]
			for a := na - 2; a >= 0; a-- {
				c[a] += c[a+1]
			}
		}
	})
	return counts
}

// sphereDimension solves p = (1−α²)^((n−1)/2) / (α√(2πn)) for n (step 4):
// n = W₀(−w / (2π p² α² (1−α²))) / −w with w = ln(1−α²). It is NaN for
// p = 0 and for an infinite solution.
func sphereDimension(p, alpha float64) float64 {
	if p == 0 {
		return math.NaN()
	}
	a2 := alpha * alpha
	w := math.Log(1 - a2)
	n := lambertW0(-(w / (2 * math.Pi * p * p * a2 * (1 - a2)))) / -w
	if math.IsInf(n, 0) {
		return math.NaN()
	}
	return n
}

// lambertW0 returns the principal branch of the Lambert W function, the
// solution w ≥ −1 of w·eʷ = x, for x ≥ −1/e (NaN below). Below x = 3 it
// runs Halley's iteration on w·eʷ − x (Corless et al. 1996, "On the Lambert
// W function", Adv. Comput. Math. 5, eq. (5.9)); above, Newton's iteration
// on w + ln w − ln x, which cannot overflow.
func lambertW0(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < -1/math.E:
		return math.NaN()
	case math.IsInf(x, 1):
		return x
	case x == 0:
		return 0
	}
	if x >= 3 {
		lx := math.Log(x)
		w := lx - math.Log(lx)
		for range 100 {
			step := (w + math.Log(w) - lx) * w / (w + 1)
			w -= step
			if math.Abs(step) <= 1e-16*w {
				break
			}
		}
		return w
	}
	w := math.Log1p(x)
	if x < -0.25 {
		w = -1 + math.Sqrt(2*(1+math.E*x)) // series at the branch point
	}
	for range 100 {
		ew := math.Exp(w)
		f := w*ew - x
		wp1 := w + 1
		if wp1 == 0 || f == 0 {
			break
		}
		step := f / (ew*wp1 - (w+2)*f/(2*wp1))
		w -= step
		if math.Abs(step) <= 1e-16*(1+math.Abs(w)) {
			break
		}
	}
	return w
}
