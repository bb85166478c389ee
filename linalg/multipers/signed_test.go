package multipers

import (
	"testing"

	"golang.org/x/exp/rand"
)

// checkQuadrants asserts H(i, j) = Σ_{i' ≤ i, j' ≤ j} w(i', j') at every grid
// point and returns the number of nonzero weights.
func checkQuadrants(t *testing.T, h HilbertFunction) int {
	t.Helper()
	nt, nr := len(h.Grid.T), len(h.Grid.R)
	sm := h.SignedMeasure()
	sum := make([]int, (h.MaxDim+1)*nt*nr)
	for k, p := range sm {
		if p.Weight == 0 {
			t.Fatalf("zero weight returned at %+v", p)
		}
		if p.T != h.Grid.T[p.I] || p.R != h.Grid.R[p.J] {
			t.Fatalf("point %+v is not at its grid value", p)
		}
		if k > 0 {
			a := sm[k-1]
			if a.Dim > p.Dim || a.Dim == p.Dim && (a.I > p.I || a.I == p.I && a.J >= p.J) {
				t.Fatalf("points %+v, %+v out of order", a, p)
			}
		}
		for i := p.I; i < nt; i++ {
			for j := p.J; j < nr; j++ {
				sum[(p.Dim*nt+i)*nr+j] += p.Weight
			}
		}
	}
	for q := 0; q <= h.MaxDim; q++ {
		for i := 0; i < nt; i++ {
			for j := 0; j < nr; j++ {
				if got, want := sum[(q*nt+i)*nr+j], h.At(q, i, j); got != want {
					t.Errorf("H%d(%d, %d) = %d but the quadrant below it weighs %d", q, i, j, want, got)
				}
			}
		}
	}
	return len(sm)
}

func TestSignedMeasureGoldens(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			h, err := Hilbert(g.points, g.N, g.Dim, g.f, g.Grid, Options{MaxDim: g.MaxDim, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			k := checkQuadrants(t, h)
			sm := h.SignedMeasure()
			if len(sm) != len(g.SignedMeasure) {
				t.Fatalf("%d weights, numpy %d", len(sm), len(g.SignedMeasure))
			}
			for i, p := range sm {
				if w := g.SignedMeasure[i]; p.Dim != w[0] || p.I != w[1] || p.J != w[2] || p.Weight != w[3] {
					t.Errorf("weight %d: %+v, numpy [q i j w] = %v", i, p, w)
				}
			}
			t.Logf("%d nonzero weights", k)
		})
	}
}

// Random integer functions, not only Hilbert functions, invert exactly.
func TestMoebiusRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 20; trial++ {
		nt, nr, maxDim := 1+rng.Intn(6), 1+rng.Intn(6), rng.Intn(3)
		h := HilbertFunction{Grid: Grid{T: make([]float64, nt), R: make([]float64, nr)}, MaxDim: maxDim}
		for i := range h.Grid.T {
			h.Grid.T[i] = float64(i)
		}
		for j := range h.Grid.R {
			h.Grid.R[j] = float64(j) / 2
		}
		h.Values = make([]int, (maxDim+1)*nt*nr)
		for i := range h.Values {
			h.Values[i] = rng.Intn(7) - 2
		}
		checkQuadrants(t, h)
	}
	// H = 1 on the upset of grid point (1, 2) is a single Dirac mass there.
	h := HilbertFunction{Grid: Grid{T: []float64{0, 1, 2}, R: []float64{0, 1, 2, 3}}, Values: make([]int, 12)}
	for i := 1; i < 3; i++ {
		for j := 2; j < 4; j++ {
			h.Values[i*4+j] = 1
		}
	}
	if sm := h.SignedMeasure(); len(sm) != 1 || sm[0].I != 1 || sm[0].J != 2 || sm[0].Weight != 1 {
		t.Errorf("upset at (1, 2): signed measure %+v", sm)
	}
}
