package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// IntrinsicParams are the params of the intrinsic_dim study. With method
// subspace it trains a classifier in random subspaces θ = θ₀ + Pθ_d of
// growing dimension d (Li, Farkhoor, Liu & Yosinski 2018, "Measuring the
// Intrinsic Dimension of Objective Landscapes") and reports d_int90, the
// smallest swept d whose validation accuracy reaches Threshold × the
// full-space baseline; methods mle, twonn and pca estimate the intrinsic
// dimension of the data itself, per shard and over all.
//
// Grid axes: subspace_dim, projection, model and seed (method subspace);
// method and k (the data estimators).
type IntrinsicParams struct {
	// Method is subspace or a data estimator: mle, twonn, pca, lpca,
	// corrint, ess, fishers, mind_ml or danco (see IntrinsicDataMethods).
	// Several data estimators run in one pass over the data as a grid axis
	// (params.grid.method: [mle, twonn, …]). Default subspace.
	Method string `yaml:"method" comment:"subspace | mle | twonn | pca | lpca | corrint | ess | fishers | mind_ml | danco"`

	// Model is logistic (multinomial logistic regression) or mlp (ReLU
	// layers of widths Hidden). Default mlp.
	Model string `yaml:"model" comment:"logistic | mlp"`
	// Hidden are the widths of the hidden layers of mlp. Default [200, 200]
	// (Li et al.'s MNIST FC network 784-200-200-10).
	Hidden []int `yaml:"hidden" comment:"hidden widths of mlp"`
	// Projection is dense (Gaussian, D·d memory), sparse (density 1/√D) or
	// fastfood (O(D) memory). Default sparse.
	Projection string `yaml:"projection" comment:"dense | sparse | fastfood"`
	// SubspaceDim is d. Default 10; usually a grid axis.
	SubspaceDim int `yaml:"subspace_dim" comment:"d, dimension of the trained subspace"`
	// Seed selects θ₀, the projection and the batch order (together with
	// the spec seed). Default 0; a grid axis for repeated runs.
	Seed int `yaml:"seed" comment:"run seed, mixed with the spec seed"`
	// Baseline trains every (model, seed) in the full parameter space too,
	// one more element each; d_int90 needs it. Default true.
	Baseline bool `yaml:"baseline" comment:"also train in the full space (needed for d_int90)"`
	// Optimizer is sgd (with Momentum) or adam. Default adam.
	Optimizer string `yaml:"optimizer" comment:"sgd | adam"`
	// LR is the learning rate of subspace training. Default 0.01.
	LR float64 `yaml:"lr" comment:"learning rate in the subspace"`
	// BaselineLR is the learning rate of full-space training; 0 means LR.
	// Default 0.001.
	BaselineLR float64 `yaml:"baseline_lr" comment:"learning rate in the full space (0: lr)"`
	// Momentum of sgd. Default 0.9.
	Momentum float64 `yaml:"momentum" comment:"sgd momentum"`
	// Epochs of training. Default 10.
	Epochs int `yaml:"epochs"`
	// BatchSize is the mini-batch size. Default 32.
	BatchSize int `yaml:"batch_size"`
	// ValFraction is the share of the rows held out for validation when the
	// data set has no validation split of its own (MNIST uses its test
	// set). Default 0.2.
	ValFraction float64 `yaml:"val_fraction" comment:"held-out share when the data has no test split"`
	// MaxTrain caps the training rows (the first ones after the seeded
	// shuffle); 0 keeps all. Default 0.
	MaxTrain int `yaml:"max_train" comment:"cap on training rows; 0 = all"`
	// Threshold is the fraction of the baseline accuracy d_int must reach.
	// Default 0.9 (d_int90).
	Threshold float64 `yaml:"threshold" comment:"d_int reaches threshold × baseline accuracy"`
	// CheckpointEvery > 0 saves the weights of every trained model (the
	// materialised θ = θ₀ + Pθ_d of a subspace run) as a safetensors file
	// at step 0, every CheckpointEvery steps and after the last step, where
	// a step is one optimizer update on one mini-batch (an epoch is
	// ⌈training rows / batch_size⌉ steps). The files are published with
	// the tables, as OUT/checkpoints/run=<run_id>/<model folder>/
	// step-NNNNNNNN.safetensors, ready for a rank_dynamics spec. 0 (the
	// default) saves nothing. Method subspace only.
	CheckpointEvery int `yaml:"checkpoint_every" comment:"save weights every N optimizer steps (+ first and last); 0 = off"`

	// K is the neighbour count of mle. Default 20.
	K int `yaml:"k" comment:"neighbours of the MLE"`
	// Convention is the MLE normaliser, k-1 (Levina & Bickel 2004 eq. 8) or
	// k-2 (unbiased). Default k-2.
	Convention string `yaml:"convention" comment:"MLE normaliser: k-1 | k-2"`
	// Energy is the variance fraction of the pca energy rank. Default 0.9.
	Energy float64 `yaml:"energy" comment:"pca: smallest r with Σλ≤r ≥ energy·Σλ"`
	// LPCARule is the eigenvalue rule of lpca and of local lpca: FO
	// (Fukunaga–Olsen, α = 0.05), Fan or maxgap (scikit-dimension's ver).
	// Default FO.
	LPCARule string `yaml:"lpca_rule" comment:"lpca rule: FO | Fan | maxgap"`
	// MaxDim is the largest dimension mind_ml and danco consider; 0 (the
	// default) means the number of columns, scikit-dimension's D of DANCo.
	MaxDim int `yaml:"max_dim" comment:"mind_ml, danco: largest dimension considered (0 = columns)"`
	// Local lists the per-point (local) estimators written to the
	// local_intrinsic_dim table, one row per (input row, estimator): mle
	// (k neighbours), ess, lpca and twonn (local_k neighbours). Neighbours
	// are found within a shard. Default none.
	Local []string `yaml:"local" comment:"per-point estimators: mle | ess | lpca | twonn"`
	// LocalK is the neighbourhood of ess (global and local), local lpca and
	// local twonn. Default 100 (scikit-dimension's n_neighbors of fit_pw).
	LocalK int `yaml:"local_k" comment:"neighbours of ess and of local lpca, twonn"`
	// Points is the sample size of a generated benchmark manifold
	// (input.dataset: manifold:<Name>). Default 2500.
	Points int `yaml:"points" comment:"points drawn from a manifold:<Name> data set"`
}

// Intrinsic methods.
var (
	IntrinsicMethods      = append([]string{"subspace"}, IntrinsicDataMethods...)
	IntrinsicDataMethods  = []string{"mle", "twonn", "pca", "lpca", "corrint", "ess", "fishers", "mind_ml", "danco"}
	IntrinsicLocalMethods = []string{"mle", "ess", "lpca", "twonn"}
	intrinsicSubspaceAxs  = []string{"subspace_dim", "projection", "model", "seed"}
	intrinsicDataAxes     = []string{"method", "k"}
)

// DefaultIntrinsicParams returns the defaults listed on IntrinsicParams.
func DefaultIntrinsicParams() IntrinsicParams {
	return IntrinsicParams{
		Method: "subspace", Model: "mlp", Hidden: []int{200, 200}, Projection: "sparse", SubspaceDim: 10,
		Baseline: true, Optimizer: "adam", LR: 0.01, BaselineLR: 0.001, Momentum: 0.9, Epochs: 10, BatchSize: 32,
		ValFraction: 0.2, Threshold: 0.9, K: 20, Convention: "k-2", Energy: 0.9,
		LPCARule: "FO", LocalK: 100, Points: 2500,
	}
}

// Validate checks every value against its documented range. The error is
// FieldErrors.
func (p IntrinsicParams) Validate() error {
	var fe FieldErrors
	bad := func(key, format string, args ...any) {
		fe = append(fe, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	oneOf := func(key, v string, set ...string) {
		if !slices.Contains(set, v) {
			bad(key, "must be one of %s, got %q", strings.Join(set, ", "), v)
		}
	}
	finitePos := func(key string, v float64) {
		if !(v > 0) || math.IsInf(v, 1) {
			bad(key, "must be a finite number > 0, got %v", v)
		}
	}
	oneOf("method", p.Method, IntrinsicMethods...)
	oneOf("model", p.Model, "logistic", "mlp")
	if p.Model == "mlp" && len(p.Hidden) == 0 {
		bad("hidden", "must list at least one width for model mlp")
	}
	for _, h := range p.Hidden {
		if h < 1 {
			bad("hidden", "widths must be ≥ 1, got %v", p.Hidden)
			break
		}
	}
	oneOf("projection", p.Projection, "dense", "sparse", "fastfood")
	if p.SubspaceDim < 1 {
		bad("subspace_dim", "must be ≥ 1, got %d", p.SubspaceDim)
	}
	if p.Seed < 0 {
		bad("seed", "must be ≥ 0, got %d", p.Seed)
	}
	oneOf("optimizer", p.Optimizer, "sgd", "adam")
	finitePos("lr", p.LR)
	if !(p.BaselineLR >= 0) || math.IsInf(p.BaselineLR, 1) {
		bad("baseline_lr", "must be a finite number ≥ 0, got %v", p.BaselineLR)
	}
	if !(p.Momentum >= 0 && p.Momentum < 1) {
		bad("momentum", "must be in [0, 1), got %v", p.Momentum)
	}
	if p.Epochs < 1 {
		bad("epochs", "must be ≥ 1, got %d", p.Epochs)
	}
	if p.BatchSize < 1 {
		bad("batch_size", "must be ≥ 1, got %d", p.BatchSize)
	}
	if !(p.ValFraction > 0 && p.ValFraction < 1) {
		bad("val_fraction", "must be in (0, 1), got %v", p.ValFraction)
	}
	if p.MaxTrain < 0 {
		bad("max_train", "must be ≥ 0, got %d", p.MaxTrain)
	}
	if !(p.Threshold > 0 && p.Threshold <= 1) {
		bad("threshold", "must be in (0, 1], got %v", p.Threshold)
	}
	if p.CheckpointEvery < 0 {
		bad("checkpoint_every", "must be ≥ 0 (optimizer steps between checkpoints; 0 = none), got %d", p.CheckpointEvery)
	}
	if p.CheckpointEvery > 0 && p.Method != "subspace" {
		bad("checkpoint_every", "saves trained weights, so it needs method subspace, not %s", p.Method)
	}
	if p.K < 3 {
		bad("k", "must be ≥ 3, got %d", p.K)
	}
	oneOf("convention", p.Convention, "k-1", "k-2")
	if !(p.Energy > 0 && p.Energy <= 1) {
		bad("energy", "must be in (0, 1], got %v", p.Energy)
	}
	oneOf("lpca_rule", p.LPCARule, "FO", "Fan", "maxgap")
	if p.MaxDim < 0 {
		bad("max_dim", "must be ≥ 0 (0 = the number of columns), got %d", p.MaxDim)
	}
	for i, m := range p.Local {
		if !slices.Contains(IntrinsicLocalMethods, m) {
			bad("local", "entry %d: must be one of %s, got %q", i, strings.Join(IntrinsicLocalMethods, ", "), m)
		} else if slices.Index(p.Local, m) < i {
			bad("local", "lists %s twice", m)
		}
	}
	if p.LocalK < 3 {
		bad("local_k", "must be ≥ 3, got %d", p.LocalK)
	}
	if p.Points < 2 {
		bad("points", "must be ≥ 2, got %d", p.Points)
	}
	return fe.Err()
}

func init() {
	Register(Study{Name: "intrinsic_dim", Params: func() any { p := DefaultIntrinsicParams(); return &p }, ReadsInput: true, Grid: true})
}

// IntrinsicParams returns the base params of an intrinsic_dim spec,
// validated together with every grid cell. Grid axes must suit the method:
// subspace_dim, projection, model, seed for subspace; method (among mle,
// twonn, pca) and k otherwise.
func (s *Spec) IntrinsicParams() (IntrinsicParams, error) { return s.intrinsicParams(nil) }

// IntrinsicParamsFor returns the params of grid cell c, validated.
func (s *Spec) IntrinsicParamsFor(c Cell) (IntrinsicParams, error) { return s.intrinsicParams(&c) }

func (s *Spec) intrinsicParams(c *Cell) (IntrinsicParams, error) {
	e := &errs{file: s.File}
	if s.Study != "intrinsic_dim" {
		e.add(s.at("study"), "study is %q, not intrinsic_dim", s.Study)
		return DefaultIntrinsicParams(), e.err()
	}
	p := s.typedParams(paramsOf("intrinsic_dim"), c, e).(*IntrinsicParams)
	base := s.typedParams(paramsOf("intrinsic_dim"), &Cell{Coords: make([]int, len(s.axes))}, &errs{}).(*IntrinsicParams)
	subspace := base.Method == "subspace"
	allowed := intrinsicDataAxes
	if subspace {
		allowed = intrinsicSubspaceAxs
	}
	for _, a := range s.axes {
		if !slices.Contains(allowed, a.Name) {
			e.add(nodePos(a.key), "params.grid.%s: method %s sweeps only %s", a.Name, base.Method, strings.Join(allowed, ", "))
		}
		if a.Name == "method" {
			for i, v := range a.Values {
				if v == "subspace" {
					e.add(nodePos(a.nodes[i]), "params.grid.method: subspace cannot be mixed with the data estimators; use its own spec")
				}
			}
		}
	}
	return *p, e.err()
}
