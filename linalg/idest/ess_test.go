package idest

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestESSGolden(t *testing.T) {
	for _, s := range goldens(t) {
		k := field[int](t, s.ESS, "k")
		for _, ver := range []string{ESSA, ESSB} {
			want := field[essGolden](t, s.ESS, ver)
			got, err := LocalESS(s.graph, k, ver, 2)
			if err != nil {
				t.Fatal(err)
			}
			e := checkClose(t, s.Name+" ESS "+ver, got, want.Values)
			// The statistic itself, through the exported ESSStatistic.
			for r := 0; r < s.N; r += 37 {
				_, nb := s.graph.Neighbours(s.graph.DistinctRow(r))
				patch := mat.NewDense(k, s.Dim, nil)
				for m, j := range nb[:k] {
					patch.SetRow(m, s.graph.Points().RawRowView(int(j)))
				}
				st, err := ESSStatistic(patch, ver)
				if err != nil || relErr(st, want.Statistic[r]) > 1e-12 {
					t.Errorf("%s ESS %s statistic of row %d = %v (%v), want %v", s.Name, ver, r, st, err, want.Statistic[r])
				}
			}
			est, _ := ESS(s.graph, k, ver, 1)
			if relErr(est.Value, want.Mean) > goldenTol || est.N != s.Distinct {
				t.Errorf("%s ESS %s = %+v, want %v", s.Name, ver, est, want.Mean)
			}
			t.Logf("%s ESS %s: per-row max rel. error %.2g, mean %.4f ± %.4f", s.Name, ver, e, est.Value, est.Spread)
		}
	}
}

// TestESSReference: the reference curves are E|sin θ| and E|cos θ| of two
// uniform directions: 2/π and 2/π in the plane, π/4 and 1/2 in R³; ESSDimension
// inverts them at the integers and interpolates between.
func TestESSReference(t *testing.T) {
	for _, c := range []struct {
		n    int
		ver  string
		want float64
	}{{2, ESSA, 2 / math.Pi}, {3, ESSA, math.Pi / 4}, {2, ESSB, 2 / math.Pi}, {3, ESSB, 0.5}, {1, ESSA, 0}, {1, ESSB, 1}} {
		if got := essReference(c.n, c.ver); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("reference %s(%d) = %v, want %v", c.ver, c.n, got, c.want)
		}
	}
	for _, ver := range []string{ESSA, ESSB} {
		for n := 1; n <= 60; n++ {
			if got, _ := ESSDimension(essReference(n, ver), ver); math.Abs(got-float64(n)) > 1e-9 {
				t.Errorf("%s: dimension of reference(%d) = %v", ver, n, got)
			}
		}
		mid := (essReference(7, ver) + essReference(8, ver)) / 2
		if got, _ := ESSDimension(mid, ver); math.Abs(got-7.5) > 1e-12 {
			t.Errorf("%s: dimension midway 7–8 = %v", ver, got)
		}
	}
	if got, _ := ESSDimension(1, ESSA); !math.IsInf(got, 1) {
		t.Errorf("ESS a of 1 = %v, want +Inf", got)
	}
	if _, err := ESSDimension(0.5, "c"); err == nil {
		t.Error("version c accepted")
	}
	// Uniform directions in a 3-D ball, many points: the statistic tends to π/4.
	x := embedded(3000, 3, 3, false, 21)
	st, _ := ESSStatistic(x, ESSA)
	if math.Abs(st-math.Pi/4) > 0.01 {
		t.Errorf("ESS a of a 3-D Gaussian = %v, want ≈ π/4", st)
	}
}

// TestESSStatisticWide: on a wide neighbourhood (D = 130 > k = 40) the
// statistic equals a pair-by-pair evaluation of its formula.
func TestESSStatisticWide(t *testing.T) {
	nb := uniformCube(40, 12, 130, 9)
	v := centred(nb)
	for _, ver := range []string{ESSA, ESSB} {
		var num, den float64
		for i := 0; i < 40; i++ {
			for j := i + 1; j < 40; j++ {
				a, b := v.RawRowView(i), v.RawRowView(j)
				aa, bb, ab := mat.Dot(mat.NewVecDense(130, a), mat.NewVecDense(130, a)), mat.Dot(mat.NewVecDense(130, b), mat.NewVecDense(130, b)), mat.Dot(mat.NewVecDense(130, a), mat.NewVecDense(130, b))
				den += math.Sqrt(aa * bb)
				if ver == ESSA {
					num += math.Sqrt(math.Abs(aa*bb - ab*ab))
				} else {
					num += math.Abs(ab)
				}
			}
		}
		got, err := ESSStatistic(nb, ver)
		if err != nil || relErr(got, num/den) > 1e-12 {
			t.Errorf("ESS %s = %v (%v), want %v", ver, got, err, num/den)
		}
	}
}
