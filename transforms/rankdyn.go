package transforms

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/internal/progress"
	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/heavytail"
	"github.com/lowdim/lowdim/linalg/idest"
)

func init() {
	beam.RegisterDoFn(&ListTensorsFn{})
	beam.RegisterDoFn(&SplitSeriesFn{})
	beam.RegisterDoFn(&SeriesSpectrumFn{})
	register.Emitter2[string, TensorTask]()
	register.Emitter1[TensorSeries]()
	register.Emitter1[RankDynamicsRow]()
	register.Emitter1[RankDriftRow]()
	register.Iter1[TensorTask]()
	beam.RegisterType(typeOf[Checkpoint]())
	beam.RegisterType(typeOf[TensorTask]())
	beam.RegisterType(typeOf[TensorSeries]())
	beam.RegisterType(typeOf[RankDynamicsRow]())
	beam.RegisterType(typeOf[RankDriftRow]())
}

// Checkpoint is one file of a checkpoint series: a .safetensors, .npz or
// .npy file holding (some of) the weights at training step Step. A sharded
// checkpoint is several Checkpoints with the same Step.
type Checkpoint struct {
	Step int64
	Path string
}

// TensorTask is one matrix of one checkpoint, the unit of work of the
// rank_dynamics study: the DoFn that receives it reads that tensor only.
type TensorTask struct {
	Step   int64
	Path   string
	Format string // "safetensors", "npz" or "npy"
	// Tensor selects the tensor in the file (empty for .npy).
	Tensor string
	// Name identifies the matrix across steps: the tensor name, or for a
	// .npy file its base name without the step (see NpyTensorName).
	Name  string
	Shape []int64
	DType string // as stored
}

// CheckpointFormat returns the format of a checkpoint file by its
// extension: "safetensors" (also .safetensors.gz), "npz" or "npy"; "" for
// other files.
func CheckpointFormat(p string) string {
	base := strings.ToLower(path.Base(strings.ReplaceAll(p, `\`, "/")))
	switch {
	case strings.HasSuffix(base, ".safetensors"), strings.HasSuffix(base, ".safetensors.gz"):
		return "safetensors"
	case strings.HasSuffix(base, ".npz"):
		return "npz"
	case strings.HasSuffix(base, ".npy"):
		return "npy"
	}
	return ""
}

var (
	digitRun = regexp.MustCompile(`[0-9]+`)
	// shardSuffix is the shard counter of sharded checkpoints
	// (model-00001-of-00004.safetensors), which is not the step.
	shardSuffix = regexp.MustCompile(`-[0-9]+-of-[0-9]+`)
)

// StepOf returns the training step a checkpoint path carries: the last run
// of decimal digits in the path, after removing a shard counter
// "-NNNNN-of-MMMMM" (step-001000.safetensors, checkpoint-1000/model.safetensors,
// checkpoint-1000/model-00001-of-00002.safetensors and w_1000.npy are all
// step 1000). at is the byte range of the digits in p; ok is false when p
// has no digits or the number overflows int64.
func StepOf(p string) (step int64, at [2]int, ok bool) {
	masked := []byte(p)
	for _, m := range shardSuffix.FindAllStringIndex(p, -1) {
		for i := m[0]; i < m[1]; i++ {
			masked[i] = '-'
		}
	}
	all := digitRun.FindAllIndex(masked, -1)
	if len(all) == 0 {
		return 0, at, false
	}
	last := all[len(all)-1]
	v, err := strconv.ParseInt(p[last[0]:last[1]], 10, 64)
	if err != nil {
		return 0, at, false
	}
	return v, [2]int{last[0], last[1]}, true
}

// NpyTensorName names the matrix of a .npy checkpoint file: the base name
// without ".npy", and without the step digits and the separators [-_.]
// next to them when the step is written in the base name ("attn_1000.npy"
// is "attn"; "step-1000/attn.npy" is "attn"). A base name that is only the
// step ("1000.npy") is "array".
func NpyTensorName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	dir := strings.LastIndexByte(p, '/') + 1
	base := strings.TrimSuffix(p[dir:], path.Ext(p[dir:]))
	if _, at, ok := StepOf(p); ok && at[0] >= dir && at[1] <= dir+len(base) {
		lo, hi := at[0]-dir, at[1]-dir
		left := strings.TrimRight(base[:lo], "-_.")
		right := strings.TrimLeft(base[hi:], "-_.")
		switch {
		case left != "" && right != "":
			base = left + base[len(left):len(left)+1] + right // keep one separator
		default:
			base = left + right
		}
	}
	if base == "" {
		return "array"
	}
	return base
}

// included reports whether name matches one of include (or include is
// empty) and none of exclude, as path.Match patterns.
func included(name string, include, exclude []string) bool {
	in := len(include) == 0
	for _, p := range include {
		if ok, _ := path.Match(p, name); ok {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, p := range exclude {
		if ok, _ := path.Match(p, name); ok {
			return false
		}
	}
	return true
}

// ListTensorsFn lists the matrices of one checkpoint file, reading only its
// header, and emits a TensorTask, keyed by its Name, for each tensor of
// rank ≥ 2 and a float dtype (F64, F32, F16, BF16) whose name is included.
// Skipped tensors are counted (rankdyn_skipped_rank, rankdyn_skipped_dtype,
// rankdyn_skipped_name).
type ListTensorsFn struct {
	Include, Exclude []string
}

func (f *ListTensorsFn) ProcessElement(ctx context.Context, ck Checkpoint, emit func(string, TensorTask)) error {
	tasks, skipped, err := ListTensors(ctx, ck, f.Include, f.Exclude)
	if err != nil {
		return err
	}
	for reason, n := range skipped {
		beam.NewCounter("lowdim", "rankdyn_skipped_"+reason).Inc(ctx, int64(n))
	}
	for _, t := range tasks {
		emit(t.Name, t)
	}
	return nil
}

// ListTensors is ListTensorsFn outside a pipeline: the tasks of checkpoint
// ck, and the number of tensors skipped by reason ("rank", "dtype",
// "name").
func ListTensors(ctx context.Context, ck Checkpoint, include, exclude []string) ([]TensorTask, map[string]int, error) {
	format := CheckpointFormat(ck.Path)
	skipped := map[string]int{}
	var tasks []TensorTask
	add := func(tensor, name string, shape []int, dtype string, readable error) {
		switch {
		case len(shape) < 2:
			skipped["rank"]++
		case readable != nil:
			skipped["dtype"]++
		case !included(name, include, exclude):
			skipped["name"]++
		default:
			s := make([]int64, len(shape))
			for i, d := range shape {
				s[i] = int64(d)
			}
			tasks = append(tasks, TensorTask{Step: ck.Step, Path: ck.Path, Format: format, Tensor: tensor, Name: name, Shape: s, DType: dtype})
		}
	}
	switch format {
	case "safetensors", "npz":
		ts, err := matrix.Tensors(ctx, ck.Path, matrix.Options{Format: format})
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			add(t.Name, t.Name, t.Shape, t.DType, t.Err)
		}
	case "npy":
		h, err := npyHeader(ctx, ck.Path)
		if err != nil {
			return nil, nil, err
		}
		add("", NpyTensorName(ck.Path), h.Shape, h.Descr, nil)
	default:
		return nil, nil, fmt.Errorf("%s: not a checkpoint file: want .safetensors, .npz or .npy", ck.Path)
	}
	return tasks, skipped, nil
}

// npyHeader reads the header of the .npy file p, local or remote.
func npyHeader(ctx context.Context, p string) (npy.Header, error) {
	fsys, err := filesystem.New(ctx, p)
	if err != nil {
		return npy.Header{}, fmt.Errorf("open %s: %v", p, err)
	}
	defer fsys.Close()
	rc, err := fsys.OpenRead(ctx, p)
	if err != nil {
		return npy.Header{}, fmt.Errorf("open %s: %v", p, err)
	}
	defer rc.Close()
	h, err := npy.ReadHeader(rc)
	if err != nil {
		return npy.Header{}, fmt.Errorf("%s: %w", p, err)
	}
	return h, nil
}

// TensorSeries is a run of consecutive steps of one matrix, the unit of
// work of the rank_dynamics study after ListTensorsFn: the DoFn that
// receives it reads one tensor of one checkpoint at a time and holds at most
// two top-k subspaces, so its memory does not grow with the series.
type TensorSeries struct {
	Name string
	// Tasks are the matrix at consecutive steps, sorted by step.
	Tasks []TensorTask
	// Continues is true when Tasks[0] is the last step of the previous
	// series of the same matrix: it is analysed again, with the same seed,
	// only for its subspace, the start of the first drift; its row belongs
	// to the previous series.
	Continues bool
}

// RankDynamicsRow is one row of the `rank_dynamics` table: one matrix at one
// step.
//
// The σ-metrics (rankme, alpha_req, energy ranks, nuclear_norm,
// spectral_entropy, welore_*) use the n_sigma singular values computed: all
// min(rows, cols) of them when exact_spectrum is true, else the top k of a
// randomized SVD, and then nuclear_norm is the sum of the top k (a lower
// bound), energy ranks beyond k are NULL and the WeLore columns are NULL.
// frobenius_norm and stable_rank = ‖A‖_F²/σ₁² use the exact ‖A‖_F always.
type RankDynamicsRow struct {
	RunID  string  `parquet:"run_id"`
	Step   int64   `parquet:"step"`
	Tensor string  `parquet:"tensor"`
	Path   string  `parquet:"path"`
	Rows   int64   `parquet:"rows"`
	Cols   int64   `parquet:"cols"`
	Shape  []int64 `parquet:"shape,list"`
	DType  string  `parquet:"dtype"` // NumPy name of the stored dtype: float64, float32, float16, bfloat16
	// ExactSpectrum is true when the full SVD was computed (min(rows, cols) ≤ exact_max_dim).
	ExactSpectrum bool      `parquet:"exact_spectrum"`
	NSigma        int64     `parquet:"n_sigma"`
	SigmaTopK     []float64 `parquet:"sigma_topk,list"` // σ₁ ≥ … ≥ σ_k, k = min(params.k, rows, cols)
	StableRank    float64   `parquet:"stable_rank"`
	RankMe        float64   `parquet:"rankme"`
	// AlphaReQ is NULL when fewer than two non-zero σ fall in alpha_range.
	AlphaReQ        *float64 `parquet:"alpha_req,optional"`
	AlphaReQR2      *float64 `parquet:"alpha_req_r2,optional"`
	EnergyRank90    *int64   `parquet:"energy_rank_90,optional"`
	EnergyRank95    *int64   `parquet:"energy_rank_95,optional"`
	EnergyRank99    *int64   `parquet:"energy_rank_99,optional"`
	NuclearNorm     float64  `parquet:"nuclear_norm"`
	FrobeniusNorm   float64  `parquet:"frobenius_norm"`
	SpectralNorm    float64  `parquet:"spectral_norm"`
	SpectralEntropy float64  `parquet:"spectral_entropy"`
	WeloreTau       float64  `parquet:"welore_tau"`
	// WeloreRank, WeloreRankReduction and WeloreLowRank: see WeLore.
	WeloreRank          *int64   `parquet:"welore_rank,optional"`
	WeloreRankReduction *float64 `parquet:"welore_rank_reduction,optional"`
	WeloreLowRank       *bool    `parquet:"welore_low_rank_component,optional"`
	// TwoNN is the TwoNN intrinsic dimension of the rows (Facco et al. 2017;
	// duplicates dropped, the largest 10 % of ratios left out of the fit),
	// TwoNNSpread its standard error d/√m and TwoNNPoints the distinct rows
	// used; NULL unless the tensor matches params.representations (or has
	// fewer than 3 distinct rows).
	TwoNN       *float64 `parquet:"twonn,optional"`
	TwoNNSpread *float64 `parquet:"twonn_spread,optional"`
	TwoNNPoints *int64   `parquet:"twonn_points,optional"`
	// Heavy-tail columns (Martin & Mahoney 2021; design §4), from the full
	// spectrum λᵢ = σᵢ² (heavytail), NULL when exact_spectrum is false.
	// Alpha is the Clauset–Shalizi–Newman power-law exponent of the tail
	// λ ≥ AlphaXmin (AlphaTail values, KS distance AlphaKS; NULL when no
	// tail of params.alpha_min_tail values exists). AlphaWeighted = α·log₁₀
	// λ_max, LogAlphaNorm = log₁₀ Σ λᵢ^α, LogSpectralNorm = log₁₀ λ_max =
	// 2·log₁₀ spectral_norm, LogNorm = log₁₀ Σ λᵢ = 2·log₁₀ frobenius_norm
	// keep WeightWatcher's definitions (on σ², not σ).
	Alpha           *float64 `parquet:"alpha,optional"`
	AlphaXmin       *float64 `parquet:"alpha_xmin,optional"`
	AlphaKS         *float64 `parquet:"alpha_ks,optional"`
	AlphaTail       *int64   `parquet:"alpha_tail,optional"`
	AlphaWeighted   *float64 `parquet:"alpha_weighted,optional"`
	LogAlphaNorm    *float64 `parquet:"log_alpha_norm,optional"`
	LogSpectralNorm *float64 `parquet:"log_spectral_norm,optional"`
	LogNorm         *float64 `parquet:"log_norm,optional"`
}

// RankDriftRow is one row of the `rank_drift` table: the motion of one
// matrix's top-k right singular subspace span(V₁) → span(V₂) between two
// consecutive steps at which it was read.
type RankDriftRow struct {
	RunID    string `parquet:"run_id"`
	Tensor   string `parquet:"tensor"`
	StepFrom int64  `parquet:"step_from"`
	StepTo   int64  `parquet:"step_to"`
	K        int64  `parquet:"k"`
	// PrincipalAngles θ₁ ≤ … ≤ θ_k in radians, cos θᵢ = σᵢ(V₁ᵀV₂); see linalg.PrincipalAngles.
	PrincipalAngles    []float64 `parquet:"principal_angles,list"`
	MeanPrincipalAngle float64   `parquet:"mean_principal_angle"` // radians
	MaxPrincipalAngle  float64   `parquet:"max_principal_angle"`  // radians
	// SubspaceOverlap is ‖V₁ᵀV₂‖_F²/k = mean cos² θᵢ: 1 for the same subspace, k/cols expected for random ones.
	SubspaceOverlap float64 `parquet:"subspace_overlap"`
}

// WeLore applies the low-rank-component rule of WeLore (Jaiswal et al.
// 2024, "From GaLore to WeLore: how low-rank weights non-uniformly emerge
// from low-rank gradients", §4) to the full spectrum σ₁ ≥ … ≥ σ_p,
// p = min(m, n), of an m×n matrix, as implemented here:
//
//	σ̃ᵢ = (σᵢ − σ_p)/(σ₁ − σ_p)               (min-max normalisation)
//	rank = #{i : σ̃ᵢ ≥ τ}                      (σ̃ below τ are dropped)
//	reduction = 1 − rank/p
//	lowRank = rank·(m + n) < m·n               (the factors Uᵣ, ΣᵣVᵣᵀ take
//	                                            less memory than the matrix)
//
// When σ₁ = σ_p no singular value stands out: rank is p, or 0 for the zero
// matrix. The paper picks τ globally to reach a target compression and
// calls the components that admit a large rank reduction LRCs; the memory
// criterion above is this package's fixed reading of "large".
func WeLore(sigma []float64, m, n int, tau float64) (rank int, reduction float64, lowRank bool) {
	p := len(sigma)
	if p == 0 {
		return 0, 0, false
	}
	hi, lo := sigma[0], sigma[p-1]
	switch {
	case hi == 0:
		rank = 0
	case hi == lo:
		rank = p
	default:
		for _, s := range sigma {
			if (s-lo)/(hi-lo) >= tau {
				rank++
			}
		}
	}
	return rank, 1 - float64(rank)/float64(p), float64(rank)*float64(m+n) < float64(m)*float64(n)
}

// MatrixSpectrumOptions configures MatrixSpectrum.
type MatrixSpectrumOptions struct {
	K           int // top-k σ and subspace dimension, clamped to min(m, n)
	ExactMaxDim int // full SVD when min(m, n) ≤ ExactMaxDim
	Oversample  int // randomized SVD oversampling (0 means linalg's default)
	PowerIters  int // randomized SVD power iterations (-1 auto)
	Seed        uint64
	// Spectrum is the heavytail solver of the exact path, reused between
	// calls (nil: a new one).
	Spectrum *heavytail.Spectrum
}

// MatrixSpectrum is the spectrum of one matrix.
type MatrixSpectrum struct {
	Sigma  []float64  // all min(m, n) σ when Exact, else the top K
	Exact  bool       // full spectrum
	Lambda []float64  // all min(m, n) σ² by heavytail when Exact, else nil
	FrobSq float64    // ‖A‖_F², exact
	VT     *mat.Dense // K × n: the top-K right singular vectors as rows
}

// ComputeMatrixSpectrum returns the singular values and top-k right
// singular vectors of a: the exact spectrum when min(m, n) ≤
// opts.ExactMaxDim (see exactSpectrum), else linalg.RandomizedSVD with
// opts.Seed.
func ComputeMatrixSpectrum(a *mat.Dense, opts MatrixSpectrumOptions) (MatrixSpectrum, error) {
	m, n := a.Dims()
	p := min(m, n)
	k := min(opts.K, p)
	res := MatrixSpectrum{FrobSq: frobSq(a)}
	var v mat.Dense
	if p <= opts.ExactMaxDim {
		ve, err := exactSpectrum(&res, opts.Spectrum, a, k, opts)
		if err != nil {
			return res, err
		}
		v = *ve
	} else {
		r, err := linalg.RandomizedSVD(a, linalg.RSVDOptions{K: k, Oversample: opts.Oversample, PowerIters: opts.PowerIters, Seed: opts.Seed})
		if err != nil {
			return res, err
		}
		res.Sigma = r.Sigma[:k:k]
		v = *r.V
	}
	res.VT = mat.DenseCopyOf(v.Slice(0, n, 0, k).T())
	return res, nil
}

func frobSq(a *mat.Dense) float64 {
	raw := a.RawMatrix()
	var s float64
	for i := range raw.Rows {
		for _, x := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			s += x * x
		}
	}
	return s
}

// SplitSeriesFn sorts the tasks of one matrix by step and cuts them into
// TensorSeries of StepsPerElement steps each; every series but the first
// also carries the step before it (Continues), so that the drift between
// consecutive steps is measured across the cut. The same matrix twice at
// one step is an error.
type SplitSeriesFn struct {
	StepsPerElement int
}

func (f *SplitSeriesFn) ProcessElement(name string, iter func(*TensorTask) bool, emit func(TensorSeries)) error {
	var tasks []TensorTask
	var t TensorTask
	for iter(&t) {
		tasks = append(tasks, t)
	}
	series, err := SplitSeries(name, tasks, f.StepsPerElement)
	if err != nil {
		return err
	}
	for _, s := range series {
		emit(s)
	}
	return nil
}

// SplitSeries is SplitSeriesFn outside a pipeline. It sorts tasks by step
// (then path) in place; n < 1 is taken as 1.
func SplitSeries(name string, tasks []TensorTask, n int) ([]TensorSeries, error) {
	slices.SortFunc(tasks, func(a, b TensorTask) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), strings.Compare(a.Path, b.Path))
	})
	for i := 1; i < len(tasks); i++ {
		if a, b := tasks[i-1], tasks[i]; a.Step == b.Step {
			return nil, fmt.Errorf("tensor %q appears twice at step %d (in %s and %s); checkpoint files of one step must hold distinct tensors", name, a.Step, a.Path, b.Path)
		}
	}
	n = max(n, 1)
	var out []TensorSeries
	for lo := 0; lo < len(tasks); lo += n {
		hi := min(lo+n, len(tasks))
		if lo == 0 {
			out = append(out, TensorSeries{Name: name, Tasks: slices.Clone(tasks[lo:hi])})
		} else {
			out = append(out, TensorSeries{Name: name, Tasks: slices.Clone(tasks[lo-1 : hi]), Continues: true})
		}
	}
	return out, nil
}

// SeriesSpectrumFn reads the matrix of a TensorSeries step by step,
// computes its spectrum (ComputeMatrixSpectrum; the randomized SVD is seeded
// with linalg.DeriveSeed(Seed, TensorStepKey(name, step)), so a step analysed in two
// series gives the same subspace twice), emits a rank_dynamics row and
// len(RankCuts) rank_cut rows per step and a rank_drift row per pair of
// consecutive steps whose shapes agree (pairs whose shapes differ, the
// matrix was resized, are counted as rankdyn_drift_shape_changed).
type SeriesSpectrumFn struct {
	RunID       string
	K           int
	ExactMaxDim int
	Oversample  int
	PowerIters  int
	Seed        uint64
	AlphaFirst  int
	AlphaLast   int // 0: all σ used
	WeloreTau   float64
	// Representations are path.Match patterns of tensor names whose rows
	// also get the TwoNN intrinsic dimension.
	Representations []string
	// AlphaMinTail is the smallest tail of the power-law fit (alpha columns).
	AlphaMinTail int
	// RankCuts are the fractions of min(rows, cols) of the rank_cut rows.
	RankCuts []float64
	// Center subtracts the column means from the rows before the spectrum.
	Center bool

	buf      []float64 // the matrix being analysed, reused from step to step
	spectrum heavytail.Spectrum
}

func (f *SeriesSpectrumFn) ProcessElement(ctx context.Context, s TensorSeries, emitRow func(RankDynamicsRow), emitDrift func(RankDriftRow), emitCut func(RankCutRow)) error {
	var prev Subspace
	for i, t := range s.Tasks {
		src, err := matrix.Open(ctx, t.Path, matrix.Options{Format: t.Format, Tensor: t.Tensor})
		if err != nil {
			return err
		}
		m, n := src.Rows(), src.Cols()
		data, err := src.ReadRowsInto(ctx, 0, m, f.buf)
		if err != nil {
			return err
		}
		f.buf = data
		if j := blocks.FirstNonFinite(data); j >= 0 {
			return fmt.Errorf("%s: tensor %q (step %d): row %d, column %d is %v; the spectrum needs finite weights", t.Path, t.Name, t.Step, j/n, j%n, data[j])
		}
		a := mat.NewDense(m, n, data)
		if f.Center {
			heavytail.CenterRows(a)
		}
		row, cuts, sub, err := f.Analyze(t, src.DType(), a)
		if err != nil {
			return fmt.Errorf("%s: tensor %q (step %d): %w", t.Path, t.Name, t.Step, err)
		}
		if i > 0 || !s.Continues {
			beam.NewCounter("lowdim", "rows_read").Inc(ctx, int64(m))
			beam.NewCounter("lowdim", "shards").Inc(ctx, 1)
			progress.Add(1, int64(m))
			emitRow(row)
			for _, c := range cuts {
				emitCut(c)
			}
		}
		if i > 0 {
			if d, ok := Drift(f.RunID, s.Name, prev, sub); ok {
				emitDrift(d)
			} else {
				beam.NewCounter("lowdim", "rankdyn_drift_shape_changed").Inc(ctx, 1)
			}
		}
		prev = sub
	}
	return nil
}

// TensorStepKey hashes a tensor name and a step (FNV-1a of the name, a zero
// byte and the step as 8 little-endian bytes) into the key of DeriveSeed.
func TensorStepKey(name string, step int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	var b [9]byte
	binary.LittleEndian.PutUint64(b[1:], uint64(step))
	h.Write(b[:])
	return h.Sum64()
}

// Subspace is the top-k right singular subspace of one matrix at one step.
type Subspace struct {
	Step int64
	Cols int
	// VT holds Vₖᵀ (k × Cols): row i is the i-th right singular vector.
	VT *mat.Dense
}

// Analyze computes the rank_dynamics row, the rank_cut rows and the
// subspace of matrix a, read from task t with stored dtype dtype.
func (f *SeriesSpectrumFn) Analyze(t TensorTask, dtype string, a *mat.Dense) (RankDynamicsRow, []RankCutRow, Subspace, error) {
	m, n := a.Dims()
	var twoNN *idest.Estimate
	if len(f.Representations) > 0 && included(t.Name, f.Representations, nil) {
		if e, err := idest.TwoNN(a); err == nil && !math.IsNaN(e.Value) {
			twoNN = &e
		}
	}
	sp, err := ComputeMatrixSpectrum(a, MatrixSpectrumOptions{
		K: f.K, ExactMaxDim: f.ExactMaxDim, Oversample: f.Oversample, PowerIters: f.PowerIters,
		Seed: linalg.DeriveSeed(f.Seed, TensorStepKey(t.Name, t.Step)), Spectrum: &f.spectrum,
	})
	if err != nil {
		return RankDynamicsRow{}, nil, Subspace{}, err
	}
	k, _ := sp.VT.Dims()
	sigma := sp.Sigma
	row := RankDynamicsRow{
		RunID: f.RunID, Step: t.Step, Tensor: t.Name, Path: t.Path, Rows: int64(m), Cols: int64(n),
		Shape: slices.Clone(t.Shape), DType: dtype, ExactSpectrum: sp.Exact, NSigma: int64(len(sigma)),
		SigmaTopK: slices.Clone(sigma[:k]), FrobeniusNorm: math.Sqrt(sp.FrobSq), WeloreTau: f.WeloreTau,
	}
	mt := ComputeSpectralMetrics(sigma, sp.FrobSq, f.AlphaFirst, f.AlphaLast)
	row.RankMe, row.StableRank, row.SpectralNorm, row.NuclearNorm, row.SpectralEntropy = mt.RankMe, mt.StableRank, mt.SpectralNorm, mt.NuclearNorm, mt.SpectralEntropy
	row.AlphaReQ, row.AlphaReQR2 = mt.AlphaReQ, mt.AlphaReQR2
	row.EnergyRank90, row.EnergyRank95, row.EnergyRank99 = mt.EnergyRank90, mt.EnergyRank95, mt.EnergyRank99
	if sp.Exact {
		r, red, low := WeLore(sigma, m, n, f.WeloreTau)
		r64 := int64(r)
		row.WeloreRank, row.WeloreRankReduction, row.WeloreLowRank = &r64, &red, &low
	}
	if twoNN != nil {
		pts := int64(twoNN.N)
		row.TwoNN, row.TwoNNSpread, row.TwoNNPoints = &twoNN.Value, &twoNN.Spread, &pts
	}
	if sp.Exact {
		if err := heavyTailColumns(&row, sp.Lambda, f.AlphaMinTail); err != nil {
			return RankDynamicsRow{}, nil, Subspace{}, err
		}
	}
	cuts, err := rankCutRows(row, min(m, n), sp.Lambda, f.RankCuts)
	if err != nil {
		return RankDynamicsRow{}, nil, Subspace{}, err
	}
	return row, cuts, Subspace{Step: t.Step, Cols: n, VT: sp.VT}, nil
}

// Drift is the rank_drift row of the motion span(V_a) → span(V_b) of a
// matrix's top-k right singular subspace between two steps: the principal
// angles and the overlap ‖V_aᵀV_b‖_F²/k. ok is false, and there is no row,
// when the matrix changed shape or k between the steps, or k is 0.
func Drift(runID, tensor string, a, b Subspace) (row RankDriftRow, ok bool) {
	ka, _ := a.VT.Dims()
	kb, _ := b.VT.Dims()
	if a.Cols != b.Cols || ka != kb || ka == 0 {
		return RankDriftRow{}, false
	}
	va, vb := a.VT.T(), b.VT.T()
	theta := linalg.PrincipalAngles(nil, va, vb)
	var mean float64
	for _, th := range theta {
		mean += th
	}
	return RankDriftRow{
		RunID: runID, Tensor: tensor, StepFrom: a.Step, StepTo: b.Step, K: int64(ka),
		PrincipalAngles: theta, MeanPrincipalAngle: mean / float64(len(theta)), MaxPrincipalAngle: theta[len(theta)-1],
		SubspaceOverlap: linalg.SubspaceOverlap(va, vb),
	}, true
}
