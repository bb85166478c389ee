package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// kernelPaths runs f once per available micro-kernel: the assembly one (when
// the CPU has AVX2+FMA) and the pure-Go one.
func kernelPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useAsm
	defer func() { useAsm = saved }()
	if haveAVX2FMA {
		useAsm = true
		t.Run("asm", f)
	}
	useAsm = false
	t.Run("go", f)
}

func randDense(rnd *rand.Rand, r, c int) *mat.Dense {
	data := make([]float64, r*c)
	for i := range data {
		data[i] = rnd.NormFloat64()
	}
	return mat.NewDense(r, c, data)
}

// relErrBound returns max_ij |got−want| / (Σ_k |x_ik||y_kj|), the error
// relative to the natural scale of each entry of a product x·y; it is a few
// multiples of machine epsilon for a correctly computed product.
func relErr(got, want, scale *mat.Dense) float64 {
	r, c := want.Dims()
	var worst float64
	for i := range r {
		for j := range c {
			d := math.Abs(got.At(i, j) - want.At(i, j))
			if s := scale.At(i, j); s > 0 {
				d /= s
			}
			worst = max(worst, d)
		}
	}
	return worst
}

func absDense(x mat.Matrix) *mat.Dense {
	var d mat.Dense
	d.CloneFrom(x)
	d.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) }, &d)
	return &d
}

// productShapes covers whole and partial 6-row tiles, 8-, 4- and masked
// panels, l = 1, tiny matrices, a product big enough to run in parallel, and
// more chunks than one in Aᵀ·Q.
var productShapes = [][3]int{
	{1, 1, 1}, {2, 3, 1}, {5, 7, 3}, {6, 6, 4}, {6, 6, 8}, {7, 5, 9},
	{13, 11, 12}, {37, 19, 30}, {64, 64, 16}, {100, 6, 5}, {131, 13, 1},
	{250, 97, 17}, {1000, 61, 30}, {3001, 129, 20}, {5000, 50, 60},
}

func TestMulTallSkinnyMatchesGonum(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 1))
		for _, s := range productShapes {
			m, n, l := s[0], s[1], s[2]
			a, b := randDense(rnd, m, n), randDense(rnd, n, l)
			var want, scale mat.Dense
			want.Mul(a, b)
			scale.Mul(absDense(a), absDense(b))
			got := mat.NewDense(m, l, nil)
			MulTallSkinny(got, a, b)
			if e := relErr(got, &want, &scale); e > 1e-13 {
				t.Errorf("%dx%dx%d: A·B relative error %.3g > 1e-13", m, n, l, e)
			}
			// Aᵀ given as a transpose: MulTallSkinny(Aᵀ, Q) = MulTransTallSkinny(A, Q).
			qt := randDense(rnd, m, l)
			var wantT, scaleT mat.Dense
			wantT.Mul(a.T(), qt)
			scaleT.Mul(absDense(a).T(), absDense(qt))
			gotT := mat.NewDense(n, l, nil)
			MulTallSkinny(gotT, a.T(), qt)
			if e := relErr(gotT, &wantT, &scaleT); e > 1e-13 {
				t.Errorf("%dx%dx%d: (Aᵀ)·Q relative error %.3g > 1e-13", m, n, l, e)
			}
		}
	})
}

func TestMulTransTallSkinnyMatchesGonum(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 2))
		for _, s := range productShapes {
			m, n, l := s[0], s[1], s[2]
			a, q := randDense(rnd, m, n), randDense(rnd, m, l)
			var want, scale mat.Dense
			want.Mul(a.T(), q)
			scale.Mul(absDense(a).T(), absDense(q))
			got := mat.NewDense(n, l, nil)
			MulTransTallSkinny(got, a, q)
			if e := relErr(got, &want, &scale); e > 1e-13 {
				t.Errorf("%dx%dx%d: Aᵀ·Q relative error %.3g > 1e-13", m, n, l, e)
			}
			// (Bᵀ)ᵀ·X with B given transposed: MulTransTallSkinny(Bᵀ, X) = B·X.
			bt := randDense(rnd, l+2, n) // (l+2)×n: Bᵀ with B n×(l+2)
			x := randDense(rnd, l+2, 3)
			var wantN, scaleN mat.Dense
			wantN.Mul(bt.T(), x)
			scaleN.Mul(absDense(bt).T(), absDense(x))
			gotN := mat.NewDense(n, 3, nil)
			MulTransTallSkinny(gotN, bt, x)
			if e := relErr(gotN, &wantN, &scaleN); e > 1e-13 {
				t.Errorf("%dx%dx%d: Bᵀ·X relative error %.3g > 1e-13", m, n, l, e)
			}
		}
	})
}

// TestProductsStridedViews checks sub-matrix views (stride > columns) as
// operands and as dst, and that the columns of dst's backing array outside
// the view are left untouched.
func TestProductsStridedViews(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 3))
		m, n, l := 203, 41, 13
		a := randDense(rnd, m+3, n+5).Slice(2, m+2, 3, n+3).(*mat.Dense)
		b := randDense(rnd, n+1, l+4).Slice(1, n+1, 2, l+2).(*mat.Dense)
		q := randDense(rnd, m, l+3).Slice(0, m, 3, l+3).(*mat.Dense)
		const sentinel = 12345.0
		big := mat.NewDense(m+2, l+6, nil)
		for i := range m + 2 {
			for j := range l + 6 {
				big.Set(i, j, sentinel)
			}
		}
		dst := big.Slice(1, m+1, 3, l+3).(*mat.Dense)
		MulTallSkinny(dst, a, b)
		var want mat.Dense
		want.Mul(a, b)
		if !mat.EqualApprox(dst, &want, 1e-11) {
			t.Errorf("A·B on strided views differs from gonum")
		}
		bigT := mat.NewDense(n+2, l+6, nil)
		for i := range n + 2 {
			for j := range l + 6 {
				bigT.Set(i, j, sentinel)
			}
		}
		dstT := bigT.Slice(1, n+1, 3, l+3).(*mat.Dense)
		MulTransTallSkinny(dstT, a, q)
		want.Reset()
		want.Mul(a.T(), q)
		if !mat.EqualApprox(dstT, &want, 1e-11) {
			t.Errorf("Aᵀ·Q on strided views differs from gonum")
		}
		for _, bb := range []*mat.Dense{big, bigT} {
			r, _ := bb.Dims()
			for i := range r {
				for j := range l + 6 {
					inside := i >= 1 && i < r-1 && j >= 3 && j < l+3
					if !inside && bb.At(i, j) != sentinel {
						t.Fatalf("entry (%d,%d) outside the dst view was overwritten: %v", i, j, bb.At(i, j))
					}
				}
			}
		}
	})
}

// TestProductsDeterministic checks that both products are bit-for-bit equal
// across repeated calls and across GOMAXPROCS = 1, 2, 3.
func TestProductsDeterministic(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 4))
		m, n, l := 9001, 77, 30
		a, b, q := randDense(rnd, m, n), randDense(rnd, n, l), randDense(rnd, m, l)
		lq, _, _, ldp := tnLayout(n, l, nr)
		if c, _ := tnChunks(m, lq*ldp, 8); c < 4 {
			t.Fatalf("test shape gives %d chunks of Aᵀ·Q, want several", c)
		}
		var refAB, refATQ *mat.Dense
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		for _, procs := range []int{1, 2, 3, 2} {
			runtime.GOMAXPROCS(procs)
			ab, atq := mat.NewDense(m, l, nil), mat.NewDense(n, l, nil)
			MulTallSkinny(ab, a, b)
			MulTransTallSkinny(atq, a, q)
			if refAB == nil {
				refAB, refATQ = ab, atq
				continue
			}
			if !mat.Equal(ab, refAB) {
				t.Errorf("A·B with GOMAXPROCS=%d is not bit-identical", procs)
			}
			if !mat.Equal(atq, refATQ) {
				t.Errorf("Aᵀ·Q with GOMAXPROCS=%d is not bit-identical", procs)
			}
		}
	})
}

// TestProductsFallback checks the paths that defer to gonum: a non-Dense
// operand, dst aliasing an operand, and an empty dst that is resized.
func TestProductsFallback(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 5))
	m, n, l := 40, 9, 5
	a, b := randDense(rnd, m, n), randDense(rnd, n, l)
	var want mat.Dense
	want.Mul(a, b)

	var empty mat.Dense
	MulTallSkinny(&empty, a, b)
	if !mat.EqualApprox(&empty, &want, 1e-12) {
		t.Errorf("A·B into an empty dst differs from gonum")
	}
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, rnd.NormFloat64())
		}
	}
	var wantSym, gotSym mat.Dense
	wantSym.Mul(sym, b)
	MulTallSkinny(&gotSym, sym, b)
	if !mat.EqualApprox(&gotSym, &wantSym, 1e-12) {
		t.Errorf("A·B with a SymDense A differs from gonum")
	}
	var wantT, gotT mat.Dense
	wantT.Mul(sym.T(), b)
	MulTransTallSkinny(&gotT, sym, b)
	if !mat.EqualApprox(&gotT, &wantT, 1e-12) {
		t.Errorf("Aᵀ·Q with a SymDense A differs from gonum")
	}

	// dst aliases b: b ← a2·b with a2 square.
	a2 := randDense(rnd, n, n)
	bc := mat.DenseCopyOf(b)
	var wantAlias mat.Dense
	wantAlias.Mul(a2, b)
	MulTallSkinny(bc, a2, bc)
	if !mat.EqualApprox(bc, &wantAlias, 1e-12) {
		t.Errorf("A·B with dst aliasing B differs from gonum")
	}
}

func TestProductsPanicOnShape(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 6))
	a := randDense(rnd, 10, 4)
	for name, f := range map[string]func(){
		"inner":    func() { MulTallSkinny(mat.NewDense(10, 2, nil), a, randDense(rnd, 5, 2)) },
		"dst":      func() { MulTallSkinny(mat.NewDense(9, 2, nil), a, randDense(rnd, 4, 2)) },
		"innerT":   func() { MulTransTallSkinny(mat.NewDense(4, 2, nil), a, randDense(rnd, 9, 2)) },
		"dstTrans": func() { MulTransTallSkinny(mat.NewDense(4, 3, nil), a, randDense(rnd, 10, 2)) },
	} {
		func() {
			defer func() {
				if r := recover(); r != mat.ErrShape {
					t.Errorf("%s: recovered %v, want mat.ErrShape", name, r)
				}
			}()
			f()
		}()
	}
}

func TestPanelsOf(t *testing.T) {
	for _, tc := range []struct {
		l    int
		want string
		lpad int
	}{
		{1, "[{0 1 4}]", 4},
		{4, "[{0 4 4}]", 4},
		{5, "[{0 5 8}]", 8},
		{8, "[{0 8 8}]", 8},
		{12, "[{0 8 8} {8 4 4}]", 12},
		{30, "[{0 8 8} {8 8 8} {16 8 8} {24 6 8}]", 32},
	} {
		ps, lpad := panelsOf(tc.l, nr)
		if got := fmt.Sprint(ps); got != tc.want || lpad != tc.lpad {
			t.Errorf("panelsOf(%d) = %s, %d; want %s, %d", tc.l, got, lpad, tc.want, tc.lpad)
		}
	}
}

// TestTnChunks checks that the fixed partition of Aᵀ·Q covers [0, m) with
// whole row blocks and respects the chunk and memory caps.
func TestTnChunks(t *testing.T) {
	for _, m := range []int{1, 255, 256, 257, 9001, 20000, 100000, 1 << 22} {
		for _, plen := range []int{1, 30 * 1000, 60 * 4096, tnMaxPartialBytes / 8} {
			chunks, rows := tnChunks(m, plen, 8)
			if rows%tnBlockRows != 0 || chunks*rows < m || (chunks-1)*rows >= m {
				t.Errorf("m=%d plen=%d: %d chunks of %d rows do not partition [0, m) in whole blocks", m, plen, chunks, rows)
			}
			if chunks > tnMaxChunks || (chunks > 1 && 8*chunks*plen > tnMaxPartialBytes) {
				t.Errorf("m=%d plen=%d: %d chunks exceed the caps", m, plen, chunks)
			}
		}
	}
}

// TestMulGramMatchesGonum checks aᵀa from the half-tile kernel against
// gonum on every tile shape, that it is exactly symmetric, and that it is
// bit-for-bit the same with 1, 2 and 3 goroutines.
func TestMulGramMatchesGonum(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 9))
		shapes := [][2]int{{1, 1}, {3, 2}, {7, 5}, {6, 8}, {13, 11}, {40, 14}, {250, 97}, {3001, 129}, {9001, 77}}
		for _, s := range shapes {
			m, n := s[0], s[1]
			a := randDense(rnd, m, n)
			var want, scale mat.Dense
			want.Mul(a.T(), a)
			scale.Mul(absDense(a).T(), absDense(a))
			got := mat.NewDense(n, n, nil)
			MulGram(got, a)
			if e := relErr(got, &want, &scale); e > 1e-13 {
				t.Errorf("%dx%d: AᵀA relative error %.3g > 1e-13", m, n, e)
			}
			if !mat.Equal(got, got.T()) {
				t.Errorf("%dx%d: AᵀA is not exactly symmetric", m, n)
			}
		}
		m, n := 9001, 77
		a := randDense(rnd, m, n)
		var ref *mat.Dense
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			g := mat.NewDense(n, n, nil)
			MulGram(g, a)
			if ref == nil {
				ref = g
			} else if !mat.Equal(g, ref) {
				t.Errorf("AᵀA with GOMAXPROCS=%d is not bit-identical", procs)
			}
		}
	})
}

// TestProducts32MatchFloat64: the float32 products agree with float64 ones
// on the same (float32) values to float32 rounding, on every tile shape,
// and are bit-for-bit the same with 1, 2 and 3 goroutines.
func TestProducts32MatchFloat64(t *testing.T) {
	to32 := func(d *mat.Dense) blas32.General {
		r, c := d.Dims()
		g := blas32.General{Rows: r, Cols: c, Stride: c, Data: make([]float32, r*c)}
		for i := range r {
			for j := range c {
				g.Data[i*c+j] = float32(d.At(i, j))
			}
		}
		return g
	}
	from32 := func(g blas32.General) *mat.Dense {
		d := mat.NewDense(g.Rows, g.Cols, nil)
		for i := range g.Rows {
			for j := range g.Cols {
				d.Set(i, j, float64(g.Data[i*g.Stride+j]))
			}
		}
		return d
	}
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 32))
		shapes := append(slices.Clone(productShapes), [3]int{700, 33, 17}, [3]int{513, 4, 40})
		for _, s := range shapes {
			m, n, l := s[0], s[1], s[2]
			a32, b32, q32 := to32(randDense(rnd, m, n)), to32(randDense(rnd, n, l)), to32(randDense(rnd, m, l))
			a, b, q := from32(a32), from32(b32), from32(q32)
			ab := blas32.General{Rows: m, Cols: l, Stride: l, Data: make([]float32, m*l)}
			MulTallSkinny32(ab, a32, b32)
			var want, scale mat.Dense
			want.Mul(a, b)
			scale.Mul(absDense(a), absDense(b))
			if e := relErr(from32(ab), &want, &scale); e > 1e-6 {
				t.Errorf("%dx%dx%d: A·B (float32) relative error %.3g > 1e-6", m, n, l, e)
			}
			atq := blas32.General{Rows: n, Cols: l, Stride: l, Data: make([]float32, n*l)}
			MulTransTallSkinny32(atq, a32, q32)
			want.Reset()
			scale.Reset()
			want.Mul(a.T(), q)
			scale.Mul(absDense(a).T(), absDense(q))
			if e := relErr(from32(atq), &want, &scale); e > 1e-6 {
				t.Errorf("%dx%dx%d: Aᵀ·Q (float32) relative error %.3g > 1e-6", m, n, l, e)
			}
		}
		m, n, l := 9001, 77, 30
		a, q := to32(randDense(rnd, m, n)), to32(randDense(rnd, m, l))
		var ref []float32
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			atq := blas32.General{Rows: n, Cols: l, Stride: l, Data: make([]float32, n*l)}
			MulTransTallSkinny32(atq, a, q)
			if ref == nil {
				ref = atq.Data
			} else if !slices.Equal(atq.Data, ref) {
				t.Errorf("Aᵀ·Q (float32) with GOMAXPROCS=%d is not bit-identical", procs)
			}
		}
	})
}

// TestMulPassIsMulNNThenMulTN: the fused pass product gives mulNN's y and
// mulTN's p bit for bit, in float64, float32, and float32 data in float64,
// on shapes whose row chunks end inside a tile of six rows and whose columns
// end in a narrow strip.
func TestMulPassIsMulNNThenMulTN(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{1000, 37, 14}, {600, 300, 30}, {7, 20, 3}} {
			m, n, l := s[0], s[1], s[2]
			a := randDense(rnd, m, n).RawMatrix()
			x := randDense(rnd, n, l).RawMatrix()
			a64, x64 := general64(a), general64(x)
			a32 := general[float32]{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
			for i, v := range a.Data {
				a32.Data[i] = float32(v)
			}
			x32 := general[float32]{Rows: n, Cols: l, Stride: l, Data: make([]float32, n*l)}
			for i, v := range x.Data {
				x32.Data[i] = float32(v)
			}
			checkMulPass(t, fmt.Sprintf("%v float64", s), a64, x64, tiling64())
			checkMulPass(t, fmt.Sprintf("%v float32", s), a32, x32, tiling32())
			checkMulPass(t, fmt.Sprintf("%v float32 in float64", s), a32, x64, tiling64())
		}
	})
}

func checkMulPass[D, T element](t *testing.T, name string, a general[D], x general[T], tl tiling[T]) {
	t.Helper()
	m, n, l := a.Rows, a.Cols, x.Cols
	mat := func(r, c int) general[T] { return general[T]{Rows: r, Cols: c, Stride: c, Data: make([]T, r*c)} }
	y, p, wantY, wantP := mat(m, l), mat(n, l), mat(m, l), mat(n, l)
	mulPass(p, y, a, x, tl)
	mulNN(wantY, a, x, tl)
	mulTN(wantP, a, wantY, false, tl)
	if !slices.Equal(y.Data, wantY.Data) || !slices.Equal(p.Data, wantP.Data) {
		t.Errorf("%s: mulPass differs from mulNN then mulTN", name)
	}
}

// TestWiden: widen is float64(v) for every length (blocks of eight and the
// tail), subnormals, ±Inf and signed zeros included.
func TestWiden(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32}
	for n := range 41 {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(60)-30)))
			if i%7 == 3 {
				src[i] = special[i%len(special)]
			}
		}
		dst := make([]float64, n+1)
		dst[n] = 42
		widen(dst[:n], src)
		for i, v := range src {
			if math.Float64bits(dst[i]) != math.Float64bits(float64(v)) {
				t.Fatalf("n = %d: widen[%d] = %v, want %v", n, i, dst[i], float64(v))
			}
		}
		if dst[n] != 42 {
			t.Fatalf("n = %d: widen wrote past its length", n)
		}
	}
}

// TestMulNNFrob: the final pass's fused ‖A‖_F² matches frobeniusSq to
// rounding, for float64 and float32 rows (tails included), and its product
// is mulNN's bit for bit.
func TestMulNNFrob(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][3]int{{1001, 37, 14}, {200, 300, 30}, {5, 9, 3}} {
		m, n, l := s[0], s[1], s[2]
		a := randDense(rnd, m, n)
		x := general64(randDense(rnd, n, l).RawMatrix())
		a32 := general[float32]{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
		a32w := mat.NewDense(m, n, nil)
		for i, v := range a.RawMatrix().Data {
			a32.Data[i] = float32(v)
			a32w.RawMatrix().Data[i] = float64(a32.Data[i])
		}
		for _, tc := range []struct {
			name string
			frob func(y general[float64]) float64
			want float64
			a    general[float64]
		}{
			{"float64", func(y general[float64]) float64 { return mulNNFrob(y, general64(a.RawMatrix()), x, tiling64(), true) }, frobeniusSq(a), general64(a.RawMatrix())},
			{"float32", func(y general[float64]) float64 { return mulNNFrob(y, a32, x, tiling64(), true) }, frobeniusSq(a32w), general64(a32w.RawMatrix())},
		} {
			y := general[float64]{Rows: m, Cols: l, Stride: l, Data: make([]float64, m*l)}
			want := general[float64]{Rows: m, Cols: l, Stride: l, Data: make([]float64, m*l)}
			got := tc.frob(y)
			mulNN(want, tc.a, x, tiling64())
			if d := math.Abs(got-tc.want) / tc.want; d > 1e-13 {
				t.Errorf("%v %s: ‖A‖_F² = %v, want %v (relative %.1e)", s, tc.name, got, tc.want, d)
			}
			if !slices.Equal(y.Data, want.Data) {
				t.Errorf("%v %s: the product differs from mulNN's", s, tc.name)
			}
		}
	}
}
