package linalg

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkRandomizedSVD times RandomizedSVD on rank-20-plus-noise matrices
// (noise 1e-3 relative), K = 20, p = 10. Sizes above 2000 rows are skipped
// under -short.
func BenchmarkRandomizedSVD(b *testing.B) {
	for _, bc := range []struct {
		m, n, q int
	}{
		{2000, 300, -1},
		{20000, 1000, 7},
		{20000, 1000, 2},
		{100000, 512, -1},
	} {
		name := fmt.Sprintf("%dx%d/q=%d", bc.m, bc.n, bc.q)
		if bc.q < 0 {
			name = fmt.Sprintf("%dx%d/q=auto(%d)", bc.m, bc.n, autoPowerIters(20, min(bc.m, bc.n)))
		}
		b.Run(name, func(b *testing.B) {
			if testing.Short() && bc.m > 2000 {
				b.Skip("large size skipped in -short mode")
			}
			a := lowRankPlusNoise(bc.m, bc.n, 20, 0.85, 1e-3, 1)
			opts := RSVDOptions{K: 20, Oversample: 10, PowerIters: bc.q, Seed: 1}
			for b.Loop() {
				if _, err := RandomizedSVD(a, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRowSketchAddBlock times summarising 8 row shards of a 20000×1000
// rank-20-plus-noise matrix and merging them (K = 20, p = 10, q = 2).
func BenchmarkRowSketchAddBlock(b *testing.B) {
	if testing.Short() {
		b.Skip("large size skipped in -short mode")
	}
	a := lowRankPlusNoise(20000, 1000, 20, 0.85, 1e-3, 1)
	shards := rowShards(a, evenBounds(20000, 8)...)
	opts := RSVDOptions{K: 20, Oversample: 10, PowerIters: 2, Seed: 1}
	for b.Loop() {
		s := NewRowSketch(1000, true, 0)
		for _, sh := range shards {
			if err := s.AddBlock(sh, opts); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := s.Spectrum(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExactSVD is the reference: gonum's dense thin SVD (singular
// values only) of a 2000×300 matrix.
func BenchmarkExactSVD(b *testing.B) {
	a := lowRankPlusNoise(2000, 300, 20, 0.85, 1e-3, 1)
	for b.Loop() {
		var svd mat.SVD
		if !svd.Factorize(a, mat.SVDNone) {
			b.Fatal("no convergence")
		}
	}
}
