// Package manifolds generates the standard benchmark suite of synthetic
// manifolds with known intrinsic dimension (Hein & Audibert 2005, "Intrinsic
// dimensionality estimation of submanifolds in R^d", ICML; Campadelli,
// Casiraghi, Ceruti & Rozza 2015, "Intrinsic dimension estimation: relevant
// techniques and a benchmark framework", Math. Probl. Eng. 759567), as
// scikit-dimension's datasets.BenchmarkManifolds lists them: the same 24
// names, intrinsic and embedding dimensions and formulas, drawn from lowdim's
// own seeded random streams (not NumPy's, so the points differ from skdim's
// while following the same distributions).
//
// Every sample is a function of (name, n, seed) only: the stream is a PCG
// seeded with linalg.DeriveSeed(seed, FNV-1a(name)), and points are drawn
// one after another, so the first m rows of a sample of n ≥ m points are the
// sample of m points (except the M10 cubes, whose points are allotted to the
// faces in proportion to n, and M5a, whose parameter is offset by 2π/n, both
// as skdim does).
package manifolds

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lowdim/lowdim/linalg"
)

// pcgStream is the second PCG seed word of every sample ("mfolds" in ASCII).
const pcgStream = 0x6d666f6c6473

// Manifold is one benchmark data set: a Dim-dimensional manifold sampled in
// R^Ambient.
type Manifold struct {
	Name        string // skdim's key, e.g. "M1_Sphere"
	Dim         int    // intrinsic dimension d
	Ambient     int    // embedding dimension D (columns of a sample)
	Description string
	// point writes one point (Ambient values) drawn with rng into row; i and
	// n are the index of the point and the sample size (used by M10 only).
	point func(rng *rand.Rand, i, n int, row []float64)
}

// Sample returns n points of m as an n×Ambient matrix (row-major), drawn from
// the stream of (m.Name, seed). It returns an error if n < 1.
func (m Manifold) Sample(n int, seed uint64) (*mat.Dense, error) {
	if n < 1 {
		return nil, fmt.Errorf("manifolds: %s with %d points: want n ≥ 1", m.Name, n)
	}
	h := fnv.New64a()
	h.Write([]byte(m.Name))
	rng := rand.New(rand.NewPCG(linalg.DeriveSeed(seed, h.Sum64()), pcgStream))
	data := make([]float64, n*m.Ambient)
	for i := 0; i < n; i++ {
		m.point(rng, i, n, data[i*m.Ambient:(i+1)*m.Ambient])
	}
	return mat.NewDense(n, m.Ambient, data), nil
}

// Generate is the sample of n points of the manifold called name.
func Generate(name string, n int, seed uint64) (*mat.Dense, error) {
	m, err := ByName(name)
	if err != nil {
		return nil, err
	}
	return m.Sample(n, seed)
}

// ByName returns the manifold called name, or an error naming the valid names.
func ByName(name string) (Manifold, error) {
	for _, m := range suite {
		if m.Name == name {
			return m, nil
		}
	}
	names := make([]string, len(suite))
	for i, m := range suite {
		names[i] = m.Name
	}
	return Manifold{}, fmt.Errorf("manifolds: unknown manifold %q: want one of %v", name, names)
}

// All returns the whole suite in skdim's order.
func All() []Manifold {
	return append([]Manifold(nil), suite...)
}

var suite = []Manifold{
	{"M1_Sphere", 10, 11, "10-sphere S¹⁰ ⊂ R¹¹, uniform", sphere(10)},
	{"M2_Affine_3to5", 3, 5, "affine 3-space in R⁵", affine3to5},
	{"M3_Nonlinear_4to6", 4, 6, "concentrated 4-manifold in R⁶, mistakable for a 3-dimensional one", nonlinear4to6},
	{"M4_Nonlinear", 4, 8, "nonlinear 4-manifold in R⁸", nonlinear(4, 8)},
	{"M5a_Helix1d", 1, 3, "helix curve on a torus", helix1d},
	{"M5b_Helix2d", 2, 3, "helicoid", helix2d},
	{"M6_Nonlinear", 6, 36, "nonlinear 6-manifold in R³⁶", nonlinear(6, 36)},
	{"M7_Roll", 2, 3, "Swiss roll", roll},
	{"M8_Nonlinear", 12, 72, "nonlinear (highly curved) 12-manifold in R⁷²", nonlinear(12, 72)},
	{"M9_Affine", 20, 20, "affine 20-space, uniform on [−2.5, 2.5]²⁰", affine20},
	{"M10a_Cubic", 10, 11, "boundary of the 11-cube (10-dimensional)", cubic(10)},
	{"M10b_Cubic", 17, 18, "boundary of the 18-cube (17-dimensional)", cubic(17)},
	{"M10c_Cubic", 24, 25, "boundary of the 25-cube (24-dimensional)", cubic(24)},
	{"M10d_Cubic", 70, 71, "boundary of the 71-cube (70-dimensional)", cubic(70)},
	{"M11_Moebius", 2, 3, "Möbius band, 10 times twisted", moebius},
	{"M12_Norm", 20, 20, "isotropic Gaussian in R²⁰", gaussian(20)},
	{"M13a_Scurve", 2, 3, "S-curve", scurve},
	{"M13b_Spiral", 1, 13, "helix curve of radius 100 in R¹³", spiral(13)},
	{"Mbeta", 10, 40, "10-manifold in R⁴⁰ with a smooth non-uniform (Beta(10, 0.5)) density", campadelliBeta(10)},
	{"Mn1_Nonlinear", 18, 72, "nonlinearly embedded 18-manifold in R⁷²", campadelliN(18)},
	{"Mn2_Nonlinear", 24, 96, "nonlinearly embedded 24-manifold in R⁹⁶", campadelliN(24)},
	{"Mp1_Paraboloid", 3, 12, "3-paraboloid in R¹², multivariate Burr (α = 1) density", paraboloid(3)},
	{"Mp2_Paraboloid", 6, 21, "6-paraboloid in R²¹, multivariate Burr (α = 1) density", paraboloid(6)},
	{"Mp3_Paraboloid", 9, 30, "9-paraboloid in R³⁰, multivariate Burr (α = 1) density", paraboloid(9)},
}

// sphere: x = g/‖g‖, g ~ N(0, I_{d+1}) (uniform on S^d ⊂ R^{d+1}).
func sphere(d int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, _, _ int, row []float64) {
		for {
			var ss float64
			for j := 0; j <= d; j++ {
				row[j] = rng.NormFloat64()
				ss += row[j] * row[j]
			}
			if ss == 0 {
				continue
			}
			norm := math.Sqrt(ss)
			for j := 0; j <= d; j++ {
				row[j] /= norm
			}
			return
		}
	}
}

// affine3to5Map and affine3to5Shift define M2: x = A·p + b, p ~ U[0, 4]³.
var (
	affine3to5Map = [5][3]float64{
		{1.2, -0.5, 0},
		{0.5, 0.9, 0},
		{-0.5, -0.2, 1},
		{0.4, -0.9, -0.1},
		{1.1, -0.3, 0},
	}
	affine3to5Shift = [5]float64{3, -1, 0, 0, 8}
)

func affine3to5(rng *rand.Rand, _, _ int, row []float64) {
	var p [3]float64
	for j := range p {
		p[j] = 4 * rng.Float64()
	}
	for i, a := range affine3to5Map {
		row[i] = a[0]*p[0] + a[1]*p[1] + a[2]*p[2] + affine3to5Shift[i]
	}
}

// nonlinear4to6 is M3: p ~ U[0, 1]⁴ mapped to
// (p₁² cos 2πp₀, p₂² sin 2πp₀, p₁ + p₂ + (p₁ − p₃)², p₁ − 2p₂ + (p₀ − p₃)²,
// −p₁ − 2p₂ + (p₂ − p₃)², p₀² − p₁² + p₂² − p₃²).
func nonlinear4to6(rng *rand.Rand, _, _ int, row []float64) {
	p0, p1, p2, p3 := rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()
	row[0] = p1 * p1 * math.Cos(2*math.Pi*p0)
	row[1] = p2 * p2 * math.Sin(2*math.Pi*p0)
	row[2] = p1 + p2 + (p1-p3)*(p1-p3)
	row[3] = p1 - 2*p2 + (p0-p3)*(p0-p3)
	row[4] = -p1 - 2*p2 + (p2-p3)*(p2-p3)
	row[5] = p0*p0 - p1*p1 + p2*p2 - p3*p3
}

// nonlinear is M4, M6, M8 (Hein & Audibert 2005): p ~ U[0, 1]^d, the 2d
// coordinates (p_{i+1} cos 2πpᵢ, p_{i+1} sin 2πpᵢ), i = 0…d−1 with
// p_d = p₀, repeated D/(2d) times.
func nonlinear(d, D int) func(*rand.Rand, int, int, []float64) {
	if D%(2*d) != 0 {
		panic(fmt.Sprintf("manifolds: nonlinear %d-manifold in R^%d: D must be a multiple of 2d", d, D))
	}
	return func(rng *rand.Rand, _, _ int, row []float64) {
		p := make([]float64, d)
		for i := range p {
			p[i] = rng.Float64()
		}
		for i := 0; i < d; i++ {
			r := p[(i+1)%d]
			row[2*i] = r * math.Cos(2*math.Pi*p[i])
			row[2*i+1] = r * math.Sin(2*math.Pi*p[i])
		}
		for c := 2 * d; c < D; c += 2 * d {
			copy(row[c:c+2*d], row[:2*d])
		}
	}
}

// helix1d is M5a: t ~ U(2π/n, 2π + 2π/n), x = ((2 + cos 8t) cos t,
// (2 + cos 8t) sin t, sin 8t), a curve winding 8 times round a torus.
func helix1d(rng *rand.Rand, _, n int, row []float64) {
	t := 2*math.Pi/float64(n) + 2*math.Pi*rng.Float64()
	row[0] = (2 + math.Cos(8*t)) * math.Cos(t)
	row[1] = (2 + math.Cos(8*t)) * math.Sin(t)
	row[2] = math.Sin(8 * t)
}

// helix2d is M5b: r, p ~ U[0, 10π], x = (r cos p, r sin p, p/2), a helicoid.
func helix2d(rng *rand.Rand, _, _ int, row []float64) {
	r := 10 * math.Pi * rng.Float64()
	p := 10 * math.Pi * rng.Float64()
	row[0] = r * math.Cos(p)
	row[1] = r * math.Sin(p)
	row[2] = 0.5 * p
}

// roll is M7: t ~ U[1.5π, 4.5π], h ~ U[0, 21], x = (t cos t, h, t sin t).
func roll(rng *rand.Rand, _, _ int, row []float64) {
	t := 1.5 * math.Pi * (1 + 2*rng.Float64())
	h := 21 * rng.Float64()
	row[0] = t * math.Cos(t)
	row[1] = h
	row[2] = t * math.Sin(t)
}

// affine20 is M9: uniform on [−2.5, 2.5]²⁰.
func affine20(rng *rand.Rand, _, _ int, row []float64) {
	for j := range row {
		row[j] = 5*rng.Float64() - 2.5
	}
}

// cubic is M10: the boundary of the unit (d+1)-cube. As in skdim, point i
// lies on face ⌊i/m⌋ of the 2(d+1) faces {x_j = 0}, {x_j = 1}
// (j = 0, 0, 1, 1, …), m = ⌊n/(2(d+1))⌋ + 1 points a face (the last faces
// get fewer), its other coordinates uniform on [0, 1].
func cubic(d int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, i, n int, row []float64) {
		perFace := n/(2*(d+1)) + 1
		face := i / perFace
		for j := 0; j <= d; j++ {
			row[j] = rng.Float64()
		}
		row[face/2] = float64(face % 2)
	}
}

// moebius is M11: φ ~ U[0, 2π], s ~ U[−1, 1],
// x = ((1 + s/2 cos 5φ) cos φ, (1 + s/2 cos 5φ) sin φ, s/2 sin 5φ).
func moebius(rng *rand.Rand, _, _ int, row []float64) {
	phi := 2 * math.Pi * rng.Float64()
	s := 2*rng.Float64() - 1
	row[0] = (1 + 0.5*s*math.Cos(5*phi)) * math.Cos(phi)
	row[1] = (1 + 0.5*s*math.Cos(5*phi)) * math.Sin(phi)
	row[2] = 0.5 * s * math.Sin(5*phi)
}

// gaussian is M12: N(0, I_d).
func gaussian(d int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, _, _ int, row []float64) {
		for j := 0; j < d; j++ {
			row[j] = rng.NormFloat64()
		}
	}
}

// scurve is M13a: t ~ U[−3π/2, 3π/2], h ~ U[0, 2],
// x = (sin t, h, sign(t)(cos t − 1)).
func scurve(rng *rand.Rand, _, _ int, row []float64) {
	t := 3 * math.Pi * (rng.Float64() - 0.5)
	row[0] = math.Sin(t)
	row[1] = 2 * rng.Float64()
	var sign float64
	switch {
	case t > 0:
		sign = 1
	case t < 0:
		sign = -1
	}
	row[2] = sign * (math.Cos(t) - 1)
}

// spiral is M13b: t ~ U[0, 10π], x = (100 cos t, 100 sin t, t, 0, …, 0).
func spiral(D int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, _, _ int, row []float64) {
		t := 10 * math.Pi * rng.Float64()
		row[0] = 100 * math.Cos(t)
		row[1] = 100 * math.Sin(t)
		row[2] = t
	}
}

// campadelliBeta is Mβ (Campadelli et al. 2015): xᵢ ~ Beta(10, 0.5),
// i = 1…d, mapped to (xᵢ sin(cos 2πxᵢ))ᵢ, (xᵢ cos(sin 2πxᵢ))ᵢ, repeated twice.
func campadelliBeta(d int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, _, _ int, row []float64) {
		beta := distuv.Beta{Alpha: 10, Beta: 0.5, Src: rng}
		for i := 0; i < d; i++ {
			x := beta.Rand()
			row[i] = x * math.Sin(math.Cos(2*math.Pi*x))
			row[d+i] = x * math.Cos(math.Sin(2*math.Pi*x))
		}
		copy(row[2*d:], row[:2*d])
	}
}

// campadelliN is Mn1, Mn2 (Campadelli et al. 2015): x ~ U[0, 1]^d mapped to
// (tan(xᵢ cos x_{d−1−i}))ᵢ, (arctan(x_{d−1−i} sin xᵢ))ᵢ, repeated twice.
func campadelliN(d int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, _, _ int, row []float64) {
		x := make([]float64, d)
		for i := range x {
			x[i] = rng.Float64()
		}
		for i := 0; i < d; i++ {
			row[i] = math.Tan(x[i] * math.Cos(x[d-1-i]))
			row[d+i] = math.Atan(x[d-1-i] * math.Sin(x[i]))
		}
		copy(row[2*d:], row[:2*d])
	}
}

// paraboloid is Mp1–Mp3 (Campadelli et al. 2015): e₀, …, e_d ~ Exp(1),
// yᵢ = 1/(1 + eᵢ/e₀) (a multivariate Burr sample, α = 1), y_{d+1} = Σ yᵢ²
// (the paraboloid), mapped to (y, sin y, y²) in R^{3(d+1)}.
func paraboloid(d int) func(*rand.Rand, int, int, []float64) {
	return func(rng *rand.Rand, _, _ int, row []float64) {
		e0 := rng.ExpFloat64()
		var ss float64
		for i := 0; i < d; i++ {
			y := 1 / (1 + rng.ExpFloat64()/e0)
			row[i] = y
			ss += y * y
		}
		row[d] = ss
		for i := 0; i <= d; i++ {
			row[d+1+i] = math.Sin(row[i])
			row[2*(d+1)+i] = row[i] * row[i]
		}
	}
}
