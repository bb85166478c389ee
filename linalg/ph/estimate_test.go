package ph

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func gaussianCloud(n, dim int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	pts := make([]float64, n*dim)
	for i := range pts {
		pts[i] = rng.NormFloat64()
	}
	return pts
}

// TestEstimateMemoryMatchesVietorisRips: the estimate's edges, threshold,
// enclosing radius and layout are those of the diagram VietorisRips
// computes, and VietorisRips refuses the problem exactly when MaxBytes is
// below the estimate, naming FormatBytes of it.
func TestEstimateMemoryMatchesVietorisRips(t *testing.T) {
	for _, c := range []struct {
		n, dim, maxDim int
		threshold      float64
	}{
		{40, 2, 1, 0.5}, {40, 2, 1, 1.5}, {60, 3, 2, 1.2}, {30, 3, 2, math.Inf(1)}, {25, 4, 3, 2}, {2, 1, 1, 5},
	} {
		pts := gaussianCloud(c.n, c.dim, uint64(c.n*c.dim))
		opts := Options{MaxDim: c.maxDim, Threshold: c.threshold, MaxBytes: -1}
		est, err := EstimateMemory(pts, c.n, c.dim, opts)
		if err != nil {
			t.Fatal(err)
		}
		d, err := VietorisRips(pts, c.n, c.dim, opts)
		if err != nil {
			t.Fatal(err)
		}
		if est.Edges != d.Edges || est.Threshold != d.Threshold || est.EnclosingRadius != d.EnclosingRadius || est.Sparse != d.Sparse {
			t.Errorf("%+v: estimate %+v, diagram edges %d threshold %v enclosing %v sparse %v", c, est, d.Edges, d.Threshold, d.EnclosingRadius, d.Sparse)
		}
		if r := EnclosingRadius(pts, c.n, c.dim); r != est.EnclosingRadius {
			t.Errorf("%+v: EnclosingRadius %v, estimate's %v", c, r, est.EnclosingRadius)
		}
		opts.MaxBytes = int64(math.Ceil(est.Bytes)) - 1
		_, err = VietorisRips(pts, c.n, c.dim, opts)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "estimated "+FormatBytes(est.Bytes)+" of memory") {
			t.Errorf("%+v: MaxBytes one below the estimate %v: %v", c, est.Bytes, err)
		}
		opts.MaxBytes = int64(math.Ceil(est.Bytes))
		if _, err := VietorisRips(pts, c.n, c.dim, opts); err != nil {
			t.Errorf("%+v: MaxBytes at the estimate %v: %v", c, est.Bytes, err)
		}
	}
}

// TestEnclosingRadius against the definition, by brute force.
func TestEnclosingRadius(t *testing.T) {
	const n, dim = 50, 3
	pts := gaussianCloud(n, dim, 9)
	want := math.Inf(1)
	for i := range n {
		far := 0.0
		for j := range n {
			var s float64
			for k := range dim {
				d := pts[i*dim+k] - pts[j*dim+k]
				s += d * d
			}
			far = max(far, math.Sqrt(s))
		}
		want = min(want, far)
	}
	if got := EnclosingRadius(pts, n, dim); math.Abs(got-want) > 1e-15*want {
		t.Errorf("EnclosingRadius = %v, want %v", got, want)
	}
	if got := EnclosingRadius([]float64{1, 2}, 1, 2); got != 0 {
		t.Errorf("one point: %v", got)
	}
	// Three points on a line at 0, 1, 3: the middle one reaches both ends within 2.
	if got := EnclosingRadius([]float64{0, 1, 3}, 3, 1); got != 2 {
		t.Errorf("0, 1, 3: %v, want 2", got)
	}
}

func TestEstimateMemoryErrors(t *testing.T) {
	pts := gaussianCloud(5, 2, 1)
	pts[3] = math.NaN()
	for _, c := range []struct {
		pts    []float64
		n, dim int
		opts   Options
		want   string
	}{
		{pts, 5, 2, Options{MaxDim: 1, Threshold: 1}, "point 1 has non-finite coordinate NaN in column 1"},
		{gaussianCloud(5, 2, 1), 4, 2, Options{MaxDim: 1, Threshold: 1}, "10 coordinates for 4 points"},
		{gaussianCloud(1, 2, 1), 1, 2, Options{MaxDim: 1, Threshold: 1}, "one point"},
		{gaussianCloud(5, 2, 1), 5, 2, Options{MaxDim: 1, Threshold: 0}, "threshold 0 must be > 0"},
	} {
		if _, err := EstimateMemory(c.pts, c.n, c.dim, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d points, %+v: %v, want %q", c.n, c.opts, err, c.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for b, want := range map[float64]string{100000: "98 KiB", 1 << 20: "1.0 MiB", 11.04 * (1 << 20): "11.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := FormatBytes(b); got != want {
			t.Errorf("FormatBytes(%v) = %q, want %q", b, got, want)
		}
	}
}

// TestMaxMemoryBoundsEveryEstimate: the O(1) bound is never below the
// estimate, whatever the threshold.
func TestMaxMemoryBoundsEveryEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 7, 60, 300} {
		pts := make([]float64, 3*n)
		for i := range pts {
			pts[i] = rng.NormFloat64()
		}
		for maxDim := 0; maxDim <= 3; maxDim++ {
			bound := MaxMemory(n, maxDim)
			for _, th := range []float64{0.1, 0.5, 1, 2, math.Inf(1)} {
				est, err := EstimateMemory(pts, n, 3, Options{MaxDim: maxDim, Threshold: th})
				if err != nil {
					t.Fatal(err)
				}
				if est.Bytes > bound*(1+1e-12) {
					t.Errorf("n %d, H%d, threshold %g: estimate %g above bound %g", n, maxDim, th, est.Bytes, bound)
				}
			}
		}
	}
}
