package ph

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// golden is one file written by scripts/make_ph_goldens.py.
type golden struct {
	Name      string                   `json:"name"`
	Points    string                   `json:"points"`
	N         int                      `json:"n"`
	Dim       int                      `json:"dim"`
	MaxDim    int                      `json:"max_dim"`
	Threshold *float64                 `json:"threshold"`
	Ripser    map[string][][2]*float64 `json:"ripser"`
	Gudhi     map[string][][2]*float64 `json:"gudhi"`
}

func readCloud(t testing.TB, path string) (points []float64, n, dim int) {
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

func goldenPairs(raw [][2]*float64) [][2]float64 {
	out := make([][2]float64, len(raw))
	for i, p := range raw {
		out[i] = [2]float64{*p[0], math.Inf(1)}
		if p[1] != nil {
			out[i][1] = *p[1]
		}
	}
	return out
}

func asArrays(ps []Pair) [][2]float64 {
	out := make([][2]float64, len(ps))
	for i, p := range ps {
		out[i] = [2]float64{p.Birth, p.Death}
	}
	return out
}

func TestGoldens(t *testing.T) {
	files, err := filepath.Glob("../../testdata/ph/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("goldens missing (%v): run scripts/make_ph_goldens.py", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var g golden
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		t.Run(g.Name, func(t *testing.T) {
			points, n, dim := readCloud(t, filepath.Join("../../testdata/ph", g.Points))
			if n != g.N || dim != g.Dim {
				t.Fatalf("cloud is %d×%d, golden says %d×%d", n, dim, g.N, g.Dim)
			}
			threshold := math.Inf(1)
			if g.Threshold != nil {
				threshold = *g.Threshold
			}
			d, err := VietorisRips(points, n, dim, Options{MaxDim: g.MaxDim, Threshold: threshold})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("n=%d threshold=%v enclosing=%.4g edges=%d sparse=%v", n, d.Threshold, d.EnclosingRadius, d.Edges, d.Sparse)
			for k := 0; k <= g.MaxDim; k++ {
				ours := asArrays(d.Dim(k))
				key := strconv.Itoa(k)
				// Ripser prints 6 significant digits of float32 distances.
				if b := bottleneck(ours, goldenPairs(g.Ripser[key])); !(b <= 1e-5) {
					t.Errorf("H%d: bottleneck distance to Ripser %g > 1e-5 (%d pairs vs %d)", k, b, len(ours), len(g.Ripser[key]))
				}
				if g.Gudhi != nil {
					if b := bottleneck(ours, goldenPairs(g.Gudhi[key])); !(b <= 1e-12) {
						t.Errorf("H%d: bottleneck distance to GUDHI %g > 1e-12", k, b)
					}
				}
			}
		})
	}
}

// bottleneck returns the bottleneck distance between two diagrams
// (L∞ ground distance, points may match the diagonal). Essential points
// (death +Inf) match only essential points, by sorted birth; if their
// numbers differ the distance is +Inf. Exact: binary search over the
// candidate costs with a Hopcroft–Karp perfect matching at each.
func bottleneck(a, b [][2]float64) float64 {
	var ea, eb []float64
	var fa, fb [][2]float64
	for _, p := range a {
		if math.IsInf(p[1], 1) {
			ea = append(ea, p[0])
		} else {
			fa = append(fa, p)
		}
	}
	for _, p := range b {
		if math.IsInf(p[1], 1) {
			eb = append(eb, p[0])
		} else {
			fb = append(fb, p)
		}
	}
	if len(ea) != len(eb) {
		return math.Inf(1)
	}
	slices.Sort(ea)
	slices.Sort(eb)
	dist := 0.0
	for i := range ea {
		dist = max(dist, math.Abs(ea[i]-eb[i]))
	}
	na, nb := len(fa), len(fb)
	size := na + nb
	// cost(l, r): l < na is fa[l], l ≥ na is the diagonal copy of fb[l−na];
	// r < nb is fb[r], r ≥ nb is the diagonal copy of fa[r−nb].
	cost := func(l, r int) float64 {
		switch {
		case l < na && r < nb:
			return max(math.Abs(fa[l][0]-fb[r][0]), math.Abs(fa[l][1]-fb[r][1]))
		case l < na:
			if r-nb == l {
				return (fa[l][1] - fa[l][0]) / 2
			}
			return math.Inf(1)
		case r < nb:
			if l-na == r {
				return (fb[r][1] - fb[r][0]) / 2
			}
			return math.Inf(1)
		}
		return 0
	}
	var cands []float64
	for l := 0; l < size; l++ {
		for r := 0; r < size; r++ {
			if c := cost(l, r); !math.IsInf(c, 1) {
				cands = append(cands, c)
			}
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	lo, hi := 0, len(cands)-1
	if size == 0 {
		return dist
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if perfectMatching(size, func(l, r int) bool { return cost(l, r) <= cands[mid] }) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return max(dist, cands[lo])
}

// perfectMatching reports whether the bipartite graph on size+size
// vertices with edges ok(l, r) has a perfect matching (Hopcroft–Karp).
func perfectMatching(size int, ok func(l, r int) bool) bool {
	adj := make([][]int32, size)
	for l := range adj {
		for r := 0; r < size; r++ {
			if ok(l, r) {
				adj[l] = append(adj[l], int32(r))
			}
		}
	}
	const none = -1
	matchL := make([]int, size)
	matchR := make([]int, size)
	for i := range matchL {
		matchL[i], matchR[i] = none, none
	}
	layer := make([]int, size)
	matched := 0
	for {
		// BFS from free left vertices.
		queue := []int{}
		for l := range layer {
			if matchL[l] == none {
				layer[l] = 0
				queue = append(queue, l)
			} else {
				layer[l] = -1
			}
		}
		found := false
		for q := 0; q < len(queue); q++ {
			l := queue[q]
			for _, r := range adj[l] {
				m := matchR[r]
				if m == none {
					found = true
				} else if layer[m] < 0 {
					layer[m] = layer[l] + 1
					queue = append(queue, m)
				}
			}
		}
		if !found {
			return matched == size
		}
		var dfs func(l int) bool
		dfs = func(l int) bool {
			for _, r := range adj[l] {
				m := matchR[r]
				if m == none || (layer[m] == layer[l]+1 && dfs(m)) {
					matchL[l], matchR[r] = int(r), l
					return true
				}
			}
			layer[l] = -1
			return false
		}
		for l := range matchL {
			if matchL[l] == none && dfs(l) {
				matched++
			}
		}
	}
}

func TestBottleneckSmall(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		a, b [][2]float64
		want float64
	}{
		{[][2]float64{{0, 1}}, [][2]float64{{0, 1}}, 0},
		{[][2]float64{{0, 1}}, nil, 0.5},                            // to the diagonal
		{[][2]float64{{0, 1}}, [][2]float64{{0.1, 1.2}}, 0.2},       // point to point
		{[][2]float64{{0, 1}, {0, 0.2}}, [][2]float64{{0, 1}}, 0.1}, // extra short pair
		{[][2]float64{{0, inf}}, [][2]float64{{0.25, inf}}, 0.25},
		{[][2]float64{{0, inf}}, nil, inf},
	} {
		if got := bottleneck(c.a, c.b); math.Abs(got-c.want) > 1e-15 && got != c.want {
			t.Errorf("bottleneck(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

var _ = fmt.Sprint
