package transforms

// The data estimators of the intrinsic_dim study beyond MLE, TwoNN and PCA
// (issue 20): lpca, corrint, ess, fishers, mind_ml and danco per shard and
// pooled; per-point (local) estimates; generated benchmark manifolds. The
// numerics are linalg/idest's; this file only routes shards to them.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/linalg/idest"
	"github.com/lowdim/lowdim/linalg/idest/manifolds"
)

func init() {
	beam.RegisterDoFn(&ManifoldShardFn{})
	beam.RegisterType(typeOf[ManifoldShard]())
	beam.RegisterType(typeOf[LocalIDRow]())
	beam.RegisterType(typeOf[LocalIDConfig]())
}

// ManifoldPrefix starts an input.dataset naming generated benchmark
// manifolds: "manifold:M1_Sphere", "manifold:M1_Sphere,M7_Roll" or
// "manifold:all" (the 24 of skdim's BenchmarkManifolds).
const ManifoldPrefix = "manifold:"

// Neighbour counts of the estimators whose counts the study does not expose:
// CorrInt's radii are the median k1-th and k2-th neighbour distances
// (scikit-dimension's defaults), DANCo uses idest.DefaultDANCoK.
const (
	CorrIntK1 = 10
	CorrIntK2 = 20
)

// IntrinsicEstimatorPooling says how each data estimator's overall row
// (shard NULL) is made from the shards: "exact" (merged moments: the same
// as one shard holding every row, up to rounding), "points" (the per-point
// statistics of every shard pooled, neighbours found within a shard) or
// "shard mean" (the mean of the shards' estimates, spread sd/√m).
var IntrinsicEstimatorPooling = map[string]string{
	"pca": "exact", "lpca": "exact",
	"mle": "points", "twonn": "points", "ess": "points", "mind_ml": "points",
	"corrint": "shard mean", "fishers": "shard mean", "danco": "shard mean",
}

// trueDim is the intrinsic dimension of a generated manifold data set, nil
// for any other data set.
func trueDim(dataset string) *int64 {
	name, ok := strings.CutPrefix(dataset, ManifoldPrefix)
	if !ok {
		return nil
	}
	m, err := manifolds.ByName(name)
	if err != nil {
		return nil
	}
	return ptr(int64(m.Dim))
}

// ManifoldNames resolves the part of input.dataset after ManifoldPrefix
// ("all" or names separated by commas) to manifold names, checked.
func ManifoldNames(spec string) ([]string, error) {
	if spec == "all" {
		var names []string
		for _, m := range manifolds.All() {
			names = append(names, m.Name)
		}
		return names, nil
	}
	var names []string
	for _, n := range strings.Split(spec, ",") {
		n = strings.TrimSpace(n)
		if _, err := manifolds.ByName(n); err != nil {
			return nil, err
		}
		if slices.Contains(names, n) {
			return nil, fmt.Errorf("manifold %s listed twice", n)
		}
		names = append(names, n)
	}
	return names, nil
}

// ManifoldShard is one shard of a generated manifold: rows [Start, End) of
// the sample of Points points of Name drawn with Seed.
type ManifoldShard struct {
	Name       string
	Points     int
	Seed       uint64
	Index      int
	Start, End int
}

// ManifoldShardFn draws a shard's rows (manifolds.Generate, the whole
// sample, O(Points·D), then the shard's slice) as a Block whose Path is
// the data set name ManifoldPrefix+Name.
type ManifoldShardFn struct{}

func (*ManifoldShardFn) ProcessElement(ctx context.Context, sh ManifoldShard) (blocks.Block, error) {
	x, err := manifolds.Generate(sh.Name, sh.Points, sh.Seed)
	if err != nil {
		return blocks.Block{}, err
	}
	_, cols := x.Dims()
	rows := sh.End - sh.Start
	data := slices.Clone(x.RawMatrix().Data[sh.Start*cols : sh.End*cols])
	beam.NewCounter("lowdim", blocks.ShardsCounter).Inc(ctx, 1)
	return blocks.Block{Path: ManifoldPrefix + sh.Name, Index: sh.Index, Start: sh.Start, Rows: rows, Cols: cols, Data: data, RowsInput: rows}, nil
}

// LocalIDConfig lists the per-point estimators of a run: mle with K
// neighbours and Convention, ess (version a), lpca (Rule) and twonn with
// LocalK neighbours.
type LocalIDConfig struct {
	Methods    []string
	K          int64
	Convention string
	LocalK     int64
	Rule       string
}

// LocalIDRow is one row of the `local_intrinsic_dim` table: the local
// intrinsic dimension at input row Row (1-based, counted over the input, as
// the shard's Start + position) by one estimator, from that row's
// neighbourhood within its shard; Estimate is NULL where the estimator is
// undefined (a Levina–Bickel sum of 0, a TwoNN fit of fewer than 2
// ratios, …). Duplicate rows share their point's value.
type LocalIDRow struct {
	RunID     string   `parquet:"run_id"`
	Dataset   string   `parquet:"dataset"`
	Row       int64    `parquet:"row"`
	Estimator string   `parquet:"estimator"`
	Estimate  *float64 `parquet:"estimate,optional"`
}

// knnNeighbours is the neighbour count of the one kNN graph a shard needs
// (0: none), the largest of CorrInt's k2, ESS's local_k and the local
// estimators' neighbourhoods, and the estimators that need it.
func (f *DataIDShardFn) knnNeighbours() (int, []string) {
	k := 0
	var users []string
	for _, c := range f.Cells {
		switch c.Method {
		case "corrint":
			k = max(k, CorrIntK2)
			users = append(users, c.Method)
		case "ess":
			k = max(k, int(c.LocalK))
			users = append(users, c.Method)
		}
	}
	for _, m := range f.Local.Methods {
		if m == "mle" {
			k = max(k, int(f.Local.K))
		} else {
			k = max(k, int(f.Local.LocalK))
		}
		users = append(users, "local "+m)
	}
	return k, users
}

// dancoCache shares DANCo's calibrations between the shards a worker
// process sees (they depend on the shard's size, k, max_dim and seed).
var dancoCache = idest.NewDANCoCache()

// meanOverShards is the mean of the shards' estimates (summed in increasing
// order, so the result does not depend on the merge order) with the
// standard error sd/√m, NaN for one shard.
func meanOverShards(v []float64, points int64) idest.Estimate {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return idest.Estimate{Value: math.NaN(), Spread: math.NaN(), N: int(points)}
	}
	var sum float64
	for _, x := range s {
		sum += x
	}
	mean := sum / float64(len(s))
	spread := math.NaN()
	if len(s) > 1 {
		var ss float64
		for _, x := range s {
			ss += (x - mean) * (x - mean)
		}
		spread = math.Sqrt(ss/float64(len(s)-1)) / math.Sqrt(float64(len(s)))
	}
	return idest.Estimate{Value: mean, Spread: spread, N: int(points)}
}

func lpcaOf(rule string) idest.LPCA { return idest.DefaultLPCA.WithRule(rule) }

// process estimates every cell on one shard and the local estimates of its
// rows. The kNN graph, when a cell or a local estimator needs it, is built
// once (exact, GOMAXPROCS workers).
func (f *DataIDShardFn) process(b blocks.Block, emit func(DataIDRow), partial func(string, DataIDPartial), local func(LocalIDRow)) error {
	if b.Rows == 0 {
		return nil
	}
	dataset := f.Dataset
	if f.PerBlockDataset {
		dataset = b.Path
	}
	where := fmt.Sprintf("%s: rows %d–%d", b.Path, b.Start+1, b.Start+b.RowsInput)
	x := mat.NewDense(b.Rows, b.Cols, b.Data)
	shard := ptr(int64(b.Index))
	var g *idest.KNN
	if k, users := f.knnNeighbours(); k > 0 {
		var err error
		if g, err = idest.NewKNN(x, k, 0); err != nil {
			return fmt.Errorf("%s: %s: %w", where, strings.Join(users, ", "), err)
		}
	}
	perRow := map[string][]float64{} // local estimates, shared by ess and local ess
	essRows := func(k int) ([]float64, error) {
		key := fmt.Sprintf("ess/%d", k)
		if v, ok := perRow[key]; ok {
			return v, nil
		}
		v, err := idest.LocalESS(g, k, idest.ESSA, 0)
		perRow[key] = v
		return v, err
	}
	for _, c := range f.Cells {
		p := DataIDPartial{Cell: c, Dataset: dataset}
		maxDim := int(c.MaxDim)
		if maxDim == 0 {
			maxDim = b.Cols
		}
		p.Cell.MaxDim = int64(maxDim)
		var e idest.Estimate
		var err error
		switch c.Method {
		case "mle":
			p.Points, err = idest.MLEPoints(x, int(c.K), c.Convention)
			e = idest.MLEPool(p.Points)
		case "twonn":
			p.Points, err = idest.TwoNNRatios(x)
			e = idest.TwoNNFit(p.Points, idest.TwoNNDiscard)
		case "pca", "lpca":
			m := idest.NewMoments(b.Cols)
			m.Add(x)
			p.N, p.Sum, p.Cross = int64(m.N), m.Sum, m.Cross
			if c.Method == "pca" {
				e, err = m.PCA(c.Energy)
			} else {
				e, err = lpcaOf(c.Rule).Moments(m)
			}
		case "corrint":
			var r idest.CorrIntResult
			r, err = idest.CorrInt(g, CorrIntK1, CorrIntK2, 0)
			e = r.Estimate
		case "ess":
			var rows []float64
			if rows, err = essRows(int(c.LocalK)); err == nil {
				p.Points = g.ToPoints(rows)
				e = idest.PoolMean(p.Points)
			}
		case "fishers":
			var r idest.FisherSResult
			r, err = idest.DefaultFisherS().Estimate(x, 0)
			e = idest.Estimate{Value: r.Dimension, Spread: math.NaN(), N: r.N}
		case "mind_ml":
			if p.Points, err = idest.MiNDRatios(x, int(c.K)); err == nil {
				var r idest.MiNDEstimate
				r, err = idest.MiNDFit(p.Points, int(c.K), maxDim)
				e = idest.Estimate{Value: r.MLk, Spread: math.NaN(), N: r.N}
			}
		case "danco":
			var r idest.DANCoEstimate
			r, err = idest.DANCo(x, int(c.K), maxDim, f.Seed, dancoCache)
			e = idest.Estimate{Value: float64(r.Dim), Spread: math.NaN(), N: r.Data.N}
		default:
			err = fmt.Errorf("unknown method %q", c.Method)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", where, c.Method, err)
		}
		if IntrinsicEstimatorPooling[c.Method] == "shard mean" {
			p.N = int64(e.N)
			if !math.IsNaN(e.Value) {
				p.Shards = []float64{e.Value}
			}
		}
		if !math.IsNaN(e.Value) {
			emit(dataRow(f.RunID, dataset, c, shard, e))
		}
		partial(dataset+"|"+c.Key(), p)
	}
	for _, m := range f.Local.Methods {
		var v []float64
		var err error
		switch m {
		case "mle":
			v, err = idest.LocalMLE(g, int(f.Local.K), f.Local.Convention, 0)
		case "ess":
			v, err = essRows(int(f.Local.LocalK))
		case "lpca":
			v, err = lpcaOf(f.Local.Rule).Local(g, int(f.Local.LocalK), 0)
		case "twonn":
			v, err = idest.LocalTwoNN(g, int(f.Local.LocalK), 0)
		default:
			err = fmt.Errorf("unknown local estimator %q", m)
		}
		if err != nil {
			return fmt.Errorf("%s: local %s: %w", where, m, err)
		}
		for i, d := range v {
			r := LocalIDRow{RunID: f.RunID, Dataset: dataset, Row: int64(b.Start + i + 1), Estimator: m}
			if !math.IsNaN(d) {
				r.Estimate = ptr(d)
			}
			local(r)
		}
	}
	return nil
}

// overallEstimate pools the partials of one cell of the estimators added
// with issue 20 (see IntrinsicEstimatorPooling).
func overallEstimate(p DataIDPartial) idest.Estimate {
	nan := idest.Estimate{Value: math.NaN(), Spread: math.NaN(), N: int(p.N)}
	switch p.Cell.Method {
	case "lpca":
		e, err := lpcaOf(p.Cell.Rule).Moments(&idest.Moments{N: int(p.N), Sum: p.Sum, Cross: p.Cross})
		if err != nil {
			return nan
		}
		return e
	case "ess":
		return idest.PoolMean(p.Points)
	case "mind_ml":
		r, err := idest.MiNDFit(p.Points, int(p.Cell.K), int(p.Cell.MaxDim))
		if err != nil {
			return nan
		}
		return idest.Estimate{Value: r.MLk, Spread: math.NaN(), N: r.N}
	case "corrint", "fishers", "danco":
		return meanOverShards(p.Shards, p.N)
	}
	return nan
}
