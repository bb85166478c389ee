package ph

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchTorus is n points on a noisy torus in R³ (R=2, r=1, noise 0.05).
func benchTorus(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]float64, 0, 3*n)
	for i := 0; i < n; i++ {
		u, v := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
		pts = append(pts,
			(2+math.Cos(v))*math.Cos(u)+0.05*rng.NormFloat64(),
			(2+math.Cos(v))*math.Sin(u)+0.05*rng.NormFloat64(),
			math.Sin(v)+0.05*rng.NormFloat64())
	}
	return pts
}

// benchO3 is n random orthogonal 3×3 matrices (Gram–Schmidt of Gaussian
// matrices) as points in R⁹, like Ripser's o3 benchmark.
func benchO3(n int) []float64 {
	rng := rand.New(rand.NewPCG(2, 2))
	pts := make([]float64, 0, 9*n)
	for i := 0; i < n; i++ {
		var q [3][3]float64
		for r := 0; r < 3; r++ {
			for c := range q[r] {
				q[r][c] = rng.NormFloat64()
			}
			for p := 0; p < r; p++ {
				dot := q[r][0]*q[p][0] + q[r][1]*q[p][1] + q[r][2]*q[p][2]
				for c := range q[r] {
					q[r][c] -= dot * q[p][c]
				}
			}
			nrm := math.Sqrt(q[r][0]*q[r][0] + q[r][1]*q[r][1] + q[r][2]*q[r][2])
			for c := range q[r] {
				q[r][c] /= nrm
			}
		}
		pts = append(pts, q[0][:]...)
		pts = append(pts, q[1][:]...)
		pts = append(pts, q[2][:]...)
	}
	return pts
}

func BenchmarkTorus2000H1(b *testing.B) {
	pts := benchTorus(2000)
	for b.Loop() {
		if _, err := VietorisRips(pts, 2000, 3, Options{MaxDim: 1, Threshold: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkO3_1024H2(b *testing.B) {
	pts := benchO3(1024)
	for b.Loop() {
		if _, err := VietorisRips(pts, 1024, 9, Options{MaxDim: 2, Threshold: 1.8}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSphere200H2Dense(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	n := 200
	pts := make([]float64, 0, 4*n)
	for i := 0; i < n; i++ {
		x := [4]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		r := math.Sqrt(x[0]*x[0] + x[1]*x[1] + x[2]*x[2] + x[3]*x[3])
		pts = append(pts, x[0]/r, x[1]/r, x[2]/r, x[3]/r)
	}
	for b.Loop() {
		if _, err := VietorisRips(pts, n, 4, Options{MaxDim: 2, Threshold: math.Inf(1)}); err != nil {
			b.Fatal(err)
		}
	}
}
