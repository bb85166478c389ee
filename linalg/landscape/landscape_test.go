package landscape

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/lowdim/lowdim/linalg/ph"
)

// bruteForce evaluates the definition: the k-th largest tent value at t.
func bruteForce(pairs []ph.Pair, dim, k int, t, inf float64) float64 {
	var v []float64
	for _, p := range pairs {
		if p.Dim != dim {
			continue
		}
		d := p.Death
		if math.IsInf(d, 1) {
			d = inf
		}
		v = append(v, max(0, min(t-p.Birth, d-t)))
	}
	slices.Sort(v)
	slices.Reverse(v)
	if k < len(v) {
		return v[k]
	}
	return 0
}

func randomPairs(rng *rand.Rand, m int, integer bool) []ph.Pair {
	var out []ph.Pair
	for i := 0; i < m; i++ {
		var b, d float64
		if integer {
			b = float64(rng.IntN(8))
			d = b + float64(rng.IntN(6))
		} else {
			b = 5 * rng.Float64()
			d = b + 3*rng.Float64()
		}
		if rng.IntN(10) == 0 {
			d = math.Inf(1)
		}
		out = append(out, ph.Pair{Dim: rng.IntN(2), Birth: b, Death: d})
	}
	return out
}

// TestExactMatchesDefinition checks the Bubenik–Dłotko critical points
// against the definition at many points, with ties and nested intervals.
func TestExactMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		pairs := randomPairs(rng, 1+rng.IntN(25), trial%2 == 0)
		const inf = 9.0
		l := Exact(pairs, 1, inf)
		for k := 0; k < len(l.Levels)+1; k++ {
			for s := 0; s < 200; s++ {
				x := -1 + 12*rng.Float64()
				if s%4 == 0 {
					x = float64(rng.IntN(20)) / 2 // on breakpoints
				}
				got, want := l.At(k, x), bruteForce(pairs, 1, k, x, inf)
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("trial %d: λ_%d(%v) = %v, want %v\npairs %v\nlevel %v", trial, k+1, x, got, want, pairs, l.Levels[min(k, len(l.Levels)-1)])
				}
			}
		}
	}
}

func TestInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 100; trial++ {
		pairs := randomPairs(rng, 30, trial%2 == 0)
		g := Grid{Lo: -0.5, Hi: 8, Resolution: 257}
		s, err := Sample(pairs, 0, 6, g)
		if err != nil {
			t.Fatal(err)
		}
		h := (g.Hi - g.Lo) / float64(g.Resolution-1)
		for k := 0; k < s.Levels; k++ {
			for i := 0; i < g.Resolution; i++ {
				v := s.At(k, i)
				if v < 0 {
					t.Fatalf("λ_%d(t_%d) = %v < 0", k+1, i, v)
				}
				if k > 0 && v > s.At(k-1, i) {
					t.Fatalf("λ_%d(t_%d) = %v > λ_%d = %v", k+1, i, v, k, s.At(k-1, i))
				}
				if i > 0 && math.Abs(v-s.At(k, i-1)) > h*(1+1e-12) {
					t.Fatalf("λ_%d not 1-Lipschitz between t_%d and t_%d: %v, %v (step %v)", k+1, i-1, i, s.At(k, i-1), v, h)
				}
			}
		}
	}
}

func TestHandExample(t *testing.T) {
	// (0,4) and (1,3): λ₁ is the tent of (0,4), λ₂ the tent of (1,3).
	pairs := []ph.Pair{{Dim: 1, Birth: 0, Death: 4}, {Dim: 1, Birth: 1, Death: 3}, {Dim: 0, Birth: 0, Death: 100}}
	l := Exact(pairs, 1, math.Inf(1))
	want := [][]Point{{{0, 0}, {2, 2}, {4, 0}}, {{1, 0}, {2, 1}, {3, 0}}}
	if !slices.EqualFunc(l.Levels, want, slices.Equal) {
		t.Fatalf("levels %v, want %v", l.Levels, want)
	}
	// ∫λ₁ = 4, ∫λ₂ = 1; ∫λ₁² = 2·(2³/3) = 16/3, ∫λ₂² = 2/3.
	for _, c := range []struct{ p, want float64 }{{1, 5}, {2, math.Sqrt(6)}, {math.Inf(1), 2}, {3, math.Pow(2*16/4.0+2*1/4.0, 1.0/3)}} {
		if got := l.Norm(c.p); math.Abs(got-c.want) > 1e-14 {
			t.Errorf("L%v norm %v, want %v", c.p, got, c.want)
		}
	}
	// On a grid holding every critical point the sampled norm is exact.
	s := l.Sample(Grid{Lo: -1, Hi: 5, Resolution: 13}, 3)
	for _, p := range []float64{1, 2, 3, math.Inf(1)} {
		if got, want := s.Norm(p), l.Norm(p); math.Abs(got-want) > 1e-14 {
			t.Errorf("sampled L%v norm %v, exact %v", p, got, want)
		}
	}
	// An infinite death is truncated at the grid's hi.
	s, err := Sample([]ph.Pair{{Dim: 0, Birth: 1, Death: math.Inf(1)}}, 0, 1, Grid{0, 3, 7})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 0, 0, 0.5, 1, 0.5, 0}; !slices.Equal(s.Values, want) {
		t.Errorf("truncated landscape %v, want %v", s.Values, want)
	}
}

func TestErrors(t *testing.T) {
	for _, g := range []Grid{{0, 0, 10}, {1, 0, 10}, {0, 1, 1}, {math.NaN(), 1, 10}, {0, math.Inf(1), 10}} {
		if _, err := Sample(nil, 0, 1, g); err == nil {
			t.Errorf("grid %v accepted", g)
		}
	}
	if _, err := Sample(nil, 0, 0, Grid{0, 1, 10}); err == nil {
		t.Error("0 levels accepted")
	}
	var a MeanAccumulator
	s1, _ := Sample(nil, 0, 2, Grid{0, 1, 10})
	s2, _ := Sample(nil, 0, 3, Grid{0, 1, 10})
	if err := a.Add(s1); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(s2); !errors.Is(err, ErrShape) {
		t.Errorf("Add of another shape: %v, want ErrShape", err)
	}
	var b MeanAccumulator
	b.Add(s2)
	if err := a.Merge(b); !errors.Is(err, ErrShape) {
		t.Errorf("Merge of another shape: %v, want ErrShape", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Norm(0.5) did not panic")
		}
	}()
	s1.Norm(0.5)
}

func TestMeanAccumulator(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := Grid{0, 6, 50}
	var all []Sampled
	for i := 0; i < 40; i++ {
		s, err := Sample(randomPairs(rng, 10, false), 1, 4, g)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, s)
	}
	want := make([]float64, 4*50)
	for _, s := range all {
		for i, v := range s.Values {
			want[i] += v / 40
		}
	}
	// Uneven shards merged in a tree, including empty accumulators.
	var shards []MeanAccumulator
	for start := 0; start < 40; {
		size := 1 + rng.IntN(9)
		var a MeanAccumulator
		for _, s := range all[start:min(start+size, 40)] {
			if err := a.Add(s); err != nil {
				t.Fatal(err)
			}
		}
		shards = append(shards, a, MeanAccumulator{})
		start += size
	}
	for len(shards) > 1 {
		var next []MeanAccumulator
		for i := 0; i < len(shards); i += 2 {
			a := shards[i]
			if i+1 < len(shards) {
				if err := a.Merge(shards[i+1]); err != nil {
					t.Fatal(err)
				}
			}
			next = append(next, a)
		}
		shards = next
	}
	got := shards[0]
	if got.Count != 40 || got.Levels != 4 || got.Resolution != 50 {
		t.Fatalf("merged accumulator %d landscapes of %d×%d", got.Count, got.Levels, got.Resolution)
	}
	for i, v := range got.Mean() {
		if math.Abs(v-want[i]) > 1e-13 {
			t.Fatalf("mean[%d] = %v, want %v", i, v, want[i])
		}
	}
	if (MeanAccumulator{}).Mean() != nil {
		t.Error("mean of nothing is not nil")
	}
}

// TestGUDHI compares with gudhi.representations.Landscape, which multiplies
// by √2, on GUDHI's own grid (see scripts/make_ph_goldens.py).
func TestGUDHI(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/ph/*.json")
	checked := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			Name       string
			Points     string
			MaxDim     int      `json:"max_dim"`
			Threshold  *float64 `json:"threshold"`
			Landscapes []struct {
				HomologyDim   int       `json:"homology_dim"`
				NumLandscapes int       `json:"num_landscapes"`
				Resolution    int       `json:"resolution"`
				Grid          []float64 `json:"grid"`
				Values        []float64 `json:"values"`
				Sqrt2         bool      `json:"sqrt2_factor"`
			}
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		if len(g.Landscapes) == 0 {
			continue
		}
		points, n, dim := readCloud(t, filepath.Join("../../testdata/ph", g.Points))
		threshold := math.Inf(1)
		if g.Threshold != nil {
			threshold = *g.Threshold
		}
		d, err := ph.VietorisRips(points, n, dim, ph.Options{MaxDim: g.MaxDim, Threshold: threshold})
		if err != nil {
			t.Fatal(err)
		}
		for _, ls := range g.Landscapes {
			// GUDHI is given the finite pairs only.
			var finite []ph.Pair
			for _, p := range d.Dim(ls.HomologyDim) {
				if !math.IsInf(p.Death, 1) {
					finite = append(finite, p)
				}
			}
			l := Exact(finite, ls.HomologyDim, math.Inf(1))
			scale := 1.0
			if ls.Sqrt2 {
				scale = math.Sqrt2
			}
			for k := 0; k < ls.NumLandscapes; k++ {
				for i, x := range ls.Grid {
					want := ls.Values[k*ls.Resolution+i] / scale
					if got := l.At(k, x); math.Abs(got-want) > 1e-9 {
						t.Fatalf("%s H%d: λ_%d(%v) = %v, GUDHI/√2 = %v", g.Name, ls.HomologyDim, k+1, x, got, want)
					}
				}
			}
			checked++
		}
	}
	if checked < 3 {
		t.Fatalf("only %d GUDHI landscapes checked; run scripts/make_ph_goldens.py", checked)
	}
}

func readCloud(t *testing.T, path string) (points []float64, n, dim int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, s := range row {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			points = append(points, x)
		}
	}
	return points, len(rows), len(rows[0])
}
