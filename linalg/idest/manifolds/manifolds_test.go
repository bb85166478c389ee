package manifolds

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg/idest"
)

// skdimTruth is skdim.datasets.BenchmarkManifolds._dict_truth: name,
// intrinsic dimension, number of variables, in skdim's order.
var skdimTruth = []struct {
	name string
	d, D int
}{
	{"M1_Sphere", 10, 11}, {"M2_Affine_3to5", 3, 5}, {"M3_Nonlinear_4to6", 4, 6},
	{"M4_Nonlinear", 4, 8}, {"M5a_Helix1d", 1, 3}, {"M5b_Helix2d", 2, 3},
	{"M6_Nonlinear", 6, 36}, {"M7_Roll", 2, 3}, {"M8_Nonlinear", 12, 72},
	{"M9_Affine", 20, 20}, {"M10a_Cubic", 10, 11}, {"M10b_Cubic", 17, 18},
	{"M10c_Cubic", 24, 25}, {"M10d_Cubic", 70, 71}, {"M11_Moebius", 2, 3},
	{"M12_Norm", 20, 20}, {"M13a_Scurve", 2, 3}, {"M13b_Spiral", 1, 13},
	{"Mbeta", 10, 40}, {"Mn1_Nonlinear", 18, 72}, {"Mn2_Nonlinear", 24, 96},
	{"Mp1_Paraboloid", 3, 12}, {"Mp2_Paraboloid", 6, 21}, {"Mp3_Paraboloid", 9, 30},
}

func TestSuiteMatchesSkdim(t *testing.T) {
	all := All()
	if len(all) != len(skdimTruth) {
		t.Fatalf("%d manifolds, skdim has %d", len(all), len(skdimTruth))
	}
	for i, want := range skdimTruth {
		m := all[i]
		if m.Name != want.name || m.Dim != want.d || m.Ambient != want.D {
			t.Errorf("manifold %d is %s (%d in R^%d), skdim's %s (%d in R^%d)", i, m.Name, m.Dim, m.Ambient, want.name, want.d, want.D)
			continue
		}
		x, err := m.Sample(97, 5)
		if err != nil {
			t.Fatal(err)
		}
		if r, c := x.Dims(); r != 97 || c != want.D {
			t.Errorf("%s: sample %d×%d, want 97×%d", m.Name, r, c, want.D)
		}
		for _, v := range x.RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: non-finite coordinate %v", m.Name, v)
				break
			}
		}
	}
	if _, err := ByName("M14_Torus"); err == nil || !strings.Contains(err.Error(), "M1_Sphere") {
		t.Errorf("unknown name: error %v, want one naming the valid names", err)
	}
	if _, err := Generate("M1_Sphere", 0, 1); err == nil {
		t.Error("n = 0: no error")
	}
}

func TestSamplesAreSeededAndPrefixStable(t *testing.T) {
	for _, m := range All() {
		a, _ := m.Sample(120, 9)
		b, _ := Generate(m.Name, 120, 9)
		c, _ := m.Sample(120, 10)
		if !mat.Equal(a, b) {
			t.Errorf("%s: two samples of (120, seed 9) differ", m.Name)
		}
		if mat.Equal(a, c) {
			t.Errorf("%s: seeds 9 and 10 give the same sample", m.Name)
		}
		if strings.HasPrefix(m.Name, "M10") || m.Name == "M5a_Helix1d" {
			continue // faces allotted in proportion to n; t offset by 2π/n
		}
		p, _ := m.Sample(70, 9)
		if !mat.Equal(p, a.Slice(0, 70, 0, m.Ambient)) {
			t.Errorf("%s: the sample of 70 points is not the first 70 of 120", m.Name)
		}
	}
	// Different manifolds of the same family draw from different streams.
	a, _ := Generate("Mp1_Paraboloid", 10, 1)
	b, _ := Generate("Mp2_Paraboloid", 10, 1)
	if a.At(0, 0) == b.At(0, 0) {
		t.Error("Mp1 and Mp2 share their stream")
	}
}

func sample(t *testing.T, name string, n int) *mat.Dense {
	t.Helper()
	x, err := Generate(name, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// angleDiff returns a − b reduced to (−π, π].
func angleDiff(a, b float64) float64 {
	r := math.Remainder(a-b, 2*math.Pi)
	if r <= -math.Pi {
		r += 2 * math.Pi
	}
	return r
}

// check reports the first row failing ok.
func check(t *testing.T, name string, x *mat.Dense, what string, ok func(row []float64) bool) {
	t.Helper()
	n, _ := x.Dims()
	for i := 0; i < n; i++ {
		if !ok(x.RawRowView(i)) {
			t.Errorf("%s: row %d %v: %s fails", name, i, x.RawRowView(i), what)
			return
		}
	}
}

func zeroFrom(row []float64, c int) bool {
	for _, v := range row[c:] {
		if v != 0 {
			return false
		}
	}
	return true
}

func repeats(row []float64, block int) bool {
	for c := block; c < len(row); c++ {
		if row[c] != row[c-block] {
			return false
		}
	}
	return true
}

func TestPointsLieOnManifolds(t *testing.T) {
	const n, eps = 500, 1e-9
	check(t, "M1_Sphere", sample(t, "M1_Sphere", n), "‖x‖ = 1", func(r []float64) bool {
		var ss float64
		for _, v := range r {
			ss += v * v
		}
		return math.Abs(ss-1) < eps
	})

	// M2: x − b = A·p with p ∈ [0, 4]³; the centred sample has rank 3.
	x := sample(t, "M2_Affine_3to5", n)
	a := mat.NewDense(5, 3, nil)
	for i, row := range affine3to5Map {
		a.SetRow(i, row[:])
	}
	var qr mat.QR
	qr.Factorize(a)
	check(t, "M2_Affine_3to5", x, "x = A·p + b, p ∈ [0, 4]³", func(r []float64) bool {
		y := mat.NewVecDense(5, nil)
		for i := range r {
			y.SetVec(i, r[i]-affine3to5Shift[i])
		}
		var p, fit mat.VecDense
		if err := qr.SolveVecTo(&p, false, y); err != nil {
			return false
		}
		fit.MulVec(a, &p)
		fit.SubVec(&fit, y)
		for i := 0; i < 3; i++ {
			if p.AtVec(i) < -eps || p.AtVec(i) > 4+eps {
				return false
			}
		}
		return mat.Norm(&fit, 2) < eps
	})
	if sv := centredSingularValues(x); sv[3] > 1e-12*sv[0] || sv[2] < 1e-3*sv[0] {
		t.Errorf("M2: singular values of the centred sample %v, want rank 3", sv)
	}

	// M4, M6, M8: pair i is p_{i+1}·(cos 2πpᵢ, sin 2πpᵢ), blocks of 2d repeated.
	for _, name := range []string{"M4_Nonlinear", "M6_Nonlinear", "M8_Nonlinear"} {
		m, _ := ByName(name)
		d := m.Dim
		check(t, name, sample(t, name, n), "radius of pair i−1 = angle of pair i / 2π, blocks repeat", func(r []float64) bool {
			for i := 0; i < d; i++ {
				prev := (i + d - 1) % d
				radius := math.Hypot(r[2*prev], r[2*prev+1])
				angle := math.Atan2(r[2*i+1], r[2*i])
				if angle < 0 {
					angle += 2 * math.Pi
				}
				// p near 0 or 1 wraps the angle; compare on the circle.
				if math.Abs(angleDiff(2*math.Pi*radius, angle)) > 1e-7 {
					return false
				}
			}
			return repeats(r, 2*d)
		})
	}

	check(t, "M5a_Helix1d", sample(t, "M5a_Helix1d", n), "(ρ − 2, z) = (cos 8t, sin 8t), t = atan2(y, x)", func(r []float64) bool {
		tt := math.Atan2(r[1], r[0])
		return math.Abs(math.Hypot(r[0], r[1])-2-math.Cos(8*tt)) < eps && math.Abs(r[2]-math.Sin(8*tt)) < eps
	})
	check(t, "M5b_Helix2d", sample(t, "M5b_Helix2d", n), "atan2(y, x) ≡ 2z, radius ≤ 10π, z ∈ [0, 5π]", func(r []float64) bool {
		return math.Abs(angleDiff(math.Atan2(r[1], r[0]), 2*r[2])) < 1e-7 &&
			math.Hypot(r[0], r[1]) <= 10*math.Pi && r[2] >= 0 && r[2] <= 5*math.Pi
	})
	check(t, "M7_Roll", sample(t, "M7_Roll", n), "t = ‖(x, z)‖ ∈ [1.5π, 4.5π], atan2(z, x) ≡ t, y ∈ [0, 21]", func(r []float64) bool {
		tt := math.Hypot(r[0], r[2])
		return tt >= 1.5*math.Pi-eps && tt <= 4.5*math.Pi+eps && math.Abs(angleDiff(math.Atan2(r[2], r[0]), tt)) < 1e-7 &&
			r[1] >= 0 && r[1] <= 21
	})
	check(t, "M9_Affine", sample(t, "M9_Affine", n), "x ∈ [−2.5, 2.5]²⁰", func(r []float64) bool {
		for _, v := range r {
			if v < -2.5 || v > 2.5 {
				return false
			}
		}
		return true
	})
	for _, name := range []string{"M10a_Cubic", "M10b_Cubic", "M10c_Cubic", "M10d_Cubic"} {
		m, _ := ByName(name)
		x := sample(t, name, n)
		faces := make(map[[2]int]int)
		check(t, name, x, "on a face of [0, 1]^{d+1}", func(r []float64) bool {
			onFace := -1
			for j, v := range r[:m.Dim+1] {
				if v < 0 || v > 1 {
					return false
				}
				if v == 0 || v == 1 {
					onFace = j
					faces[[2]int{j, int(v)}]++
				}
			}
			return onFace >= 0 && zeroFrom(r, m.Dim+1)
		})
		if per := n/(2*(m.Dim+1)) + 1; faces[[2]int{0, 0}] != per || faces[[2]int{0, 1}] != per {
			t.Errorf("%s: %d and %d points on the first faces, want %d each", name, faces[[2]int{0, 0}], faces[[2]int{0, 1}], per)
		}
	}
	check(t, "M11_Moebius", sample(t, "M11_Moebius", n), "(ρ − 1, z) ∥ (cos 5φ, sin 5φ), |s| ≤ 1", func(r []float64) bool {
		phi := math.Atan2(r[1], r[0])
		u := math.Hypot(r[0], r[1]) - 1
		return math.Abs(u*math.Sin(5*phi)-r[2]*math.Cos(5*phi)) < eps && math.Hypot(u, r[2]) <= 0.5+eps
	})
	check(t, "M13a_Scurve", sample(t, "M13a_Scurve", n), "x² + (1 − |z|)² = 1, y ∈ [0, 2]", func(r []float64) bool {
		return math.Abs(r[0]*r[0]+(1-math.Abs(r[2]))*(1-math.Abs(r[2]))-1) < eps && r[1] >= 0 && r[1] <= 2
	})
	check(t, "M13b_Spiral", sample(t, "M13b_Spiral", n), "‖(x, y)‖ = 100, atan2(y, x) ≡ z ∈ [0, 10π], zeros after", func(r []float64) bool {
		return math.Abs(math.Hypot(r[0], r[1])-100) < eps && math.Abs(angleDiff(math.Atan2(r[1], r[0]), r[2])) < 1e-7 &&
			r[2] >= 0 && r[2] <= 10*math.Pi && zeroFrom(r, 3)
	})
	check(t, "Mbeta", sample(t, "Mbeta", n), "|coordinates| ≤ 1, blocks of 20 repeat", func(r []float64) bool {
		for _, v := range r {
			if math.Abs(v) > 1 {
				return false
			}
		}
		return repeats(r, 20)
	})
	for _, name := range []string{"Mn1_Nonlinear", "Mn2_Nonlinear"} {
		m, _ := ByName(name)
		check(t, name, sample(t, name, n), "tan block in [0, tan 1], arctan block in [0, atan(sin 1)], blocks repeat", func(r []float64) bool {
			for i := 0; i < m.Dim; i++ {
				if r[i] < 0 || r[i] > math.Tan(1) || r[m.Dim+i] < 0 || r[m.Dim+i] > math.Atan(math.Sin(1)) {
					return false
				}
			}
			return repeats(r, 2*m.Dim)
		})
	}
	for _, name := range []string{"Mp1_Paraboloid", "Mp2_Paraboloid", "Mp3_Paraboloid"} {
		m, _ := ByName(name)
		d := m.Dim
		check(t, name, sample(t, name, n), "y ∈ (0, 1)^d, y_{d+1} = Σyᵢ², then sin y and y²", func(r []float64) bool {
			var ss float64
			for i := 0; i < d; i++ {
				if r[i] <= 0 || r[i] >= 1 {
					return false
				}
				ss += r[i] * r[i]
			}
			if math.Abs(r[d]-ss) > eps {
				return false
			}
			for i := 0; i <= d; i++ {
				if r[d+1+i] != math.Sin(r[i]) || r[2*(d+1)+i] != r[i]*r[i] {
					return false
				}
			}
			return true
		})
	}

	// M12: a standard Gaussian in R²⁰ (moments of 2000 points).
	x = sample(t, "M12_Norm", 2000)
	for j := 0; j < 20; j++ {
		col := mat.Col(nil, j, x)
		var s, ss float64
		for _, v := range col {
			s += v
			ss += v * v
		}
		mean, variance := s/2000, ss/2000-(s/2000)*(s/2000)
		if math.Abs(mean) > 0.1 || math.Abs(variance-1) > 0.1 {
			t.Errorf("M12 column %d: mean %.3f, variance %.3f", j, mean, variance)
		}
	}
	// Mbeta: with x ~ Beta(10, 0.5), E[x sin(cos 2πx)] = 0.74044 and its sd is
	// 0.1909 (SciPy quadrature), so the mean of 4000 is within 0.015 (5 se).
	x = sample(t, "Mbeta", 4000)
	var s float64
	for _, v := range mat.Col(nil, 0, x) {
		s += v
	}
	if mean := s / 4000; math.Abs(mean-0.74044) > 0.015 {
		t.Errorf("Mbeta first coordinate mean %.4f, want 0.7404 ± 0.015", mean)
	}
}

func centredSingularValues(x *mat.Dense) []float64 {
	n, D := x.Dims()
	c := mat.DenseCopyOf(x)
	for j := 0; j < D; j++ {
		var s float64
		for i := 0; i < n; i++ {
			s += c.At(i, j)
		}
		for i := 0; i < n; i++ {
			c.Set(i, j, c.At(i, j)-s/float64(n))
		}
	}
	var svd mat.SVD
	svd.Factorize(c, mat.SVDNone)
	return svd.Values(nil)
}

// knownBias lists the manifolds of dimension ≤ 10 on which an estimator is
// biased by more than 10 % at n = 2500, with the band it lands in (as a
// fraction of d) and the reason. Everything else must be within 10 % of d.
var knownBias = map[string]struct {
	lo, hi float64
	why    string
}{
	"M5b_Helix2d/MLE":      {1.2, 1.6, "the helicoid's sheets are π apart, so k = 20 neighbourhoods span two sheets (GeoMLE's MLE: 2.77 at n = 1000)"},
	"M13b_Spiral/MLE":      {1.4, 2.0, "turns of radius 100 are 2π apart, closer than 20 neighbours along the curve (GeoMLE's MLE: 1.71–1.76)"},
	"M6_Nonlinear/MLE":     {1.05, 1.2, "curvature inflates MLE (GeoMLE's MLE: 6.88 at n = 1000)"},
	"M1_Sphere/TwoNN":      {0.85, 0.95, "TwoNN underestimates a 10-sphere at this n"},
	"Mbeta/MLE":            {0.55, 0.8, "the Beta(10, 0.5) density piles points near the boundary: a hard case by design"},
	"Mbeta/TwoNN":          {0.55, 0.8, "the Beta(10, 0.5) density piles points near the boundary: a hard case by design"},
	"Mp2_Paraboloid/MLE":   {0.75, 0.95, "the Burr density and the paraboloid's curvature (GeoMLE's MLE: 4.26 at n = 1000)"},
	"Mp2_Paraboloid/TwoNN": {0.75, 0.95, "the Burr density and the paraboloid's curvature"},
	"Mp3_Paraboloid/MLE":   {0.6, 0.9, "the Burr density and the paraboloid's curvature (GeoMLE's MLE: 4.86 at n = 1000)"},
	"Mp3_Paraboloid/TwoNN": {0.6, 0.9, "the Burr density and the paraboloid's curvature"},
}

// TestEstimatorsOnSuite runs Levina–Bickel MLE (k = 20, k−1) and TwoNN on
// every manifold of dimension ≤ 10 at n = 2500.
func TestEstimatorsOnSuite(t *testing.T) {
	for _, m := range All() {
		if m.Dim > 10 {
			continue
		}
		x, err := m.Sample(2500, 1)
		if err != nil {
			t.Fatal(err)
		}
		mle, err := idest.MLE(x, 20, idest.KMinus1)
		if err != nil {
			t.Fatal(err)
		}
		twoNN, err := idest.TwoNN(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []struct {
			estimator string
			value     float64
		}{{"MLE", mle.Value}, {"TwoNN", twoNN.Value}} {
			ratio := e.value / float64(m.Dim)
			lo, hi, why := 0.9, 1.1, ""
			if b, ok := knownBias[m.Name+"/"+e.estimator]; ok {
				lo, hi, why = b.lo, b.hi, b.why
			}
			if ratio < lo || ratio > hi {
				t.Errorf("%s: %s %.3f = %.2f·d, want [%.2f, %.2f]·d %s", m.Name, e.estimator, e.value, ratio, lo, hi, why)
			}
		}
		t.Logf("%-18s d = %2d  MLE %6.3f  TwoNN %6.3f", m.Name, m.Dim, mle.Value, twoNN.Value)
	}
}
