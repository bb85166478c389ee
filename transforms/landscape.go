package transforms

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/io/clouds"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/ph"
	"github.com/lowdim/lowdim/linalg/sample"
)

func init() {
	beam.RegisterDoFn(&LandscapeFn{})
	beam.RegisterDoFn(&LandscapeMeanFn{})
	beam.RegisterDoFn(&LandscapeMeanRowsFn{})
	register.Emitter1[[]LandscapeDiagramRow]()
	register.Emitter1[[]LandscapeRow]()
	register.Emitter1[LandscapeSummaryRow]()
	register.Emitter2[string, LandscapeStats]()
	beam.RegisterType(typeOf[LandscapeTask]())
	beam.RegisterType(typeOf[LandscapeDiagramRow]())
	beam.RegisterType(typeOf[LandscapeRow]())
	beam.RegisterType(typeOf[LandscapeSummaryRow]())
	beam.RegisterType(typeOf[LandscapeStats]())
	beam.RegisterType(typeOf[LandscapeMeanAcc]())
}

// LandscapeSeed is the seed of sample s of the cloud named cloud:
// linalg.DeriveSeed(linalg.DeriveSeed(seed, FNV-1a-64(cloud)), s). It depends on the
// cloud's name, not its position in the input, so adding a cloud or a
// sample does not change the others.
func LandscapeSeed(seed uint64, cloud string, sample int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(cloud))
	return linalg.DeriveSeed(linalg.DeriveSeed(seed, h.Sum64()), uint64(sample))
}

// LandscapeTask is one Beam element of the landscape study: sample Sample
// (0-based) of the cloud named Cloud, read from Path; when the
// LandscapeFn's Read has GroupBy set, Path is a table and the cloud
// is its rows whose group value is Cloud.
type LandscapeTask struct {
	Cloud  string
	Path   string
	Format string // the file's format; "" picks it by extension
	Sample int64
}

// LandscapeDiagramRow is one row of the `diagram` table: one pair of
// positive persistence of the Vietoris–Rips diagram of one sample.
type LandscapeDiagramRow struct {
	RunID  string  `parquet:"run_id"`
	Cloud  string  `parquet:"cloud"`
	Sample int64   `parquet:"sample"`
	Dim    int64   `parquet:"dim"`
	Birth  float64 `parquet:"birth"`
	// Death is NULL for an essential class: alive at the threshold.
	Death *float64 `parquet:"death,optional"`
}

// LandscapeRow is one row of the `landscape` table: λ_Level(T) of the
// landscape of dimension Dim of one sample, or of the mean landscape over
// the samples of the cloud when Sample is NULL.
type LandscapeRow struct {
	RunID  string  `parquet:"run_id"`
	Cloud  string  `parquet:"cloud"`
	Sample *int64  `parquet:"sample,optional"`
	Dim    int64   `parquet:"dim"`
	Level  int64   `parquet:"level"` // k = 1, 2, …
	T      float64 `parquet:"t"`     // grid point
	Value  float64 `parquet:"value"`
}

// LandscapeSummaryRow is one row of the `landscape_summary` table: one
// (cloud, dim). The norms are those of the mean landscape's piecewise-linear
// interpolant on [range_lo, range_hi], summed over its levels
// (landscape.Sampled.Norm): l1 = Σₖ ∫|λ̄ₖ|, l2 = (Σₖ ∫λ̄ₖ²)^½, linf = max λ̄₁.
type LandscapeSummaryRow struct {
	RunID      string  `parquet:"run_id"`
	Cloud      string  `parquet:"cloud"`
	Dim        int64   `parquet:"dim"`
	Points     int64   `parquet:"points"`      // points of the cloud, bad rows dropped
	SampleSize int64   `parquet:"sample_size"` // points per sample
	Samples    int64   `parquet:"samples"`
	Threshold  float64 `parquet:"threshold"`
	RangeLo    float64 `parquet:"range_lo"`
	RangeHi    float64 `parquet:"range_hi"`
	// Features is the mean over samples of the number of pairs of dimension dim, essential ones included.
	Features float64 `parquet:"features"`
	// Essential is the mean over samples of the number of essential classes (NULL deaths).
	Essential float64 `parquet:"essential"`
	// TotalPersistence is the mean over samples of Σ (death − birth) over the finite pairs.
	TotalPersistence float64 `parquet:"total_persistence"`
	L1               float64 `parquet:"l1"`
	L2               float64 `parquet:"l2"`
	Linf             float64 `parquet:"linf"`
}

// LandscapeStats is the part of one sample's result that is averaged per
// (cloud, dim): its sampled landscape (level-major, landscape.Sampled.Values)
// and its feature counts.
type LandscapeStats struct {
	Cloud       string
	Dim         int64
	Points      int64
	SampleSize  int64
	Values      []float64
	Features    int64
	Essential   int64
	Persistence float64
}

// LandscapeKey is the key of the (cloud, dim) mean.
func LandscapeKey(cloud string, dim int64) string {
	return cloud + "\x00H" + strconv.FormatInt(dim, 10)
}

// LandscapeFn computes the diagram of one sample (ph.VietorisRips) and its
// landscapes of dimensions 0…MaxDim on the grid [Lo, Hi] of Resolution
// points, and emits the diagram rows, the per-sample landscape rows and the
// keyed LandscapeStats for LandscapeMeanFn. The cloud is read inside the
// DoFn (the last cloud read is kept for the next sample of it; with
// Read.GroupBy, every cloud of the last table read).
type LandscapeFn struct {
	RunID      string
	Seed       uint64
	Read       clouds.Reader // Format is replaced by each task's
	Sampling   sample.Scheme
	MaxDim     int
	Threshold  float64
	Levels     int
	Resolution int
	Lo, Hi     float64
	MaxBytes   int64

	mu     sync.Mutex              // guards the cache of clouds read
	cloud  *clouds.Cloud           // last cloud read
	groups map[string]clouds.Cloud // clouds of the last table read, by group value, when Read.GroupBy is set
	work   concurrent[landscapeOutputs]
}

// landscapeOutputs are one sample's rows, emitted by FinishBundle.
type landscapeOutputs struct {
	pairs []LandscapeDiagramRow
	lands []LandscapeRow
	keys  []string
	stats []LandscapeStats
}

// ProcessElement computes the sample on the worker pool (concurrent).
func (f *LandscapeFn) ProcessElement(ctx context.Context, t LandscapeTask, _ func([]LandscapeDiagramRow), _ func([]LandscapeRow), _ func(string, LandscapeStats)) error {
	poolCounters(ctx, "rows_read", "bad_rows", "bad_rows_"+matrix.ReasonUnparsable, "bad_rows_"+matrix.ReasonFieldCount, "bad_rows_"+matrix.ReasonNonFinite, "shards", SubsamplesCounter)
	return f.work.Go(func() (landscapeOutputs, error) { return f.sample(ctx, t) })
}

func (f *LandscapeFn) FinishBundle(emitPairs func([]LandscapeDiagramRow), emitLands func([]LandscapeRow), emitStats func(string, LandscapeStats)) error {
	outs, err := f.work.Finish()
	for _, o := range outs {
		// One element per sample and table (tables.WriteBatches).
		if len(o.pairs) > 0 {
			emitPairs(o.pairs)
		}
		if len(o.lands) > 0 {
			emitLands(o.lands)
		}
		for i, st := range o.stats {
			emitStats(o.keys[i], st)
		}
	}
	return err
}

func (f *LandscapeFn) sample(ctx context.Context, t LandscapeTask) (landscapeOutputs, error) {
	var out landscapeOutputs
	emitPair := func(r LandscapeDiagramRow) { out.pairs = append(out.pairs, r) }
	emitLand := func(r LandscapeRow) { out.lands = append(out.lands, r) }
	emitStats := func(k string, st LandscapeStats) {
		out.keys = append(out.keys, k)
		out.stats = append(out.stats, st)
	}
	c, err := f.read(ctx, t)
	if err != nil {
		return out, err
	}
	if t.Sample == 0 {
		beam.NewCounter("lowdim", "rows_read").Inc(ctx, int64(c.N+c.BadRows))
		beam.NewCounter("lowdim", "bad_rows").Inc(ctx, int64(c.BadRows))
		beam.NewCounter("lowdim", "bad_rows_"+matrix.ReasonUnparsable).Inc(ctx, int64(c.BadUnparsable))
		beam.NewCounter("lowdim", "bad_rows_"+matrix.ReasonFieldCount).Inc(ctx, int64(c.BadFieldCount))
		beam.NewCounter("lowdim", "bad_rows_"+matrix.ReasonNonFinite).Inc(ctx, int64(c.BadRows-c.BadUnparsable-c.BadFieldCount))
	}
	beam.NewCounter("lowdim", "shards").Inc(ctx, 1)
	diag, m, err := f.Diagram(*c, t.Cloud, t.Sample)
	if err != nil {
		return out, err
	}
	beam.NewCounter("lowdim", SubsamplesCounter).Inc(ctx, 1)
	grid := landscape.Grid{Lo: f.Lo, Hi: f.Hi, Resolution: f.Resolution}
	ts := grid.Points()
	sampleIndex := t.Sample
	for _, p := range diag.Pairs {
		row := LandscapeDiagramRow{RunID: f.RunID, Cloud: t.Cloud, Sample: sampleIndex, Dim: int64(p.Dim), Birth: p.Birth}
		if !math.IsInf(p.Death, 1) {
			d := p.Death
			row.Death = &d
		}
		emitPair(row)
	}
	for dim := 0; dim <= f.MaxDim; dim++ {
		s, err := landscape.Sample(diag.Pairs, dim, f.Levels, grid)
		if err != nil {
			return out, fmt.Errorf("cloud %s, sample %d: %w", t.Cloud, t.Sample, err)
		}
		for k := 0; k < f.Levels; k++ {
			for i, x := range ts {
				emitLand(LandscapeRow{RunID: f.RunID, Cloud: t.Cloud, Sample: &sampleIndex, Dim: int64(dim), Level: int64(k + 1), T: x, Value: s.At(k, i)})
			}
		}
		st := LandscapeStats{Cloud: t.Cloud, Dim: int64(dim), Points: int64(c.N), SampleSize: int64(m), Values: s.Values}
		for _, p := range diag.Pairs {
			if p.Dim != dim {
				continue
			}
			st.Features++
			if math.IsInf(p.Death, 1) {
				st.Essential++
			} else {
				st.Persistence += p.Death - p.Birth
			}
		}
		emitStats(LandscapeKey(t.Cloud, int64(dim)), st)
	}
	return out, nil
}

// read returns the cloud of t: the file t.Path, or, when Read.GroupBy is
// set, the rows of the table t.Path whose group value is t.Cloud. The last
// file, or every group of the last table, is kept for the next task.
func (f *LandscapeFn) read(ctx context.Context, t LandscapeTask) (*clouds.Cloud, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.Read
	r.Format = t.Format
	if r.GroupBy == "" {
		if f.cloud == nil || f.cloud.Path != t.Path {
			c, err := r.Read(ctx, t.Path)
			if err != nil {
				return nil, err
			}
			f.cloud = &c
		}
		return f.cloud, nil
	}
	if f.cloud == nil || f.cloud.Path != t.Path {
		groups, err := r.ReadGroups(ctx, t.Path)
		if err != nil {
			return nil, err
		}
		f.groups = make(map[string]clouds.Cloud, len(groups))
		for _, c := range groups {
			f.groups[c.Group] = c
		}
		f.cloud = &clouds.Cloud{Path: t.Path} // marks the table read
	}
	c, ok := f.groups[t.Cloud]
	if !ok {
		return nil, fmt.Errorf("%s: no rows with %s = %s (the table changed since the run was planned?)", t.Path, r.GroupBy, t.Cloud)
	}
	return &c, nil
}

// Diagram draws sample s of cloud c (named name) and returns its
// Vietoris–Rips diagram and its number of points. Errors name the cloud and
// the sample.
func (f *LandscapeFn) Diagram(c clouds.Cloud, name string, s int64) (ph.Diagram, int, error) {
	idx, err := f.Sampling.Indices(c.Points, c.N, c.Dim, LandscapeSeed(f.Seed, name, s))
	if err != nil {
		return ph.Diagram{}, 0, fmt.Errorf("cloud %s (%s): %w", name, c.Path, err)
	}
	pts := c.Points
	if !sample.IsIdentity(idx, c.N) {
		pts = sample.Gather(c.Points, c.Dim, idx)
	}
	diag, err := ph.VietorisRips(pts, len(idx), c.Dim, ph.Options{MaxDim: f.MaxDim, Threshold: f.Threshold, MaxBytes: f.MaxBytes})
	if err != nil {
		return ph.Diagram{}, 0, fmt.Errorf("cloud %s (%s), sample %d: %w", name, c.Path, s, err)
	}
	return diag, len(idx), nil
}

// LandscapeMeanAcc accumulates the samples of one (cloud, dim). The sums
// are exact: Partials[j] is an expansion (linalg.AddExact) whose exact sum
// is Σ over the samples of Values[j], so the mean does not depend on the
// order in which samples are added or accumulators merged.
type LandscapeMeanAcc struct {
	Cloud       string
	Dim         int64
	Points      int64
	SampleSize  int64
	Count       int64
	Partials    [][]float64
	Features    int64
	Essential   int64
	Persistence []float64 // expansion of Σ LandscapeStats.Persistence
}

// LandscapeMeanFn combines the samples of a (cloud, dim) into their mean
// landscape; Levels × Resolution is the shape of every sample.
type LandscapeMeanFn struct {
	Levels, Resolution int
}

func (f *LandscapeMeanFn) CreateAccumulator() LandscapeMeanAcc { return LandscapeMeanAcc{} }

func (f *LandscapeMeanFn) AddInput(a LandscapeMeanAcc, s LandscapeStats) LandscapeMeanAcc {
	if len(s.Values) != f.Levels*f.Resolution {
		panic(fmt.Sprintf("landscape mean of %s H%d: %d values, want %d levels × %d points", s.Cloud, s.Dim, len(s.Values), f.Levels, f.Resolution))
	}
	f.init(&a)
	a.Cloud, a.Dim, a.Points, a.SampleSize = s.Cloud, s.Dim, s.Points, s.SampleSize
	for j, v := range s.Values {
		a.Partials[j] = linalg.AddExact(a.Partials[j], v)
	}
	a.Count++
	a.Features += s.Features
	a.Essential += s.Essential
	a.Persistence = linalg.AddExact(a.Persistence, s.Persistence)
	return a
}

func (f *LandscapeMeanFn) MergeAccumulators(a, b LandscapeMeanAcc) LandscapeMeanAcc {
	if b.Count == 0 {
		return a
	}
	f.init(&a)
	a.Cloud, a.Dim, a.Points, a.SampleSize = b.Cloud, b.Dim, b.Points, b.SampleSize
	for j, p := range b.Partials {
		for _, v := range p {
			a.Partials[j] = linalg.AddExact(a.Partials[j], v)
		}
	}
	a.Count += b.Count
	a.Features += b.Features
	a.Essential += b.Essential
	for _, v := range b.Persistence {
		a.Persistence = linalg.AddExact(a.Persistence, v)
	}
	return a
}

func (f *LandscapeMeanFn) ExtractOutput(a LandscapeMeanAcc) LandscapeMeanAcc { return a }

func (f *LandscapeMeanFn) init(a *LandscapeMeanAcc) {
	if len(a.Partials) == 0 {
		a.Partials = make([][]float64, f.Levels*f.Resolution)
	}
}

// Accumulator returns the samples accumulated in a as a
// landscape.MeanAccumulator of the given shape whose sums are the correctly
// rounded exact sums; its Mean is the mean landscape.
func (a LandscapeMeanAcc) Accumulator(levels, resolution int) landscape.MeanAccumulator {
	sum := make([]float64, len(a.Partials))
	for j, p := range a.Partials {
		sum[j] = linalg.RoundExact(p)
	}
	return landscape.MeanAccumulator{Sum: sum, Count: a.Count, Levels: levels, Resolution: resolution}
}

// LandscapeMeanRowsFn turns a (cloud, dim) mean into its rows of the
// `landscape` table (sample NULL) and its `landscape_summary` row.
type LandscapeMeanRowsFn struct {
	RunID      string
	Threshold  float64
	Levels     int
	Resolution int
	Lo, Hi     float64
}

func (f *LandscapeMeanRowsFn) ProcessElement(_ string, a LandscapeMeanAcc, emitLands func([]LandscapeRow), emitSummary func(LandscapeSummaryRow)) error {
	mean := a.Accumulator(f.Levels, f.Resolution).Mean()
	if len(mean) != f.Levels*f.Resolution {
		return fmt.Errorf("landscape mean of %s H%d: %d values from %d samples, want %d levels × %d points", a.Cloud, a.Dim, len(mean), a.Count, f.Levels, f.Resolution)
	}
	grid := landscape.Grid{Lo: f.Lo, Hi: f.Hi, Resolution: f.Resolution}
	ts := grid.Points()
	lands := make([]LandscapeRow, 0, f.Levels*len(ts))
	for k := 0; k < f.Levels; k++ {
		for i, x := range ts {
			lands = append(lands, LandscapeRow{RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, Level: int64(k + 1), T: x, Value: mean[k*f.Resolution+i]})
		}
	}
	emitLands(lands) // one element per (cloud, dim) (tables.WriteBatches)
	s := landscape.Sampled{Grid: grid, Levels: f.Levels, Values: mean}
	n := float64(a.Count)
	emitSummary(LandscapeSummaryRow{
		RunID: f.RunID, Cloud: a.Cloud, Dim: a.Dim, Points: a.Points, SampleSize: a.SampleSize, Samples: a.Count,
		Threshold: f.Threshold, RangeLo: f.Lo, RangeHi: f.Hi,
		Features: float64(a.Features) / n, Essential: float64(a.Essential) / n,
		TotalPersistence: linalg.RoundExact(a.Persistence) / n,
		L1:               s.Norm(1), L2: s.Norm(2), Linf: s.Norm(math.Inf(1)),
	})
	return nil
}
