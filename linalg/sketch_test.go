package linalg

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// rowShards splits the rows of a at the given boundaries.
func rowShards(a *mat.Dense, bounds ...int) []*mat.Dense {
	_, n := a.Dims()
	var out []*mat.Dense
	for i := 1; i < len(bounds); i++ {
		out = append(out, mat.DenseCopyOf(a.Slice(bounds[i-1], bounds[i], 0, n)))
	}
	return out
}

// evenBounds returns the boundaries of k nearly equal shards of m rows.
func evenBounds(m, k int) []int {
	b := make([]int, k+1)
	for i := range b {
		b[i] = i * m / k
	}
	return b
}

// centered returns a − 1μᵀ, μ the column means of a.
func centered(a *mat.Dense) *mat.Dense {
	m, n := a.Dims()
	c := mat.DenseCopyOf(a)
	mu := columnMeans(a)
	for i := range m {
		for j := range n {
			c.Set(i, j, c.At(i, j)-mu[j])
		}
	}
	return c
}

// shardSketches summarises each shard in its own sketch.
func shardSketches(t *testing.T, shards []*mat.Dense, centred bool, keep int, opts RSVDOptions) []*RowSketch {
	t.Helper()
	var out []*RowSketch
	for _, sh := range shards {
		_, n := sh.Dims()
		s := NewRowSketch(n, centred, keep)
		if err := s.AddBlock(sh, opts); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func mustMerge(t *testing.T, dst, src *RowSketch) *RowSketch {
	t.Helper()
	if err := dst.Merge(src); err != nil {
		t.Fatal(err)
	}
	return dst
}

func spectrum(t *testing.T, s *RowSketch) ([]float64, *mat.Dense) {
	t.Helper()
	sigma, v, err := s.Spectrum()
	if err != nil {
		t.Fatal(err)
	}
	return sigma, v
}

func TestRowSketchExactMerge(t *testing.T) {
	// Full-rank 600×40 matrix with distinct column scales and a large mean.
	rnd := rand.New(rand.NewPCG(11, 11))
	a := gaussian(rnd, 600, 40)
	for i := range 600 {
		for j := range 40 {
			a.Set(i, j, 5+float64(j+1)*0.1*a.At(i, j)+float64(j%3))
		}
	}
	// Uneven shards, one of a single row.
	shards := rowShards(a, 0, 150, 400, 401, 437, 600)
	// l = min(K+p, rows, 40) = min(rows, 40): each shard is factorised exactly.
	opts := RSVDOptions{K: 40}
	for _, centred := range []bool{false, true} {
		ref := a
		if centred {
			ref = centered(a)
		}
		want, _, wantV := exactSVD(t, ref)
		s := NewRowSketch(40, centred, 0)
		for _, sh := range shards {
			if err := s.AddBlock(sh, opts); err != nil {
				t.Fatal(err)
			}
		}
		got, gotV := spectrum(t, s)
		if len(got) != 40 {
			t.Fatalf("centred=%t: %d singular values, want 40", centred, len(got))
		}
		if e := maxRelErr(got, want, 40); e > 1e-10 {
			t.Errorf("centred=%t: merged singular values differ from the SVD of the whole by %.3g", centred, e)
		}
		if d := colDistance(gotV, wantV, 40); d > 1e-8 {
			t.Errorf("centred=%t: merged V differs by %.3g", centred, d)
		}
		if s.Rows != 600 || s.Truncated || s.TailSq != 0 {
			t.Errorf("centred=%t: Rows=%d Truncated=%t TailSq=%v, want 600 false 0", centred, s.Rows, s.Truncated, s.TailSq)
		}
		frob := frobeniusSq(ref)
		if math.Abs(s.FrobSq-frob) > 1e-12*frob {
			t.Errorf("centred=%t: FrobSq = %v, want %v", centred, s.FrobSq, frob)
		}
		if centred {
			mu := columnMeans(a)
			for j := range mu {
				if math.Abs(s.Mean[j]-mu[j]) > 1e-13*math.Abs(mu[j]) {
					t.Fatalf("Mean[%d] = %v, want %v", j, s.Mean[j], mu[j])
				}
			}
		}
	}
}

func TestRowSketchShardCountAndOrder(t *testing.T) {
	// Exactly rank 6, so the rSVD of every shard (l = 4+10 ≥ 6) is exact.
	const m, n, r = 2400, 120, 6
	a := lowRankPlusNoise(m, n, r, 0.7, 0, 12)
	// Give the rows a non-zero mean so centring matters.
	for i := range m {
		for j := range n {
			a.Set(i, j, a.At(i, j)+0.01*float64(j%7))
		}
	}
	opts := RSVDOptions{K: 4, PowerIters: -1, Seed: 3}
	for _, centred := range []bool{false, true} {
		ref := a
		if centred {
			ref = centered(a)
		}
		want, _, wantV := exactSVD(t, ref)
		rank := r + 1 // the mean adds a direction; centring removes it again
		if centred {
			rank = r
		}
		check := func(name string, s *RowSketch) {
			t.Helper()
			got, v := spectrum(t, s)
			if e := maxRelErr(got, want, rank); e > 1e-9 {
				t.Errorf("centred=%t %s: top-%d singular values differ from the exact SVD by %.3g", centred, name, rank, e)
			}
			if len(got) > rank && got[rank] > 1e-9*got[0] {
				t.Errorf("centred=%t %s: σ_%d = %.3g, want ≈ 0", centred, name, rank+1, got[rank])
			}
			if d := colDistance(v, wantV, rank); d > 1e-7 {
				t.Errorf("centred=%t %s: V differs by %.3g", centred, name, d)
			}
			if s.Rows != m {
				t.Errorf("centred=%t %s: Rows = %d, want %d", centred, name, s.Rows, m)
			}
		}
		for _, k := range []int{1, 3, 8} {
			shards := rowShards(a, evenBounds(m, k)...)
			// Sequential AddBlock.
			seq := NewRowSketch(n, centred, 0)
			for _, sh := range shards {
				if err := seq.AddBlock(sh, opts); err != nil {
					t.Fatal(err)
				}
			}
			check("sequential", seq)
			if k == 1 {
				continue
			}
			// Reverse order into a zero-value sketch.
			parts := shardSketches(t, shards, centred, 0, opts)
			rev := new(RowSketch)
			for i := len(parts) - 1; i >= 0; i-- {
				mustMerge(t, rev, parts[i])
			}
			check("reversed", rev)
			// Balanced tree: (((0+1)+(2+3))+...) pairwise.
			level := shardSketches(t, shards, centred, 0, opts)
			for len(level) > 1 {
				var next []*RowSketch
				for i := 0; i+1 < len(level); i += 2 {
					next = append(next, mustMerge(t, level[i], level[i+1]))
				}
				if len(level)%2 == 1 {
					next = append(next, level[len(level)-1])
				}
				level = next
			}
			check("tree", level[0])
		}
	}
}

func TestRowSketchTruncationBound(t *testing.T) {
	// Many shards and Keep = 5 force truncating compactions.
	const m, n, keep = 1200, 30, 5
	a := lowRankPlusNoise(m, n, n, 0.85, 0, 13)
	want, _, _ := exactSVD(t, a)
	s := NewRowSketch(n, false, keep)
	for _, sh := range rowShards(a, evenBounds(m, 12)...) {
		if err := s.AddBlock(sh, RSVDOptions{K: 3, Oversample: 2, PowerIters: 1, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		if s.StackRows > 2*keep {
			t.Fatalf("StackRows = %d exceeds 2·Keep = %d after a merge", s.StackRows, 2*keep)
		}
	}
	if !s.Truncated || s.TailSq <= 0 {
		t.Fatalf("Truncated = %t, TailSq = %v; want true, > 0", s.Truncated, s.TailSq)
	}
	frob := frobeniusSq(a)
	if math.Abs(s.FrobSq-frob) > 1e-12*frob {
		t.Errorf("FrobSq = %v, want %v (exact despite truncation)", s.FrobSq, frob)
	}
	got, _ := spectrum(t, s)
	var kept float64
	for _, x := range got {
		kept += x * x
	}
	if math.Abs(kept+s.TailSq-s.FrobSq) > 1e-10*s.FrobSq {
		t.Errorf("‖S‖_F² + TailSq = %v, want FrobSq = %v", kept+s.TailSq, s.FrobSq)
	}
	for i, x := range got {
		if x > want[i]*(1+1e-12) {
			t.Errorf("σ_%d(S) = %v exceeds σ_%d(A) = %v although SᵀS ≼ AᵀA", i+1, x, i+1, want[i])
		}
		if d := want[i]*want[i] - x*x; d > s.TailSq*(1+1e-9) {
			t.Errorf("σ_%d(A)² − σ_%d(S)² = %v exceeds TailSq = %v", i+1, i+1, d, s.TailSq)
		}
	}
	t.Logf("TailSq = %.4g, top σ rel. errors: %.3g", s.TailSq, maxRelErr(got, want, 2))
}

func TestRowSketchEmptyIsIdentity(t *testing.T) {
	rnd := rand.New(rand.NewPCG(14, 14))
	a := gaussian(rnd, 50, 8)
	for _, centred := range []bool{false, true} {
		s := NewRowSketch(8, centred, 0)
		if err := s.AddBlock(a, RSVDOptions{K: 8}); err != nil {
			t.Fatal(err)
		}
		before := *s
		before.Stack = append([]float64(nil), s.Stack...)
		mustMerge(t, s, NewRowSketch(8, centred, 0))
		mustMerge(t, s, new(RowSketch))
		if s.Rows != before.Rows || s.FrobSq != before.FrobSq || s.StackRows != before.StackRows {
			t.Fatalf("centred=%t: merging an empty sketch changed s", centred)
		}
		for i := range s.Stack {
			if s.Stack[i] != before.Stack[i] {
				t.Fatalf("centred=%t: merging an empty sketch changed the stack", centred)
			}
		}
		for _, empty := range []*RowSketch{NewRowSketch(8, centred, 0), new(RowSketch)} {
			mustMerge(t, empty, s)
			if empty.Rows != s.Rows || empty.FrobSq != s.FrobSq || empty.Cols != 8 || empty.Centered != centred {
				t.Fatalf("centred=%t: empty.Merge(s) is not a copy of s: %+v", centred, empty)
			}
			empty.Stack[0]++ // must not alias s
			if empty.Stack[0] == s.Stack[0] {
				t.Fatal("Merge aliases the other sketch's stack")
			}
		}
	}
	if _, _, err := new(RowSketch).Spectrum(); err == nil {
		t.Error("Spectrum of an empty sketch: no error")
	}
}

func TestRowSketchErrors(t *testing.T) {
	rnd := rand.New(rand.NewPCG(15, 15))
	s := NewRowSketch(5, false, 0)
	if err := s.AddBlock(gaussian(rnd, 10, 6), RSVDOptions{K: 2}); err == nil || !strings.Contains(err.Error(), "6 columns") {
		t.Errorf("AddBlock with the wrong width: error %v", err)
	}
	if err := s.AddBlock(gaussian(rnd, 10, 5), RSVDOptions{K: 0}); err == nil {
		t.Error("AddBlock with K = 0: no error")
	}
	if err := s.AddBlock(gaussian(rnd, 10, 5), RSVDOptions{K: 2, Oversample: -2}); err == nil {
		t.Error("AddBlock with negative Oversample: no error")
	}
	if err := s.AddBlock(gaussian(rnd, 10, 5), RSVDOptions{K: 2}); err != nil {
		t.Fatal(err)
	}
	o := NewRowSketch(6, false, 0)
	if err := o.AddBlock(gaussian(rnd, 10, 6), RSVDOptions{K: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Merge(o); err == nil || !strings.Contains(err.Error(), "incompatible") {
		t.Errorf("Merge of different widths: error %v", err)
	}
	c := NewRowSketch(5, true, 0)
	if err := c.AddBlock(gaussian(rnd, 10, 5), RSVDOptions{K: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Merge(c); err == nil {
		t.Error("Merge of centred into uncentred: no error")
	}
	bad := &RowSketch{Cols: 5, Rows: 3, StackRows: 4, Stack: make([]float64, 7)}
	if err := s.Merge(bad); err == nil {
		t.Error("Merge of a corrupt sketch: no error")
	}
}

func TestMergeKeep(t *testing.T) {
	for _, tc := range []struct{ a, b, want int }{
		{0, 0, 0}, {0, 5, 5}, {5, 0, 5}, {3, 5, 3}, {5, 3, 3}, {-1, 4, 4},
	} {
		if got := mergeKeep(tc.a, tc.b); got != tc.want {
			t.Errorf("mergeKeep(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
