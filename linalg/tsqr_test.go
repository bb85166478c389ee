package linalg

import (
	"encoding/json"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// spectrumGolden is testdata/spectrum/golden.json, written by
// scripts/make_spectrum_goldens.py (see its docstring).
type spectrumGolden struct {
	K            int            `json:"k"`
	NOversamples int            `json:"n_oversamples"`
	NIter        int            `json:"n_iter"`
	Cases        []spectrumCase `json:"cases"`
}

type spectrumCase struct {
	Name        string                     `json:"name"`
	M           int                        `json:"m"`
	N           int                        `json:"n"`
	Rank        int                        `json:"rank"`
	ScaleExp    int                        `json:"scale_exp"`
	S           []int64                    `json:"s"`
	RowPerm     []int                      `json:"row_perm"`
	UCols       []int                      `json:"u_cols"`
	VSigns      []int                      `json:"v_signs"`
	VCols       []int                      `json:"v_cols"`
	Offset      []int64                    `json:"offset"`
	SigmaDesign []float64                  `json:"sigma_design"`
	Variants    map[string]spectrumVariant `json:"variants"`

	once      sync.Once
	plain     *mat.Dense
	withShift *mat.Dense
}

type spectrumVariant struct {
	LAPACK  []float64   `json:"lapack"`
	Sklearn [][]float64 `json:"sklearn"`
}

var (
	goldenOnce sync.Once
	golden     *spectrumGolden
	goldenErr  error
)

func loadSpectrumGolden(t testing.TB) *spectrumGolden {
	t.Helper()
	goldenOnce.Do(func() {
		data, err := os.ReadFile("../testdata/spectrum/golden.json")
		if err != nil {
			goldenErr = err
			return
		}
		golden = new(spectrumGolden)
		goldenErr = json.Unmarshal(data, golden)
	})
	if goldenErr != nil {
		t.Fatalf("golden file: %v", goldenErr)
	}
	return golden
}

func goldenCase(t testing.TB, name string) *spectrumCase {
	t.Helper()
	g := loadSpectrumGolden(t)
	for i := range g.Cases {
		if g.Cases[i].Name == name {
			return &g.Cases[i]
		}
	}
	t.Fatalf("golden file has no case %q", name)
	return nil
}

// hadamardEntry is H[i][j] of the Sylvester Hadamard matrix, (−1)^popcount(i & j).
func hadamardEntry(i, j int) float64 {
	if bits.OnesCount(uint(i&j))%2 == 0 {
		return 1
	}
	return -1
}

// matrices rebuilds the case's A = 2^−e·U·diag(s)·Vᵀ and A + 1μᵀ,
// bit-identical to NumPy's (every partial sum is an integer below 2⁵³).
func (c *spectrumCase) matrices() (plain, withShift *mat.Dense) {
	c.once.Do(func() {
		u := mat.NewDense(c.M, c.Rank, nil)
		for i := range c.M {
			for j, col := range c.UCols {
				u.Set(i, j, hadamardEntry(c.RowPerm[i], col)*float64(c.S[j]))
			}
		}
		v := mat.NewDense(c.N, c.Rank, nil)
		for k := range c.N {
			for j, col := range c.VCols {
				v.Set(k, j, float64(c.VSigns[k])*hadamardEntry(k, col))
			}
		}
		a := mat.NewDense(c.M, c.N, nil)
		a.Mul(u, v.T())
		scale := math.Ldexp(1, -c.ScaleExp)
		a.Scale(scale, a)
		c.plain = a
		c.withShift = mat.DenseCopyOf(a)
		raw := c.withShift.RawMatrix()
		for i := range c.M {
			row := raw.Data[i*raw.Stride : i*raw.Stride+c.N]
			for k := range row {
				row[k] += float64(c.Offset[k]) * scale
			}
		}
	})
	return c.plain, c.withShift
}

// variantMatrix returns the matrix of a golden variant and whether the
// spectrum is of its centred version.
func (c *spectrumCase) variantMatrix(variant string) (*mat.Dense, bool) {
	plain, withShift := c.matrices()
	switch variant {
	case "plain":
		return plain, false
	case "offset":
		return withShift, false
	case "offset_centered":
		return withShift, true
	}
	panic("unknown variant " + variant)
}

// shardBounds cuts m rows into count shards: even sizes when rnd is nil,
// else random sizes ≥ 1.
func shardBounds(m, count int, rnd *rand.Rand) []int {
	b := make([]int, count+1)
	if rnd == nil {
		for i := range b {
			b[i] = i * m / count
		}
		return b
	}
	cuts := rnd.Perm(m - 1)[:count-1]
	b[count] = m
	for i, c := range cuts {
		b[i+1] = c + 1
	}
	slicesSortInts(b)
	return b
}

func slicesSortInts(x []int) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

// cutRows returns the row shards of a between the bounds (views, no copy).
func cutRows(a *mat.Dense, bounds []int) []*mat.Dense {
	_, n := a.Dims()
	out := make([]*mat.Dense, 0, len(bounds)-1)
	for i := 1; i < len(bounds); i++ {
		out = append(out, a.Slice(bounds[i-1], bounds[i], 0, n).(*mat.Dense))
	}
	return out
}

// mergeTree merges parts by repeatedly merging two randomly chosen partials
// (in random order): an arbitrary binary tree and arbitrary operand order.
func mergeTree[T any](t testing.TB, rnd *rand.Rand, parts []T, merge func(a, b T) error) T {
	t.Helper()
	parts = append([]T(nil), parts...)
	for len(parts) > 1 {
		i := rnd.IntN(len(parts))
		j := rnd.IntN(len(parts) - 1)
		if j >= i {
			j++
		}
		if err := merge(parts[i], parts[j]); err != nil {
			t.Fatal(err)
		}
		parts[j] = parts[len(parts)-1]
		parts = parts[:len(parts)-1]
		if i == len(parts) {
			i = j
		}
	}
	return parts[0]
}

// sigmaError returns the largest error of got against want over the first k
// values: relative where want[i] > 1e-9·want[0], and relative to want[0]
// (σ₁) for the zero singular values of a rank-deficient matrix.
func sigmaError(got, want []float64, k int) float64 { return sigmaErrorFloor(got, want, k, 1e-9) }

// sigmaErrorFloor is sigmaError with σ below floor·σ₁ compared relative to σ₁.
func sigmaErrorFloor(got, want []float64, k int, floor float64) float64 {
	var worst float64
	for i := range k {
		d := math.Abs(got[i] - want[i])
		if want[i] > floor*want[0] {
			worst = max(worst, d/want[i])
		} else {
			worst = max(worst, d/want[0])
		}
	}
	return worst
}

// shardCounts are the shard counts of the invariance tests: 2048 rows in
// 80 shards have 25 < l = 30 rows each, in 300 random shards 1 to ~40.
var shardCounts = []int{1, 3, 8, 80, 300}

func exactOverShards(t testing.TB, shards []*mat.Dense, centered bool, rnd *rand.Rand) *RowQR {
	t.Helper()
	var parts []*RowQR
	for _, sh := range shards {
		_, n := sh.Dims()
		q := NewRowQR(n, centered)
		if err := q.AddBlock(sh); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, q)
	}
	return mergeTree(t, rnd, parts, func(a, b *RowQR) error { return a.Merge(b) })
}

// TestRowQRMatchesLAPACK: the exact method's σ (every index) match LAPACK's
// (NumPy gesdd, golden) to 1e-10 relative, for 1 to 300 shards merged in
// random trees, with and without centring, and Frobenius norms agree
// (every shard count on the power law, 1, 80 and 300 on the others).
func TestRowQRMatchesLAPACK(t *testing.T) {
	for _, name := range []string{"powerlaw", "flatdrop", "lowrank"} {
		c := goldenCase(t, name)
		for _, variant := range []string{"plain", "offset_centered", "offset"} {
			a, centered := c.variantMatrix(variant)
			want := c.Variants[variant].LAPACK
			var wantFrob float64
			for _, s := range want {
				wantFrob += s * s
			}
			rnd := rand.New(rand.NewPCG(7, uint64(len(name))))
			var first []float64
			for _, count := range shardCounts {
				if (testing.Short() && count > 8) || (name != "powerlaw" && (count == 3 || count == 8)) {
					continue
				}
				bounds := shardBounds(c.M, count, nil)
				if count > 8 {
					bounds = shardBounds(c.M, count, rnd)
				}
				q := exactOverShards(t, cutRows(a, bounds), centered, rnd)
				res, err := q.Finish()
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Sigma) != len(want) || res.Rows != int64(c.M) || res.Method != MethodExact {
					t.Fatalf("%s/%s/%d shards: %d σ, %d rows, method %q", name, variant, count, len(res.Sigma), res.Rows, res.Method)
				}
				e := sigmaError(res.Sigma, want, len(want))
				if e > 1e-10 {
					t.Errorf("%s/%s/%d shards: σ error vs LAPACK %.3g > 1e-10", name, variant, count, e)
				}
				if d := math.Abs(res.FrobSq-wantFrob) / wantFrob; d > 1e-12 {
					t.Errorf("%s/%s/%d shards: FrobSq %.17g, Σσ² %.17g (rel %.3g)", name, variant, count, res.FrobSq, wantFrob, d)
				}
				if first == nil {
					first = res.Sigma
				} else if e := sigmaError(res.Sigma, first, len(first)); e > 1e-10 {
					t.Errorf("%s/%s: %d shards differ from 1 shard by %.3g", name, variant, count, e)
				}
				if count == 300 || (testing.Short() && count == 8) {
					t.Logf("%-9s %-16s %3d shards: max σ error vs LAPACK %.2g (all %d σ)", name, variant, count, e, len(want))
				}
			}
		}
	}
}

// TestRowQRDesignSpectrum: on the exactly centred designs the exact method
// recovers the known σ (computed from the integer factors, not by LAPACK).
func TestRowQRDesignSpectrum(t *testing.T) {
	c := goldenCase(t, "powerlaw")
	a, _ := c.variantMatrix("offset_centered")
	q := exactOverShards(t, cutRows(a, shardBounds(c.M, 8, nil)), true, rand.New(rand.NewPCG(1, 1)))
	res, err := q.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if e := sigmaError(res.Sigma, c.SigmaDesign, len(c.SigmaDesign)); e > 1e-11 {
		t.Errorf("σ error vs design %.3g > 1e-11", e)
	}
	// V: the right singular vectors of distinct σ are ±V's columns.
	plain, _ := c.matrices()
	var av mat.Dense
	av.Mul(plain, res.V)
	for j := range 20 {
		if got := mat.Norm(av.ColView(j), 2); math.Abs(got-res.Sigma[j]) > 1e-10*res.Sigma[j] {
			t.Errorf("‖A·v%d‖ = %.17g, σ = %.17g", j, got, res.Sigma[j])
		}
	}
}

// TestRowQRMergeAlgebra: merging is associative and commutative up to
// rounding and the empty summary is its identity (RᵀR, means, FrobSq, rows).
func TestRowQRMergeAlgebra(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	const n = 40
	blocks := []*mat.Dense{gaussian(rnd, 7, n), gaussian(rnd, 60, n), gaussian(rnd, 1, n), gaussian(rnd, 33, n)}
	for j := range n { // a column offset so centring matters
		for _, b := range blocks {
			r, _ := b.Dims()
			for i := range r {
				b.Set(i, j, b.At(i, j)+float64(j))
			}
		}
	}
	for _, centered := range []bool{false, true} {
		parts := make([]*RowQR, len(blocks))
		for i, b := range blocks {
			parts[i] = NewRowQR(n, centered)
			if err := parts[i].AddBlock(b); err != nil {
				t.Fatal(err)
			}
		}
		merge := func(order ...int) *RowQR {
			acc := new(RowQR) // the zero value is an identity too
			for _, i := range order {
				if err := acc.Merge(parts[i]); err != nil {
					t.Fatal(err)
				}
				if err := acc.Merge(NewRowQR(n, centered)); err != nil {
					t.Fatal(err)
				}
			}
			return acc
		}
		left := merge(0, 1, 2, 3)
		right := merge(3, 2, 1, 0)
		// (0 + (1 + 2)) + 3 as a tree.
		inner := merge(1, 2)
		tree := merge(0)
		if err := tree.Merge(inner); err != nil {
			t.Fatal(err)
		}
		if err := tree.Merge(parts[3]); err != nil {
			t.Fatal(err)
		}
		var all mat.Dense
		all.Stack(blocks[0], blocks[1])
		var all2, all3 mat.Dense
		all2.Stack(&all, blocks[2])
		all3.Stack(&all2, blocks[3])
		ref := &all3
		if centered {
			ref = centered0(&all3)
		}
		var wantGram mat.Dense
		wantGram.Mul(ref.T(), ref)
		for name, q := range map[string]*RowQR{"left": left, "right": right, "tree": tree} {
			if q.Rows != 101 {
				t.Errorf("%s: %d rows", name, q.Rows)
			}
			r := mat.NewDense(q.RRows, n, q.R)
			var gram mat.Dense
			gram.Mul(r.T(), r)
			if d := maxAbsDiff(&gram, &wantGram) / mat.Norm(&wantGram, math.Inf(1)); d > 1e-14 {
				t.Errorf("centred %t %s: RᵀR differs from CᵀC by %.3g", centered, name, d)
			}
			if d := math.Abs(q.FrobSq-frobeniusSq(ref)) / frobeniusSq(ref); d > 1e-14 {
				t.Errorf("centred %t %s: FrobSq off by %.3g", centered, name, d)
			}
			for k := range n {
				if centered && math.Abs(q.Mean[k]-colMean(&all3, k)) > 1e-14*(1+math.Abs(colMean(&all3, k))) {
					t.Errorf("centred %s: mean %d = %v, want %v", name, k, q.Mean[k], colMean(&all3, k))
				}
			}
			for i := range q.RRows {
				for j := range i {
					if r.At(i, j) != 0 {
						t.Fatalf("%s: R[%d][%d] = %v below the diagonal", name, i, j, r.At(i, j))
					}
				}
			}
		}
	}
}

func colMean(a *mat.Dense, j int) float64 {
	r, _ := a.Dims()
	var s float64
	for i := range r {
		s += a.At(i, j)
	}
	return s / float64(r)
}

// centered0 returns a − 1μᵀ.
func centered0(a *mat.Dense) *mat.Dense {
	m, n := a.Dims()
	out := mat.DenseCopyOf(a)
	for j := range n {
		mu := colMean(a, j)
		for i := range m {
			out.Set(i, j, out.At(i, j)-mu)
		}
	}
	return out
}

func maxAbsDiff(a, b mat.Matrix) float64 {
	r, c := a.Dims()
	var worst float64
	for i := range r {
		for j := range c {
			worst = max(worst, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return worst
}

// TestTriangularAppend: the structured update gives an R with
// RᵀR = [R; B]ᵀ[R; B] for general rows, trapezoidal rows, both, and rank
// deficient inputs, and keeps R upper triangular.
func TestTriangularAppend(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	const c = 23
	for _, tc := range []struct {
		name        string
		nFull, nTri int
		zeroCols    bool
	}{
		{"general", 9, 0, false},
		{"trapezoidal", 0, c, false},
		{"short trapezoid", 0, 5, false},
		{"chan row + R", 1, c, false},
		{"many general", 3 * c, 0, false},
		{"rank deficient", 2, 7, true},
	} {
		// R: upper triangular from a QR of random rows.
		seed := NewRowQR(c, false)
		src := gaussian(rnd, 2*c, c)
		if tc.zeroCols {
			for i := range 2 * c {
				src.Set(i, 4, 0)
				src.Set(i, 11, 0)
			}
		}
		if err := seed.AddBlock(src); err != nil {
			t.Fatal(err)
		}
		r := append([]float64(nil), seed.R...)
		rows := tc.nFull + tc.nTri
		b := make([]float64, rows*c)
		for i := range rows {
			for j := range c {
				if i >= tc.nFull && j < i-tc.nFull {
					continue
				}
				if tc.zeroCols && (j == 4 || j == 11) {
					continue
				}
				b[i*c+j] = rnd.NormFloat64()
			}
		}
		var stack mat.Dense
		stack.Stack(mat.NewDense(c, c, append([]float64(nil), r...)), mat.NewDense(rows, c, append([]float64(nil), b...)))
		var want mat.Dense
		want.Mul(stack.T(), &stack)
		triangularAppend(r, c, b, rows, tc.nFull)
		rm := mat.NewDense(c, c, r)
		var got mat.Dense
		got.Mul(rm.T(), rm)
		if d := maxAbsDiff(&got, &want) / mat.Norm(&want, math.Inf(1)); d > 1e-14 {
			t.Errorf("%s: RᵀR off by %.3g", tc.name, d)
		}
		for i := range c {
			for j := range i {
				if rm.At(i, j) != 0 {
					t.Fatalf("%s: R[%d][%d] = %v", tc.name, i, j, rm.At(i, j))
				}
			}
		}
	}
}

// TestRowQRPanels: a block taller than one panel (several dgeqrf calls
// stacked under R) gives the same spectrum as LAPACK's SVD of the block.
func TestRowQRPanels(t *testing.T) {
	rnd := rand.New(rand.NewPCG(8, 9))
	const n = 12
	m := 3*tsqrPanelRows(n) + 17
	a := gaussian(rnd, m, n)
	for i := range m {
		a.Set(i, 3, a.At(i, 3)*1e-6+5) // a small, shifted column
	}
	for _, centered := range []bool{false, true} {
		q := NewRowQR(n, centered)
		if err := q.AddBlock(a); err != nil {
			t.Fatal(err)
		}
		ref := a
		if centered {
			ref = centered0(a)
		}
		var svd mat.SVD
		if !svd.Factorize(ref, mat.SVDNone) {
			t.Fatal("SVD failed")
		}
		want := svd.Values(nil)
		got, _, err := q.Spectrum()
		if err != nil {
			t.Fatal(err)
		}
		if e := sigmaError(got, want, n); e > 1e-10 {
			t.Errorf("centred %t: %d rows in panels of %d: σ error %.3g", centered, m, tsqrPanelRows(n), e)
		}
	}
}

// TestCholQR2RMatchesHouseholder: the CholeskyQR2 route of AddBlock gives an
// upper triangular R with RᵀR = AᵀA to rounding and the σ of Householder's R
// within 10·ε·κ relative, and refuses ill-conditioned or rank-deficient panels.
func TestCholQR2RMatchesHouseholder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 7))
	for _, c := range []int{30, 200} {
		for _, tc := range []struct {
			cond float64
			ok   bool
		}{{1, true}, {1e2, true}, {1e3, true}, {1e5, false}, {1e8, false}, {math.Inf(1), false}} {
			m := 8 * c
			var a *mat.Dense
			if math.IsInf(tc.cond, 1) { // rank c/2
				var u, v mat.Dense
				u.CloneFrom(gaussian(rnd, m, c/2))
				v.CloneFrom(gaussian(rnd, c/2, c))
				a = new(mat.Dense)
				a.Mul(&u, &v)
			} else {
				a = conditionedMatrix(rnd, m, c, tc.cond)
			}
			orig := mat.DenseCopyOf(a)
			var w qrWork
			r, ok := w.cholQR2R(a)
			if ok != tc.ok {
				t.Fatalf("c=%d κ=%g: cholQR2R ok = %t, want %t", c, tc.cond, ok, tc.ok)
			}
			if !mat.Equal(a, orig) {
				t.Fatalf("c=%d κ=%g: the input was modified", c, tc.cond)
			}
			if !ok {
				continue
			}
			rm := mat.NewDense(c, c, r)
			var got, want mat.Dense
			got.Mul(rm.T(), rm)
			want.Mul(a.T(), a)
			if d := maxAbsDiff(&got, &want) / mat.Norm(&want, math.Inf(1)); d > 1e-14 {
				t.Errorf("c=%d κ=%g: RᵀR off by %.3g", c, tc.cond, d)
			}
			hh := NewRowQR(c, false)
			hh.stackRows(a.RawMatrix().Data, m)
			var svd mat.SVD
			if !svd.Factorize(mat.NewDense(c, c, hh.R), mat.SVDNone) {
				t.Fatal("SVD failed")
			}
			wantSigma := svd.Values(nil)
			if !svd.Factorize(rm, mat.SVDNone) {
				t.Fatal("SVD failed")
			}
			if e := sigmaError(svd.Values(nil), wantSigma, c); e > 10*eps*tc.cond+1e-15 {
				t.Errorf("c=%d κ=%g: σ differ from Householder's by %.3g", c, tc.cond, e)
			}
			for i := range c {
				for j := range i {
					if r[i*c+j] != 0 {
						t.Fatalf("R[%d][%d] = %v", i, j, r[i*c+j])
					}
				}
			}
		}
	}
}

// TestRowQRErrors: mismatched shapes and corrupt accumulators are errors.
func TestRowQRErrors(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	q := NewRowQR(5, true)
	if err := q.AddBlock(gaussian(rnd, 3, 4)); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("wrong width: %v", err)
	}
	if _, _, err := q.Spectrum(); err == nil {
		t.Error("empty Spectrum: no error")
	}
	if err := q.AddBlock(gaussian(rnd, 3, 5)); err != nil {
		t.Fatal(err)
	}
	o := NewRowQR(5, false)
	if err := o.AddBlock(gaussian(rnd, 3, 5)); err != nil {
		t.Fatal(err)
	}
	if err := q.Merge(o); err == nil {
		t.Error("centred with uncentred: no error")
	}
	bad := *q
	bad.R = bad.R[:3]
	if err := q.Merge(&bad); err == nil {
		t.Error("corrupt R: no error")
	}
	bad = *q
	bad.Mean = nil
	if _, _, err := bad.Spectrum(); err == nil {
		t.Error("missing means: no error")
	}
}
