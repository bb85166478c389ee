package linalg

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"testing"
)

// bigSum is the exact sum of xs rounded to the nearest float64 (big.Float
// with enough precision for 160 binades, rounded once).
func bigSum(xs []float64) float64 {
	s := new(big.Float).SetPrec(4096)
	for _, x := range xs {
		s.Add(s, new(big.Float).SetFloat64(x))
	}
	f, _ := s.Float64()
	return f
}

func sumExact(xs []float64) float64 {
	var p []float64
	for _, x := range xs {
		p = AddExact(p, x)
	}
	return RoundExact(p)
}

// TestExactSumMatchesFsum: RoundExact of AddExact over every value equals
// Python's math.fsum (scripts/make_sample_goldens.py) on values spanning
// 160 binades, with heavy cancellation, and the exact sum by math/big.
func TestExactSumMatchesFsum(t *testing.T) {
	raw, err := os.ReadFile("../testdata/sample/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Fsum struct {
			Cases []struct {
				Values []float64
				Sum    float64
			}
		}
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Fsum.Cases) == 0 {
		t.Fatal("no golden cases")
	}
	for i, c := range g.Fsum.Cases {
		got := sumExact(c.Values)
		if got != c.Sum || got != bigSum(c.Values) {
			t.Errorf("case %d (%d values): %v, fsum %v, big %v", i, len(c.Values), got, c.Sum, bigSum(c.Values))
		}
		var naive float64
		for _, v := range c.Values {
			naive += v
		}
		t.Logf("case %d: %d values, exact %.17g, naive float sum %.17g", i, len(c.Values), got, naive)
	}
}

// TestExactSumRoundsHalfToEven: a sum exactly halfway between two floats
// rounds to even, unless the rest of the expansion breaks the tie (values
// from Python's math.fsum).
func TestExactSumRoundsHalfToEven(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 0x1p-53}, 1},
		{[]float64{1, 0x1p-53, 0x1p-106}, 1.0000000000000002},
		{[]float64{1, 0x1p-53, -0x1p-106}, 1},
		{[]float64{1 + 0x1p-52, 0x1p-53}, 1.0000000000000004},
		{nil, 0},
		{[]float64{1e100, 1, -1e100}, 1},
	} {
		if got := sumExact(c.xs); got != c.want {
			t.Errorf("%v: %v, want %v", c.xs, got, c.want)
		}
	}
}

// TestExactSumOrderAndMerge: any order of additions, and merging two
// partial expansions (adding one's partials to the other), give the same
// rounded sum.
func TestExactSumOrderAndMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 500)
	for i := range xs {
		xs[i] = math.Ldexp(rng.Float64()-0.5, rng.IntN(120)-60)
	}
	want := bigSum(xs)
	orderMatters := false
	for trial := range 30 {
		perm := rng.Perm(len(xs))
		split := rng.IntN(len(xs))
		var a, b []float64
		var naive float64
		for i, j := range perm {
			naive += xs[j]
			if i < split {
				a = AddExact(a, xs[j])
			} else {
				b = AddExact(b, xs[j])
			}
		}
		for _, p := range b {
			a = AddExact(a, p)
		}
		if got := RoundExact(a); got != want {
			t.Fatalf("trial %d: %v, want %v", trial, got, want)
		}
		orderMatters = orderMatters || naive != want
	}
	if !orderMatters {
		t.Log("plain float sums happened to round exactly in every order")
	}
}
