//go:build ignore

// gen writes the point clouds of testdata/clouds; run it from the repository
// root with
//
//	go run testdata/clouds/gen.go
//
// Every draw comes from a PCG generator with a fixed seed, so the files are
// the same on every run and machine (math/rand/v2 streams are stable).
//
//   - torus.npy: 1000 points of the torus ((R + r cos φ) cos θ, (R + r cos φ) sin θ, r sin φ),
//     R = 2, r = 1, uniform in area (φ by rejection with density ∝ R + r cos φ),
//     plus N(0, 0.02²) noise per coordinate; float64, 1000×3. Betti numbers 1, 2, 1.
//   - circle.csv: 100 points of the circle of radius 1 at uniform angles plus N(0, 0.03²)
//     noise, header "x,y", %.17g. One H1 class born near 0, dying near √3 ≈ 1.732.
package main

import (
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/lowdim/lowdim/io/npy"
)

func main() {
	if err := torus("testdata/clouds/torus.npy", 1000, 2, 1, 0.02, 1); err != nil {
		log.Fatal(err)
	}
	if err := circle("testdata/clouds/circle.csv", 100, 1, 0.03, 2); err != nil {
		log.Fatal(err)
	}
}

func torus(name string, n int, R, r, noise float64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, ^seed))
	data := make([]float64, 0, 3*n)
	for len(data) < 3*n {
		theta := 2 * math.Pi * rng.Float64()
		phi := 2 * math.Pi * rng.Float64()
		if rng.Float64()*(R+r) > R+r*math.Cos(phi) {
			continue
		}
		w := R + r*math.Cos(phi)
		data = append(data,
			w*math.Cos(theta)+noise*rng.NormFloat64(),
			w*math.Sin(theta)+noise*rng.NormFloat64(),
			r*math.Sin(phi)+noise*rng.NormFloat64())
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := npy.Write(f, n, 3, data, "<f8", false); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func circle(name string, n int, radius, noise float64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, ^seed))
	b := []byte("x,y\n")
	for range n {
		t := 2 * math.Pi * rng.Float64()
		x := radius*math.Cos(t) + noise*rng.NormFloat64()
		y := radius*math.Sin(t) + noise*rng.NormFloat64()
		b = strconv.AppendFloat(b, x, 'g', 17, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, y, 'g', 17, 64)
		b = append(b, '\n')
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
