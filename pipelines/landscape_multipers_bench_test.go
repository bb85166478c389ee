package pipelines

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/npy"
)

// hiddenCircle1000 returns 1,000 points: 350 near the unit circle (noise
// N(0, 0.05²)) among 650 uniform points of [−2, 2]².
func hiddenCircle1000() []float64 {
	rng := rand.New(rand.NewPCG(19, 1000))
	pts := make([]float64, 0, 2000)
	for i := range 1000 {
		if i < 350 {
			a := 2 * math.Pi * rng.Float64()
			pts = append(pts, math.Cos(a)+0.05*rng.NormFloat64(), math.Sin(a)+0.05*rng.NormFloat64())
		} else {
			pts = append(pts, 4*rng.Float64()-2, 4*rng.Float64()-2)
		}
	}
	return pts
}

// BenchmarkLandscapeMultipers1000 times the landscape study on one cloud of
// 1,000 points in R² with two-parameter persistence on (H0 and H1, the
// default 20 × 20 grid of the whole cloud, 10 slices of 5 levels × 100
// points) through Prism: plan (codensity and default grid), the
// one-parameter diagram and landscapes, the Hilbert function, the signed
// barcode and the sliced landscapes, and the tables' staging.
func BenchmarkLandscapeMultipers1000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cloud.npy")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := npy.Write(f, 1000, 2, hiddenCircle1000(), "<f8", false); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	for _, codensity := range []string{"knn", "gaussian"} {
		params := "  max_dim: 1\n  threshold: 0.6\n  codensity: knn\n  codensity_k: 10\n"
		if codensity == "gaussian" {
			params = "  max_dim: 1\n  threshold: 0.6\n  codensity: gaussian\n  bandwidth: 0.1\n"
		}
		b.Run(codensity, func(b *testing.B) {
			for b.Loop() {
				spec, err := experiments.Parse([]byte(landscapeSpec(path, 3, params)), "bench.yaml")
				if err != nil {
					b.Fatal(err)
				}
				plan, err := PlanLandscape(context.Background(), spec, b.TempDir(), "r1")
				if err != nil {
					b.Fatal(err)
				}
				p, s := beam.NewPipelineWithRoot()
				plan.Build(s)
				if err := ptest.Run(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
