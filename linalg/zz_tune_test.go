package linalg

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func cpuSec() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// go test -run TestTune -v: GFLOP per CPU second (robust to other load)
func BenchmarkTuneCPU(b *testing.B) {
	for _, s := range productBenchShapes {
		m, n, l := s[0], s[1], s[2]
		rnd := rand.New(rand.NewPCG(1, 2))
		a := benchDense(rnd, m, n)
		x := benchDense(rnd, n, l)
		q := benchDense(rnd, m, l)
		d1 := mat.NewDense(m, l, nil)
		d2 := mat.NewDense(n, l, nil)
		for _, tc := range []struct {
			name string
			f    func()
		}{{"NN", func() { MulTallSkinny(d1, a, x) }}, {"TN", func() { MulTransTallSkinny(d2, a, q) }}} {
			tc.f()
			best := 0.0
			for rep := 0; rep < 5; rep++ {
				c0 := cpuSec()
				for i := 0; i < 5; i++ {
					tc.f()
				}
				g := 5 * 2 * float64(m*n*l) / (cpuSec() - c0) / 1e9
				best = max(best, g)
			}
			fmt.Printf("%s %dx%dx%d: %.1f GFLOP per CPU-s\n", tc.name, m, n, l, best)
		}
	}
}
