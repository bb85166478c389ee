package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// MLP is a fully connected classifier with layer sizes Sizes[0] (inputs) →
// … → Sizes[len−1] (classes), ReLU between layers and a softmax output:
//
//	a₀ = x,  aₗ = ReLU(Wₗ aₗ₋₁ + bₗ),  logits = W_L a_{L−1} + b_L,
//
// trained with the mean cross-entropy −(1/B) Σ log softmax(logits)_y over a
// batch of B examples. With two sizes it is multinomial logistic
// regression. The parameter vector θ lists, layer by layer, Wₗ (row-major,
// Sizes[l]×Sizes[l−1]) then bₗ.
type MLP struct {
	Sizes []int
}

// NewMLP returns the network in → hidden… → classes. It panics if a size is < 1
// or classes < 2.
func NewMLP(in int, hidden []int, classes int) *MLP {
	sizes := append(append([]int{in}, hidden...), classes)
	for _, s := range sizes {
		if s < 1 {
			panic(fmt.Sprintf("nn: MLP sizes %v: every size must be ≥ 1", sizes))
		}
	}
	if classes < 2 {
		panic(fmt.Sprintf("nn: MLP with %d classes, want ≥ 2", classes))
	}
	return &MLP{Sizes: sizes}
}

// NewLogistic returns multinomial logistic regression, an MLP without hidden layers.
func NewLogistic(in, classes int) *MLP { return NewMLP(in, nil, classes) }

// Name is "logistic 64-10" or "mlp 784-200-200-10".
func (m *MLP) Name() string {
	s := make([]string, len(m.Sizes))
	for i, v := range m.Sizes {
		s[i] = strconv.Itoa(v)
	}
	kind := "mlp"
	if len(m.Sizes) == 2 {
		kind = "logistic"
	}
	return kind + " " + strings.Join(s, "-")
}

// NumParams returns D = Σₗ Sizes[l]·(Sizes[l−1] + 1).
func (m *MLP) NumParams() int {
	n := 0
	for l := 1; l < len(m.Sizes); l++ {
		n += m.Sizes[l] * (m.Sizes[l-1] + 1)
	}
	return n
}

// Tensor is one named parameter array of a model: Shape lists its
// dimensions and Data holds its elements row-major.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float64
}

// Tensors returns θ as named tensors, in the order θ lists them: for each
// affine map l = 0, …, len(Sizes)−2 (layer l+1 of the formula above),
// "layers.l.weight" of shape [Sizes[l+1], Sizes[l]] (out × in, as a
// PyTorch nn.Linear stores it) and "layers.l.bias" of shape [Sizes[l+1]].
// Data aliases theta. It panics if len(theta) ≠ NumParams().
func (m *MLP) Tensors(theta []float64) []Tensor {
	if len(theta) != m.NumParams() {
		panic(fmt.Sprintf("nn: Tensors: len(theta) = %d, want %d", len(theta), m.NumParams()))
	}
	ts := make([]Tensor, 0, 2*(len(m.Sizes)-1))
	for l := 1; l < len(m.Sizes); l++ {
		w, b := m.layer(theta, l)
		out, in := m.Sizes[l], m.Sizes[l-1]
		ts = append(ts,
			Tensor{Name: fmt.Sprintf("layers.%d.weight", l-1), Shape: []int{out, in}, Data: w.RawMatrix().Data},
			Tensor{Name: fmt.Sprintf("layers.%d.bias", l-1), Shape: []int{out}, Data: b})
	}
	return ts
}

// layer returns views of Wₗ and bₗ (l ≥ 1) in theta.
func (m *MLP) layer(theta []float64, l int) (*mat.Dense, []float64) {
	off := 0
	for k := 1; k < l; k++ {
		off += m.Sizes[k] * (m.Sizes[k-1] + 1)
	}
	out, in := m.Sizes[l], m.Sizes[l-1]
	return mat.NewDense(out, in, theta[off:off+out*in]), theta[off+out*in : off+out*in+out]
}

// Init writes θ₀ into theta: weights of hidden layers N(0, 2/fan_in) (He et
// al. 2015), of the output layer N(0, 1/fan_in), biases 0. It panics if
// len(theta) ≠ NumParams().
func (m *MLP) Init(theta []float64, seed uint64) {
	if len(theta) != m.NumParams() {
		panic(fmt.Sprintf("nn: Init: len(theta) = %d, want %d", len(theta), m.NumParams()))
	}
	rng := newRand(seed)
	for l := 1; l < len(m.Sizes); l++ {
		w, b := m.layer(theta, l)
		gain := 2.0
		if l == len(m.Sizes)-1 {
			gain = 1
		}
		sd := math.Sqrt(gain / float64(m.Sizes[l-1]))
		raw := w.RawMatrix().Data
		for i := range raw {
			raw[i] = sd * rng.NormFloat64()
		}
		clear(b)
	}
}

// forward computes the activations of x (B×Sizes[0]) into acts (acts[0] = x,
// acts[l] B×Sizes[l]; the last holds logits).
func (m *MLP) forward(theta []float64, x *mat.Dense, acts []*mat.Dense) {
	acts[0] = x
	for l := 1; l < len(m.Sizes); l++ {
		w, b := m.layer(theta, l)
		z := acts[l]
		z.Mul(acts[l-1], w.T())
		rows, _ := z.Dims()
		raw := z.RawMatrix()
		last := l == len(m.Sizes)-1
		for i := 0; i < rows; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+len(b)]
			for j := range row {
				v := row[j] + b[j]
				if !last && v < 0 {
					v = 0
				}
				row[j] = v
			}
		}
	}
}

// Workspace holds the activations and gradients of one batch size; reuse it
// across calls to avoid allocation.
type Workspace struct {
	batch int
	acts  []*mat.Dense
	delta []*mat.Dense
}

func (m *MLP) workspace(ws *Workspace, batch int) *Workspace {
	if ws != nil && ws.batch == batch && len(ws.acts) == len(m.Sizes) {
		return ws
	}
	ws = &Workspace{batch: batch, acts: make([]*mat.Dense, len(m.Sizes)), delta: make([]*mat.Dense, len(m.Sizes))}
	for l := 1; l < len(m.Sizes); l++ {
		ws.acts[l] = mat.NewDense(batch, m.Sizes[l], nil)
		ws.delta[l] = mat.NewDense(batch, m.Sizes[l], nil)
	}
	return ws
}

// softmaxRow turns logits into probabilities in place and returns
// −log p_y, computed stably.
func softmaxRow(row []float64, y int) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = max(mx, v)
	}
	var s float64
	for j, v := range row {
		e := math.Exp(v - mx)
		row[j] = e
		s += e
	}
	logZ := math.Log(s) + mx
	nll := logZ - (mx + math.Log(row[y]))
	for j := range row {
		row[j] /= s
	}
	return nll
}

// LossGrad returns the mean cross-entropy of the batch (x, y) and writes its
// gradient with respect to θ into grad. ws may be nil; the returned
// workspace can be passed to the next call. It panics if the lengths
// disagree or a label is outside [0, classes).
func (m *MLP) LossGrad(theta []float64, x *mat.Dense, y []int, grad []float64, ws *Workspace) (float64, *Workspace) {
	batch, in := x.Dims()
	if in != m.Sizes[0] || len(y) != batch || len(theta) != m.NumParams() || len(grad) != len(theta) {
		panic(fmt.Sprintf("nn: LossGrad: x %d×%d, %d labels, θ %d, grad %d for %s", batch, in, len(y), len(theta), len(grad), m.Name()))
	}
	ws = m.workspace(ws, batch)
	m.forward(theta, x, ws.acts)
	L := len(m.Sizes) - 1
	classes := m.Sizes[L]
	var loss float64
	out := ws.acts[L].RawMatrix()
	dl := ws.delta[L].RawMatrix()
	inv := 1 / float64(batch)
	for i := 0; i < batch; i++ {
		if y[i] < 0 || y[i] >= classes {
			panic(fmt.Sprintf("nn: label %d outside [0, %d)", y[i], classes))
		}
		row := out.Data[i*out.Stride : i*out.Stride+classes]
		loss += softmaxRow(row, y[i])
		d := dl.Data[i*dl.Stride : i*dl.Stride+classes]
		for j := range d {
			d[j] = row[j] * inv
		}
		d[y[i]] -= inv
	}
	for l := L; l >= 1; l-- {
		w, _ := m.layer(theta, l)
		gw, gb := m.layer(grad, l)
		gw.Mul(ws.delta[l].T(), ws.acts[l-1])
		clear(gb)
		dr := ws.delta[l].RawMatrix()
		for i := 0; i < batch; i++ {
			for j := range gb {
				gb[j] += dr.Data[i*dr.Stride+j]
			}
		}
		if l > 1 {
			prev := ws.delta[l-1]
			prev.Mul(ws.delta[l], w)
			pr, ar := prev.RawMatrix(), ws.acts[l-1].RawMatrix()
			for i := 0; i < batch; i++ {
				for j := 0; j < m.Sizes[l-1]; j++ {
					if ar.Data[i*ar.Stride+j] <= 0 {
						pr.Data[i*pr.Stride+j] = 0
					}
				}
			}
		}
	}
	return loss * inv, ws
}

// Evaluate returns the mean cross-entropy and the accuracy (fraction of
// argmax logits equal to the label; ties go to the lower class) of θ on
// (x, y), in chunks of at most 1024 rows.
func (m *MLP) Evaluate(theta []float64, x *mat.Dense, y []int) (loss, accuracy float64) {
	n, _ := x.Dims()
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	const chunk = 1024
	var ws *Workspace
	L := len(m.Sizes) - 1
	correct := 0
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		ws = m.workspace(ws, hi-lo)
		m.forward(theta, x.Slice(lo, hi, 0, m.Sizes[0]).(*mat.Dense), ws.acts)
		out := ws.acts[L].RawMatrix()
		for i := 0; i < hi-lo; i++ {
			row := out.Data[i*out.Stride : i*out.Stride+m.Sizes[L]]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			if best == y[lo+i] {
				correct++
			}
			loss += softmaxRow(row, y[lo+i])
		}
	}
	return loss / float64(n), float64(correct) / float64(n)
}
