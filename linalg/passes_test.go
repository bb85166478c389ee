package linalg

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// multiPassRun is the outcome of runMultiPass.
type multiPassRun struct {
	res   *SpectrumResult
	final *PassBasis // the basis X of the final pass
	reads []int      // how many times each shard was processed
}

// runMultiPass drives mp over the shards as a distributed run would: every
// pass processes every shard and merges the partials in a random binary tree
// (random operand order), then Next or Finish.
func runMultiPass(t testing.TB, mp *MultiPass, shards []*mat.Dense, rnd *rand.Rand) multiPassRun {
	return runMultiPassWith(t, mp, shards, rnd, false)
}

// runMultiPassWith is runMultiPass; with float32 the power passes after the
// first multiply float32 copies of the shards (Process32), as the pipeline
// does for float32 files.
func runMultiPassWith(t testing.TB, mp *MultiPass, shards []*mat.Dense, rnd *rand.Rand, float32Passes bool) multiPassRun {
	t.Helper()
	run := multiPassRun{reads: make([]int, len(shards))}
	b := mp.FirstBasis()
	for {
		parts := make([]*PassPartial, len(shards))
		for i, sh := range shards {
			p, err := b.Process(sh)
			if float32Passes && b.Float32 {
				r, c := sh.Dims()
				data := make([]float32, r*c)
				for k := range data {
					data[k] = float32(sh.At(k/c, k%c))
				}
				p, err = b.Process32(r, c, data)
			}
			if err != nil {
				t.Fatal(err)
			}
			run.reads[i]++
			parts[i] = p
		}
		// An empty partial (the zero value) joins the tree: it is an identity.
		parts = append(parts, new(PassPartial))
		merged := mergeTree(t, rnd, parts, func(a, b *PassPartial) error { return a.Merge(b) })
		if b.Final {
			res, err := mp.Finish(b, merged)
			if err != nil {
				t.Fatal(err)
			}
			run.res, run.final = res, b
			return run
		}
		header := *b // as the pipeline sends it back: without X
		header.X = nil
		next, err := mp.Next(&header, merged)
		if err != nil {
			t.Fatal(err)
		}
		b = next
	}
}

// multiPassSchedule is one run of a schedule test: a shard count and
// whether the power passes run on the Gram matrix.
type multiPassSchedule struct {
	shards int
	gram   bool
}

// multiPassSchedules returns every shard count with the power passes, then
// every shard count with the Gram schedule.
func multiPassSchedules(counts []int) []multiPassSchedule {
	var runs []multiPassSchedule
	for _, gram := range []bool{false, true} {
		for _, c := range counts {
			runs = append(runs, multiPassSchedule{c, gram})
		}
	}
	return runs
}

func newMultiPass(t testing.TB, a *mat.Dense, centered bool, key uint64) *MultiPass {
	t.Helper()
	m, n := a.Dims()
	mp, err := NewMultiPass(int64(m), n, MultiPassOptions{K: 20, Oversample: 10, PowerIters: 7, Seed: 12, Key: key, Centered: centered})
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

// TestMultiPassShardInvariance: the randomized multi-pass top-k spectrum,
// its residual and Frobenius norm are the same, to 1e-10 relative, for 1, 3,
// 8, 80 and 300 shards (the last two with fewer rows than l per shard)
// merged in random trees; power law, flat-then-drop and exactly low rank
// (rank 12 < l = 30), with and without centring. The oversampled tail
// σ_{k+1} … σ_l agrees to 1e-10·σᵢ + 10·ε·σ₁²/σᵢ (see "Rounding" in
// passes.go), and the zero σ of the low-rank matrix to 1e-10·σ₁.
const eps = 0x1p-52

// Both schedules run, the Gram one and the q + 1 power passes, and every
// run is compared with the first (1 shard, passes): the schedules agree to
// the same tolerances.
func TestMultiPassShardInvariance(t *testing.T) {
	for _, name := range []string{"powerlaw", "flatdrop", "lowrank"} {
		c := goldenCase(t, name)
		for _, variant := range []string{"plain", "offset_centered", "offset"} {
			a, centered := c.variantMatrix(variant)
			mp := newMultiPass(t, a, centered, 0)
			if !mp.Gram {
				t.Fatalf("%s: %d columns, l = %d, q = %d: want the Gram schedule", name, c.N, mp.L, mp.PowerIters)
			}
			rnd := rand.New(rand.NewPCG(11, uint64(len(variant))))
			var first *SpectrumResult
			var worst, worstTail float64
			for _, run := range multiPassSchedules(shardCounts) {
				count := run.shards
				mp.Gram = run.gram
				bounds := shardBounds(c.M, count, nil)
				if count > 8 {
					bounds = shardBounds(c.M, count, rnd)
				}
				run := runMultiPass(t, mp, cutRows(a, bounds), rnd)
				res := run.res
				if wantReads := map[bool]int{false: 9, true: 2}[mp.Gram]; len(res.Sigma) != mp.L || res.Method != MethodMultiPass || res.Reads != wantReads {
					t.Fatalf("%s/%s: %d σ, method %q, %d reads (Gram %t)", name, variant, len(res.Sigma), res.Method, res.Reads, mp.Gram)
				}
				for i, r := range run.reads {
					if r != mp.Reads() {
						t.Fatalf("shard %d read %d times, want %d", i, r, mp.Reads())
					}
				}
				if first == nil {
					first = res
					continue
				}
				e := sigmaError(res.Sigma, first.Sigma, mp.K)
				worst = max(worst, e)
				if e > 1e-10 {
					t.Errorf("%s/%s: %d shards (Gram %t): top-%d σ differ from 1 shard's by %.3g", name, variant, count, mp.Gram, mp.K, e)
				}
				for i := mp.K; i < mp.L; i++ {
					// The oversampled tail (see "Rounding" in passes.go).
					s1, si := first.Sigma[0], first.Sigma[i]
					tol := 1e-10*si + 10*eps*s1*s1/si
					if si > 1e-9*s1 {
						worstTail = max(worstTail, math.Abs(res.Sigma[i]-si)/si)
					} else { // a zero σ: relative to σ₁
						worstTail = max(worstTail, math.Abs(res.Sigma[i]-si)/s1)
					}
					if math.Abs(res.Sigma[i]-si) > max(tol, 1e-10*s1) {
						t.Errorf("%s/%s: %d shards (Gram %t): σ%d = %.17g, 1 shard %.17g", name, variant, count, mp.Gram, i+1, res.Sigma[i], si)
					}
				}
				if d := math.Abs(res.FrobSq-first.FrobSq) / first.FrobSq; d > 1e-12 {
					t.Errorf("%s/%s: %d shards: FrobSq differs by %.3g", name, variant, count, d)
				}
				// ResidualSq = FrobSq − Σσ² is accurate to a small multiple
				// of ε·FrobSq (absolute; more with a large mean, see PassBasis.Process).
				if d := math.Abs(res.ResidualSq - first.ResidualSq); d > 1e-10*first.ResidualSq+1e-12*first.FrobSq {
					t.Errorf("%s/%s: %d shards: ResidualSq %.17g, 1 shard %.17g", name, variant, count, res.ResidualSq, first.ResidualSq)
				}
			}
			t.Logf("%-9s %-16s largest relative σ difference between shard counts: top-%d %.2g, σ%d…σ%d %.2g",
				name, variant, mp.K, worst, mp.K+1, mp.L, worstTail)
		}
	}
}

// medianOf returns the median of x (the lower middle for even lengths).
func medianOf(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// TestMultiPassVersusScikitLearn: on each golden matrix, the median over
// five keys of the multi-pass method's largest top-k σ error (vs LAPACK) is
// at most 1.5× the median over five seeds of scikit-learn's randomized_svd
// with the same k = 20, p = 10, q = 7. Errors below 1e-12 count as 1e-12,
// the rounding level: the zero σ of the low-rank matrix come out at
// ~ε·|μ|·‖X‖·√m ≈ 2e-13·σ₁ from the centring of A + 1μᵀ (|μ| ≤ 100, entries
// ~1) in shards, while NumPy's centring of the whole matrix, whose mean is
// exactly representable here, happens to be exact.
func TestMultiPassVersusScikitLearn(t *testing.T) {
	g := loadSpectrumGolden(t)
	const floor = 1e-12
	for _, name := range []string{"powerlaw", "flatdrop", "lowrank", "powerlaw_big"} {
		if testing.Short() && name == "powerlaw_big" {
			continue
		}
		c := goldenCase(t, name)
		for _, variant := range []string{"plain", "offset_centered", "offset"} {
			v, ok := c.Variants[variant]
			if !ok {
				continue
			}
			a, centered := c.variantMatrix(variant)
			var ours, theirs []float64
			for _, s := range v.Sklearn {
				theirs = append(theirs, sigmaError(s, v.LAPACK, g.K))
			}
			shards := cutRows(a, shardBounds(c.M, 8, nil))
			for key := range uint64(5) {
				mp := newMultiPass(t, a, centered, key)
				res, err := mp.Run(shards)
				if err != nil {
					t.Fatal(err)
				}
				ours = append(ours, sigmaError(res.Sigma, v.LAPACK, g.K))
				for i, s := range res.Sigma {
					if s > v.LAPACK[i]*(1+1e-12)+floor*v.LAPACK[0] {
						t.Errorf("%s/%s key %d: σ%d = %.17g exceeds LAPACK's %.17g", name, variant, key, i+1, s, v.LAPACK[i])
					}
				}
			}
			om, tm := medianOf(ours), medianOf(theirs)
			t.Logf("%-12s %-16s max top-%d σ error, median of 5: multi_pass %.2g, scikit-learn %.2g (ours %.2g, theirs %.2g)",
				name, variant, g.K, om, tm, ours, theirs)
			if max(om, floor) > 1.5*max(tm, floor) {
				t.Errorf("%s/%s: multi-pass error %.3g > 1.5 × scikit-learn's %.3g", name, variant, om, tm)
			}
		}
	}
}

// sklearnRecipe is scikit-learn's randomized_svd on a (already centred when
// wanted) started from the n×l matrix omega: q iterations of
// Y = orth(A·Ω), Ω = orth(Aᵀ·Y) (QR normalisation instead of LU: the same
// subspaces), Q = orth(A·Ω), B = QᵀA. It returns σ(B), ‖A − QQᵀA‖_F² and an
// orthonormal basis of the row space of B.
func sklearnRecipe(a, omega *mat.Dense, q int) (sigma []float64, residualSq float64, rowSpace *mat.Dense) {
	m, n := a.Dims()
	_, l := omega.Dims()
	z := mat.DenseCopyOf(omega)
	y := mat.NewDense(m, l, nil)
	for range q {
		MulTallSkinny(y, a, z)
		Orthonormalize(y)
		MulTransTallSkinny(z, a, y)
		Orthonormalize(z)
	}
	MulTallSkinny(y, a, z)
	Orthonormalize(y)
	bt := mat.NewDense(n, l, nil) // Bᵀ = AᵀQ
	MulTransTallSkinny(bt, a, y)
	var svd mat.SVD
	if !svd.Factorize(bt, mat.SVDNone) {
		panic("SVD failed")
	}
	sigma = svd.Values(nil)
	var captured float64
	for _, s := range sigma {
		captured += s * s
	}
	Orthonormalize(bt)
	return sigma, frobeniusSq(a) - captured, bt
}

// TestMultiPassDominatesScikitLearn checks the claim proved in passes.go:
// with the same test matrix, the final basis spans scikit-learn's row space
// range((AᵀA)^{q+1}Ω), every σᵢ is at least scikit-learn's (so at least as
// accurate, neither exceeding σᵢ(A)), and the residual is at most
// scikit-learn's. q = 2 (where the subspaces have not converged and the
// difference shows) and q = 7, centred and not, 8 shards.
func TestMultiPassDominatesScikitLearn(t *testing.T) {
	c := goldenCase(t, "powerlaw")
	plain, _ := c.matrices()
	for _, variant := range []string{"plain", "offset_centered", "offset"} {
		a, centered := c.variantMatrix(variant)
		want := c.Variants[variant].LAPACK
		for _, q := range []int{2, 7} {
			mp, err := NewMultiPass(int64(c.M), c.N, MultiPassOptions{K: 20, PowerIters: q, Seed: 3, Centered: centered})
			if err != nil {
				t.Fatal(err)
			}
			for _, gram := range []bool{false, true} {
				mp.Gram = gram
				run := runMultiPass(t, mp, cutRows(a, shardBounds(c.M, 8, nil)), rand.New(rand.NewPCG(1, 2)))
				// offset_centered's centred matrix is exactly plain (1ᵀA = 0).
				x0 := mp.omegaBasis()
				ref := a
				if centered {
					ref = plain
				}
				skSigma, skResid, skRows := sklearnRecipe(ref, x0, q)

				got := angles(t, nil, mat.NewDense(c.N, mp.L, run.final.X), skRows)
				if theta := got[len(got)-1]; theta > 1e-6 {
					t.Errorf("%s q=%d: largest angle between the final basis and scikit-learn's row space %.3g", variant, q, theta)
				}
				var gain float64
				for i := range mp.L {
					ours, theirs := run.res.Sigma[i], skSigma[i]
					if ours < theirs*(1-1e-13) {
						t.Errorf("%s q=%d: σ%d = %.17g below scikit-learn's %.17g", variant, q, i+1, ours, theirs)
					}
					if ours > want[i]*(1+1e-13) || theirs > want[i]*(1+1e-13) {
						t.Errorf("%s q=%d: σ%d: ours %.17g, scikit-learn's %.17g, exact %.17g", variant, q, i+1, ours, theirs, want[i])
					}
					gain = max(gain, (want[i]-theirs)/max(want[i]-ours, 1e-16*want[i]))
				}
				if run.res.ResidualSq > skResid*(1+1e-12)+1e-13*run.res.FrobSq {
					t.Errorf("%s q=%d: residual %.17g above scikit-learn's %.17g", variant, q, run.res.ResidualSq, skResid)
				}
				t.Logf("%-16s q=%d Gram %-5t: top-%d σ error ours %.2g, scikit-learn recipe (same Ω) %.2g; all-l error %.2g vs %.2g; residual² %.6g vs %.6g; largest angle %.2g",
					variant, q, gram, 20, sigmaError(run.res.Sigma, want, 20), sigmaError(skSigma, want, 20),
					sigmaError(run.res.Sigma, want, mp.L), sigmaError(skSigma, want, mp.L), run.res.ResidualSq, skResid, got[len(got)-1])
			}
		}
	}
}

// TestMultiPassResidualBound: ResidualSq is ‖C − C·X·Xᵀ‖_F² (computed
// densely here) and bounds σᵢ(C)² − σ̂ᵢ² ≥ 0 for every i.
func TestMultiPassResidualBound(t *testing.T) {
	c := goldenCase(t, "powerlaw")
	plain, _ := c.matrices()
	for _, variant := range []string{"plain", "offset_centered"} {
		a, centered := c.variantMatrix(variant)
		want := c.Variants[variant].LAPACK
		for _, q := range []int{0, 7} {
			mp, err := NewMultiPass(int64(c.M), c.N, MultiPassOptions{K: 20, PowerIters: q, Seed: 5, Centered: centered})
			if err != nil {
				t.Fatal(err)
			}
			run := runMultiPass(t, mp, cutRows(a, shardBounds(c.M, 3, nil)), rand.New(rand.NewPCG(3, 3)))
			var frob float64
			for _, s := range want {
				frob += s * s
			}
			if d := math.Abs(run.res.FrobSq-frob) / frob; d > 1e-12 {
				t.Errorf("%s q=%d: FrobSq %.17g, Σσ² (LAPACK) %.17g", variant, q, run.res.FrobSq, frob)
			}
			x := mat.NewDense(c.N, mp.L, run.final.X)
			var ax, axxt mat.Dense
			ax.Mul(plain, x)
			axxt.Mul(&ax, x.T())
			axxt.Sub(plain, &axxt)
			resid := frobeniusSq(&axxt)
			if d := math.Abs(run.res.ResidualSq - resid); d > 1e-9*resid+1e-14*run.res.FrobSq {
				t.Errorf("%s q=%d: ResidualSq %.17g, ‖C − CXXᵀ‖² %.17g", variant, q, run.res.ResidualSq, resid)
			}
			for i, s := range run.res.Sigma {
				gap := want[i]*want[i] - s*s
				if gap < -1e-12*want[0]*want[0] || gap > run.res.ResidualSq*(1+1e-9) {
					t.Errorf("%s q=%d: σ%d² gap %.3g outside [0, ResidualSq = %.3g]", variant, q, i+1, gap, run.res.ResidualSq)
				}
			}
			// V = X·W: orthonormal, and the right singular vectors of C·X.
			var cv mat.Dense
			cv.Mul(plain, run.res.V)
			for j := range 5 {
				if got := mat.Norm(cv.ColView(j), 2); math.Abs(got-run.res.Sigma[j]) > 1e-12*run.res.Sigma[0] {
					t.Errorf("%s q=%d: ‖C·v%d‖ = %.17g, σ = %.17g", variant, q, j+1, got, run.res.Sigma[j])
				}
			}
			t.Logf("%-16s q=%d: residual ‖C − CXXᵀ‖_F² = %.6g (%.3g of ‖C‖_F²)", variant, q, run.res.ResidualSq, run.res.ResidualSq/run.res.FrobSq)
		}
	}
}

// TestMultiPassCentring: the centred power product of one pass, from the
// shifted matrix A + 1μᵀ (|μ| ≤ 100, entries of A ~ 1), matches CᵀC·X
// computed from the exactly centred A to 1e-13, where forming
// (A + 1μᵀ)ᵀ(A + 1μᵀ)X − mμμᵀX loses digits to cancellation.
func TestMultiPassCentring(t *testing.T) {
	c := goldenCase(t, "powerlaw")
	plain, shifted := c.matrices()
	mp := newMultiPass(t, shifted, true, 0)
	mp.Gram = false // a power pass
	b := mp.FirstBasis()
	x := mat.NewDense(c.N, mp.L, b.X)
	var merged PassPartial
	for _, sh := range cutRows(shifted, shardBounds(c.M, 8, nil)) {
		p, err := b.Process(sh)
		if err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(p); err != nil {
			t.Fatal(err)
		}
	}
	exact := mat.NewDense(c.N, mp.L, nil)
	y := mat.NewDense(c.M, mp.L, nil)
	MulTallSkinny(y, plain, x)
	MulTransTallSkinny(exact, plain, y)
	got := mat.NewDense(c.N, mp.L, merged.P)
	scale := mat.Norm(exact, 2)
	errOurs := maxAbsDiff(got, exact) / scale

	// The naive route: AᵀAX − m·μ(μᵀX) with the exact μ.
	naive := mat.NewDense(c.N, mp.L, nil)
	MulTallSkinny(y, shifted, x)
	MulTransTallSkinny(naive, shifted, y)
	mu := make([]float64, c.N)
	for k := range mu {
		mu[k] = math.Ldexp(float64(c.Offset[k]), -c.ScaleExp)
	}
	var mux mat.VecDense
	mux.MulVec(x.T(), mat.NewVecDense(c.N, mu))
	for k := range c.N {
		for j := range mp.L {
			naive.Set(k, j, naive.At(k, j)-float64(c.M)*mu[k]*mux.AtVec(j))
		}
	}
	errNaive := maxAbsDiff(naive, exact) / scale
	t.Logf("pass-0 product error / ‖CᵀCX‖₂: Chan-merged shard centring %.2g, AᵀAX − mμμᵀX %.2g", errOurs, errNaive)
	if errOurs > 1e-13 {
		t.Errorf("centred product error %.3g > 1e-13", errOurs)
	}
	if errNaive < 10*errOurs {
		t.Errorf("the naive product (error %.3g) is not worse than ours (%.3g): the test matrix does not exercise cancellation", errNaive, errOurs)
	}
	for k := range c.N {
		if math.Abs(merged.Mean[k]-mu[k]) > 1e-13*100 {
			t.Fatalf("mean %d = %.17g, want %.17g", k, merged.Mean[k], mu[k])
		}
	}
}

// TestMultiPassIssue12 reproduces issue 12's measurement on the 8192×512
// power law (σᵢ ∝ i^−1.3, k = 20, p = 10, q = 7): the one-pass sketch's
// top-k error grows with the shard count, the multi-pass method's does not.
func TestMultiPassIssue12(t *testing.T) {
	if testing.Short() {
		t.Skip("8192×512 skipped in -short mode")
	}
	g := loadSpectrumGolden(t)
	c := goldenCase(t, "powerlaw_big")
	a, _ := c.variantMatrix("plain")
	want := c.Variants["plain"].LAPACK
	var sk []float64
	for _, s := range c.Variants["plain"].Sklearn {
		sk = append(sk, sigmaError(s, want, g.K))
	}
	mp := newMultiPass(t, a, false, 0)
	var first []float64
	for _, count := range []int{1, 8, 80} {
		shards := cutRows(a, shardBounds(c.M, count, nil))
		res, err := mp.Run(shards)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res.Sigma
		} else if e := sigmaError(res.Sigma, first, mp.L); e > 1e-10 {
			t.Errorf("%d shards differ from 1 by %.3g", count, e)
		}
		sketch := NewRowSketch(c.N, false, 0)
		for i, sh := range shards {
			if err := sketch.AddBlock(mat.DenseCopyOf(sh), RSVDOptions{K: 20, Oversample: 10, PowerIters: 7, Seed: uint64(i)}); err != nil {
				t.Fatal(err)
			}
		}
		one, err := OnePassResult(sketch)
		if err != nil {
			t.Fatal(err)
		}
		em, eo := sigmaError(res.Sigma, want, g.K), sigmaError(one.Sigma, want, g.K)
		t.Logf("%2d shards: max top-%d σ error multi_pass %.2g (%d reads), one_pass %.2g (bound sqrt(TailSq)/σ_k = %.2g); scikit-learn median %.2g",
			count, g.K, em, res.Reads, eo, math.Sqrt(one.ResidualSq)/want[g.K-1], medianOf(sk))
		if em > 1.5*medianOf(sk) {
			t.Errorf("%d shards: multi-pass error %.3g > 1.5 × scikit-learn's %.3g", count, em, medianOf(sk))
		}
	}
}

// TestMultiPassOptions: the resolved plan (l, q, reads) and invalid options.
func TestMultiPassOptions(t *testing.T) {
	for _, tc := range []struct {
		rows       int64
		cols, k, p int
		q          int
		wantL      int
		wantQ      int
	}{
		{2048, 256, 20, 10, -1, 30, 7}, // 20 < 0.1·256: scikit-learn's 7
		{2048, 150, 20, 10, -1, 30, 4}, // 20 ≥ 15: 4
		{2048, 256, 20, 0, 2, 30, 2},   // p = 0 means 10
		{40, 256, 20, 10, -1, 30, 4},   // min(m, n) = 40
		{25, 256, 20, 10, -1, 25, 4},   // l capped at the rows
		{2048, 22, 20, 10, 3, 22, 3},   // l capped at the columns
	} {
		mp, err := NewMultiPass(tc.rows, tc.cols, MultiPassOptions{K: tc.k, Oversample: tc.p, PowerIters: tc.q})
		if err != nil {
			t.Fatal(err)
		}
		// The Gram schedule when n < 4·(q + 1)·l: 2 reads.
		wantGram := tc.cols < 4*(tc.wantQ+1)*tc.wantL
		wantReads := map[bool]int{false: tc.wantQ + 2, true: 2}[wantGram]
		if mp.L != tc.wantL || mp.PowerIters != tc.wantQ || mp.PowerPasses() != tc.wantQ+1 || mp.Gram != wantGram || mp.Reads() != wantReads {
			t.Errorf("%+v: l %d, q %d, Gram %t, reads %d", tc, mp.L, mp.PowerIters, mp.Gram, mp.Reads())
		}
	}
	for _, tc := range []struct {
		cols, k, q int
		gram       bool
	}{
		{512, 20, 7, true}, {959, 20, 7, true}, {960, 20, 7, false}, {1000, 20, 0, false},
		{2048, 200, 7, true}, {2049, 200, 7, false}, // GramMaxCols
	} {
		mp, err := NewMultiPass(100000, tc.cols, MultiPassOptions{K: tc.k, PowerIters: tc.q})
		if err != nil {
			t.Fatal(err)
		}
		if mp.Gram != tc.gram {
			t.Errorf("%d columns, k = %d, q = %d: Gram %t, want %t", tc.cols, tc.k, tc.q, mp.Gram, tc.gram)
		}
	}
	for _, tc := range []struct {
		rows int64
		cols int
		opts MultiPassOptions
		msg  string
	}{
		{0, 10, MultiPassOptions{K: 1}, "positive size"},
		{10, 10, MultiPassOptions{K: 0}, "K = 0"},
		{10, 5, MultiPassOptions{K: 6}, "K = 6"},
		{10, 10, MultiPassOptions{K: 2, Oversample: -1}, "Oversample"},
	} {
		if _, err := NewMultiPass(tc.rows, tc.cols, tc.opts); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: error %v, want %q", tc, err, tc.msg)
		}
	}
	// Same seed and key: bit-identical first basis; another key: another Ω.
	a, _ := NewMultiPass(100, 50, MultiPassOptions{K: 5, Seed: 9, Key: 1})
	b, _ := NewMultiPass(100, 50, MultiPassOptions{K: 5, Seed: 9, Key: 1})
	d, _ := NewMultiPass(100, 50, MultiPassOptions{K: 5, Seed: 9, Key: 2})
	a.Gram, b.Gram, d.Gram = false, false, false
	if !slices.Equal(a.FirstBasis().X, b.FirstBasis().X) || slices.Equal(a.FirstBasis().X, d.FirstBasis().X) {
		t.Error("the first basis is not a function of (Seed, Key)")
	}
}

// TestMultiPassErrors: a missing or repeated shard, partials of another pass,
// Next on the final pass and Finish on a power pass are errors.
func TestMultiPassErrors(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	a := gaussian(rnd, 60, 12)
	shards := cutRows(a, []int{0, 20, 45, 60})
	mp, err := NewMultiPass(60, 12, MultiPassOptions{K: 3, Oversample: 2, PowerIters: 1, Centered: true})
	if err != nil {
		t.Fatal(err)
	}
	mp.Gram = false // the errors of power passes; the Gram pass's below
	b := mp.FirstBasis()
	partial := func(b *PassBasis, shards ...*mat.Dense) *PassPartial {
		var merged PassPartial
		for _, sh := range shards {
			p, err := b.Process(sh)
			if err != nil {
				t.Fatal(err)
			}
			if err := merged.Merge(p); err != nil {
				t.Fatal(err)
			}
		}
		return &merged
	}
	if _, err := mp.Next(b, partial(b, shards[0], shards[2])); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing shard: %v", err)
	}
	if _, err := mp.Next(b, partial(b, shards[0], shards[1], shards[2], shards[1])); err == nil {
		t.Error("repeated shard: no error")
	}
	if _, err := mp.Finish(b, partial(b, shards...)); err == nil || !strings.Contains(err.Error(), "power pass") {
		t.Errorf("Finish on pass 0: %v", err)
	}
	b1, err := mp.Next(b, partial(b, shards...))
	if err != nil {
		t.Fatal(err)
	}
	p0 := partial(b, shards[0])
	if err := p0.Merge(partial(b1, shards[1])); err == nil {
		t.Error("merging partials of passes 0 and 1: no error")
	}
	if _, err := mp.Next(b1, partial(b, shards...)); err == nil || !strings.Contains(err.Error(), "pass 0 given for pass 1") {
		t.Errorf("stale partial: %v", err)
	}
	b2, err := mp.Next(b1, partial(b1, shards...))
	if err != nil {
		t.Fatal(err)
	}
	if !b2.Final || b2.Pass != 2 {
		t.Fatalf("pass %d final %t, want the final pass 2", b2.Pass, b2.Final)
	}
	if _, err := mp.Next(b2, partial(b2, shards...)); err == nil {
		t.Error("Next on the final pass: no error")
	}
	if _, err := b.Process(gaussian(rnd, 4, 11)); err == nil {
		t.Error("wrong width: no error")
	}
	bad := partial(b2, shards...)
	bad.Projected.R = nil
	if _, err := mp.Finish(b2, bad); err == nil {
		t.Error("corrupt final partial: no error")
	}
	res, err := mp.Finish(b2, partial(b2, shards...))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sigma) != 5 || res.Reads != 3 {
		t.Errorf("%d σ, %d reads", len(res.Sigma), res.Reads)
	}
}

// TestMergeLeavesInputs: Merge writes to no slice of either operand (Beam
// accumulators are passed by value), and merging into an empty partial copies.
func TestMergeLeavesInputs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 6))
	const n = 16
	a, b := gaussian(rnd, 40, n), gaussian(rnd, 50, n)
	for _, centered := range []bool{false, true} {
		qa, qb := NewRowQR(n, centered), NewRowQR(n, centered)
		if err := qa.AddBlock(a); err != nil {
			t.Fatal(err)
		}
		if err := qb.AddBlock(b); err != nil {
			t.Fatal(err)
		}
		snapA, snapB := slices.Clone(qa.R), slices.Clone(qb.R)
		meanA := slices.Clone(qa.Mean)
		value := *qa // a value copy shares qa's slices
		if err := value.Merge(qb); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(qa.R, snapA) || !slices.Equal(qb.R, snapB) || !slices.Equal(qa.Mean, meanA) {
			t.Errorf("centred %t: RowQR.Merge wrote to an operand's slices", centered)
		}

		mp, err := NewMultiPass(90, n, MultiPassOptions{K: 3, Centered: centered})
		if err != nil {
			t.Fatal(err)
		}
		x := mp.omegaBasis().RawMatrix().Data
		for _, basis := range []*PassBasis{
			{Gram: true, Cols: n, L: mp.L, Centered: centered},
			{Cols: n, L: mp.L, Centered: centered, X: x},
			{Final: true, Pass: 1, Cols: n, L: mp.L, Centered: centered, X: x},
		} {
			pa, err := basis.Process(a)
			if err != nil {
				t.Fatal(err)
			}
			pb, err := basis.Process(b)
			if err != nil {
				t.Fatal(err)
			}
			sp, sm, sx, sr := slices.Clone(pa.P), slices.Clone(pa.Mean), slices.Clone(pa.MeanX), slices.Clone(pa.Projected.R)
			v := *pa
			if err := v.Merge(pb); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pa.P, sp) || !slices.Equal(pa.Mean, sm) || !slices.Equal(pa.MeanX, sx) || !slices.Equal(pa.Projected.R, sr) {
				t.Errorf("centred %t final %t: PassPartial.Merge wrote to an operand's slices", centered, basis.Final)
			}
			var empty PassPartial
			if err := empty.Merge(pa); err != nil {
				t.Fatal(err)
			}
			if len(pa.P) > 0 && &empty.P[0] == &pa.P[0] {
				t.Error("merging into an empty partial shares P")
			}
		}
	}
}

// TestMultiPassDegenerate: a zero matrix has zero σ and residual; a NaN in a
// shard is an error at the next Next or Finish (never a silent spectrum).
func TestMultiPassDegenerate(t *testing.T) {
	zero := mat.NewDense(50, 10, nil)
	mp, err := NewMultiPass(50, 10, MultiPassOptions{K: 2, PowerIters: 2, Centered: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := mp.Run(cutRows(zero, []int{0, 7, 50}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Sigma {
		if s != 0 {
			t.Errorf("zero matrix: σ = %v", res.Sigma)
			break
		}
	}
	if res.FrobSq != 0 || res.ResidualSq != 0 {
		t.Errorf("zero matrix: FrobSq %v, ResidualSq %v", res.FrobSq, res.ResidualSq)
	}
	if ex, err := ExactSpectrum(cutRows(zero, []int{0, 7, 50}), true); err != nil || ex.Sigma[0] != 0 {
		t.Errorf("exact, zero matrix: %v, %v", ex, err)
	}

	bad := gaussian(rand.New(rand.NewPCG(1, 1)), 50, 10)
	bad.Set(30, 4, math.NaN())
	if _, err := mp.Run(cutRows(bad, []int{0, 25, 50})); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("NaN: %v", err)
	}
	if _, err := ExactSpectrum(cutRows(bad, []int{0, 25, 50}), false); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("exact, NaN: %v", err)
	}
}

// TestMultiPassFloat32Passes: on float32 data (the golden matrices rounded
// to float32, with and without an offset), the power passes that may
// multiply in float32 (Process32; passes 1 … q − 2, uncentred only) keep the
// top-K σ within 1e-9 of the all-float64 run's, as accurate against the
// exact σ of the rounded matrix (within 1e-9 more), and as shard-invariant
// (≤ 1e-10 across 1 to 300 shards); a centred run has no float32 pass.
func TestMultiPassFloat32Passes(t *testing.T) {
	for _, name := range []string{"powerlaw", "flatdrop", "lowrank"} {
		c := goldenCase(t, name)
		for _, variant := range []string{"plain", "offset", "offset_centered"} {
			a, centered := c.variantMatrix(variant)
			a32 := mat.DenseCopyOf(a)
			a32.Apply(func(_, _ int, v float64) float64 { return float64(float32(v)) }, a32)
			mp := newMultiPass(t, a32, centered, 0)
			mp.Gram = false
			var float32Passes []int
			for b := mp.FirstBasis(); !b.Final; {
				if b.Float32 {
					float32Passes = append(float32Passes, b.Pass)
				}
				next, err := mp.Next(b, &PassPartial{Pass: b.Pass, Cols: c.N, L: mp.L, Centered: centered, Rows: int64(c.M), P: make([]float64, c.N*mp.L), MeanX: make([]float64, mp.L), Mean: make([]float64, c.N)})
				if err != nil {
					t.Fatal(err)
				}
				b = next
			}
			if want := map[bool][]int{false: {1, 2, 3, 4, 5}, true: nil}[centered]; !slices.Equal(float32Passes, want) {
				t.Fatalf("%s/%s: float32 passes %v, want %v", name, variant, float32Passes, want)
			}
			rnd := rand.New(rand.NewPCG(5, 32))
			want := runMultiPass(t, mp, cutRows(a32, shardBounds(c.M, 1, nil)), rnd).res
			var exact mat.SVD
			ref := a32
			if centered {
				ref = centre(a32)
			}
			if !exact.Factorize(ref, mat.SVDNone) {
				t.Fatal("SVD failed")
			}
			exactSigma := exact.Values(nil)
			var first *SpectrumResult
			var worst float64
			for _, count := range shardCounts {
				bounds := shardBounds(c.M, count, nil)
				if count > 8 {
					bounds = shardBounds(c.M, count, rnd)
				}
				res := runMultiPassWith(t, mp, cutRows(a32, bounds), rnd, true).res
				if e := sigmaErrorFloat32(res.Sigma, want.Sigma, mp.K); e > 1e-9 {
					t.Errorf("%s/%s %d shards: float32 passes move the top %d by %.3g from float64's", name, variant, count, mp.K, e)
				}
				if e, e64 := sigmaErrorFloat32(res.Sigma, exactSigma, mp.K), sigmaErrorFloat32(want.Sigma, exactSigma, mp.K); e > e64+1e-9 {
					t.Errorf("%s/%s %d shards: σ error %.3g with float32 passes, %.3g without", name, variant, count, e, e64)
				}
				if first == nil {
					first = res
					continue
				}
				e := sigmaErrorFloat32(res.Sigma, first.Sigma, mp.K)
				worst = max(worst, e)
				if e > 1e-10 {
					t.Errorf("%s/%s: %d shards: top-%d σ differ from 1 shard's by %.3g", name, variant, count, mp.K, e)
				}
			}
			t.Logf("%-9s %-16s float32 passes: top-%d shard spread %.2g, distance from float64 %.2g",
				name, variant, mp.K, worst, sigmaErrorFloat32(first.Sigma, want.Sigma, mp.K))
		}
	}
}

// sigmaErrorFloat32 is sigmaError with σ below 1e-6·σ₁ compared relative
// to σ₁: float32 data carry rounding of ~1e-7·|a| that makes an exactly
// low-rank matrix full rank, and σ at that level are not resolved by
// float32 arithmetic (scikit-learn's float32 path neither).
func sigmaErrorFloat32(got, want []float64, k int) float64 {
	return sigmaErrorFloor(got, want, k, 1e-6)
}

// centre returns a with its column means subtracted.
func centre(a *mat.Dense) *mat.Dense {
	r, c := a.Dims()
	out := mat.DenseCopyOf(a)
	for j := range c {
		var mu float64
		for i := range r {
			mu += a.At(i, j)
		}
		mu /= float64(r)
		for i := range r {
			out.Set(i, j, a.At(i, j)-mu)
		}
	}
	return out
}

// TestProcess32WidenedIsProcess: a pass that does not allow float32
// arithmetic gives float32 data, widened into padded rows by Process32, the
// partial Process gives the same values in float64, bit for bit: power and
// final passes, centred or not, at a width whose rows are padded (512
// columns, 4 KiB) and one whose rows are not.
func TestProcess32WidenedIsProcess(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][2]int{{130, 512}, {130, 37}, {600, 300}} {
		m, n := shape[0], shape[1]
		data32 := make([]float32, m*n)
		data := make([]float64, m*n)
		for i := range data32 {
			data32[i] = float32(rnd.NormFloat64() + 3)
			data[i] = float64(data32[i])
		}
		for _, centered := range []bool{false, true} {
			mp, err := NewMultiPass(int64(m), n, MultiPassOptions{K: 4, PowerIters: 2, Seed: 9, Centered: centered})
			if err != nil {
				t.Fatal(err)
			}
			mp.Gram = false
			power := mp.FirstBasis()
			final := *power
			final.Pass, final.Final = mp.PowerPasses(), true
			for _, b := range []*PassBasis{power, &final} {
				if b.Float32 {
					t.Fatalf("pass %d allows float32: the test needs one that does not", b.Pass)
				}
				got, err := b.Process32(m, n, data32)
				if err != nil {
					t.Fatal(err)
				}
				want, err := b.Process(mat.NewDense(m, n, data))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("n = %d, centred %t, pass %d (final %t): Process32's partial differs from Process's", n, centered, b.Pass, b.Final)
				}
			}
		}
	}
}
