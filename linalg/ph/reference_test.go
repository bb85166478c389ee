package ph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// referencePH is the textbook algorithm: list every simplex of dimension
// ≤ maxDim+1 with filtration value ≤ threshold, sort them by (value,
// dimension), reduce the boundary matrix over Z/2 column by column and read
// the pairs off the lowest ones. It shares no code with the package.
func referencePH(d []float64, n, maxDim int, threshold float64, births []float64) []Pair {
	type simplex struct {
		verts []int
		value float64
	}
	edge := func(i, j int) float64 {
		v := d[i*n+j]
		if births != nil {
			v = max(v, births[i], births[j])
		}
		return v
	}
	var all []simplex
	var rec func(verts []int, value float64)
	rec = func(verts []int, value float64) {
		if value > threshold {
			return
		}
		all = append(all, simplex{slices.Clone(verts), value})
		if len(verts) == maxDim+2 {
			return
		}
		for w := verts[len(verts)-1] + 1; w < n; w++ {
			v := value
			for _, u := range verts {
				v = max(v, edge(u, w))
			}
			rec(append(verts, w), v)
		}
	}
	for v := 0; v < n; v++ {
		b := 0.0
		if births != nil {
			b = births[v]
		}
		rec([]int{v}, b)
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].value != all[b].value {
			return all[a].value < all[b].value
		}
		return len(all[a].verts) < len(all[b].verts)
	})
	pos := map[string]int{}
	key := func(v []int) string { return fmt.Sprint(v) }
	for i, s := range all {
		pos[key(s.verts)] = i
	}
	cols := make([][]int, len(all)) // sorted increasing row positions
	for i, s := range all {
		if len(s.verts) == 1 {
			continue
		}
		for m := range s.verts {
			f := append(slices.Clone(s.verts[:m]), s.verts[m+1:]...)
			cols[i] = append(cols[i], pos[key(f)])
		}
		slices.Sort(cols[i])
	}
	lowOwner := map[int]int{}
	paired := make([]bool, len(all))
	var out []Pair
	for i := range cols {
		for len(cols[i]) > 0 {
			low := cols[i][len(cols[i])-1]
			j, ok := lowOwner[low]
			if !ok {
				break
			}
			cols[i] = symDiff(cols[i], cols[j])
		}
		if len(cols[i]) > 0 {
			low := cols[i][len(cols[i])-1]
			lowOwner[low] = i
			paired[low], paired[i] = true, true
			if all[i].value > all[low].value {
				out = append(out, Pair{len(all[low].verts) - 1, all[low].value, all[i].value})
			}
		}
	}
	for i, s := range all {
		if !paired[i] && len(s.verts)-1 <= maxDim {
			out = append(out, Pair{len(s.verts) - 1, s.value, math.Inf(1)})
		}
	}
	slices.SortFunc(out, comparePairs)
	return out
}

func symDiff(a, b []int) []int {
	var out []int
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return out
}

func distanceMatrix(points []float64, n, dim int) []float64 {
	d := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				continue
			}
			var s float64
			for k := 0; k < dim; k++ {
				t := points[i*dim+k] - points[j*dim+k]
				s += t * t
			}
			d[i*n+j] = math.Sqrt(s)
		}
	}
	return d
}

// TestAgainstReference compares the reduction, in both the dense and the
// sparse layout, with the textbook algorithm on small clouds with many ties
// (integer coordinates), duplicate points, thresholds below and above the
// enclosing radius, and vertex births.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	defer func() { forceLayout = 0 }()
	dimsSeen := map[int]int{}
	for trial := 0; trial < 240; trial++ {
		n := 6 + rng.IntN(10)
		dim := 1 + rng.IntN(3)
		integer := false
		var points []float64
		switch trial % 4 {
		case 0: // integer grid: many ties and duplicates
			integer = true
			points = make([]float64, n*dim)
			for i := range points {
				points[i] = float64(rng.IntN(4))
			}
		case 1:
			points = make([]float64, n*dim)
			for i := range points {
				points[i] = rng.NormFloat64()
			}
		case 2: // noisy circle of radius 1.5: H1
			dim = 2
			for i := 0; i < n; i++ {
				a := 2 * math.Pi * rng.Float64()
				points = append(points, 1.5*math.Cos(a)+0.1*rng.NormFloat64(), 1.5*math.Sin(a)+0.1*rng.NormFloat64())
			}
		case 3: // sphere of radius 1.2: H2
			dim = 3
			n += 4
			for i := 0; i < n; i++ {
				x, y, z := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
				r := math.Sqrt(x*x+y*y+z*z) / 1.2
				points = append(points, x/r, y/r, z/r)
			}
		}
		d := distanceMatrix(points, n, dim)
		var births []float64
		if trial%3 == 0 {
			births = make([]float64, n)
			for i := range births {
				if integer {
					births[i] = float64(rng.IntN(3))
				} else {
					births[i] = rng.Float64()
				}
			}
		}
		var threshold float64
		switch (trial / 4) % 4 {
		case 0:
			threshold = math.Inf(1)
		case 1:
			threshold = 1.5
		case 2:
			threshold = 2.5
		case 3:
			threshold = 1
		}
		maxDim := 2
		want := referencePH(d, n, maxDim, threshold, births)
		for _, p := range want {
			dimsSeen[p.Dim]++
		}
		for _, layout := range []int{1, 2} {
			forceLayout = layout
			opts := Options{MaxDim: maxDim, Threshold: threshold, VertexBirth: births}
			got, err := VietorisRipsDistances(d, n, opts)
			if err != nil {
				t.Fatal(err)
			}
			// Above the enclosing radius the reference still has the full
			// complex, which gives the same diagram.
			if !slices.Equal(got.Pairs, want) {
				t.Fatalf("trial %d (n=%d dim=%d threshold=%v births=%v layout=%d):\ngot  %v\nwant %v", trial, n, dim, threshold, births != nil, layout, got.Pairs, want)
			}
			gotP, err := VietorisRips(points, n, dim, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotP.Pairs, want) {
				t.Fatalf("trial %d: point-cloud variant differs from distance matrix variant:\ngot  %v\nwant %v", trial, gotP.Pairs, want)
			}
		}
	}
	// The fixtures must exercise every dimension.
	for k := 0; k <= 2; k++ {
		if dimsSeen[k] < 5 {
			t.Errorf("only %d reference pairs of dimension %d; the trials do not exercise it", dimsSeen[k], k)
		}
	}
	t.Logf("reference pairs per dimension: %v", dimsSeen)
}
