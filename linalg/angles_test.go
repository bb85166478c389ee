package linalg

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// orthonormalColumns returns an n×c matrix with orthonormal columns spanning
// a uniformly random subspace.
func orthonormalColumns(rnd *rand.Rand, n, c int) *mat.Dense {
	x := mat.NewDense(n, c, nil)
	for i := range n {
		for j := range c {
			x.Set(i, j, rnd.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(x)
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, n, 0, c))
}

// rotated returns the columns cos φⱼ·uⱼ + sin φⱼ·wⱼ, where u is the first k
// columns of basis and w the next k: the principal angles between span(u)
// and the result are exactly the φⱼ.
func rotated(basis *mat.Dense, k int, phi []float64) (u, v *mat.Dense) {
	n, _ := basis.Dims()
	u = mat.DenseCopyOf(basis.Slice(0, n, 0, k))
	v = mat.NewDense(n, k, nil)
	for j := range k {
		for i := range n {
			v.Set(i, j, math.Cos(phi[j])*basis.At(i, j)+math.Sin(phi[j])*basis.At(i, k+j))
		}
	}
	return u, v
}

func TestSubspaceAnglesPlanted(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	const n, k = 40, 5
	basis := orthonormalColumns(rnd, n, 2*k)
	// Angles from tiny (where arccos of the cosine would lose them) to π/2.
	phi := []float64{1e-10, 1e-4, 0.3, 1.2, math.Pi / 2}
	u, v := rotated(basis, k, phi)
	// A random rotation within each subspace changes the bases, not the angles.
	ru := orthonormalColumns(rnd, k, k)
	var u2 mat.Dense
	u2.Mul(u, ru)
	for _, tc := range []struct {
		name string
		a, b mat.Matrix
	}{{"u,v", u, v}, {"v,u", v, u}, {"u·R,v", &u2, v}} {
		got := angles(t, nil, tc.a, tc.b)
		for i := range phi {
			// Absolute error ~ machine epsilon, also for 1e-10.
			if d := math.Abs(got[i] - phi[i]); d > 1e-14 {
				t.Errorf("%s: θ%d = %.17g, want %.17g (error %.2g)", tc.name, i+1, got[i], phi[i], d)
			}
		}
	}
	// Overlap = mean cos² φ.
	var want float64
	for _, p := range phi {
		want += math.Cos(p) * math.Cos(p) / k
	}
	if got := SubspaceOverlap(u, v); math.Abs(got-want) > 1e-14 {
		t.Errorf("overlap %.17g, want %.17g", got, want)
	}
}

func TestPrincipalAnglesIdenticalAndNested(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	const n = 30
	a := orthonormalColumns(rnd, n, 6)
	for i, th := range angles(t, nil, a, a) {
		if th > 1e-14 {
			t.Errorf("identical subspaces: θ%d = %g, want 0", i+1, th)
		}
	}
	if o := SubspaceOverlap(a, a); math.Abs(o-1) > 1e-14 {
		t.Errorf("identical subspaces: overlap %.17g, want 1", o)
	}
	// span of the first 2 columns lies in span(a): q = 2 zero angles, in
	// either argument order.
	sub := a.Slice(0, n, 0, 2)
	for _, got := range [][]float64{angles(t, nil, a, sub), angles(t, nil, sub, a)} {
		if len(got) != 2 || got[0] > 1e-14 || got[1] > 1e-14 {
			t.Errorf("nested subspace: angles %v, want [0 0]", got)
		}
	}
	// Orthogonal complement: all angles π/2.
	full := orthonormalColumns(rnd, n, 8)
	x, y := full.Slice(0, n, 0, 4), full.Slice(0, n, 4, 8)
	for i, th := range angles(t, make([]float64, 4), x, y) {
		if math.Abs(th-math.Pi/2) > 1e-14 {
			t.Errorf("orthogonal subspaces: θ%d = %.17g, want π/2", i+1, th)
		}
	}
	if o := SubspaceOverlap(x, y); o > 1e-28 {
		t.Errorf("orthogonal subspaces: overlap %g, want 0", o)
	}
}

func TestSubspaceAnglesPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"rows":    func() { SubspaceAngles(nil, mat.NewDense(4, 2, nil), mat.NewDense(5, 2, nil)) },
		"wide":    func() { SubspaceAngles(nil, mat.NewDense(2, 3, nil), mat.NewDense(2, 1, nil)) },
		"overlap": func() { SubspaceOverlap(mat.NewDense(4, 2, nil), mat.NewDense(3, 2, nil)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSubspaceAnglesErrors: a non-finite basis is an error naming its
// entry (gonum's SVD would panic inside LAPACK).
func TestSubspaceAnglesErrors(t *testing.T) {
	a := mat.NewDense(3, 2, []float64{1, 0, 0, 1, 0, 0})
	b := mat.NewDense(3, 1, []float64{0, math.Inf(1), 0})
	if _, err := SubspaceAngles(nil, a, b); err == nil || !strings.Contains(err.Error(), "entry (1, 0) of basis 2 is +Inf") {
		t.Errorf("Inf entry: %v", err)
	}
	nan := mat.DenseCopyOf(a)
	nan.Set(2, 1, math.NaN())
	if _, err := SubspaceAngles(nil, nan, b); err == nil || !strings.Contains(err.Error(), "entry (2, 1) of basis 1 is NaN") {
		t.Errorf("NaN entry: %v", err)
	}
	got, err := SubspaceAngles(nil, a, mat.NewDense(3, 1, []float64{0, 0, 1}))
	if err != nil || len(got) != 1 || got[0] != math.Pi/2 {
		t.Errorf("orthogonal: %v, %v", got, err)
	}
	if self := angles(t, nil, a, a); !slices.Equal(self, []float64{0, 0}) {
		t.Errorf("angles of a basis with itself: %v", self)
	}
}

// angles is SubspaceAngles for bases known to be finite.
func angles(t *testing.T, dst []float64, a, b mat.Matrix) []float64 {
	t.Helper()
	out, err := SubspaceAngles(dst, a, b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
