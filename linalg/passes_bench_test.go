package linalg

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// benchShardSet returns a 100,000×512 Gaussian matrix cut into shards of
// 10,000 rows (skipped under -short).
func benchShardSet(b *testing.B) (*mat.Dense, []*mat.Dense) {
	b.Helper()
	if testing.Short() {
		b.Skip("100,000×512 skipped in -short mode")
	}
	const m, n = 100_000, 512
	a := gaussian(rand.New(rand.NewPCG(1, 2)), m, n)
	return a, cutRows(a, shardBounds(m, 10, nil))
}

// BenchmarkMultiPassPass times one pass of the multi-pass method over a
// 100,000×512 shard set (10 shards of 10,000 rows, l = 30, centred): every
// shard's Process and Merge, then Next (power pass) or Finish (final pass).
// The method makes q + 2 such passes (9 for q = 7).
func BenchmarkMultiPassPass(b *testing.B) {
	a, shards := benchShardSet(b)
	m, n := a.Dims()
	mp, err := NewMultiPass(int64(m), n, MultiPassOptions{K: 20, PowerIters: 7, Seed: 1, Centered: true})
	if err != nil {
		b.Fatal(err)
	}
	power := mp.FirstBasis()
	pass := func(basis *PassBasis) {
		var merged PassPartial
		for _, sh := range shards {
			p, err := basis.Process(sh)
			if err != nil {
				b.Fatal(err)
			}
			if err := merged.Merge(p); err != nil {
				b.Fatal(err)
			}
		}
		if basis.Final {
			if _, err := mp.Finish(basis, &merged); err != nil {
				b.Fatal(err)
			}
		} else if _, err := mp.Next(basis, &merged); err != nil {
			b.Fatal(err)
		}
	}
	final := *power
	final.Final, final.Pass = true, mp.PowerPasses()
	b.Run("power", func(b *testing.B) {
		for b.Loop() {
			pass(power)
		}
		b.ReportMetric(4*float64(m)*float64(n)*float64(mp.L)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFlop/s")
	})
	b.Run("final", func(b *testing.B) {
		for b.Loop() {
			pass(&final)
		}
	})
}

// BenchmarkExactSpectrum times the exact method (RowQR, centred) over the
// 100,000×512 shard set: AddBlock per shard, merges, Finish (SVD of R).
func BenchmarkExactSpectrum(b *testing.B) {
	a, shards := benchShardSet(b)
	m, n := a.Dims()
	for b.Loop() {
		if _, err := ExactSpectrum(shards, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(n)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFlop/s(2mn²)")
}

// BenchmarkRowQRMerge times merging two full 512×512 factors: the
// structured triangular-pentagonal update Merge uses, against dgeqrf of the
// stacked 1024×512 rows; and a 30-row factor into a full one.
func BenchmarkRowQRMerge(b *testing.B) {
	const n = 512
	rnd := rand.New(rand.NewPCG(3, 4))
	full := func(rows int) *RowQR {
		q := NewRowQR(n, false)
		if err := q.AddBlock(gaussian(rnd, rows, n)); err != nil {
			b.Fatal(err)
		}
		return q
	}
	x, y, small := full(2*n), full(2*n), full(30)
	b.Run("structured", func(b *testing.B) {
		for b.Loop() {
			r := append([]float64(nil), x.R...)
			rows := append([]float64(nil), y.R...)
			triangularAppend(r, n, rows, n, 0)
		}
	})
	b.Run("dgeqrf", func(b *testing.B) {
		for b.Loop() {
			stack := append(append([]float64(nil), x.R...), y.R...)
			geqrf(blas64.General{Rows: 2 * n, Cols: n, Stride: n, Data: stack})
		}
	})
	b.Run("30 rows into full", func(b *testing.B) {
		for b.Loop() {
			acc := *x
			acc.R = append([]float64(nil), x.R...)
			if err := acc.Merge(small); err != nil {
				b.Fatal(err)
			}
		}
	})
}
