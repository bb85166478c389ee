package classgeom

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"
)

// shardSummaries summarises rows in consecutive shards of shardRows rows.
func shardSummaries(t testing.TB, labels []string, rows []float64, cols, shardRows int, normalize bool) []*Summary {
	t.Helper()
	var out []*Summary
	for start := 0; start < len(labels); start += shardRows {
		end := min(start+shardRows, len(labels))
		s := &Summary{NormalizeRows: normalize}
		if err := s.AddRows(labels[start:end], rows[start*cols:end*cols], cols); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// mergeOrders merges the shard summaries in three orders: left to right
// into an empty accumulator, right to left, and as a balanced tree.
func mergeOrders(t testing.TB, parts []*Summary, normalize bool) map[string]*Summary {
	t.Helper()
	merge := func(dst, src *Summary) {
		if err := dst.Merge(src); err != nil {
			t.Fatal(err)
		}
	}
	forward := &Summary{NormalizeRows: normalize}
	for _, p := range parts {
		merge(forward, p)
	}
	reverse := &Summary{NormalizeRows: normalize}
	for i := len(parts) - 1; i >= 0; i-- {
		merge(reverse, parts[i])
	}
	level := make([]*Summary, len(parts))
	for i, p := range parts {
		level[i] = &Summary{NormalizeRows: normalize}
		merge(level[i], p)
	}
	for len(level) > 1 {
		var next []*Summary
		for i := 0; i+1 < len(level); i += 2 {
			merge(level[i+1], level[i]) // right absorbs left
			next = append(next, level[i+1])
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return map[string]*Summary{"forward": forward, "reverse": reverse, "tree": level[0]}
}

func TestShardedMergeMatchesWhole(t *testing.T) {
	g := readGolden(t)
	rows, labels := readDigits(t)
	for _, c := range g.Cases[:2] { // digits, digits_normalized
		opt := Options{Eps: c.Eps, SubspaceRank: c.Rank}
		whole := &Summary{NormalizeRows: c.NormalizeRows}
		if err := whole.AddRows(labels, rows, 64); err != nil {
			t.Fatal(err)
		}
		want, err := whole.Geometry(opt)
		if err != nil {
			t.Fatal(err)
		}
		w := worst{}
		for _, shardRows := range []int{97, 300, 1797} {
			parts := shardSummaries(t, labels, rows, 64, shardRows, c.NormalizeRows)
			for order, s := range mergeOrders(t, parts, c.NormalizeRows) {
				name := c.Name + "/" + order
				got, err := s.Geometry(opt)
				if err != nil {
					t.Fatal(name, err)
				}
				if !slices.Equal(s.Labels(), whole.Labels()) {
					t.Fatalf("%s: labels %v, want %v", name, s.Labels(), whole.Labels())
				}
				compareGeometry(t, name, got, want, w, 1e-10)
				t.Run(name, func(t *testing.T) { compareGolden(t, c, s, got, worst{}, 1e-8) })
			}
		}
		for _, name := range slices.Sorted(maps.Keys(w)) {
			t.Logf("%s: %-22s max error vs one block %.2e", c.Name, name, w[name])
		}
	}
}

// compareGeometry checks that got equals want to tol relative (singular
// values below 1e-4·σ₁ to tol·σ₁·1e4 absolute, see ClassGeometry.Sigma).
func compareGeometry(t *testing.T, name string, got, want *Geometry, w worst, tol float64) {
	t.Helper()
	check := func(what string, g, x float64) {
		t.Helper()
		e := relErr(g, x)
		w.add(what, e)
		if !(e <= tol) {
			t.Errorf("%s: %s = %.17g, want %.17g (relative error %.2e)", name, what, g, x, e)
		}
	}
	if got.Samples != want.Samples || got.Dim != want.Dim || len(got.Classes) != len(want.Classes) || len(got.Pairs) != len(want.Pairs) {
		t.Fatalf("%s: shape differs", name)
	}
	check("coding_rate_total", got.CodingRateTotal, want.CodingRateTotal)
	check("coding_rate_classes", got.CodingRateClasses, want.CodingRateClasses)
	check("rate_reduction", got.RateReduction, want.RateReduction)
	check("centroid_nuclear_norm", got.CentroidNuclearNorm, want.CentroidNuclearNorm)
	for j, x := range want.Classes {
		g := got.Classes[j]
		if g.Label != x.Label || g.Count != x.Count || g.Rank != x.Rank || g.SubspaceRank != x.SubspaceRank {
			t.Errorf("%s: class %d = %q %d %d %d, want %q %d %d %d", name, j, g.Label, g.Count, g.Rank, g.SubspaceRank,
				x.Label, x.Count, x.Rank, x.SubspaceRank)
		}
		rel, abs := sigmaErr(g.Sigma, x.Sigma)
		w.add("sigma (≥1e-4 σ₁)", rel)
		w.add("sigma (<1e-4 σ₁, /σ₁)", abs)
		if rel > tol || abs > tol*1e4 {
			t.Errorf("%s: class %q sigma differs: %.2e relative, %.2e·σ₁ absolute", name, x.Label, rel, abs)
		}
	}
	for i, x := range want.Pairs {
		g := got.Pairs[i]
		if g.A != x.A || g.B != x.B || len(g.AnglesDeg) != len(x.AnglesDeg) {
			t.Fatalf("%s: pair %d = (%q, %q), want (%q, %q)", name, i, g.A, g.B, x.A, x.B)
		}
		for k := range x.AnglesDeg {
			check("angles_deg", g.AnglesDeg[k], x.AnglesDeg[k])
		}
		check("projection_distance", g.ProjectionDistance, x.ProjectionDistance)
		check("mean_distance_sq", g.MeanDistanceSq, x.MeanDistanceSq)
		check("bures_wasserstein_sq", g.BuresWassersteinSq, x.BuresWassersteinSq)
	}
}

// TestSummaryExact checks the summary itself against a direct computation:
// means and centred scatter by two passes over each class's rows, and
// Gram = M + m μμᵀ against ZᵀZ.
func TestSummaryExact(t *testing.T) {
	rows, labels := readDigits(t)
	parts := shardSummaries(t, labels, rows, 64, 97, false)
	s := mergeOrders(t, parts, false)["tree"]
	for _, c := range s.Classes {
		var z []float64
		for i, l := range labels {
			if l == c.Label {
				z = append(z, rows[i*64:(i+1)*64]...)
			}
		}
		n := len(z) / 64
		if c.Count != n {
			t.Fatalf("class %q count %d, want %d", c.Label, c.Count, n)
		}
		zm := mat.NewDense(n, 64, z)
		var gram mat.Dense
		gram.Mul(zm.T(), zm)
		if e := relDiff(c.Gram(), &gram); e > 1e-14 {
			t.Errorf("class %q: Gram differs from ZᵀZ by %.2e relative", c.Label, e)
		}
		mean := make([]float64, 64)
		for i := range n {
			for j := range 64 {
				mean[j] += zm.At(i, j)
			}
		}
		for j := range mean {
			mean[j] /= float64(n)
			if math.Abs(mean[j]-c.Mean[j]) > 1e-14*16 {
				t.Errorf("class %q mean[%d] = %v, want %v", c.Label, j, c.Mean[j], mean[j])
			}
		}
		centred := mat.DenseCopyOf(zm)
		for i := range n {
			for j := range 64 {
				centred.Set(i, j, centred.At(i, j)-mean[j])
			}
		}
		var scatter mat.Dense
		scatter.Mul(centred.T(), centred)
		if e := relDiff(c.ScatterMatrix(), &scatter); e > 1e-13 {
			t.Errorf("class %q: scatter of 19 shards merged differs from two passes by %.2e relative", c.Label, e)
		}
	}
}

// relDiff returns ‖a − b‖_F/‖b‖_F.
func relDiff(a, b mat.Matrix) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, 2) / mat.Norm(b, 2)
}

func TestNormalizeRows(t *testing.T) {
	s := Summary{NormalizeRows: true}
	rows := []float64{3, 4, 0, 0, 0, 2}
	if err := s.AddRows([]string{"a", "a", "a"}, rows, 2); err != nil {
		t.Fatal(err)
	}
	if rows[0] != 3 {
		t.Error("AddRows changed its input")
	}
	c := s.Classes[0]
	// unit rows (0.6, 0.8), (0, 0) (zero stays zero), (0, 1): mean (0.2, 0.6)
	wantMean := []float64{0.2, 0.6}
	for j := range wantMean {
		if math.Abs(c.Mean[j]-wantMean[j]) > 1e-15 {
			t.Errorf("mean %v, want %v", c.Mean, wantMean)
		}
	}
	g := c.Gram() // ZᵀZ = [[0.36, 0.48], [0.48, 0.64 + 1]]
	want := mat.NewSymDense(2, []float64{0.36, 0.48, 0.48, 1.64})
	if !mat.EqualApprox(g, want, 1e-15) {
		t.Errorf("Gram %v, want %v", mat.Formatted(g), mat.Formatted(want))
	}
}

func TestSortLabels(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"10", "9", "-1", "0", "07", "7", "+7"}, []string{"-1", "0", "+7", "07", "7", "9", "10"}},
		{[]string{"10", "9", "a", "-1"}, []string{"-1", "10", "9", "a"}},
		{[]string{"2.0", "10"}, []string{"10", "2.0"}}, // not all integers: bytes
		{[]string{"99999999999999999999", "3"}, []string{"3", "99999999999999999999"}},
	} {
		got := slices.Clone(tc.in)
		SortLabels(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SortLabels(%v) = %v, want %v", tc.in, got, tc.want)
		}
		// a Summary keeps the same order, whatever the arrival order
		for _, perm := range [][]string{tc.in, reversed(tc.in)} {
			var s Summary
			for _, l := range perm {
				if err := s.AddRows([]string{l}, []float64{1}, 1); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(s.Labels(), tc.want) {
				t.Errorf("Summary labels %v, want %v", s.Labels(), tc.want)
			}
		}
	}
}

func reversed(x []string) []string {
	y := slices.Clone(x)
	slices.Reverse(y)
	return y
}

func TestMergeCopies(t *testing.T) {
	var a, b Summary
	if err := b.AddRows([]string{"x", "x"}, []float64{1, 2, 3, 5}, 2); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(&b); err != nil {
		t.Fatal(err)
	}
	b.Classes[0].Mean[0] = 100
	b.Classes[0].Scatter[0] = 100
	if a.Classes[0].Mean[0] != 2 || a.Classes[0].Scatter[0] != 2 {
		t.Errorf("Merge aliased its argument: mean %v scatter %v", a.Classes[0].Mean, a.Classes[0].Scatter)
	}
	if a.Dim != 2 {
		t.Errorf("Dim = %d, want 2", a.Dim)
	}
	if err := a.Merge(&Summary{}); err != nil || a.Samples() != 2 {
		t.Errorf("merging an empty summary: %v, %d rows", err, a.Samples())
	}
}

func TestErrors(t *testing.T) {
	var s Summary
	if err := s.AddRows([]string{"a"}, []float64{1, 2}, 2); err != nil {
		t.Fatal(err)
	}
	before := cloneSummary(&s)
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"wrong cols", s.AddRows([]string{"a"}, []float64{1, 2, 3}, 3), "3 columns, the summary has 2"},
		{"short block", s.AddRows([]string{"a", "b"}, []float64{1, 2, 3}, 2), "3 values for 2 rows"},
		{"NaN", s.AddRows([]string{"a", "b"}, []float64{1, 2, 3, nan}, 2), "row 1 column 1 is NaN"},
		{"Inf", s.AddRows([]string{"b"}, []float64{math.Inf(1), 0}, 2), "row 0 column 0 is +Inf"},
		{"too wide", (&Summary{}).AddRows(nil, nil, MaxColumns+1), "4097 columns"},
		{"zero cols", (&Summary{}).AddRows(nil, nil, 0), "0 columns"},
		{"merge dims", s.Merge(mustSummary(t, []string{"a"}, []float64{1}, 1, false)), "1 columns, the summary has 2"},
		{"merge normalize", s.Merge(mustSummary(t, []string{"a"}, []float64{1, 2}, 2, true)), "NormalizeRows"},
		{"merge malformed", s.Merge(&Summary{Dim: 2, Classes: []ClassSummary{{Label: "q", Count: 1, Mean: []float64{0, 0}}}}), "0 scatter entries"},
		{"merge duplicate", s.Merge(&Summary{Dim: 1, Classes: []ClassSummary{
			{Label: "q", Count: 1, Mean: []float64{0}, Scatter: []float64{0}},
			{Label: "q", Count: 1, Mean: []float64{0}, Scatter: []float64{0}}}}), "1 columns"},
		{"eps 0", geoErr(&s, Options{}), "ε must be"},
		{"eps Inf", geoErr(&s, Options{Eps: math.Inf(1)}), "ε must be"},
		{"rank < 0", geoErr(&s, Options{Eps: 0.5, SubspaceRank: -1}), "subspace rank -1"},
		{"empty", geoErr(&Summary{}, Options{Eps: 0.5}), "empty summary"},
		{"duplicate", (&Summary{Dim: 1, Classes: []ClassSummary{
			{Label: "q", Count: 1, Mean: []float64{0}, Scatter: []float64{0}},
			{Label: "q", Count: 1, Mean: []float64{0}, Scatter: []float64{0}}}}).Merge(
			&Summary{Dim: 1, Classes: []ClassSummary{{Label: "q", Count: 1, Mean: []float64{0}, Scatter: []float64{0}},
				{Label: "q", Count: 1, Mean: []float64{0}, Scatter: []float64{0}}}}), "appears twice"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, tc.err, tc.want)
		}
	}
	if !equalSummaries(&s, before) {
		t.Errorf("failed calls changed the summary: %+v, was %+v", s, *before)
	}
}

func geoErr(s *Summary, opt Options) error {
	_, err := s.Geometry(opt)
	return err
}

func mustSummary(t testing.TB, labels []string, rows []float64, cols int, normalize bool) *Summary {
	t.Helper()
	s := &Summary{NormalizeRows: normalize}
	if err := s.AddRows(labels, rows, cols); err != nil {
		t.Fatal(err)
	}
	return s
}

func cloneSummary(s *Summary) *Summary {
	out := &Summary{Dim: s.Dim, NormalizeRows: s.NormalizeRows}
	for _, c := range s.Classes {
		out.Classes = append(out.Classes, ClassSummary{c.Label, c.Count, slices.Clone(c.Mean), slices.Clone(c.Scatter)})
	}
	return out
}

func equalSummaries(a, b *Summary) bool {
	return a.Dim == b.Dim && a.NormalizeRows == b.NormalizeRows && slices.EqualFunc(a.Classes, b.Classes,
		func(x, y ClassSummary) bool {
			return x.Label == y.Label && x.Count == y.Count && slices.Equal(x.Mean, y.Mean) && slices.Equal(x.Scatter, y.Scatter)
		})
}

// TestBuresWassersteinCommuting checks W₂² = ‖μa − μb‖² + ‖Σa^½ − Σb^½‖²_F
// when Σa and Σb commute (share eigenvectors), including zero eigenvalues,
// through BuresWassersteinSq and through Geometry on rows built to have
// those covariances.
func TestBuresWassersteinCommuting(t *testing.T) {
	const d = 7
	rng := rand.New(rand.NewSource(20240618))
	q := randomOrthogonal(rng, d)
	la := []float64{9, 4, 2.25, 1, 0.01, 0, 0}
	lb := []float64{1, 0, 4, 16, 0.04, 0.25, 0}
	muA := []float64{1, 2, 3, 4, 5, 6, 7}
	muB := []float64{1, 0, 3, -4, 5, 6.5, 7}
	covA, covB := conjugate(q, la), conjugate(q, lb)
	want := 4 + 64 + 0.25 // ‖μa − μb‖²
	for i := range la {
		r := math.Sqrt(la[i]) - math.Sqrt(lb[i])
		want += r * r
	}
	got, err := BuresWassersteinSq(muA, covA, muB, covB)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(got, want); e > 1e-12 {
		t.Errorf("BuresWassersteinSq = %.17g, want %.17g (relative error %.2e)", got, want, e)
	}
	if got, err := BuresWassersteinSq(muA, covA, muA, covA); err != nil || got > 1e-12 {
		t.Errorf("W₂²(A, A) = %v, %v, want 0", got, err)
	}

	// Rows μ ± √(m λᵢ/2)·qᵢ for each i (m = 2d rows) have mean μ and
	// covariance Q diag(λ) Qᵀ, 1/m-normalised.
	var rows []float64
	var labels []string
	for _, cls := range []struct {
		label string
		mu    []float64
		l     []float64
	}{{"a", muA, la}, {"b", muB, lb}} {
		for i := range d {
			step := math.Sqrt(float64(2*d) * cls.l[i] / 2)
			for _, sign := range []float64{1, -1} {
				for j := range d {
					rows = append(rows, cls.mu[j]+sign*step*q.At(j, i))
				}
				labels = append(labels, cls.label)
			}
		}
	}
	s := mustSummary(t, labels, rows, d, false)
	geo, err := s.Geometry(Options{Eps: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(geo.Pairs[0].BuresWassersteinSq, want); e > 1e-12 {
		t.Errorf("Geometry: W₂² = %.17g, want %.17g (relative error %.2e)", geo.Pairs[0].BuresWassersteinSq, want, e)
	}
	if _, err := BuresWassersteinSq(muA, covA, muB[:3], covB); err == nil {
		t.Error("BuresWassersteinSq accepted means of different lengths")
	}
	covA.SetSym(0, 1, math.NaN())
	if _, err := BuresWassersteinSq(muA, covA, muB, covB); err == nil {
		t.Error("BuresWassersteinSq accepted a NaN covariance")
	}
}

// randomOrthogonal returns the Q factor of a seeded Gaussian d×d matrix.
func randomOrthogonal(rng *rand.Rand, d int) *mat.Dense {
	g := mat.NewDense(d, d, nil)
	for i := range d {
		for j := range d {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// conjugate returns Q diag(l) Qᵀ.
func conjugate(q *mat.Dense, l []float64) *mat.SymDense {
	d := len(l)
	out := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			var v float64
			for k := range d {
				v += q.At(i, k) * l[k] * q.At(j, k)
			}
			out.SetSym(i, j, v)
		}
	}
	return out
}
