package idest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// dancoGolden mirrors testdata/idest_danco/golden.json, written by
// scripts/make_danco_goldens.py (NumPy/SciPy).
type dancoGolden struct {
	DANCo []struct {
		Name          string
		K             int
		MaxDim        int `json:"max_dim"`
		X             []float64
		Rows, Cols    int
		Rho, Nu, Tau  []float64
		MiNDMLi       int     `json:"mind_mli"`
		MiNDMLk       float64 `json:"mind_mlk"`
		MiNDMLkLBFGSB float64 `json:"mind_mlk_lbfgsb"`
		Stats         dancoGoldenStats
		Calibration   []dancoGoldenStats
		KL            []float64
		Dim           int
	}
	MiND []struct {
		Name       string
		K          int
		MaxDim     int `json:"max_dim"`
		X          []float64
		Rows, Cols int
		Rho        []float64
		MLi        int
		MLk        float64
		MLkLBFGSB  float64 `json:"mlk_lbfgsb"`
		LogLik     []float64
	}
	Special struct {
		Tau, I0e, I1e, X, Digamma []float64
	}
}

type dancoGoldenStats struct {
	Dim, Nu, Tau float64
	N            int
}

func (g dancoGoldenStats) statistics() DANCoStatistics {
	return DANCoStatistics{Dim: g.Dim, Nu: g.Nu, Tau: g.Tau, N: g.N}
}

func loadDANCoGolden(t *testing.T) dancoGolden {
	t.Helper()
	b, err := os.ReadFile("../../testdata/idest_danco/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g dancoGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.DANCo) == 0 || len(g.MiND) == 0 {
		t.Fatal("golden file has no cases")
	}
	return g
}

// dancoRelErr is |got − want| / max(1, |want|).
func dancoRelErr(got, want float64) float64 {
	return math.Abs(got-want) / max(1, math.Abs(want))
}

func TestDANCoMatchesNumPy(t *testing.T) {
	const tol = 1e-9
	for _, c := range loadDANCoGolden(t).DANCo {
		t.Run(c.Name, func(t *testing.T) {
			x := mat.NewDense(c.Rows, c.Cols, c.X)
			p, err := DANCoPointStatistics(x, c.K)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rho) != c.Rows {
				t.Fatalf("%d points, want %d", len(p.Rho), c.Rows)
			}
			var worst float64
			for i := range p.Rho {
				worst = max(worst, dancoRelErr(p.Rho[i], c.Rho[i]), dancoRelErr(p.Nu[i], c.Nu[i]), dancoRelErr(p.Tau[i], c.Tau[i]))
			}
			if worst > tol {
				t.Errorf("per-point ρ, ν, τ differ from NumPy by up to %.3g (relative)", worst)
			}
			pointWorst := worst
			stats, err := p.Pool(c.MaxDim)
			if err != nil {
				t.Fatal(err)
			}
			want := c.Stats.statistics()
			statWorst := max(dancoRelErr(stats.Dim, want.Dim), dancoRelErr(stats.Nu, want.Nu), dancoRelErr(stats.Tau, want.Tau))
			if statWorst > tol || stats.N != want.N {
				t.Errorf("data statistics %+v, NumPy %+v (difference %.3g)", stats, want, statWorst)
			}
			// MiND_MLi on the same ratios, and skdim's L-BFGS-B maximiser to its tolerance.
			mli, err := MiNDMLi(p.Rho, c.K, c.MaxDim)
			if err != nil || mli != c.MiNDMLi {
				t.Errorf("MiND_MLi = %d (%v), NumPy %d", mli, err, c.MiNDMLi)
			}
			if d := math.Abs(stats.Dim - c.MiNDMLkLBFGSB); d > 1e-5*stats.Dim {
				t.Errorf("d̂ = %.12g, skdim's L-BFGS-B %.12g", stats.Dim, c.MiNDMLkLBFGSB)
			}
			// Given the script's calibration statistics, the estimate is deterministic.
			cal := &DANCoCalibration{N: c.Rows, K: c.K}
			for _, s := range c.Calibration {
				cal.Stats = append(cal.Stats, s.statistics())
			}
			est, err := DANCoFit(want, cal)
			if err != nil {
				t.Fatal(err)
			}
			worst = 0
			for d, kl := range est.Divergences {
				worst = max(worst, dancoRelErr(kl, c.KL[d]))
			}
			if worst > tol {
				t.Errorf("divergences %v, NumPy %v (difference %.3g)", est.Divergences, c.KL, worst)
			}
			if est.Dim != c.Dim || est.KL != est.Divergences[c.Dim-1] {
				t.Errorf("DANCo dimension %d (KL %v), NumPy %d", est.Dim, est.KL, c.Dim)
			}
			t.Logf("d̂ %.12f ν̄ %.12f τ̄ %.12f, DANCo %d (NumPy %d); worst differences: per point %.2g, statistics %.2g, divergences %.2g",
				stats.Dim, stats.Nu, stats.Tau, est.Dim, c.Dim, pointWorst, statWorst, worst)
		})
	}
}

func TestSpecialFunctionsMatchSciPy(t *testing.T) {
	s := loadDANCoGolden(t).Special
	for i, x := range s.Tau {
		if got := besselI0Scaled(x); math.Abs(got-s.I0e[i]) > 1e-14*s.I0e[i] {
			t.Errorf("e^−x I₀(%v) = %.17g, SciPy %.17g", x, got, s.I0e[i])
		}
		if got := besselI1Scaled(x); math.Abs(got-s.I1e[i]) > 1e-14*s.I1e[i] {
			t.Errorf("e^−x I₁(%v) = %.17g, SciPy %.17g", x, got, s.I1e[i])
		}
	}
	for i, x := range s.X {
		if got := dancoDigamma(x); math.Abs(got-s.Digamma[i]) > 1e-15*max(1, math.Abs(s.Digamma[i])) {
			t.Errorf("ψ(%v) = %.17g, SciPy %.17g", x, got, s.Digamma[i])
		}
	}
}

// dancoUniformBall returns n points uniform in the unit d-ball, embedded in R^D by
// a random rotation.
func dancoUniformBall(n, d, D int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := mat.NewDense(n, D, nil)
	for i := 0; i < n; i++ {
		var ss float64
		for j := 0; j < d; j++ {
			v := rng.NormFloat64()
			x.Set(i, j, v)
			ss += v * v
		}
		r := math.Pow(rng.Float64(), 1/float64(d)) / math.Sqrt(ss)
		for j := 0; j < d; j++ {
			x.Set(i, j, x.At(i, j)*r)
		}
	}
	var y mat.Dense
	y.Mul(x, rotation(D, rng))
	return &y
}

func TestDANCoRecoversDimension(t *testing.T) {
	cache := NewDANCoCache()
	for _, c := range []struct {
		name      string
		x         *mat.Dense
		d, maxDim int
	}{
		{"3-ball in R^6", dancoUniformBall(400, 3, 6, 1), 3, 6},
		{"6-ball in R^9", dancoUniformBall(400, 6, 9, 2), 6, 9},
		// A sphere has no boundary, unlike the calibration balls: at n = 400
		// DANCo (NumPy too) often says 5 for S⁴; at n = 1000 it says 4.
		{"4-sphere in R^8", embedded(1000, 4, 8, true, 3), 4, 8},
		{"7-gaussian in R^9", embedded(400, 7, 9, false, 4), 7, 9},
	} {
		est, err := DANCo(c.x, DefaultDANCoK, c.maxDim, 7, cache)
		if err != nil {
			t.Fatal(err)
		}
		if est.Dim != c.d {
			t.Errorf("%s: DANCo %d, want %d (divergences %.3f)", c.name, est.Dim, c.d, est.Divergences)
		}
		t.Logf("%s: DANCo %d, d̂ (MiND_MLk) %.3f, KL %.3f", c.name, est.Dim, est.Data.Dim, est.KL)
	}
}

func TestDANCoCacheIsSharedAndSeeded(t *testing.T) {
	const n, k = 150, DefaultDANCoK
	var cache DANCoCache // the zero value is an empty cache
	key := DANCoKey{N: n, K: k, MaxDim: 5, Seed: 11}
	fresh, err := NewDANCoCalibration(key)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	cals := make([]*DANCoCalibration, 8)
	errs := make([]error, len(cals))
	for i := range cals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := key
			k.MaxDim = 3 + i%3 // 3, 4, 5 share their dimensions
			cals[i], errs[i] = cache.Calibration(k)
		}()
	}
	wg.Wait()
	for i, cal := range cals {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(cal.Stats) != 3+i%3 {
			t.Fatalf("calibration of %d dimensions, want %d", len(cal.Stats), 3+i%3)
		}
		for d, s := range cal.Stats {
			if s != fresh.Stats[d] {
				t.Errorf("cached dimension %d: %+v, uncached %+v", d+1, s, fresh.Stats[d])
			}
		}
	}
	if got := len(cache.entries); got != 5 {
		t.Errorf("cache holds %d dimensions, want 5", got)
	}
	// Calibration d̂ of the d-ball is near d; another seed gives other samples.
	for d, s := range fresh.Stats {
		if math.Abs(s.Dim-float64(d+1)) > 0.25*float64(d+1) {
			t.Errorf("calibration d̂ of the %d-ball is %.3f", d+1, s.Dim)
		}
	}
	other, err := cache.Calibration(DANCoKey{N: n, K: k, MaxDim: 2, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	if other.Stats[1] == fresh.Stats[1] {
		t.Error("seeds 11 and 12 gave the same calibration")
	}
}

func TestDANCoMergesShardPoints(t *testing.T) {
	x := dancoUniformBall(300, 4, 7, 5)
	a, err := DANCoPointStatistics(x.Slice(0, 150, 0, 7), 8)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DANCoPointStatistics(x.Slice(150, 300, 0, 7), 8)
	if err != nil {
		t.Fatal(err)
	}
	var pooled DANCoPoints
	if err := pooled.Merge(a); err != nil {
		t.Fatal(err)
	}
	if err := pooled.Merge(b); err != nil {
		t.Fatal(err)
	}
	s, err := pooled.Pool(7)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 150 || s.Points != 300 || math.Abs(s.Dim-4) > 0.6 {
		t.Errorf("pooled statistics %+v: want sample size 150, 300 points and d̂ near 4", s)
	}
	sa, _ := a.Pool(7)
	sb, _ := b.Pool(7)
	if math.Abs(s.Nu-(sa.Nu+sb.Nu)/2) > 1e-12 || math.Abs(s.Tau-(sa.Tau+sb.Tau)/2) > 1e-12 {
		t.Errorf("pooled ν̄, τ̄ = %v, %v are not the means of the shards' (%v, %v), (%v, %v)", s.Nu, s.Tau, sa.Nu, sa.Tau, sb.Nu, sb.Tau)
	}
	if err := pooled.Merge(DANCoPoints{K: 9, SampleSize: 150}); err == nil {
		t.Error("merging points of another k: no error")
	}
	if err := pooled.Merge(DANCoPoints{K: 8, SampleSize: 149}); err == nil {
		t.Error("merging points of another sample size: no error")
	}
}

func TestDANCoErrors(t *testing.T) {
	x := dancoUniformBall(20, 2, 3, 6)
	if _, err := DANCoPointStatistics(x, 1); err == nil {
		t.Error("k = 1: no error")
	}
	if _, err := DANCoPointStatistics(x, 19); err == nil {
		t.Error("k + 1 ≥ distinct rows: no error")
	}
	if _, err := DANCoStats(x, 5, 0); err == nil {
		t.Error("maximal dimension 0: no error")
	}
	if _, err := NewDANCoCalibration(DANCoKey{N: 5, K: 10, MaxDim: 3}); err == nil {
		t.Error("calibration with N ≤ k+1: no error")
	}
	data, err := DANCoStats(x, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	cal := &DANCoCalibration{N: 21, K: 5, Stats: []DANCoStatistics{data}}
	if _, err := DANCoFit(data, cal); err == nil {
		t.Error("calibration of another size: no error")
	}
	cal.N = 20
	cal.Stats = nil
	if _, err := DANCoFit(data, cal); err == nil {
		t.Error("empty calibration: no error")
	}
}
