package transforms

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/labelled"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/idest"
	"github.com/lowdim/lowdim/linalg/nn"
)

func init() {
	register.Emitter1[SubspaceRunRow]()
	beam.RegisterDoFn(&SubspaceRunFn{})
	register.Function1x2(KeyRunByModel)
	beam.RegisterDoFn(&IntrinsicDimFn{})
	register.Emitter1[IntrinsicDimRow]()
	register.Iter1[SubspaceRunRow]()
	beam.RegisterDoFn(&DataIDShardFn{})
	register.Emitter1[DataIDRow]()
	register.Emitter2[string, DataIDPartial]()
	register.Emitter1[LocalIDRow]()
	beam.RegisterDoFn(&DataIDMergeFn{})
	beam.RegisterDoFn(&DataIDOverallFn{})
	beam.RegisterType(typeOf[SubspaceTask]())
	beam.RegisterType(typeOf[SubspaceRunRow]())
	beam.RegisterType(typeOf[IntrinsicDimRow]())
	beam.RegisterType(typeOf[LabelledData]())
	beam.RegisterType(typeOf[DataIDCell]())
	beam.RegisterType(typeOf[DataIDRow]())
	beam.RegisterType(typeOf[DataIDPartial]())
}

// BaselineProjection is the projection column of a full-space (baseline)
// run, whose subspace_dim is the parameter count D.
const BaselineProjection = "none"

// LabelledData says where the labelled rows of a subspace sweep come from:
// a matrix with the label in column LabelColumn (0-based, of the file's
// columns), or, when LabelsPath is set, features and labels in two files
// (IDX, as MNIST ships them). With ValPath (and ValLabelsPath) the data
// has its own validation split; otherwise a seeded ValFraction of the rows
// is held out. Features are divided by the largest |value| of the training
// rows.
type LabelledData struct {
	Path          string
	Options       matrix.Options
	LabelColumn   int
	LabelsPath    string
	ValPath       string
	ValLabelsPath string
	ValFraction   float64
	MaxTrain      int
	SplitSeed     uint64
}

// Loaded is a labelled data set split for training.
type Loaded struct {
	Train, Val nn.Data
	Classes    int
	Features   int
}

var dataCache = struct {
	sync.Mutex
	m map[string]*dataEntry
}{m: map[string]*dataEntry{}}

type dataEntry struct {
	once sync.Once
	data *Loaded
	err  error
}

// Load reads, splits and scales the data once per process (Prism runs every
// element in the launcher's process, so the plan's load is reused).
func (l LabelledData) Load(ctx context.Context) (*Loaded, error) {
	key := fmt.Sprintf("%+v", l)
	dataCache.Lock()
	e, ok := dataCache.m[key]
	if !ok {
		e = &dataEntry{}
		dataCache.m[key] = e
	}
	dataCache.Unlock()
	e.once.Do(func() { e.data, e.err = l.load(ctx) })
	return e.data, e.err
}

// readLabelled returns the features and integer labels of one split.
func (l LabelledData) readLabelled(ctx context.Context, path, labelsPath string) (*mat.Dense, []int, error) {
	return labelled.Read(ctx, labelled.Source{Path: path, Options: l.Options, LabelColumn: l.LabelColumn, LabelsPath: labelsPath})
}

func subset(x *mat.Dense, y []int, idx []int) nn.Data {
	_, c := x.Dims()
	d := nn.Data{X: mat.NewDense(len(idx), c, nil), Y: make([]int, len(idx))} // len(idx) ≥ 1
	for i, k := range idx {
		d.X.SetRow(i, x.RawRowView(k))
		d.Y[i] = y[k]
	}
	return d
}

func (l LabelledData) load(ctx context.Context) (*Loaded, error) {
	x, y, err := l.readLabelled(ctx, l.Path, l.LabelsPath)
	if err != nil {
		return nil, err
	}
	n, cols := x.Dims()
	rng := rand.New(rand.NewPCG(l.SplitSeed, 0x5eed))
	perm := rng.Perm(n)
	var train, val nn.Data
	if l.ValPath != "" {
		vx, vy, err := l.readLabelled(ctx, l.ValPath, l.ValLabelsPath)
		if err != nil {
			return nil, err
		}
		if _, vc := vx.Dims(); vc != cols {
			return nil, fmt.Errorf("%s has %d feature columns, %s has %d", l.ValPath, vc, l.Path, cols)
		}
		keep := perm
		if l.MaxTrain > 0 && l.MaxTrain < n {
			keep = perm[:l.MaxTrain]
		}
		train = subset(x, y, keep)
		val = nn.Data{X: vx, Y: vy}
	} else {
		nv := int(math.Round(l.ValFraction * float64(n)))
		if nv < 1 || nv >= n {
			return nil, fmt.Errorf("%s: val_fraction %v of %d rows leaves no validation or no training rows", l.Path, l.ValFraction, n)
		}
		keep := perm[nv:]
		if l.MaxTrain > 0 && l.MaxTrain < len(keep) {
			keep = keep[:l.MaxTrain]
		}
		val, train = subset(x, y, perm[:nv]), subset(x, y, keep)
	}
	scale := 0.0
	for _, v := range train.X.RawMatrix().Data {
		scale = max(scale, math.Abs(v))
	}
	if scale > 0 {
		train.X.Scale(1/scale, train.X)
		val.X.Scale(1/scale, val.X)
	}
	classes := 0
	for _, v := range append(slices.Clone(train.Y), val.Y...) {
		classes = max(classes, v+1)
	}
	if classes < 2 {
		return nil, fmt.Errorf("%s: labels hold %d class; need at least 2", l.Path, classes)
	}
	return &Loaded{Train: train, Val: val, Classes: classes, Features: cols}, nil
}

// SubspaceTask is one Beam element of a subspace sweep: one training run of
// model Model (logistic | mlp) with seed Seed, in the full space when
// Baseline, else in a random SubspaceDim-dimensional subspace drawn by
// Projection.
type SubspaceTask struct {
	Model       string
	Projection  string
	SubspaceDim int64
	Seed        int64
	Baseline    bool
}

// SubspaceRunRow is one row of the `subspace_runs` table: one training run.
// A baseline (full-space) run has projection "none" and subspace_dim equal
// to params_total.
type SubspaceRunRow struct {
	RunID       string  `parquet:"run_id"`
	Dataset     string  `parquet:"dataset"`
	Model       string  `parquet:"model"` // e.g. "mlp 64-32-10"
	ParamsTotal int64   `parquet:"params_total"`
	Projection  string  `parquet:"projection"`
	SubspaceDim int64   `parquet:"subspace_dim"`
	Seed        int64   `parquet:"seed"`
	Epochs      int64   `parquet:"epochs"`
	TrainLoss   float64 `parquet:"train_loss"` // mean cross-entropy on the training rows after training
	ValLoss     float64 `parquet:"val_loss"`
	ValAccuracy float64 `parquet:"val_accuracy"`
	// TrainSeconds is the wall time of the run (not deterministic).
	TrainSeconds float64 `parquet:"train_seconds"`
}

// SubspaceSeeds returns the seeds of one run: θ₀ and the batch order depend
// on (spec seed, model name, run seed) only, so the baseline and every d of
// a seed start from the same θ₀ and see the same batches (common random
// numbers along d); the projection also depends on its kind and d.
func SubspaceSeeds(specSeed uint64, model, projection string, d, seed int64) (theta0, order, proj uint64) {
	h := func(s string) uint64 {
		f := fnv.New64a()
		f.Write([]byte(s))
		return f.Sum64()
	}
	base := linalg.DeriveSeed(linalg.DeriveSeed(specSeed, h("subspace/"+model)), uint64(seed))
	return linalg.DeriveSeed(base, 1), linalg.DeriveSeed(base, 2), linalg.DeriveSeed(base, h(fmt.Sprintf("proj/%s/%d", projection, d)))
}

// BuildModel returns the classifier of a task: logistic or mlp with the
// given hidden widths.
func BuildModel(kind string, features int, hidden []int, classes int) *nn.MLP {
	if kind == "logistic" {
		return nn.NewLogistic(features, classes)
	}
	return nn.NewMLP(features, hidden, classes)
}

// SubspaceRunFn trains one task. With CheckpointEvery > 0 it also saves the
// model's weights at step 0, every CheckpointEvery optimizer steps and after
// the last step, as CheckpointDir/CheckpointFolder(task)/CheckpointName(step)
// (see checkpoints.EncodeModel), through Beam's file systems (local or gs://).
// Training is deterministic, so a retried element rewrites the same bytes.
type SubspaceRunFn struct {
	RunID      string
	Dataset    string
	Data       LabelledData
	SpecSeed   uint64
	Hidden     []int
	Optimizer  string
	LR         float64
	BaselineLR float64
	Momentum   float64
	Epochs     int
	BatchSize  int

	CheckpointEvery int
	CheckpointDir   string

	work concurrent[SubspaceRunRow]
}

// ProcessElement trains on the worker pool (concurrent); the run's row is
// emitted by FinishBundle.
func (f *SubspaceRunFn) ProcessElement(ctx context.Context, t SubspaceTask, _ func(SubspaceRunRow)) error {
	poolCounters(ctx, "checkpoints_written", OptimizerStepsCounter, TrainingRunsCounter)
	return f.work.Go(func() (SubspaceRunRow, error) { return f.train(ctx, t) })
}

func (f *SubspaceRunFn) FinishBundle(emit func(SubspaceRunRow)) error {
	return emitAll(&f.work, emit)
}

func (f *SubspaceRunFn) train(ctx context.Context, t SubspaceTask) (SubspaceRunRow, error) {
	data, err := f.Data.Load(ctx)
	if err != nil {
		return SubspaceRunRow{}, err
	}
	start := time.Now()
	m := BuildModel(t.Model, data.Features, f.Hidden, data.Classes)
	D := m.NumParams()
	seed0, order, projSeed := SubspaceSeeds(f.SpecSeed, m.Name(), t.Projection, t.SubspaceDim, t.Seed)
	theta0 := make([]float64, D)
	m.Init(theta0, seed0)
	cfg := nn.TrainConfig{Epochs: f.Epochs, BatchSize: f.BatchSize, Optimizer: f.Optimizer, LR: f.LR, Momentum: f.Momentum, Seed: order}
	row := SubspaceRunRow{RunID: f.RunID, Dataset: f.Dataset, Model: m.Name(), ParamsTotal: int64(D), Seed: t.Seed, Epochs: int64(f.Epochs)}
	var p nn.Params
	if t.Baseline {
		p = nn.NewFull(theta0)
		row.Projection, row.SubspaceDim = BaselineProjection, int64(D)
		if f.BaselineLR > 0 {
			cfg.LR = f.BaselineLR
		}
	} else {
		if t.SubspaceDim < 1 || int(t.SubspaceDim) > D {
			return row, fmt.Errorf("subspace_dim %d outside [1, D = %d] for %s", t.SubspaceDim, D, m.Name())
		}
		p = nn.NewSubspace(theta0, nn.NewProjection(t.Projection, D, int(t.SubspaceDim), projSeed))
		row.Projection, row.SubspaceDim = t.Projection, t.SubspaceDim
	}
	if f.CheckpointEvery > 0 {
		if f.CheckpointDir == "" {
			return row, fmt.Errorf("checkpoint every %d steps: no checkpoint folder", f.CheckpointEvery)
		}
		dir := tables.Join(f.CheckpointDir, CheckpointFolder(t))
		meta := map[string]string{
			"format": "lowdim", "run_id": f.RunID, "dataset": f.Dataset, "model": m.Name(),
			"params_total": strconv.Itoa(D), "projection": row.Projection, "subspace_dim": strconv.FormatInt(row.SubspaceDim, 10),
			"seed": strconv.FormatInt(t.Seed, 10), "optimizer": cfg.Optimizer, "lr": strconv.FormatFloat(cfg.LR, 'g', -1, 64),
			"batch_size": strconv.Itoa(cfg.BatchSize), "epochs": strconv.Itoa(cfg.Epochs),
			"steps": strconv.Itoa(cfg.Steps(data.Train.Len())),
		}
		cfg.CheckpointEvery = f.CheckpointEvery
		cfg.Checkpoint = func(step int, theta []float64) error {
			meta["step"] = strconv.Itoa(step)
			var buf bytes.Buffer
			if err := checkpoints.EncodeModel(&buf, m, theta, meta); err != nil {
				return err
			}
			if err := tables.WriteBytes(ctx, tables.Join(dir, CheckpointName(step)), buf.Bytes()); err != nil {
				return err
			}
			beam.NewCounter("lowdim", "checkpoints_written").Inc(ctx, 1)
			return nil
		}
	}
	steps := beam.NewCounter("lowdim", OptimizerStepsCounter)
	cfg.OnStep = func(int) { steps.Inc(ctx, 1) }
	res, err := nn.Train(m, p, data.Train, data.Val, cfg)
	if err != nil {
		return row, err
	}
	row.TrainLoss, row.ValLoss, row.ValAccuracy = res.TrainLoss, res.ValLoss, res.ValAccuracy
	row.TrainSeconds = time.Since(start).Seconds()
	beam.NewCounter("lowdim", TrainingRunsCounter).Inc(ctx, 1)
	return row, nil
}

// CheckpointFolder names the folder of the checkpoints of one trained model:
// "<model>-full-seed<seed>" for a full-space baseline,
// "<model>-<projection>-d<d>-seed<seed>" for a subspace run (e.g.
// "mlp-full-seed0", "mlp-sparse-d300-seed0"). Tasks of one spec have
// distinct folders, because grid values are distinct and there is one
// baseline per (model, seed).
func CheckpointFolder(t SubspaceTask) string {
	if t.Baseline {
		return fmt.Sprintf("%s-full-seed%d", t.Model, t.Seed)
	}
	return fmt.Sprintf("%s-%s-d%d-seed%d", t.Model, t.Projection, t.SubspaceDim, t.Seed)
}

// CheckpointName is the file name of the checkpoint at an optimizer step,
// "step-00000100.safetensors": eight digits (more past 99 999 999), so that
// names sort by step and rank_dynamics reads the step from the name.
func CheckpointName(step int) string { return fmt.Sprintf("step-%08d.safetensors", step) }

// KeyRunByModel keys a run by its (dataset, model).
func KeyRunByModel(r SubspaceRunRow) (string, SubspaceRunRow) {
	return r.Dataset + "\x00" + r.Model, r
}

// IntrinsicDimRow is one row of the `intrinsic_dim` table: the intrinsic
// dimension of one (dataset, model, projection) objective landscape
// (Li et al. 2018, §2). Accuracies are means over the swept seeds.
type IntrinsicDimRow struct {
	RunID      string `parquet:"run_id"`
	Dataset    string `parquet:"dataset"`
	Model      string `parquet:"model"`
	Projection string `parquet:"projection"`
	// BaselineAccuracy is the mean validation accuracy of the full-space
	// runs; NULL without baseline runs.
	BaselineAccuracy *float64 `parquet:"baseline_accuracy,optional"`
	// Threshold is the accuracy d_int must reach: threshold × baseline.
	Threshold *float64 `parquet:"threshold,optional"`
	// DInt90 is the smallest swept d whose mean validation accuracy is ≥
	// Threshold; NULL if none or no baseline.
	DInt90 *int64 `parquet:"d_int90,optional"`
	// DBelow is the largest swept d below DInt90 (it misses the threshold),
	// so the crossing lies in (d_below, d_int90]; NULL when DInt90 is the
	// smallest swept d (left-censored). Without any d reaching the
	// threshold it is the largest swept d.
	DBelow *int64 `parquet:"d_below,optional"`
	// DAbove is the smallest swept d from which every larger swept d reaches
	// the threshold: DInt90 when accuracy is monotone in d, larger when a
	// noisy d above DInt90 falls back below. NULL if the largest d misses.
	DAbove *int64 `parquet:"d_above,optional"`
	// DSwept counts the swept d; Seeds the distinct seeds.
	DSwept int64 `parquet:"d_swept"`
	Seeds  int64 `parquet:"seeds"`
}

// IntrinsicDimFn turns the runs of one (dataset, model) into one
// IntrinsicDimRow per projection.
type IntrinsicDimFn struct {
	RunID     string
	Threshold float64
}

func (f *IntrinsicDimFn) ProcessElement(_ string, iter func(*SubspaceRunRow) bool, emit func(IntrinsicDimRow)) {
	var rows []SubspaceRunRow
	var r SubspaceRunRow
	for iter(&r) {
		rows = append(rows, r)
	}
	for _, out := range IntrinsicDim(rows, f.Threshold) {
		out.RunID = f.RunID
		emit(out)
	}
}

func ptr[T any](v T) *T { return &v }

// IntrinsicDim computes the IntrinsicDimRows of runs of one (dataset, model)
// (in any order), one per projection in ascending name order; see
// IntrinsicDimRow for the definitions. frac is the threshold fraction (0.9).
func IntrinsicDim(runs []SubspaceRunRow, frac float64) []IntrinsicDimRow {
	if len(runs) == 0 {
		return nil
	}
	mean := func(v []float64) float64 {
		slices.Sort(v)
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	var base []float64
	acc := map[string]map[int64][]float64{}
	seeds := map[int64]bool{}
	for _, r := range runs {
		seeds[r.Seed] = true
		if r.Projection == BaselineProjection {
			base = append(base, r.ValAccuracy)
			continue
		}
		if acc[r.Projection] == nil {
			acc[r.Projection] = map[int64][]float64{}
		}
		acc[r.Projection][r.SubspaceDim] = append(acc[r.Projection][r.SubspaceDim], r.ValAccuracy)
	}
	var projs []string
	for p := range acc {
		projs = append(projs, p)
	}
	sort.Strings(projs)
	var out []IntrinsicDimRow
	for _, p := range projs {
		row := IntrinsicDimRow{RunID: runs[0].RunID, Dataset: runs[0].Dataset, Model: runs[0].Model, Projection: p,
			Seeds: int64(len(seeds)), DSwept: int64(len(acc[p]))}
		var ds []int64
		for d := range acc[p] {
			ds = append(ds, d)
		}
		slices.Sort(ds)
		if len(base) > 0 {
			b := mean(base)
			th := frac * b
			row.BaselineAccuracy, row.Threshold = &b, &th
			ok := make([]bool, len(ds))
			for i, d := range ds {
				ok[i] = mean(acc[p][d]) >= th
			}
			first := slices.Index(ok, true)
			if first >= 0 {
				row.DInt90 = ptr(ds[first])
				if first > 0 {
					row.DBelow = ptr(ds[first-1])
				}
			} else {
				row.DBelow = ptr(ds[len(ds)-1])
			}
			if ok[len(ok)-1] {
				i := len(ok) - 1
				for i > 0 && ok[i-1] {
					i--
				}
				row.DAbove = ptr(ds[i])
			}
		}
		out = append(out, row)
	}
	return out
}

// DataIDCell is one estimator setting of a data sweep: method mle (with k
// and convention), twonn, pca (with energy), lpca (with rule), corrint, ess
// (with LocalK), fishers, mind_ml (with k and MaxDim) or danco (with
// MaxDim; 0 means the number of columns).
type DataIDCell struct {
	Method     string
	K          int64
	Convention string
	Energy     float64
	Rule       string
	LocalK     int64
	MaxDim     int64
}

// Key identifies the cell.
func (c DataIDCell) Key() string {
	return fmt.Sprintf("%s/k=%d/%s/energy=%g/rule=%s/local_k=%d/max_dim=%d", c.Method, c.K, c.Convention, c.Energy, c.Rule, c.LocalK, c.MaxDim)
}

// DataIDRow is one row of the `data_intrinsic_dim` table: an estimate of the
// intrinsic dimension of the rows of one shard, or of all shards when Shard
// is NULL (neighbours are found within a shard). Pooled exactly: pca and
// lpca (eigenvalues of the merged covariance). Pooled from the per-point
// statistics of every shard: mle (mean of the per-point MLEs), twonn (one
// fit to every ratio), ess (mean of the local ESS dimensions), mind_ml
// (MiND_MLk of every ratio). Mean over shards: corrint, fishers, danco. See
// IntrinsicEstimatorPooling.
type DataIDRow struct {
	RunID   string `parquet:"run_id"`
	Dataset string `parquet:"dataset"`
	Method  string `parquet:"method"`
	// K is the neighbour count of mle, ess, mind_ml and danco (NULL for
	// the others); the MLE normaliser is in Convention ("k-1" or "k-2",
	// empty otherwise).
	K          *int64  `parquet:"k,optional"`
	Convention string  `parquet:"convention"`
	Shard      *int64  `parquet:"shard,optional"`
	Estimate   float64 `parquet:"estimate"`
	// Spread is the standard error of the estimate: sd/√n of the per-point
	// MLEs or ESS dimensions, d/√m for TwoNN fitted on m ratios; for an
	// estimate averaged over shards, sd/√m of the m shards' estimates;
	// NULL where there is none (pca, lpca, one shard, …).
	Spread *float64 `parquet:"spread,optional"`
	// Points is the number of points used: distinct rows, for MLE those
	// with a positive log-ratio sum.
	Points int64 `parquet:"points"`
	// TrueDim is the intrinsic dimension of a generated benchmark
	// manifold (input.dataset manifold:<Name>); NULL for other data.
	TrueDim *int64 `parquet:"true_dim,optional"`
}

// DataIDPartial carries a shard's statistics to the overall estimate.
type DataIDPartial struct {
	Cell    DataIDCell
	Dataset string
	Points  []float64 // per-point MLEs, TwoNN or MiND ratios, ESS dimensions
	N       int64
	Sum     []float64 // pca and lpca moments
	Cross   []float64
	Shards  []float64 // shard estimates (estimators averaged over shards)
}

// DataIDShardFn estimates every cell on one shard, emitting its rows, its
// partial statistics keyed by (dataset, cell), and the per-point estimates
// of Local (local_intrinsic_dim rows). With PerBlockDataset the data set
// is the block's Path (generated manifolds); DANCo's calibration is seeded
// with Seed.
type DataIDShardFn struct {
	RunID           string
	Dataset         string
	Cells           []DataIDCell
	PerBlockDataset bool
	Seed            uint64
	Local           LocalIDConfig
}

func dataRow(runID, dataset string, c DataIDCell, shard *int64, e idest.Estimate) DataIDRow {
	r := DataIDRow{RunID: runID, Dataset: dataset, Method: c.Method, Shard: shard, Estimate: e.Value, Points: int64(e.N), TrueDim: trueDim(dataset)}
	switch c.Method {
	case "mle":
		r.K, r.Convention = ptr(c.K), c.Convention
	case "mind_ml", "danco":
		r.K = ptr(c.K)
	case "ess":
		r.K = ptr(c.LocalK)
	}
	if !math.IsNaN(e.Spread) {
		r.Spread = ptr(e.Spread)
	}
	return r
}

func (f *DataIDShardFn) ProcessElement(ctx context.Context, b blocks.Block, emit func(DataIDRow), partial func(string, DataIDPartial), local func(LocalIDRow)) error {
	return f.process(b, emit, partial, local)
}

// DataIDMergeFn pools the partials of one cell.
type DataIDMergeFn struct{}

func (*DataIDMergeFn) MergeAccumulators(a, b DataIDPartial) DataIDPartial {
	if a.Cell.Method == "" {
		a.Cell = b.Cell
	}
	if a.Dataset == "" {
		a.Dataset = b.Dataset
	}
	a.Points = append(a.Points, b.Points...)
	a.Shards = append(a.Shards, b.Shards...)
	if len(b.Sum) > 0 {
		if len(a.Sum) == 0 {
			a.Sum, a.Cross = slices.Clone(b.Sum), slices.Clone(b.Cross)
		} else {
			for i, v := range b.Sum {
				a.Sum[i] += v
			}
			for i, v := range b.Cross {
				a.Cross[i] += v
			}
		}
	}
	a.N += b.N
	return a
}

// DataIDOverallFn turns a cell's pooled partial into its overall row (Shard NULL).
type DataIDOverallFn struct {
	RunID   string
	Dataset string
}

// ProcessElement emits nothing where the pooled estimate is undefined (NaN).
func (f *DataIDOverallFn) ProcessElement(_ string, p DataIDPartial, emit func(DataIDRow)) {
	dataset := f.Dataset
	if p.Dataset != "" {
		dataset = p.Dataset
	}
	var e idest.Estimate
	switch p.Cell.Method {
	default:
		e = overallEstimate(p)
	case "mle":
		e = idest.MLEPool(p.Points)
	case "twonn":
		e = idest.TwoNNFit(p.Points, idest.TwoNNDiscard)
	case "pca":
		m := &idest.Moments{N: int(p.N), Sum: p.Sum, Cross: p.Cross}
		var err error
		if e, err = m.PCA(p.Cell.Energy); err != nil {
			e = idest.Estimate{Value: math.NaN(), Spread: math.NaN(), N: int(p.N)}
		}
	}
	if !math.IsNaN(e.Value) {
		emit(dataRow(f.RunID, dataset, p.Cell, nil, e))
	}
}
