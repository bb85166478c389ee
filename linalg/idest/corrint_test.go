package idest

import (
	"math"
	"testing"
)

func TestCorrIntGolden(t *testing.T) {
	for _, s := range goldens(t) {
		c := s.CorrInt
		var results []CorrIntResult
		for _, workers := range []int{1, 2} {
			got, err := CorrInt(s.graph, c.K1, c.K2, workers)
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, got)
		}
		got := results[0]
		if b := results[1]; b.R1 != got.R1 || b.R2 != got.R2 || b.Pairs1 != got.Pairs1 || b.Pairs2 != got.Pairs2 || b.Value != got.Value {
			t.Errorf("%s: 1 and 2 workers differ: %+v, %+v", s.Name, results[0], results[1])
		}
		if got.R1 != c.R1 || got.R2 != c.R2 || got.Pairs1 != c.Pairs1 || got.Pairs2 != c.Pairs2 || relErr(got.Value, c.Value) > goldenTol {
			t.Errorf("%s: CorrInt %+v, want r %v %v, pairs %d %d, value %v", s.Name, got, c.R1, c.R2, c.Pairs1, c.Pairs2, c.Value)
		}
		t.Logf("%s CorrInt %.4f (rel. error %.2g), pairs %d / %d", s.Name, got.Value, relErr(got.Value, c.Value), got.Pairs1, got.Pairs2)
	}
}

// TestCorrIntCountsEveryPair: the Gram-filtered count equals a count of all
// direct distances, on a cloud far from the origin.
func TestCorrIntCountsEveryPair(t *testing.T) {
	x := uniformCube(900, 4, 7, 33)
	for i := 0; i < 900; i++ {
		for j := 0; j < 7; j++ {
			x.Set(i, j, x.At(i, j)+1e5)
		}
	}
	g, _ := NewKNN(x, 20, 2)
	res, err := CorrInt(g, 10, 20, 3)
	if err != nil {
		t.Fatal(err)
	}
	var c1, c2 int64
	p := g.Points()
	for i := 0; i < g.Len(); i++ {
		for j := i + 1; j < g.Len(); j++ {
			d := math.Sqrt(squaredDistance(p.RawRowView(i), p.RawRowView(j)))
			if d < res.R1 {
				c1++
			}
			if d < res.R2 {
				c2++
			}
		}
	}
	if c1 != res.Pairs1 || c2 != res.Pairs2 {
		t.Errorf("pairs %d, %d; direct count %d, %d", res.Pairs1, res.Pairs2, c1, c2)
	}
	if _, err := CorrInt(g, 20, 10, 1); err == nil {
		t.Error("k1 > k2 accepted")
	}
	if _, err := CorrInt(g, 10, 21, 1); err == nil {
		t.Error("k2 > K accepted")
	}
}
