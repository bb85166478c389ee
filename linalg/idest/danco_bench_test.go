package idest

import "testing"

// The benchmarks use 2500 points of a 6-ball in R^10 (the size of the
// benchmark-manifold samples).

func BenchmarkMiNDML(b *testing.B) {
	x := dancoUniformBall(2500, 6, 10, 1)
	b.ResetTimer()
	for range b.N {
		if _, err := MiNDML(x, DefaultMiNDK, DefaultMiNDMaxDim); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDANCoStats(b *testing.B) {
	x := dancoUniformBall(2500, 6, 10, 1)
	b.ResetTimer()
	for range b.N {
		if _, err := DANCoStats(x, DefaultDANCoK, 10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDANCoCalibration computes the calibration of dimensions 1…10 for
// 2500 points, uncached.
func BenchmarkDANCoCalibration(b *testing.B) {
	for range b.N {
		if _, err := NewDANCoCalibration(DANCoKey{N: 2500, K: DefaultDANCoK, MaxDim: 10, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
