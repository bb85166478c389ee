package nn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Optimizer updates parameters x in place from their gradient g.
type Optimizer interface {
	Step(x, g []float64)
}

// SGD is x ← x − LR·v with v ← Momentum·v + g (heavy ball; plain SGD when
// Momentum = 0).
type SGD struct {
	LR, Momentum float64
	v            []float64
}

func (o *SGD) Step(x, g []float64) {
	if o.Momentum == 0 {
		for i := range x {
			x[i] -= o.LR * g[i]
		}
		return
	}
	if len(o.v) != len(x) {
		o.v = make([]float64, len(x))
	}
	for i := range x {
		o.v[i] = o.Momentum*o.v[i] + g[i]
		x[i] -= o.LR * o.v[i]
	}
}

// Adam is the optimizer of Kingma & Ba 2015 (Algorithm 1): m ← β₁m + (1−β₁)g,
// v ← β₂v + (1−β₂)g², x ← x − LR·m̂/(√v̂ + ε) with bias-corrected m̂, v̂.
// Zero Beta1, Beta2, Eps mean 0.9, 0.999, 1e-8.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	m, v                  []float64
	t                     int
}

func (o *Adam) Step(x, g []float64) {
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	if len(o.m) != len(x) {
		o.m, o.v, o.t = make([]float64, len(x)), make([]float64, len(x)), 0
	}
	o.t++
	c1 := 1 - math.Pow(o.Beta1, float64(o.t))
	c2 := 1 - math.Pow(o.Beta2, float64(o.t))
	for i := range x {
		o.m[i] = o.Beta1*o.m[i] + (1-o.Beta1)*g[i]
		o.v[i] = o.Beta2*o.v[i] + (1-o.Beta2)*g[i]*g[i]
		x[i] -= o.LR * (o.m[i] / c1) / (math.Sqrt(o.v[i]/c2) + o.Eps)
	}
}

// NewOptimizer returns "sgd" (with momentum) or "adam" at learning rate lr.
// It panics on another name.
func NewOptimizer(name string, lr, momentum float64) Optimizer {
	switch name {
	case "sgd":
		return &SGD{LR: lr, Momentum: momentum}
	case "adam":
		return &Adam{LR: lr}
	}
	panic(fmt.Sprintf("nn: unknown optimizer %q (want sgd or adam)", name))
}

// Params are the trainable coordinates of a model: the full parameter
// vector θ, or θ_d of a subspace θ = θ₀ + Pθ_d.
type Params interface {
	// Theta returns the current θ ∈ R^D (owned by Params; do not modify).
	Theta() []float64
	// Step computes the loss and ∇_θ with lossGrad at the current θ, maps
	// the gradient to the trainable coordinates and applies opt. It returns
	// the loss.
	Step(opt Optimizer, lossGrad func(theta, grad []float64) float64) float64
	// Dim is the number of trainable coordinates.
	Dim() int
}

// Full trains every coordinate of θ.
type Full struct {
	theta, grad []float64
}

// NewFull starts at a copy of theta0.
func NewFull(theta0 []float64) *Full {
	return &Full{theta: append([]float64(nil), theta0...), grad: make([]float64, len(theta0))}
}

func (f *Full) Theta() []float64 { return f.theta }
func (f *Full) Dim() int         { return len(f.theta) }
func (f *Full) Step(opt Optimizer, lossGrad func(theta, grad []float64) float64) float64 {
	loss := lossGrad(f.theta, f.grad)
	opt.Step(f.theta, f.grad)
	return loss
}

// Subspace trains θ_d ∈ R^d of θ = θ₀ + Pθ_d (Li et al. 2018, eq. 2), θ_d
// starting at zero; the gradient in θ_d is Pᵀ∇_θ L.
type Subspace struct {
	theta0, thetaD []float64
	P              Projection
	theta, grad    []float64
	gradD, buf     []float64
}

// NewSubspace starts at θ_d = 0 (θ = θ₀). It panics if len(theta0) is not
// P's D.
func NewSubspace(theta0 []float64, P Projection) *Subspace {
	D, d := P.Dims()
	if len(theta0) != D {
		panic(fmt.Sprintf("nn: subspace: len(θ₀) = %d, projection has D = %d", len(theta0), D))
	}
	return &Subspace{theta0: theta0, thetaD: make([]float64, d), P: P,
		theta: append([]float64(nil), theta0...), grad: make([]float64, D), gradD: make([]float64, d), buf: make([]float64, D)}
}

func (s *Subspace) Theta() []float64  { return s.theta }
func (s *Subspace) Dim() int          { return len(s.thetaD) }
func (s *Subspace) ThetaD() []float64 { return s.thetaD }

func (s *Subspace) Step(opt Optimizer, lossGrad func(theta, grad []float64) float64) float64 {
	loss := lossGrad(s.theta, s.grad)
	s.P.MulTransVec(s.gradD, s.grad)
	opt.Step(s.thetaD, s.gradD)
	s.P.MulVec(s.buf, s.thetaD)
	for i, v := range s.theta0 {
		s.theta[i] = v + s.buf[i]
	}
	return loss
}

// Data is a labelled set: the rows of X with labels Y in [0, classes).
type Data struct {
	X *mat.Dense
	Y []int
}

// Len returns the number of examples.
func (d Data) Len() int { return len(d.Y) }

// TrainConfig says how to train.
type TrainConfig struct {
	Epochs    int
	BatchSize int
	Optimizer string // "sgd" | "adam"
	LR        float64
	Momentum  float64 // sgd only
	Seed      uint64  // order of examples in each epoch

	// CheckpointEvery > 0 calls Checkpoint with the weights at step 0 (θ₀,
	// before the first update), after every step that is a multiple of
	// CheckpointEvery, and after the last step (once, also when the last
	// step is a multiple). A step is one optimizer update on one
	// mini-batch; Steps gives their number. 0 (the default) never calls it.
	CheckpointEvery int
	// Checkpoint receives the step and θ ∈ R^D (for a Subspace, the
	// materialised θ₀ + Pθ_d). theta belongs to the Params and changes
	// with the next step: copy it to keep it. An error stops training and
	// Train returns it.
	Checkpoint func(step int, theta []float64) error
	// OnStep, when set, is called after every optimizer step with the
	// number of steps taken so far (1, 2, …, Steps), to report progress.
	OnStep func(step int)
}

// Steps returns the number of optimizer steps Train takes on n examples:
// Epochs·⌈n / min(BatchSize, n)⌉.
func (c TrainConfig) Steps(n int) int {
	if n < 1 || c.BatchSize < 1 || c.Epochs < 1 {
		return 0
	}
	bs := min(c.BatchSize, n)
	return c.Epochs * ((n + bs - 1) / bs)
}

// Result is the outcome of Train.
type Result struct {
	TrainLoss   float64 // mean cross-entropy on the whole training set after training
	ValLoss     float64
	ValAccuracy float64
	Steps       int
}

// Train runs cfg.Epochs epochs of mini-batch training of m over p, each
// epoch a fresh permutation of the training set (drawn from cfg.Seed) cut
// into batches of cfg.BatchSize (the last may be smaller), and evaluates
// the final θ. A diverged run is not an error: its losses are NaN or +Inf.
// With cfg.CheckpointEvery > 0 it hands θ to cfg.Checkpoint at step 0,
// every CheckpointEvery steps and at the last step. It returns an error on
// a bad configuration or when Checkpoint fails.
func Train(m *MLP, p Params, train, val Data, cfg TrainConfig) (Result, error) {
	n := train.Len()
	if n == 0 || cfg.Epochs < 1 || cfg.BatchSize < 1 || !(cfg.LR > 0) {
		return Result{}, fmt.Errorf("nn: Train: %d examples, %d epochs, batch %d, lr %v", n, cfg.Epochs, cfg.BatchSize, cfg.LR)
	}
	if cfg.CheckpointEvery < 0 || cfg.CheckpointEvery > 0 && cfg.Checkpoint == nil {
		return Result{}, fmt.Errorf("nn: Train: checkpoint every %d steps needs CheckpointEvery ≥ 0 and, when > 0, a Checkpoint func", cfg.CheckpointEvery)
	}
	checkpoint := func(step int) error {
		if cfg.CheckpointEvery == 0 {
			return nil
		}
		if err := cfg.Checkpoint(step, p.Theta()); err != nil {
			return fmt.Errorf("nn: checkpoint at step %d: %w", step, err)
		}
		return nil
	}
	if cfg.Optimizer != "sgd" && cfg.Optimizer != "adam" {
		return Result{}, fmt.Errorf("nn: Train: unknown optimizer %q (want sgd or adam)", cfg.Optimizer)
	}
	opt := NewOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum)
	rng := newRand(cfg.Seed)
	in := m.Sizes[0]
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	bs := min(cfg.BatchSize, n)
	xb := mat.NewDense(bs, in, nil)
	yb := make([]int, bs)
	var ws *Workspace
	res := Result{}
	if err := checkpoint(0); err != nil {
		return res, err
	}
	for range cfg.Epochs {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < n; lo += bs {
			hi := min(lo+bs, n)
			x := xb
			if hi-lo < bs {
				x = mat.NewDense(hi-lo, in, nil)
			}
			y := yb[:hi-lo]
			for i, k := range order[lo:hi] {
				x.SetRow(i, train.X.RawRowView(k))
				y[i] = train.Y[k]
			}
			p.Step(opt, func(theta, grad []float64) float64 {
				var loss float64
				loss, ws = m.LossGrad(theta, x, y, grad, ws)
				return loss
			})
			res.Steps++
			if cfg.OnStep != nil {
				cfg.OnStep(res.Steps)
			}
			if cfg.CheckpointEvery > 0 && res.Steps%cfg.CheckpointEvery == 0 {
				if err := checkpoint(res.Steps); err != nil {
					return res, err
				}
			}
		}
	}
	if cfg.CheckpointEvery > 0 && res.Steps%cfg.CheckpointEvery != 0 {
		if err := checkpoint(res.Steps); err != nil {
			return res, err
		}
	}
	theta := p.Theta()
	res.TrainLoss, _ = m.Evaluate(theta, train.X, train.Y)
	if val.Len() > 0 {
		res.ValLoss, res.ValAccuracy = m.Evaluate(theta, val.X, val.Y)
	}
	return res, nil
}
