package transforms

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/io/clouds"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/multipers"
	"github.com/lowdim/lowdim/linalg/sample"
)

// Two-parameter persistence in the landscape study (issue 19): one
// MultipersFn call per (cloud, sample) computes, on the sample's points and
// their codensity (computed on the whole cloud), the Hilbert function of
// the codensity–Rips bifiltration on the cloud's grid (fixed before the
// run) and the landscapes along the grid's lines; MultipersHilbertMeanFn
// and MultipersSliceMeanFn average them over the cloud's samples (integer
// sums, and exact float sums, so the means do not depend on bundling), and
// the rows Fns turn the means into table rows.

func init() {
	beam.RegisterDoFn(&MultipersFn{})
	beam.RegisterDoFn(&MultipersHilbertMeanFn{})
	beam.RegisterDoFn(&MultipersSliceMeanFn{})
	beam.RegisterDoFn(&MultipersHilbertRowsFn{})
	beam.RegisterDoFn(&MultipersSliceRowsFn{})
	register.Emitter2[string, MultipersHilbert]()
	register.Emitter2[string, MultipersSlice]()
	register.Emitter1[HilbertRow]()
	register.Emitter1[SignedBarcodeRow]()
	register.Emitter1[SlicedLandscapeRow]()
	beam.RegisterType(typeOf[MultipersTask]())
	beam.RegisterType(typeOf[MultipersHilbert]())
	beam.RegisterType(typeOf[MultipersSlice]())
	beam.RegisterType(typeOf[MultipersSliceAcc]())
	beam.RegisterType(typeOf[HilbertRow]())
	beam.RegisterType(typeOf[SignedBarcodeRow]())
	beam.RegisterType(typeOf[SlicedLandscapeRow]())
}

// MultipersTask is one (cloud, sample) element of the two-parameter part of
// the landscape study, with the cloud's grid: T (codensity thresholds) and
// R (Rips radii), the same for every sample of the cloud.
type MultipersTask struct {
	Cloud  string
	Path   string
	Format string
	Sample int64
	T, R   []float64
}

// MultipersHilbert is the Hilbert function of dimension Dim of one sample
// (Count 1) or the sum over Count samples: Sum[i·len(R)+j] = Σ dim H_Dim at
// (T[i], R[j]).
type MultipersHilbert struct {
	Cloud string
	Dim   int64
	T, R  []float64
	Count int64
	Sum   []int64
}

// MultipersSlice is the sampled landscape (level-major, Levels × Resolution
// on [0, Line.Length]) of dimension Dim along line Slice of one sample.
type MultipersSlice struct {
	Cloud  string
	Dim    int64
	Slice  int64
	Line   multipers.Line
	Values []float64
}

// MultipersSliceAcc sums the landscapes of one (cloud, dim, slice) exactly:
// Partials[j] is a non-overlapping expansion of Σ Values[j] (linalg.AddExact).
type MultipersSliceAcc struct {
	Cloud    string
	Dim      int64
	Slice    int64
	Line     multipers.Line
	Count    int64
	Partials [][]float64
}

// HilbertRow is one row of the `hilbert` table: the Hilbert function of
// dimension dim at grid point (t, r), dim H_dim(Rips_r({x : f(x) ≤ t})),
// averaged over the cloud's samples (value is an integer with one sample).
type HilbertRow struct {
	RunID   string  `parquet:"run_id"`
	Cloud   string  `parquet:"cloud"`
	Dim     int64   `parquet:"dim"`
	T       float64 `parquet:"t"`
	R       float64 `parquet:"r"`
	Value   float64 `parquet:"value"`
	Samples int64   `parquet:"samples"`
}

// SignedBarcodeRow is one row of the `signed_barcode` table: a nonzero
// weight of the Möbius inversion of the mean Hilbert function at (t, r),
// w = H(i, j) − H(i−1, j) − H(i, j−1) + H(i−1, j−1) with H = 0 off the grid
// (multipers.HilbertFunction.SignedMeasure; Loiseaux et al. 2023). The
// inversion is linear, so this is also the mean of the samples' signed
// barcodes.
type SignedBarcodeRow struct {
	RunID   string  `parquet:"run_id"`
	Cloud   string  `parquet:"cloud"`
	Dim     int64   `parquet:"dim"`
	T       float64 `parquet:"t"`
	R       float64 `parquet:"r"`
	Weight  float64 `parquet:"weight"`
	Samples int64   `parquet:"samples"`
}

// SlicedLandscapeRow is one row of the `sliced_landscape` table: the mean
// over the cloud's samples of λ_level(s) of the dimension-dim landscape of
// the bifiltration restricted to line slice, ℓ(s) = (t, r) (no √2 factor;
// classes alive at the line's end truncated there).
type SlicedLandscapeRow struct {
	RunID string  `parquet:"run_id"`
	Cloud string  `parquet:"cloud"`
	Dim   int64   `parquet:"dim"`
	Slice int64   `parquet:"slice"`
	Level int64   `parquet:"level"`
	S     float64 `parquet:"s"` // grid point: the line parameter in [0, length]
	T     float64 `parquet:"t"` // ℓ(s), codensity coordinate
	R     float64 `parquet:"r"` // ℓ(s), radius coordinate
	Value float64 `parquet:"value"`
}

// MultipersLines returns the slices lines of the study through grid g:
// evenly spaced, of slope 1 once the grid's box is rescaled to a square
// (multipers.ParallelLines with direction (TMax − TMin, RMax − RMin)).
// No lines when slices is 0.
func MultipersLines(g multipers.Grid, slices int) ([]multipers.Line, error) {
	if slices == 0 {
		return nil, nil
	}
	box := g.Box()
	return multipers.ParallelLines(box, slices, box.TMax-box.TMin, box.RMax-box.RMin)
}

// Codensity returns the codensity of the n points: "knn" (distance to the
// k-th nearest other point) or "gaussian" (bandwidth h).
func Codensity(kind string, points []float64, n, dim, k int, h float64) ([]float64, error) {
	switch kind {
	case "knn":
		return multipers.KNNCodensity(points, n, dim, k)
	case "gaussian":
		return multipers.GaussianCodensity(points, n, dim, h)
	}
	return nil, fmt.Errorf("unknown codensity %q (knn or gaussian)", kind)
}

// MultipersFn computes, for one (cloud, sample), the Hilbert function of
// dimensions 0…MaxDim on the task's grid (multipers.Hilbert) and the
// landscapes along Slices lines (multipers.SliceLandscapes), on the same
// sample as LandscapeFn draws (LandscapeSeed) with the codensity computed on
// the whole cloud. Workers is the kernel's (columns or lines at once; 0 =
// GOMAXPROCS). It emits one MultipersHilbert per dim and one MultipersSlice
// per (dim, slice), keyed for the means.
type MultipersFn struct {
	RunID      string
	Seed       uint64
	Read       clouds.Reader
	Sampling   sample.Scheme
	Codensity  string
	K          int
	Bandwidth  float64
	MaxDim     int
	Slices     int
	Levels     int
	Resolution int
	MaxBytes   int64
	Workers    int

	reader *LandscapeFn // reads and caches clouds
	fKey   string       // cloud whose codensity is f
	f      []float64
}

func (fn *MultipersFn) ProcessElement(ctx context.Context, t MultipersTask, emitHilbert func(string, MultipersHilbert), emitSlice func(string, MultipersSlice)) error {
	if fn.reader == nil {
		fn.reader = &LandscapeFn{Read: fn.Read}
	}
	c, err := fn.reader.read(ctx, LandscapeTask{Cloud: t.Cloud, Path: t.Path, Format: t.Format, Sample: t.Sample})
	if err != nil {
		return err
	}
	if key := t.Path + "\x00" + t.Cloud; fn.fKey != key || fn.f == nil {
		if fn.f, err = Codensity(fn.Codensity, c.Points, c.N, c.Dim, fn.K, fn.Bandwidth); err != nil {
			return fmt.Errorf("cloud %s (%s): codensity: %w", t.Cloud, c.Path, err)
		}
		fn.fKey = key
	}
	h, slices, err := fn.Compute(*c, fn.f, t)
	if err != nil {
		return err
	}
	for q := 0; q <= fn.MaxDim; q++ {
		nt, nr := len(t.T), len(t.R)
		sum := make([]int64, nt*nr)
		for k, v := range h.Values[q*nt*nr : (q+1)*nt*nr] {
			sum[k] = int64(v)
		}
		emitHilbert(LandscapeKey(t.Cloud, int64(q)), MultipersHilbert{Cloud: t.Cloud, Dim: int64(q), T: t.T, R: t.R, Count: 1, Sum: sum})
	}
	for k, perDim := range slices {
		for q, s := range perDim {
			emitSlice(LandscapeKey(t.Cloud, int64(q))+"\x00S"+strconv.Itoa(k), MultipersSlice{
				Cloud: t.Cloud, Dim: int64(q), Slice: int64(k), Line: s.Line, Values: s.Values,
			})
		}
	}
	beam.NewCounter("lowdim", "multipers_samples").Inc(ctx, 1)
	return nil
}

// SliceLandscape is the sampled landscape of one dimension along Line.
type SliceLandscape struct {
	landscape.Sampled
	Line multipers.Line
}

// Compute draws sample t.Sample of cloud c (codensity f of the whole cloud)
// and returns its Hilbert function on the grid (t.T, t.R) and its
// landscapes along the grid's lines (out[line][dim]). Errors name the cloud
// and the sample.
func (fn *MultipersFn) Compute(c clouds.Cloud, f []float64, t MultipersTask) (multipers.HilbertFunction, [][]SliceLandscape, error) {
	idx, err := fn.Sampling.Indices(c.Points, c.N, c.Dim, LandscapeSeed(fn.Seed, t.Cloud, t.Sample))
	if err != nil {
		return multipers.HilbertFunction{}, nil, fmt.Errorf("cloud %s (%s): %w", t.Cloud, c.Path, err)
	}
	pts, fs := c.Points, f
	if !sample.IsIdentity(idx, c.N) {
		pts = sample.Gather(c.Points, c.Dim, idx)
		fs = make([]float64, len(idx))
		for k, i := range idx {
			fs[k] = f[i]
		}
	}
	g := multipers.Grid{T: t.T, R: t.R}
	opts := multipers.Options{MaxDim: fn.MaxDim, Workers: fn.Workers, MaxBytes: fn.MaxBytes}
	h, err := multipers.Hilbert(pts, len(idx), c.Dim, fs, g, opts)
	if err != nil {
		return multipers.HilbertFunction{}, nil, fmt.Errorf("cloud %s (%s), sample %d: %w", t.Cloud, c.Path, t.Sample, err)
	}
	lines, err := MultipersLines(g, fn.Slices)
	if err != nil {
		return multipers.HilbertFunction{}, nil, fmt.Errorf("cloud %s (%s): %w", t.Cloud, c.Path, err)
	}
	if len(lines) == 0 {
		return h, nil, nil
	}
	ls, err := multipers.SliceLandscapes(pts, len(idx), c.Dim, fs, lines, fn.Levels, fn.Resolution, opts)
	if err != nil {
		return multipers.HilbertFunction{}, nil, fmt.Errorf("cloud %s (%s), sample %d: %w", t.Cloud, c.Path, t.Sample, err)
	}
	out := make([][]SliceLandscape, len(ls))
	for k, perDim := range ls {
		out[k] = make([]SliceLandscape, len(perDim))
		for q, s := range perDim {
			out[k][q] = SliceLandscape{Sampled: s, Line: lines[k]}
		}
	}
	return h, out, nil
}

// MultipersHilbertMeanFn sums the Hilbert functions of a (cloud, dim) over
// its samples (integers: exact in any order).
type MultipersHilbertMeanFn struct{}

func (f *MultipersHilbertMeanFn) CreateAccumulator() MultipersHilbert { return MultipersHilbert{} }

func (f *MultipersHilbertMeanFn) AddInput(a, b MultipersHilbert) (MultipersHilbert, error) {
	return f.MergeAccumulators(a, b)
}

func (f *MultipersHilbertMeanFn) MergeAccumulators(a, b MultipersHilbert) (MultipersHilbert, error) {
	if b.Count == 0 {
		return a, nil
	}
	if a.Count == 0 {
		a = MultipersHilbert{Cloud: b.Cloud, Dim: b.Dim, T: b.T, R: b.R, Sum: make([]int64, len(b.Sum))}
	}
	if len(a.Sum) != len(b.Sum) || len(b.Sum) != len(b.T)*len(b.R) {
		return a, fmt.Errorf("hilbert mean of %s H%d: %d values and %d on a %d × %d grid", b.Cloud, b.Dim, len(a.Sum), len(b.Sum), len(b.T), len(b.R))
	}
	for k, v := range b.Sum {
		a.Sum[k] += v
	}
	a.Count += b.Count
	return a, nil
}

func (f *MultipersHilbertMeanFn) ExtractOutput(a MultipersHilbert) MultipersHilbert { return a }

// MultipersSliceMeanFn sums the landscapes of a (cloud, dim, slice) over
// its samples exactly; Levels × Resolution is the shape of each.
type MultipersSliceMeanFn struct {
	Levels, Resolution int
}

func (f *MultipersSliceMeanFn) CreateAccumulator() MultipersSliceAcc { return MultipersSliceAcc{} }

func (f *MultipersSliceMeanFn) AddInput(a MultipersSliceAcc, s MultipersSlice) (MultipersSliceAcc, error) {
	if len(s.Values) != f.Levels*f.Resolution {
		return a, fmt.Errorf("sliced landscape mean of %s H%d line %d: %d values, want %d levels × %d points", s.Cloud, s.Dim, s.Slice, len(s.Values), f.Levels, f.Resolution)
	}
	if len(a.Partials) == 0 {
		a.Partials = make([][]float64, len(s.Values))
	}
	a.Cloud, a.Dim, a.Slice, a.Line = s.Cloud, s.Dim, s.Slice, s.Line
	for j, v := range s.Values {
		a.Partials[j] = linalg.AddExact(a.Partials[j], v)
	}
	a.Count++
	return a, nil
}

func (f *MultipersSliceMeanFn) MergeAccumulators(a, b MultipersSliceAcc) MultipersSliceAcc {
	if b.Count == 0 {
		return a
	}
	if len(a.Partials) == 0 {
		a.Partials = make([][]float64, len(b.Partials))
	}
	a.Cloud, a.Dim, a.Slice, a.Line = b.Cloud, b.Dim, b.Slice, b.Line
	for j, p := range b.Partials {
		for _, v := range p {
			a.Partials[j] = linalg.AddExact(a.Partials[j], v)
		}
	}
	a.Count += b.Count
	return a
}

func (f *MultipersSliceMeanFn) ExtractOutput(a MultipersSliceAcc) MultipersSliceAcc { return a }

// Mean returns the mean of the summed Hilbert functions on the grid:
// Mean()[i·len(R)+j].
func (a MultipersHilbert) Mean() []float64 {
	out := make([]float64, len(a.Sum))
	for k, v := range a.Sum {
		out[k] = float64(v) / float64(a.Count)
	}
	return out
}

// SignedMeasure is the Möbius inversion of the summed Hilbert function
// (multipers.HilbertFunction.SignedMeasure): nonzero weights of the sum,
// sorted by (I, J); divide by Count for the mean's.
func (a MultipersHilbert) SignedMeasure() []multipers.SignedPoint {
	vals := make([]int, len(a.Sum))
	for k, v := range a.Sum {
		vals[k] = int(v)
	}
	h := multipers.HilbertFunction{Grid: multipers.Grid{T: a.T, R: a.R}, MaxDim: 0, Values: vals}
	return h.SignedMeasure()
}

// MultipersHilbertRowsFn turns a (cloud, dim) sum into its `hilbert` rows
// (the mean on every grid point) and its `signed_barcode` rows (the nonzero
// weights of the mean).
type MultipersHilbertRowsFn struct {
	RunID string
}

func (f *MultipersHilbertRowsFn) ProcessElement(_ string, a MultipersHilbert, emitH func(HilbertRow), emitW func(SignedBarcodeRow)) {
	mean := a.Mean()
	for i, t := range a.T {
		for j, r := range a.R {
			emitH(HilbertRow{RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, T: t, R: r, Value: mean[i*len(a.R)+j], Samples: a.Count})
		}
	}
	for _, p := range a.SignedMeasure() {
		emitW(SignedBarcodeRow{RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, T: p.T, R: p.R, Weight: float64(p.Weight) / float64(a.Count), Samples: a.Count})
	}
}

// MultipersSliceRowsFn turns a (cloud, dim, slice) sum into its
// `sliced_landscape` rows: the mean landscape on the line's grid.
type MultipersSliceRowsFn struct {
	RunID              string
	Levels, Resolution int
}

func (f *MultipersSliceRowsFn) ProcessElement(_ string, a MultipersSliceAcc, emit func(SlicedLandscapeRow)) error {
	mean := a.Accumulator(f.Levels, f.Resolution).Mean()
	if len(mean) != f.Levels*f.Resolution {
		return fmt.Errorf("sliced landscape mean of %s H%d line %d: %d values from %d samples, want %d × %d", a.Cloud, a.Dim, a.Slice, len(mean), a.Count, f.Levels, f.Resolution)
	}
	ss := landscape.Grid{Lo: 0, Hi: a.Line.Length, Resolution: f.Resolution}.Points()
	for k := 0; k < f.Levels; k++ {
		for i, s := range ss {
			t, r := a.Line.Point(s)
			emit(SlicedLandscapeRow{RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, Slice: a.Slice, Level: int64(k + 1), S: s, T: t, R: r, Value: mean[k*f.Resolution+i]})
		}
	}
	return nil
}

// Accumulator returns the sums as a landscape.MeanAccumulator whose sums
// are the correctly rounded exact sums; its Mean is the mean landscape.
func (a MultipersSliceAcc) Accumulator(levels, resolution int) landscape.MeanAccumulator {
	sum := make([]float64, len(a.Partials))
	for j, p := range a.Partials {
		sum[j] = linalg.RoundExact(p)
	}
	return landscape.MeanAccumulator{Sum: sum, Count: a.Count, Levels: levels, Resolution: resolution}
}
