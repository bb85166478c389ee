package pipelines

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
	"slices"

	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/ph"
	"github.com/lowdim/lowdim/transforms"
)

func TestScratchTorus(t *testing.T) {
	for _, cfg := range [][4]float64{{2, 0.8, 1000, 400}, {2, 1, 1000, 400}, {2, 1, 600, 300}, {2.5, 1, 800, 300}} {
		R, r, n, m := cfg[0], cfg[1], int(cfg[2]), int(cfg[3])
		rng := rand.New(rand.NewPCG(1, 2))
		var data []float64
		for len(data) < 3*n {
			th := 2 * math.Pi * rng.Float64()
			phi := 2 * math.Pi * rng.Float64()
			if rng.Float64()*(R+r) > R+r*math.Cos(phi) {
				continue
			}
			w := R + r*math.Cos(phi)
			data = append(data, w*math.Cos(th)+0.02*rng.NormFloat64(), w*math.Sin(th)+0.02*rng.NormFloat64(), r*math.Sin(phi)+0.02*rng.NormFloat64())
		}
		var acc landscape.MeanAccumulator
		start := time.Now()
		for s := range 5 {
			idx, _ := transforms.Sampling{Size: m}.Indices(data, n, 3, uint64(s))
			d, err := ph.VietorisRips(transforms.Gather(data, 3, idx), m, 3, ph.Options{MaxDim: 1, Threshold: 3})
			if err != nil { t.Fatal(err) }
			sm, _ := landscape.Sample(d.Pairs, 1, 5, landscape.Grid{0, 3, 100})
			acc.Add(sm)
		}
		mean := acc.Mean()
		var peaks []float64
		for k := 0; k < 5; k++ { peaks = append(peaks, slices.Max(mean[k*100:(k+1)*100])) }
		t.Logf("R %v r %v n %d m %d: %.3f  (%v per sample)", R, r, n, m, peaks, time.Since(start)/5)
	}
}
