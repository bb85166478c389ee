package hessian

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/lowdim/lowdim/linalg/nn"
)

// AllLayers selects every parameter of θ; a layer index l ≥ 0 selects the
// diagonal block of "layers.l.weight" and "layers.l.bias".
const AllLayers = -1

// chunkRows bounds the rows a Product holds at once: its memory is
// O(chunkRows · Σₗ Sizes[l]) whatever the shard size.
const chunkRows = 512

// LayerRange returns the coordinates [lo, hi) of θ that hold
// "layers.l.weight" then "layers.l.bias" (the checkpoint order of
// nn.MLP.Tensors), or all of θ for AllLayers.
func LayerRange(m *nn.MLP, layer int) (lo, hi int, err error) {
	maps := len(m.Sizes) - 1
	if layer == AllLayers {
		return 0, m.NumParams(), nil
	}
	if layer < 0 || layer >= maps {
		return 0, 0, fmt.Errorf("hessian: layer %d of %s: want %d (all) or 0…%d", layer, m.Name(), AllLayers, maps-1)
	}
	for l := 0; l < layer; l++ {
		lo += m.Sizes[l+1] * (m.Sizes[l] + 1)
	}
	return lo, lo + m.Sizes[layer+1]*(m.Sizes[layer]+1), nil
}

// Product applies the Hessian of the softmax cross-entropy of one MLP at one
// θ, summed over the rows of a shard, restricted to a block of coordinates:
//
//	dst = Σᵢ [∇²ℓᵢ(θ)]_{BB} v,   ℓᵢ(θ) = −log softmax(f(xᵢ; θ))_{yᵢ},
//
// where B = [lo, hi) is the block (all of θ, or one layer's parameters). It
// uses Pearlmutter's R-operator (see the package doc). A Product holds
// workspace and is not safe for concurrent use; make one per goroutine.
type Product struct {
	model       *nn.MLP
	theta       []float64
	first, last int // affine maps whose parameters the block holds
	lo, hi      int
	weights     []blas64.General // Wₖ (out × in) views of θ
	ws          *workspace
}

// NewProduct returns the Product of model m at θ on the block of layer
// (AllLayers or 0 ≤ layer < len(m.Sizes)−1). theta is referenced, not
// copied: do not change it while the Product is in use.
func NewProduct(m *nn.MLP, theta []float64, layer int) (*Product, error) {
	if m == nil || len(m.Sizes) < 2 {
		return nil, errors.New("hessian: NewProduct: model without layers")
	}
	if len(theta) != m.NumParams() {
		return nil, fmt.Errorf("hessian: NewProduct: len(θ) = %d, %s has %d parameters", len(theta), m.Name(), m.NumParams())
	}
	lo, hi, err := LayerRange(m, layer)
	if err != nil {
		return nil, err
	}
	p := &Product{model: m, theta: theta, first: 0, last: len(m.Sizes) - 2, lo: lo, hi: hi}
	if layer != AllLayers {
		p.first, p.last = layer, layer
	}
	for _, t := range m.Tensors(theta) {
		if len(t.Shape) == 2 {
			p.weights = append(p.weights, general(t.Shape[0], t.Shape[1], t.Data))
		}
	}
	return p, nil
}

// Dim returns the size of the block, hi − lo.
func (p *Product) Dim() int { return p.hi - p.lo }

// Block returns the coordinates [lo, hi) of θ the Product acts on.
func (p *Product) Block() (lo, hi int) { return p.lo, p.hi }

// SumHVP writes Σᵢ [∇²ℓᵢ(θ)]_{BB} v over the rows of shard into dst and
// returns the number of rows. len(v) = len(dst) = Dim(); v lists the block's
// coordinates in θ's order. An empty shard gives dst = 0. It returns an error
// on mismatched sizes or a label outside [0, classes).
func (p *Product) SumHVP(dst, v []float64, shard nn.Data) (int, error) {
	m := p.model
	if len(v) != p.Dim() || len(dst) != p.Dim() {
		return 0, fmt.Errorf("hessian: SumHVP: len(v) = %d, len(dst) = %d, block has %d coordinates", len(v), len(dst), p.Dim())
	}
	n := shard.Len()
	if n == 0 {
		clear(dst)
		return 0, nil
	}
	if shard.X == nil {
		return 0, fmt.Errorf("hessian: SumHVP: %d labels without rows", n)
	}
	if r, c := shard.X.Dims(); r != n || c != m.Sizes[0] {
		return 0, fmt.Errorf("hessian: SumHVP: x is %d×%d with %d labels, %s wants %d columns", r, c, n, m.Name(), m.Sizes[0])
	}
	classes := m.Sizes[len(m.Sizes)-1]
	for i, y := range shard.Y {
		if y < 0 || y >= classes {
			return 0, fmt.Errorf("hessian: SumHVP: row %d has label %d outside [0, %d)", i, y, classes)
		}
	}
	clear(dst)
	x := shard.X.RawMatrix()
	for start := 0; start < n; start += chunkRows {
		rows := min(chunkRows, n-start)
		in := blas64.General{Rows: rows, Cols: x.Cols, Stride: x.Stride, Data: x.Data[start*x.Stride:]}
		p.chunk(dst, v, in, shard.Y[start:start+rows])
	}
	return n, nil
}

// workspace holds, for a chunk of rows, the activations aₖ, their R-images
// R{aₖ} (R{z} for the logits), the back-propagated δₖ and R{δₖ}.
type workspace struct {
	rows            int
	acts, ra, d, rd []blas64.General // full size
	views           [4][]blas64.General
}

// view returns the first rows of acts, ra, d and rd.
func (ws *workspace) view(rows int) (acts, ra, d, rd []blas64.General) {
	for i, full := range [4][]blas64.General{ws.acts, ws.ra, ws.d, ws.rd} {
		for k := 1; k < len(full); k++ {
			ws.views[i][k] = rows0(full[k], rows)
		}
	}
	return ws.views[0], ws.views[1], ws.views[2], ws.views[3]
}

func (p *Product) workspace(rows int) *workspace {
	if p.ws != nil && p.ws.rows >= rows {
		return p.ws
	}
	L := len(p.model.Sizes)
	ws := &workspace{rows: rows, acts: make([]blas64.General, L), ra: make([]blas64.General, L),
		d: make([]blas64.General, L), rd: make([]blas64.General, L)}
	for i := range ws.views {
		ws.views[i] = make([]blas64.General, L)
	}
	for k := 1; k < L; k++ {
		c := p.model.Sizes[k]
		ws.acts[k] = general(rows, c, nil)
		ws.ra[k] = general(rows, c, nil)
		ws.d[k] = general(rows, c, nil)
		ws.rd[k] = general(rows, c, nil)
	}
	p.ws = ws
	return ws
}

// chunk adds the products of the rows of x (labels y) to dst.
//
// Maps k = 0…L−1 take aₖ to zₖ₊₁ = Wₖaₖ + bₖ; aₖ₊₁ = ReLU(zₖ₊₁) except for
// the logits a_L = z_L. The direction v holds (Vₖ, cₖ) for the maps
// first…last and is 0 elsewhere, so R{aₖ} = 0 for k ≤ first and the
// backward R-pass stops at map first.
func (p *Product) chunk(dst, v []float64, x blas64.General, y []int) {
	m := p.model
	L := len(m.Sizes) - 1
	rows := x.Rows
	ws := p.workspace(rows)
	acts, ra, d, rd := ws.view(rows)
	acts[0] = x
	dirW, dirB := p.direction(v)

	// Forward pass and forward R-pass.
	for k := 0; k < L; k++ {
		w, b := p.weights[k], p.bias(k)
		z := acts[k+1]
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, acts[k], w, 0, z)
		addRow(z, b)
		if k < p.first {
			if k+1 < L {
				relu(z)
			}
			continue
		}
		rz := ra[k+1]
		if k <= p.last {
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, acts[k], dirW[k-p.first], 0, rz)
			addRow(rz, dirB[k-p.first])
		} else {
			zero(rz)
		}
		if k > p.first {
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, ra[k], w, 1, rz)
		}
		if k+1 < L {
			relu(z)
			mask(rz, z)
		}
	}

	// Softmax: δ_L = p − e_y, R{δ_L} = (diag p − ppᵀ) R{z_L} = p⊙R{z} − p·(pᵀR{z}).
	logits, rlogits := acts[L], ra[L]
	for i := 0; i < rows; i++ {
		z := logits.Data[i*logits.Stride : i*logits.Stride+logits.Cols]
		softmax(z)
		rz := rlogits.Data[i*rlogits.Stride : i*rlogits.Stride+rlogits.Cols]
		di := d[L].Data[i*d[L].Stride : i*d[L].Stride+d[L].Cols]
		rdi := rd[L].Data[i*rd[L].Stride : i*rd[L].Stride+rd[L].Cols]
		var pr float64
		for j, pj := range z {
			pr += pj * rz[j]
		}
		for j, pj := range z {
			di[j] = pj
			rdi[j] = pj * (rz[j] - pr)
		}
		di[y[i]]--
	}

	// Backward pass and backward R-pass, from the logits down to map first.
	for k := L - 1; k >= p.first; k-- {
		if k <= p.last {
			// R{∂/∂Wₖ} = R{δₖ₊₁}ᵀaₖ + δₖ₊₁ᵀR{aₖ};  R{∂/∂bₖ} = Σ rows of R{δₖ₊₁}.
			outW, outB := p.output(dst, k)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, rd[k+1], acts[k], 1, outW)
			if k > p.first {
				blas64.Gemm(blas.Trans, blas.NoTrans, 1, d[k+1], ra[k], 1, outW)
			}
			sumRows(outB, rd[k+1])
		}
		if k == p.first {
			break
		}
		// δₖ = 1[aₖ>0]⊙(δₖ₊₁Wₖ);  R{δₖ} = 1[aₖ>0]⊙(R{δₖ₊₁}Wₖ + δₖ₊₁Vₖ).
		w := p.weights[k]
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, d[k+1], w, 0, d[k])
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, rd[k+1], w, 0, rd[k])
		if k <= p.last {
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, d[k+1], dirW[k-p.first], 1, rd[k])
		}
		mask(d[k], acts[k])
		mask(rd[k], acts[k])
	}
}

// direction returns views (Vₖ, cₖ) of v for the maps first…last.
func (p *Product) direction(v []float64) ([]blas64.General, [][]float64) {
	var ws []blas64.General
	var bs [][]float64
	off := 0
	for k := p.first; k <= p.last; k++ {
		out, in := p.model.Sizes[k+1], p.model.Sizes[k]
		ws = append(ws, general(out, in, v[off:off+out*in]))
		bs = append(bs, v[off+out*in:off+out*in+out])
		off += out * (in + 1)
	}
	return ws, bs
}

// output returns the views of dst that receive map k's weight and bias products.
func (p *Product) output(dst []float64, k int) (blas64.General, []float64) {
	off := 0
	for j := p.first; j < k; j++ {
		off += p.model.Sizes[j+1] * (p.model.Sizes[j] + 1)
	}
	out, in := p.model.Sizes[k+1], p.model.Sizes[k]
	return general(out, in, dst[off:off+out*in]), dst[off+out*in : off+out*in+out]
}

// bias returns bₖ, a view of θ.
func (p *Product) bias(k int) []float64 {
	off := 0
	for j := 0; j < k; j++ {
		off += p.model.Sizes[j+1] * (p.model.Sizes[j] + 1)
	}
	out, in := p.model.Sizes[k+1], p.model.Sizes[k]
	return p.theta[off+out*in : off+out*in+out]
}

func general(rows, cols int, data []float64) blas64.General {
	if data == nil {
		data = make([]float64, rows*cols)
	}
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

// rows0 returns the first rows of g.
func rows0(g blas64.General, rows int) blas64.General {
	g.Rows = rows
	g.Data = g.Data[:rows*g.Stride]
	return g
}

func addRow(a blas64.General, b []float64) {
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		for j, bj := range b {
			row[j] += bj
		}
	}
}

func zero(a blas64.General) {
	for i := 0; i < a.Rows; i++ {
		clear(a.Data[i*a.Stride : i*a.Stride+a.Cols])
	}
}

// relu sets negative entries to 0 as nn's forward pass does (NaN stays NaN).
func relu(a blas64.General) {
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		for j, v := range row {
			if v < 0 {
				row[j] = 0
			}
		}
	}
}

// mask zeroes the entries of a where act ≤ 0: the ReLU derivative 1[z>0] as
// nn's backward pass takes it (0 at z = 0).
func mask(a, act blas64.General) {
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		ar := act.Data[i*act.Stride : i*act.Stride+act.Cols]
		for j, v := range ar {
			if v <= 0 {
				row[j] = 0
			}
		}
	}
}

func sumRows(dst []float64, a blas64.General) {
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*a.Stride : i*a.Stride+a.Cols]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// softmax replaces logits by probabilities, computed stably.
func softmax(z []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, v)
	}
	var s float64
	for j, v := range z {
		e := math.Exp(v - mx)
		z[j] = e
		s += e
	}
	for j := range z {
		z[j] /= s
	}
}
