package nn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// toyData is n labelled points in R^in: class = argmax of a fixed linear map.
func toyData(n, in, classes int, seed uint64) Data {
	rng := newRand(seed)
	x := mat.NewDense(n, in, nil)
	y := make([]int, n)
	w := make([]float64, classes*in)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		best, bv := 0, -1e300
		for c := 0; c < classes; c++ {
			var s float64
			for j, v := range row {
				s += w[c*in+j] * v
			}
			if s > bv {
				best, bv = c, s
			}
		}
		y[i] = best
	}
	return Data{X: x, Y: y}
}

// TestTensorsLayout: Tensors names and shapes the layers like nn.Linear,
// aliases θ in order, and W (out × in) and b reproduce the forward pass.
func TestTensorsLayout(t *testing.T) {
	m := NewMLP(3, []int{4}, 2)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 5)
	for i := range theta {
		theta[i] += 0.01 * float64(i) // nonzero biases
	}
	ts := m.Tensors(theta)
	var names, shapes []string
	var cat []float64
	for _, tn := range ts {
		names = append(names, tn.Name)
		shapes = append(shapes, fmt.Sprint(tn.Shape))
		cat = append(cat, tn.Data...)
	}
	if got := strings.Join(names, " "); got != "layers.0.weight layers.0.bias layers.1.weight layers.1.bias" {
		t.Errorf("names %s", got)
	}
	if got := strings.Join(shapes, " "); got != "[4 3] [4] [2 4] [2]" {
		t.Errorf("shapes %s", got)
	}
	if !slices.Equal(cat, theta) {
		t.Errorf("tensors do not list θ in order")
	}
	ts[1].Data[0] = 42
	if theta[12] != 42 {
		t.Errorf("bias does not alias θ")
	}
	// logits = W₁ ReLU(W₀x + b₀) + b₁ with the tensors, against forward.
	x := []float64{0.3, -1.2, 0.7}
	h := make([]float64, 4)
	for i := range h {
		s := ts[1].Data[i]
		for j, v := range x {
			s += ts[0].Data[i*3+j] * v
		}
		h[i] = max(s, 0)
	}
	acts := []*mat.Dense{nil, mat.NewDense(1, 4, nil), mat.NewDense(1, 2, nil)}
	m.forward(theta, mat.NewDense(1, 3, x), acts)
	for i := 0; i < 2; i++ {
		s := ts[3].Data[i]
		for j, v := range h {
			s += ts[2].Data[i*4+j] * v
		}
		if got := acts[2].At(0, i); abs(got-s) > 1e-12 {
			t.Errorf("logit %d: forward %v, tensors %v", i, got, s)
		}
	}
}

func abs(v float64) float64 { return max(v, -v) }

// TestTrainCheckpoints: the hook sees steps 0, k, 2k, … and the last step
// once; step 0 is θ₀; the step-s weights equal the final weights of a run
// stopped after s steps (whole epochs here); the last equal the trained θ;
// for a subspace they are θ₀ + Pθ_d; and watching does not change training.
func TestTrainCheckpoints(t *testing.T) {
	m := NewMLP(5, []int{6}, 3)
	train, val := toyData(40, 5, 3, 1), toyData(20, 5, 3, 2)
	theta0 := make([]float64, m.NumParams())
	m.Init(theta0, 3)
	cfg := TrainConfig{Epochs: 3, BatchSize: 10, Optimizer: "adam", LR: 0.01, Seed: 9}
	if got := cfg.Steps(40); got != 12 {
		t.Fatalf("Steps(40) = %d, want 12", got)
	}
	if got := (TrainConfig{Epochs: 2, BatchSize: 16}).Steps(40); got != 6 {
		t.Fatalf("Steps with a short last batch = %d, want 6", got)
	}
	for _, sub := range []bool{false, true} {
		newParams := func() Params {
			if sub {
				return NewSubspace(theta0, NewDense(m.NumParams(), 7, 4))
			}
			return NewFull(theta0)
		}
		for _, every := range []int{4, 5} {
			saved := map[int][]float64{}
			var steps []int
			c := cfg
			c.CheckpointEvery = every
			c.Checkpoint = func(step int, theta []float64) error {
				steps = append(steps, step)
				saved[step] = slices.Clone(theta)
				return nil
			}
			p := newParams()
			res, err := Train(m, p, train, val, c)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int][]int{4: {0, 4, 8, 12}, 5: {0, 5, 10, 12}}[every]
			if !slices.Equal(steps, want) {
				t.Errorf("subspace %v, every %d: steps %v, want %v", sub, every, steps, want)
			}
			if !slices.Equal(saved[0], theta0) {
				t.Errorf("subspace %v: step 0 is not θ₀", sub)
			}
			if !slices.Equal(saved[res.Steps], p.Theta()) {
				t.Errorf("subspace %v: last checkpoint is not the trained θ", sub)
			}
			plain, err := Train(m, newParams(), train, val, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if plain != res {
				t.Errorf("subspace %v: checkpoints changed training: %+v vs %+v", sub, res, plain)
			}
			if sub {
				s := p.(*Subspace)
				buf := make([]float64, m.NumParams())
				s.P.MulVec(buf, s.ThetaD())
				for i, v := range theta0 {
					if d := abs(v + buf[i] - saved[res.Steps][i]); d > 1e-15 {
						t.Fatalf("last checkpoint differs from θ₀ + Pθ_d by %v at %d", d, i)
					}
				}
			}
			if every == 4 {
				for epochs := 1; epochs <= 2; epochs++ {
					c := cfg
					c.Epochs = epochs
					q := newParams()
					if _, err := Train(m, q, train, val, c); err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(saved[4*epochs], q.Theta()) {
						t.Errorf("subspace %v: checkpoint at step %d differs from %d epoch(s) of training", sub, 4*epochs, epochs)
					}
				}
			}
		}
	}
}

func TestTrainCheckpointErrors(t *testing.T) {
	m := NewLogistic(5, 3)
	train := toyData(40, 5, 3, 1)
	theta0 := make([]float64, m.NumParams())
	boom := errors.New("disk full")
	cfg := TrainConfig{Epochs: 2, BatchSize: 10, Optimizer: "sgd", LR: 0.1, CheckpointEvery: 3,
		Checkpoint: func(step int, _ []float64) error {
			if step == 6 {
				return boom
			}
			return nil
		}}
	res, err := Train(m, NewFull(theta0), train, Data{}, cfg)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "step 6") || res.Steps != 6 {
		t.Errorf("failing checkpoint: steps %d, error %v; want it at step 6", res.Steps, err)
	}
	for _, c := range []TrainConfig{
		{Epochs: 1, BatchSize: 10, Optimizer: "sgd", LR: 0.1, CheckpointEvery: -1},
		{Epochs: 1, BatchSize: 10, Optimizer: "sgd", LR: 0.1, CheckpointEvery: 2},
	} {
		if _, err := Train(m, NewFull(theta0), train, Data{}, c); err == nil || !strings.Contains(err.Error(), "checkpoint every") {
			t.Errorf("CheckpointEvery %d: error %v", c.CheckpointEvery, err)
		}
	}
}

// TestTrainOnStep: OnStep sees every optimizer step, 1 … Steps, in order,
// and does not change training.
func TestTrainOnStep(t *testing.T) {
	m := NewMLP(5, []int{6}, 3)
	train, val := toyData(40, 5, 3, 1), toyData(20, 5, 3, 2)
	theta0 := make([]float64, m.NumParams())
	m.Init(theta0, 3)
	cfg := TrainConfig{Epochs: 2, BatchSize: 16, Optimizer: "sgd", LR: 0.1, Seed: 9}
	var seen []int
	c := cfg
	c.OnStep = func(step int) { seen = append(seen, step) }
	res, err := Train(m, NewFull(theta0), train, val, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4, 5, 6}; !slices.Equal(seen, want) || res.Steps != 6 {
		t.Errorf("OnStep saw %v (%d steps), want %v", seen, res.Steps, want)
	}
	plain, err := Train(m, NewFull(theta0), train, val, cfg)
	if err != nil || plain != res {
		t.Errorf("OnStep changed training: %+v vs %+v (%v)", res, plain, err)
	}
}
