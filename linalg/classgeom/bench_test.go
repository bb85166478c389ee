package classgeom

import (
	"fmt"
	"strconv"
	"testing"

	"golang.org/x/exp/rand"
)

// benchRows returns n seeded Gaussian rows of d columns with labels 0..k−1
// interleaved, each class shifted and scaled differently.
func benchRows(n, d, k int) ([]string, []float64) {
	rng := rand.New(rand.NewSource(1))
	labels := make([]string, n)
	rows := make([]float64, n*d)
	for i := range n {
		c := i % k
		labels[i] = strconv.Itoa(c)
		for j := range d {
			rows[i*d+j] = float64(c) + rng.NormFloat64()*float64(1+(j+c)%7)
		}
	}
	return labels, rows
}

func BenchmarkAddRows(b *testing.B) {
	for _, d := range []int{64, 256} {
		b.Run(fmt.Sprintf("rows=4096/d=%d/k=10", d), func(b *testing.B) {
			labels, rows := benchRows(4096, d, 10)
			b.SetBytes(int64(len(rows) * 8))
			for b.Loop() {
				var s Summary
				if err := s.AddRows(labels, rows, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMerge(b *testing.B) {
	for _, d := range []int{64, 256} {
		b.Run(fmt.Sprintf("d=%d/k=10", d), func(b *testing.B) {
			labels, rows := benchRows(2000, d, 10)
			part := mustSummary(b, labels, rows, d, false)
			for b.Loop() {
				s := mustSummary(b, labels[:10], rows[:10*d], d, false)
				if err := s.Merge(part); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGeometry(b *testing.B) {
	b.Run("digits/d=64/k=10", func(b *testing.B) {
		rows, labels := readDigits(b)
		s := mustSummary(b, labels, rows, 64, false)
		for b.Loop() {
			if _, err := s.Geometry(Options{Eps: 0.5}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gauss/d=256/k=10", func(b *testing.B) {
		labels, rows := benchRows(4096, 256, 10)
		s := mustSummary(b, labels, rows, 256, false)
		for b.Loop() {
			if _, err := s.Geometry(Options{Eps: 0.5}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
