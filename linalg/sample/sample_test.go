package sample

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// noisyCircle returns n points of the unit circle at uniform random angles,
// with N(0, noise²) added to each coordinate.
func noisyCircle(n int, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]float64, 0, 2*n)
	for range n {
		t := 2 * math.Pi * rng.Float64()
		pts = append(pts, math.Cos(t)+noise*rng.NormFloat64(), math.Sin(t)+noise*rng.NormFloat64())
	}
	return pts
}

// TestIndices checks the three ways of drawing a sample: sizes, sorted
// order, determinism in the seed, distinctness exactly without replacement.
func TestIndices(t *testing.T) {
	const n = 50
	pts := noisyCircle(n, 0, 1)
	for _, s := range []Scheme{{Size: 20}, {Size: 80, Replace: true}, {Size: 20, Landmarks: "maxmin"}, {Size: 0}} {
		idx, err := s.Indices(pts, n, 2, 7)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.Indices(pts, n, 2, 7)
		other, _ := s.Indices(pts, n, 2, 8)
		want := s.Size
		if want == 0 {
			want = n
		}
		if len(idx) != want || !slices.Equal(idx, again) || !slices.IsSorted(idx) {
			t.Errorf("%+v: %d indices %v (again %v)", s, len(idx), idx, again)
		}
		if s.Size > 0 && slices.Equal(idx, other) {
			t.Errorf("%+v: seeds 7 and 8 drew the same sample", s)
		}
		distinct := len(slices.Compact(slices.Clone(idx))) == len(idx)
		if distinct == s.Replace {
			t.Errorf("%+v: distinct = %v", s, distinct)
		}
		if idx[0] < 0 || idx[len(idx)-1] >= n {
			t.Errorf("%+v: indices out of range: %v", s, idx)
		}
		if IsIdentity(idx, n) != (s.Size == 0) {
			t.Errorf("%+v: IsIdentity = %v", s, !(s.Size == 0))
		}
	}
	if _, err := (Scheme{Size: n + 1}).Indices(pts, n, 2, 1); err == nil {
		t.Error("a sample larger than the cloud without replacement succeeded")
	}
	if idx, err := (Scheme{Size: n}).Indices(pts, n, 2, 1); err != nil || !IsIdentity(idx, n) {
		t.Errorf("a sample of every point: %v, %v", idx, err)
	}
}

// TestFloydUniform: over 20 000 seeds, every point of a cloud of 10 is in
// a 3-subset with frequency 3/10 (binomial sd ≈ 0.0032; bound 5 sd), and
// all C(10,3) = 120 subsets appear with frequency within 25 % of 1/120.
func TestFloydUniform(t *testing.T) {
	const n, m, draws = 10, 3, 20000
	pts := make([]float64, n)
	count := make([]int, n)
	subsets := map[[m]int]int{}
	for seed := range uint64(draws) {
		idx, err := Scheme{Size: m}.Indices(pts, n, 1, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			count[i]++
		}
		subsets[[m]int(idx)]++
	}
	sd := math.Sqrt(0.3 * 0.7 / draws)
	for i, c := range count {
		if f := float64(c) / draws; math.Abs(f-0.3) > 5*sd {
			t.Errorf("point %d in %.4f of the samples, want 0.3 ± %.4f", i, f, 5*sd)
		}
	}
	if len(subsets) != 120 {
		t.Fatalf("%d distinct subsets, want 120", len(subsets))
	}
	for s, c := range subsets {
		if f := float64(c) / draws; math.Abs(f*120-1) > 0.25 {
			t.Errorf("subset %v drawn %d times (%.2f× uniform)", s, c, f*120)
		}
	}
}

// TestMaxMinEvenCircle: max-min landmarks of 64 evenly spaced points on a
// circle, from point 5, are every 8th point.
func TestMaxMinEvenCircle(t *testing.T) {
	const n = 64
	pts := make([]float64, 0, 2*n)
	for i := range n {
		a := 2 * math.Pi * float64(i) / n
		pts = append(pts, math.Cos(a), math.Sin(a))
	}
	got := MaxMinLandmarks(pts, n, 2, 8, 5)
	slices.Sort(got)
	if want := []int{5, 13, 21, 29, 37, 45, 53, 61}; !slices.Equal(got, want) {
		t.Fatalf("max-min landmarks %v, want %v", got, want)
	}
}

type golden struct {
	MaxMin struct {
		N, Dim int
		Points []float64
		Cases  []struct {
			M, First  int
			Landmarks []int
		}
	}
}

// TestMaxMinMatchesNumPy: the landmarks, in the order chosen, are those of
// an independent NumPy implementation (scripts/make_sample_goldens.py) on
// 300 Gaussian points in R³, for 1 to 300 landmarks.
func TestMaxMinMatchesNumPy(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/sample/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	mm := g.MaxMin
	if len(mm.Cases) == 0 || len(mm.Points) != mm.N*mm.Dim {
		t.Fatalf("golden: %d cases, %d coordinates for %d×%d", len(mm.Cases), len(mm.Points), mm.N, mm.Dim)
	}
	for _, c := range mm.Cases {
		got := MaxMinLandmarks(mm.Points, mm.N, mm.Dim, c.M, c.First)
		if !slices.Equal(got, c.Landmarks) {
			t.Errorf("m = %d from %d: %v, NumPy %v", c.M, c.First, got, c.Landmarks)
		}
	}
}

func TestMaxMinPanics(t *testing.T) {
	pts := []float64{0, 1, 2}
	for _, c := range [][2]int{{0, 0}, {4, 0}, {1, -1}, {1, 3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("m = %d from %d of 3 points: no panic", c[0], c[1])
				}
			}()
			MaxMinLandmarks(pts, 3, 1, c[0], c[1])
		}()
	}
}

func TestGather(t *testing.T) {
	pts := []float64{0, 1, 10, 11, 20, 21}
	if got := Gather(pts, 2, []int{2, 0, 2}); !slices.Equal(got, []float64{20, 21, 0, 1, 20, 21}) {
		t.Errorf("Gather = %v", got)
	}
	if IsIdentity([]int{0, 2}, 2) || IsIdentity([]int{0}, 2) || !IsIdentity(nil, 0) {
		t.Error("IsIdentity")
	}
}
