package ph

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var inf = math.Inf(1)

func TestSquare(t *testing.T) {
	sq := []float64{0, 0, 1, 0, 1, 1, 0, 1}
	d, err := VietorisRips(sq, 4, 2, Options{MaxDim: 2, Threshold: inf})
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, inf}, {1, 1, math.Sqrt2}}
	if !slices.Equal(d.Pairs, want) {
		t.Fatalf("square: %v, want %v", d.Pairs, want)
	}
	if d.EnclosingRadius != math.Sqrt2 || d.Threshold != math.Sqrt2 {
		t.Errorf("enclosing radius %v, threshold %v, want √2", d.EnclosingRadius, d.Threshold)
	}
	// Below the diagonal the cycle never dies.
	d, _ = VietorisRips(sq, 4, 2, Options{MaxDim: 1, Threshold: 1.2})
	if got := d.Dim(1); !slices.Equal(got, []Pair{{1, 1, inf}}) {
		t.Errorf("square at threshold 1.2: H1 %v, want [1, +Inf)", got)
	}
}

// TestVertexBirths is a hand computation. Points 0, 1, 3 on a line with
// births f = (0, 2, 0.5): the edges have values max(d, f(u), f(v)):
// {0,1} → 2, {1,2} → 2, {0,2} → 3. Vertex 1 is born at 2 and joins vertex 0
// at once (zero persistence); vertex 2, born at 0.5, joins them at 2.
func TestVertexBirths(t *testing.T) {
	points := []float64{0, 1, 3}
	births := []float64{0, 2, 0.5}
	d, err := VietorisRips(points, 3, 1, Options{MaxDim: 1, Threshold: inf, VertexBirth: births})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Pair{{0, 0, inf}, {0, 0.5, 2}}; !slices.Equal(d.Pairs, want) {
		t.Errorf("births: %v, want %v", d.Pairs, want)
	}
	if d.EnclosingRadius != 2 {
		t.Errorf("enclosing radius %v, want 2", d.EnclosingRadius)
	}
	// At threshold 1 vertex 1 is never born and no edge exists.
	d, err = VietorisRips(points, 3, 1, Options{MaxDim: 1, Threshold: 1, VertexBirth: births})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Pair{{0, 0, inf}, {0, 0.5, inf}}; !slices.Equal(d.Pairs, want) {
		t.Errorf("births at threshold 1: %v, want %v", d.Pairs, want)
	}
}

// TestDuplicates: duplicated points add only zero-length edges, whose
// pairs are not reported, so the diagram is unchanged.
func TestDuplicates(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 30
	var pts []float64
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		pts = append(pts, math.Cos(a)+0.05*rng.NormFloat64(), math.Sin(a)+0.05*rng.NormFloat64())
	}
	dup := append(slices.Clone(pts), pts[:20]...) // points 0..9 twice
	dup = append(dup, pts[:2]...)
	for _, th := range []float64{inf, 0.8} {
		a, err := VietorisRips(pts, n, 2, Options{MaxDim: 2, Threshold: th})
		if err != nil {
			t.Fatal(err)
		}
		b, err := VietorisRips(dup, n+11, 2, Options{MaxDim: 2, Threshold: th})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Pairs, b.Pairs) {
			t.Errorf("threshold %v: duplicates changed the diagram:\n%v\n%v", th, a.Pairs, b.Pairs)
		}
		if len(a.Dim(1)) == 0 {
			t.Errorf("threshold %v: the circle has no H1 class", th)
		}
	}
}

func TestErrors(t *testing.T) {
	ok := Options{MaxDim: 1, Threshold: 1}
	cases := []struct {
		name   string
		run    func() error
		substr string
	}{
		{"nan", func() error {
			_, err := VietorisRips([]float64{0, 0, 1, 1, 2, math.NaN()}, 3, 2, ok)
			return err
		}, "point 2"},
		{"inf", func() error {
			_, err := VietorisRips([]float64{0, math.Inf(-1), 1, 1}, 2, 2, ok)
			return err
		}, "point 0"},
		{"one point", func() error { _, err := VietorisRips([]float64{1, 2}, 1, 2, ok); return err }, "one point"},
		{"empty", func() error { _, err := VietorisRips(nil, 0, 2, ok); return err }, "empty"},
		{"shape", func() error { _, err := VietorisRips([]float64{1, 2, 3}, 2, 2, ok); return err }, "3 coordinates"},
		{"zero threshold", func() error {
			_, err := VietorisRips([]float64{0, 1}, 2, 1, Options{MaxDim: 1})
			return err
		}, "threshold"},
		{"negative threshold", func() error {
			_, err := VietorisRips([]float64{0, 1}, 2, 1, Options{Threshold: -1})
			return err
		}, "threshold"},
		{"nan threshold", func() error {
			_, err := VietorisRips([]float64{0, 1}, 2, 1, Options{Threshold: math.NaN()})
			return err
		}, "threshold"},
		{"births length", func() error {
			_, err := VietorisRips([]float64{0, 1}, 2, 1, Options{Threshold: 1, VertexBirth: []float64{0}})
			return err
		}, "1 vertex births for 2 points"},
		{"births nan", func() error {
			_, err := VietorisRips([]float64{0, 1}, 2, 1, Options{Threshold: 1, VertexBirth: []float64{0, math.NaN()}})
			return err
		}, "point 1"},
		{"asymmetric", func() error {
			_, err := VietorisRipsDistances([]float64{0, 1, 2, 0}, 2, ok)
			return err
		}, "not symmetric"},
		{"diagonal", func() error {
			_, err := VietorisRipsDistances([]float64{1, 1, 1, 0}, 2, ok)
			return err
		}, "diagonal"},
		{"negative distance", func() error {
			_, err := VietorisRipsDistances([]float64{0, -1, -1, 0}, 2, ok)
			return err
		}, "not a distance"},
	}
	for _, c := range cases {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.substr) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.substr)
		}
	}
}

func TestTooLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 400
	pts := make([]float64, 3*n)
	for i := range pts {
		pts[i] = rng.Float64()
	}
	_, err := VietorisRips(pts, n, 3, Options{MaxDim: 2, Threshold: inf, MaxBytes: 64 << 20})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "subsample or lower the threshold") {
		t.Fatalf("error %v, want ErrTooLarge with advice", err)
	}
	// A lower threshold fits.
	if _, err := VietorisRips(pts, n, 3, Options{MaxDim: 2, Threshold: 0.15, MaxBytes: 64 << 20}); err != nil {
		t.Fatal(err)
	}
}

// TestInfiniteDistances: +Inf entries of a distance matrix are missing edges.
func TestInfiniteDistances(t *testing.T) {
	// Two pairs of points, the pairs infinitely far apart.
	d := []float64{
		0, 1, inf, inf,
		1, 0, inf, inf,
		inf, inf, 0, 2,
		inf, inf, 2, 0,
	}
	got, err := VietorisRipsDistances(d, 4, Options{MaxDim: 1, Threshold: inf})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Pair{{0, 0, 1}, {0, 0, 2}, {0, 0, inf}, {0, 0, inf}}; !slices.Equal(got.Pairs, want) || got.Edges != 2 {
		t.Errorf("%v (%d edges), want %v (2 edges)", got.Pairs, got.Edges, want)
	}
	// A 4-cycle without diagonals keeps its H1 class forever.
	d = []float64{
		0, 1, inf, 1,
		1, 0, 1, inf,
		inf, 1, 0, 1,
		1, inf, 1, 0,
	}
	for _, layout := range []int{1, 2} {
		forceLayout = layout
		got, err = VietorisRipsDistances(d, 4, Options{MaxDim: 2, Threshold: inf})
		forceLayout = 0
		if err != nil {
			t.Fatal(err)
		}
		if want := []Pair{{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, inf}, {1, 1, inf}}; !slices.Equal(got.Pairs, want) || got.Edges != 4 {
			t.Errorf("layout %d: %v (%d edges), want %v (4 edges)", layout, got.Pairs, got.Edges, want)
		}
	}
}

// TestNoEdges: below the shortest edge every point is its own essential class.
func TestNoEdges(t *testing.T) {
	pts := []float64{0, 0, 1, 0, 5, 5}
	d, err := VietorisRips(pts, 3, 2, Options{MaxDim: 2, Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Pair{{0, 0, inf}, {0, 0, inf}, {0, 0, inf}}; !slices.Equal(d.Pairs, want) || d.Edges != 0 {
		t.Errorf("%v (%d edges), want three essential H0 classes", d.Pairs, d.Edges)
	}
	// MaxDim 0 reports H0 only, even when a cycle exists.
	sq := []float64{0, 0, 1, 0, 1, 1, 0, 1}
	d, err = VietorisRips(sq, 4, 2, Options{MaxDim: 0, Threshold: inf})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pairs) != 4 || len(d.Dim(0)) != 4 {
		t.Errorf("MaxDim 0: %v", d.Pairs)
	}
}
