package idest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// uniformCube returns n points uniform in [0, 1]^d mapped into R^D by a
// random D×d matrix with orthonormal columns (a linear, isometric embedding).
func uniformCube(n, d, D int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	u := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			u.Set(i, j, rng.Float64())
		}
	}
	q := rotation(D, rng)
	var x mat.Dense
	x.Mul(u, q.Slice(0, d, 0, D))
	return &x
}

// bruteNeighbours returns the k nearest other distinct rows of every
// distinct row by sorting all direct distances (ties by index).
func bruteNeighbours(p *mat.Dense, k int) ([]float64, []int32) {
	n, _ := p.Dims()
	dist := make([]float64, n*k)
	idx := make([]int32, n*k)
	all := make([]candidate, 0, n)
	for i := 0; i < n; i++ {
		all = all[:0]
		for j := 0; j < n; j++ {
			if j != i {
				all = append(all, candidate{squaredDistance(p.RawRowView(i), p.RawRowView(j)), int32(j)})
			}
		}
		slices.SortFunc(all, func(a, b candidate) int {
			if c := cmp.Compare(a.g, b.g); c != 0 {
				return c
			}
			return cmp.Compare(a.j, b.j)
		})
		for m := 0; m < k; m++ {
			dist[i*k+m] = math.Sqrt(all[m].g)
			idx[i*k+m] = all[m].j
		}
	}
	return dist, idx
}

// TestKNNMatchesBruteForce: the index equals sorting all direct distances,
// bit for bit, on clouds where the Gram identity loses most of its digits
// (a far offset, near-duplicate points) and on a lattice full of exact ties,
// for every number of workers.
func TestKNNMatchesBruteForce(t *testing.T) {
	offset := uniformCube(700, 3, 12, 1)
	for i := 0; i < 700; i++ {
		for j := 0; j < 12; j++ {
			offset.Set(i, j, 1e6+offset.At(i, j))
		}
	}
	near := uniformCube(600, 4, 9, 2)
	for i := 0; i < 300; i += 2 { // pairs 1e-9 apart
		for j := 0; j < 9; j++ {
			near.Set(i+1, j, near.At(i, j)+1e-9*float64(j%3))
		}
	}
	lattice := mat.NewDense(512, 3, nil)
	for i := 0; i < 512; i++ {
		lattice.SetRow(i, []float64{float64(i % 8), float64(i / 8 % 8), float64(i / 64)})
	}
	wide := uniformCube(300, 6, 130, 3)
	for _, c := range []struct {
		name string
		x    *mat.Dense
		k    int
	}{{"offset", offset, 15}, {"near-duplicates", near, 10}, {"lattice", lattice, 26}, {"wide", wide, 40}} {
		want, wantIdx := bruteNeighbours(c.x, c.k)
		for _, workers := range []int{1, 2, 5} {
			g, err := NewKNN(c.x, c.k, workers)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g.dist, want) || !slices.Equal(g.index, wantIdx) {
				bad := 0
				for i := range want {
					if g.dist[i] != want[i] || g.index[i] != wantIdx[i] {
						bad++
					}
				}
				t.Errorf("%s, %d workers: %d of %d neighbours differ from brute force", c.name, workers, bad, len(want))
			}
		}
	}
}

// TestKNNDuplicates: duplicate rows map to one point, as dedupRows has it.
func TestKNNDuplicates(t *testing.T) {
	x := uniformCube(200, 3, 5, 4)
	dup := mat.NewDense(450, 5, nil)
	for i := 0; i < 400; i++ {
		dup.SetRow(i, x.RawRowView(i%200))
	}
	for i := 400; i < 450; i++ {
		dup.SetRow(i, x.RawRowView(3*(i-400)))
	}
	dup.Set(17, 2, math.Copysign(0, -1)) // a new point …
	dup.SetRow(449, dup.RawRowView(17))
	dup.Set(449, 2, 0) // … which +0 equals
	g, err := NewKNN(dup, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := dedupRows(dup); !mat.Equal(g.Points(), want) {
		t.Fatalf("points differ from dedupRows")
	}
	if g.Len() != 201 || g.Rows() != 450 {
		t.Fatalf("Len %d Rows %d, want 201 and 450", g.Len(), g.Rows())
	}
	for r := 0; r < 450; r++ {
		if !slices.Equal(g.Points().RawRowView(g.DistinctRow(r)), dup.RawRowView(r)) {
			t.Fatalf("row %d maps to point %d, a different row", r, g.DistinctRow(r))
		}
	}
	v := make([]float64, g.Len())
	for i := range v {
		v[i] = float64(i)
	}
	rows := g.ToRows(v)
	if rows[200] != rows[0] || rows[400] != rows[0] || rows[401] != rows[3] || rows[449] != rows[17] || rows[17] == rows[217] {
		t.Errorf("ToRows does not follow the duplicates: %v", rows)
	}
	if back := g.ToPoints(rows); !slices.Equal(back, v) {
		t.Errorf("ToPoints(ToRows(v)) = %v, want %v", back, v)
	}
	if _, err := NewKNN(x.Slice(0, 5, 0, 5), 5, 1); err == nil {
		t.Error("k = n accepted")
	}
	bad := mat.DenseCopyOf(x)
	bad.Set(3, 1, math.NaN())
	if _, err := NewKNN(bad, 3, 1); err == nil {
		t.Error("NaN accepted")
	}
}

func TestKthSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(50)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(8)) // many ties
		}
		s := slices.Sorted(slices.Values(v))
		k := 1 + rng.IntN(n)
		if got := kthSmallest(slices.Clone(v), k); got != s[k-1] {
			t.Fatalf("kthSmallest(%v, %d) = %v, want %v", v, k, got, s[k-1])
		}
	}
}

// BenchmarkKNN times the index on 20,000 points (k = 100) of a 5-D cube in
// R^D for D = 10, 100, 1000.
func BenchmarkKNN(b *testing.B) {
	for _, D := range []int{10, 100, 1000} {
		x := uniformCube(20000, 5, D, 11)
		b.Run(fmt.Sprintf("n=20000/D=%d/k=100", D), func(b *testing.B) {
			for range b.N {
				start := time.Now()
				if _, err := NewKNN(x, 100, 0); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/index")
			}
		})
	}
}

// TestKNNGolden: the index equals the NumPy neighbours (sorted full distance
// matrix) on both golden sets: the same indices, distances to 1e-12.
func TestKNNGolden(t *testing.T) {
	for _, s := range goldens(t) {
		g := s.graph
		if g.Len() != s.Distinct || g.Rows() != s.N {
			t.Fatalf("%s: %d points of %d rows, want %d of %d", s.Name, g.Len(), g.Rows(), s.Distinct, s.N)
		}
		for r, p := range s.RowOf {
			if g.DistinctRow(r) != p {
				t.Fatalf("%s: row %d maps to %d, want %d", s.Name, r, g.DistinctRow(r), p)
			}
		}
		worst := 0.0
		for i := 0; i < g.Len(); i++ {
			d, idx := g.Neighbours(i)
			k := s.KNN.K
			if !slices.Equal(idx[:k], s.KNN.Index[i]) {
				t.Fatalf("%s: neighbours of %d are %v, want %v", s.Name, i, idx[:k], s.KNN.Index[i])
			}
			e, _ := maxRelErr(d[:k], s.KNN.Dist[i])
			worst = max(worst, e)
		}
		if worst > 1e-12 {
			t.Errorf("%s: distances differ by %.3g relative", s.Name, worst)
		}
		t.Logf("%s: %d points, k = %d neighbours equal, distances max rel. error %.2g", s.Name, g.Len(), s.KNN.K, worst)
	}
}
