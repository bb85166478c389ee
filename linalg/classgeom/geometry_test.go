package classgeom

import (
	"math"
	"testing"

	"golang.org/x/exp/rand"
)

// TestEdgeCasesSharded merges the small golden cases (a one-row class, a
// class of rank 2 < r = 3, d = 1) from shards of every size in every order
// and compares them with the NumPy values.
func TestEdgeCasesSharded(t *testing.T) {
	g := readGolden(t)
	for _, c := range g.Cases[3:] {
		rows, labels, cols := caseRows(t, c)
		for shardRows := 1; shardRows <= len(labels); shardRows++ {
			parts := shardSummaries(t, labels, rows, cols, shardRows, c.NormalizeRows)
			for order, s := range mergeOrders(t, parts, c.NormalizeRows) {
				geo, err := s.Geometry(Options{Eps: c.Eps, SubspaceRank: c.Rank})
				if err != nil {
					t.Fatal(c.Name, shardRows, order, err)
				}
				compareGolden(t, c, s, geo, worst{}, 1e-8)
				if t.Failed() {
					t.Fatalf("%s: shards of %d rows merged %s", c.Name, shardRows, order)
				}
			}
		}
	}
}

func TestOneRowAndLowRankClasses(t *testing.T) {
	// "solo": one row. "line": 5 rows on a line (rank 1). "cloud": 30 rows
	// of full rank 4. Subspace rank 3 is asked for every class.
	const d = 4
	rng := rand.New(rand.NewSource(7))
	var rows []float64
	var labels []string
	add := func(label string, row ...float64) {
		rows = append(rows, row...)
		labels = append(labels, label)
	}
	add("solo", 1, 2, 3, 4)
	for i := range 5 {
		t := float64(i) - 2
		add("line", 1+t, 1-2*t, 0.5*t, 3)
	}
	for range 30 {
		add("cloud", rng.NormFloat64(), 2*rng.NormFloat64(), rng.NormFloat64()+5, 0.5*rng.NormFloat64())
	}
	s := mustSummary(t, labels, rows, d, false)
	geo, err := s.Geometry(Options{Eps: 0.5, SubspaceRank: 3})
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]ClassGeometry{}
	for _, c := range geo.Classes {
		byLabel[c.Label] = c
	}
	if c := byLabel["solo"]; c.Count != 1 || c.Rank != 0 || c.SubspaceRank != 0 || c.Sigma[0] != 0 {
		t.Errorf("one-row class: %+v, want rank 0, subspace rank 0, σ = 0", c)
	}
	if c := byLabel["line"]; c.Rank != 1 || c.SubspaceRank != 1 || c.Sigma[1] != 0 {
		t.Errorf("rank-1 class: %+v, want rank 1, subspace rank 1", c)
	}
	// centred rows t·(1, −2, 0.5, 0), t = −2..2: σ₁² = Σt² · 5.25 = 52.5
	if c := byLabel["line"]; math.Abs(c.Sigma[0]-math.Sqrt(52.5)) > 1e-13 {
		t.Errorf("rank-1 class σ₁ = %v, want √52.5", c.Sigma[0])
	}
	if c := byLabel["cloud"]; c.Rank != 4 || c.SubspaceRank != 3 {
		t.Errorf("full-rank class: rank %d, subspace rank %d, want 4 and 3", c.Rank, c.SubspaceRank)
	}
	for _, p := range geo.Pairs {
		ra, rb := byLabel[p.A].SubspaceRank, byLabel[p.B].SubspaceRank
		if len(p.AnglesDeg) != min(ra, rb) {
			t.Errorf("(%s, %s): %d angles, want %d", p.A, p.B, len(p.AnglesDeg), min(ra, rb))
		}
		if p.A == "solo" || p.B == "solo" {
			if !math.IsNaN(p.MinAngleDeg) || !math.IsNaN(p.MeanAngleDeg) {
				t.Errorf("(%s, %s): min, mean angle %v, %v, want NaN", p.A, p.B, p.MinAngleDeg, p.MeanAngleDeg)
			}
			// no subspace on one side: every dimension of the other counts as a right angle
			if want := math.Sqrt(float64(max(ra, rb)) / 2); math.Abs(p.ProjectionDistance-want) > 1e-15 {
				t.Errorf("(%s, %s): projection distance %v, want %v", p.A, p.B, p.ProjectionDistance, want)
			}
			// Σ = 0 on one side: W₂² = ‖Δμ‖² + tr Σ of the other
			other := p.A
			if other == "solo" {
				other = p.B
			}
			var tr float64
			for _, sg := range byLabel[other].Sigma {
				tr += sg * sg
			}
			want := p.MeanDistanceSq + tr/float64(byLabel[other].Count)
			if e := relErr(p.BuresWassersteinSq, want); e > 1e-12 {
				t.Errorf("(%s, %s): W₂² = %v, want %v", p.A, p.B, p.BuresWassersteinSq, want)
			}
		}
	}
	if geo.Classes[0].Label != "cloud" || geo.Classes[2].Label != "solo" {
		t.Errorf("classes %v, want byte order cloud, line, solo", s.Labels())
	}
}

func TestIdenticalClasses(t *testing.T) {
	// the same rows under two labels: every distance is 0
	rng := rand.New(rand.NewSource(11))
	const d, n = 5, 40
	var rows []float64
	var labels []string
	block := make([]float64, n*d)
	for i := range block {
		block[i] = rng.NormFloat64() * float64(1+i%d)
	}
	for _, l := range []string{"1", "2"} {
		rows = append(rows, block...)
		for range n {
			labels = append(labels, l)
		}
	}
	s := mustSummary(t, labels, rows, d, false)
	geo, err := s.Geometry(Options{Eps: 1, SubspaceRank: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := geo.Pairs[0]
	if p.BuresWassersteinSq > 1e-13 || p.ProjectionDistance > 1e-7 || p.AnglesDeg[2] > 1e-6 || p.MeanDistanceSq != 0 {
		t.Errorf("identical classes: %+v, want 0 distances", p)
	}
	// Rc for two identical halves: each half has ZⱼᵀZⱼ = ZᵀZ/2 and mⱼ = m/2,
	// so d/(mⱼε²) ZⱼᵀZⱼ = d/(mε²) ZᵀZ and Rc = R: ΔR = 0
	if math.Abs(geo.RateReduction) > 1e-12*geo.CodingRateTotal {
		t.Errorf("ΔR = %v for identical classes, want 0 (R = %v)", geo.RateReduction, geo.CodingRateTotal)
	}
}

func TestDimOne(t *testing.T) {
	// d = 1: σ = √M, angles 0 between non-degenerate classes, W₂² = (μa − μb)² + (sa − sb)²
	s := mustSummary(t, []string{"a", "a", "a", "b", "b"}, []float64{1, 2, 3, 10, 14}, 1, false)
	geo, err := s.Geometry(Options{Eps: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// a: μ 2, M 2, Σ 2/3; b: μ 12, M 8, Σ 4
	if math.Abs(geo.Classes[0].Sigma[0]-math.Sqrt(2)) > 1e-15 || math.Abs(geo.Classes[1].Sigma[0]-math.Sqrt(8)) > 1e-15 {
		t.Errorf("σ = %v, %v, want √2, √8", geo.Classes[0].Sigma, geo.Classes[1].Sigma)
	}
	p := geo.Pairs[0]
	want := 100 + math.Pow(math.Sqrt(2.0/3)-2, 2)
	if e := relErr(p.BuresWassersteinSq, want); e > 1e-14 || p.AnglesDeg[0] != 0 || p.ProjectionDistance != 0 {
		t.Errorf("d = 1 pair: %+v, want W₂² = %v, angle 0", p, want)
	}
	// R = ½ log(1 + 1/(m ε²) Σx²) with Σx² = 14 + 296 = 310, m = 5
	if e := relErr(geo.CodingRateTotal, 0.5*math.Log1p(310/(5*0.25))); e > 1e-15 {
		t.Errorf("R = %v, want %v", geo.CodingRateTotal, 0.5*math.Log1p(310/(5*0.25)))
	}
}
