package transforms

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/labelled"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/linalg/hessian"
)

func TestInputScale(t *testing.T) {
	for _, c := range []struct {
		meta  map[string]string
		scale float64
		rule  string
		err   bool
	}{
		{map[string]string{"format": "lowdim"}, 16, "max |x| (lowdim training scaling)", false},
		{map[string]string{"format": "lowdim", "input_scale": "255"}, 255, "metadata input_scale", false},
		{map[string]string{"input_scale": "0"}, 0, "", true},
		{map[string]string{"input_scale": "x"}, 0, "", true},
		{nil, 1, "none", false},
		{map[string]string{"format": "pt"}, 1, "none", false},
	} {
		s, rule, err := InputScale(c.meta, 16)
		if (err != nil) != c.err || s != c.scale || rule != c.rule {
			t.Errorf("InputScale(%v) = %v, %q, %v", c.meta, s, rule, err)
		}
	}
}

// planted is Q diag(λ) Qᵀ for a seeded random orthogonal Q.
func planted(lambda []float64, seed uint64) *mat.SymDense {
	n := len(lambda)
	rng := rand.New(rand.NewPCG(seed, 1))
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	var a mat.Dense
	a.Mul(&q, mat.NewDiagDense(n, lambda))
	a.Mul(&a, q.T())
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}

// TestHessianSpectraPlanted: on a matrix with three outliers (50, 40, 30)
// over a bulk in [−0.5, 1], every method finds what it should, the rows
// carry it, and missing values are NULL.
func TestHessianSpectraPlanted(t *testing.T) {
	const n = 120
	lambda := make([]float64, n)
	for i := range lambda {
		lambda[i] = -0.5 + 1.5*float64(i)/float64(n-1)
	}
	lambda[n-1], lambda[n-2], lambda[n-3] = 50, 40, 30
	op := hessian.Sym{A: planted(lambda, 4)}
	var trace float64
	for _, v := range lambda {
		trace += v
	}
	res, err := ComputeHessianSpectra(op, HessianOptions{Exact: true, Lanczos: true, SLQ: true, Hutchinson: true,
		TopK: 8, Probes: 30, SLQSteps: 30, DensityGrid: 400, MaxOutliers: 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Split == nil || res.Split.Outliers != 3 || res.SplitFrom != "exact" || res.SplitSeen != 8 || math.Abs(res.Split.Edge-lambda[n-4]) > 1e-9 {
		t.Fatalf("split %+v from %s", res.Split, res.SplitFrom)
	}
	if math.Abs(res.Sigma-0.01*50.5) > 1e-9 || res.Grid[0] > -0.5-3*res.Sigma+1e-9 || res.Grid[len(res.Grid)-1] < 50+3*res.Sigma-1e-9 {
		t.Errorf("σ %v, grid [%v, %v]", res.Sigma, res.Grid[0], res.Grid[len(res.Grid)-1])
	}
	task := HessianTask{Checkpoint: "s", Path: "p", Step: 3, Block: "whole", Layer: hessian.AllLayers, Params: n, InputScale: 1, ScaleRule: "none", Exact: true}
	eigs, dens, sum := HessianRowsOf("r", task, res)
	var exact, lanczos int
	for _, e := range eigs {
		switch e.Method {
		case "exact":
			exact++
			if e.Index == 1 && math.Abs(e.Eigenvalue-50) > 1e-9 || e.Index == n && math.Abs(e.Eigenvalue+0.5) > 1e-9 {
				t.Errorf("exact row %+v", e)
			}
		case "lanczos":
			lanczos++
			var want float64 // index i: the i-th largest; −i: the i-th smallest
			if e.Index > 0 {
				want = lambda[n-int(e.Index)]
			} else {
				want = lambda[-int(e.Index)-1]
			}
			if math.Abs(e.Eigenvalue-want) > 1e-8 || e.Residual == nil {
				t.Errorf("lanczos row %+v, want %v", e, want)
			}
		}
	}
	if exact != n || lanczos != 16 {
		t.Errorf("%d exact and %d lanczos rows", exact, lanczos)
	}
	mass := map[string]float64{}
	for i := 1; i < len(res.Grid); i++ {
		dx := res.Grid[i] - res.Grid[i-1]
		mass["slq"] += dx * (res.SLQDensity[i] + res.SLQDensity[i-1]) / 2
		mass["exact"] += dx * (res.ExactDensity[i] + res.ExactDensity[i-1]) / 2
	}
	if len(dens) != 800 || math.Abs(mass["slq"]-1) > 1e-3 || math.Abs(mass["exact"]-1) > 1e-3 {
		t.Errorf("%d density rows, mass %v", len(dens), mass)
	}
	if sum.SpectrumMethod != "exact" || *sum.TopEigenvalue != lambda[n-1] && math.Abs(*sum.TopEigenvalue-50) > 1e-9 || *sum.Outliers != 3 ||
		math.Abs(*sum.TraceExact-trace) > 1e-9 || math.Abs(*sum.Trace-trace) > 4**sum.TraceStderr || *sum.TraceProbes != 30 ||
		*sum.SLQProbes != 30 || *sum.SLQSteps != 30 || *sum.LanczosSteps < 16 || !*sum.LanczosConverged || sum.Params != n ||
		!strings.Contains(sum.OutlierRule, "among the top 8 exact eigenvalues (k ≤ 7)") {
		t.Errorf("summary %+v", sum)
	}

	// Lanczos alone, one Hutchinson probe: outliers from Lanczos, stderr NULL, no density.
	res, err = ComputeHessianSpectra(op, HessianOptions{Lanczos: true, Hutchinson: true, TopK: 8, Probes: 1, MaxOutliers: 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	eigs, dens, sum = HessianRowsOf("r", task, res)
	if sum.SpectrumMethod != "lanczos" || *sum.Outliers != 3 || sum.TraceStderr != nil || sum.Trace == nil || sum.Broadening != nil ||
		sum.TraceExact != nil || len(dens) != 0 || len(eigs) != 16 || !strings.Contains(sum.OutlierRule, "lanczos") {
		t.Errorf("lanczos only: summary %+v, %d eigs, %d density", sum, len(eigs), len(dens))
	}
	// SLQ alone: no outliers, no top eigenvalue.
	res, err = ComputeHessianSpectra(op, HessianOptions{SLQ: true, Probes: 2, SLQSteps: 10, DensityGrid: 50, Broadening: 0.2, MaxOutliers: 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, dens, sum = HessianRowsOf("r", task, res)
	if sum.SpectrumMethod != "" || sum.TopEigenvalue != nil || sum.Outliers != nil || *sum.Broadening != 0.2 || len(dens) != 50 ||
		sum.OutlierRule != "not computed (needs exact or lanczos)" {
		t.Errorf("slq only: summary %+v, %d density", sum, len(dens))
	}
}

// TestHessianRowsReadOnce: the elements of one process share the rows of
// one (source, samples, seed); other arguments read again.
func TestHessianRowsReadOnce(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(p, []byte("1,0,2\n-5,1,0.5\n3,9,1\n0,2,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := labelled.Source{Path: p, Options: matrix.Options{Format: "csv"}, LabelColumn: 1}
	a, err := hessianRows(ctx, s, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := hessianRows(ctx, s, 0, 0)
	c, _ := hessianRows(ctx, s, 2, 0)
	if a != b || c == a || c.Total != 4 || len(c.Y) != 2 {
		t.Errorf("same arguments read again (%v) or a subsample shared (%v): %+v", a != b, c == a, c)
	}
	want, _ := labelled.ReadSample(ctx, s, 0, 0)
	if d, _ := hessianRows(ctx, s, 0, 0); d == a || !mat.Equal(d.X, want.X) {
		t.Errorf("rows after another read: %v", d)
	}
}
