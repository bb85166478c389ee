package multipers

import (
	"math"
	"strconv"
	"testing"

	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/ph"
)

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// A slice of the constant-codensity bifiltration along (c, 0) + s·(1, 1) is
// the Rips filtration; along (c, R0) + s·(1, B) it is the Rips filtration
// reparametrised by s = max(0, (r − R0)/B).
func TestConstantCodensitySliceIsRips(t *testing.T) {
	points := noisyCircle(4, 80, 1, 0.05, 0, 0)
	n := len(points) / 2
	f := make([]float64, n)
	for i := range f {
		f[i] = 0.3
	}
	const levels, resolution = 4, 101
	length := 1.5
	rips, err := ph.VietorisRips(points, n, 2, ph.Options{MaxDim: 1, Threshold: length})
	if err != nil {
		t.Fatal(err)
	}
	lines := []Line{{T0: 0.3, R0: 0, A: 1, B: 1, Length: length}, {T0: -0.2, R0: 0, A: 1, B: 1, Length: length}}
	ls, err := SliceLandscapes(points, n, 2, f, lines, levels, resolution, Options{MaxDim: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for q := 0; q <= 1; q++ {
		want, err := landscape.Sample(rips.Pairs, q, levels, landscape.Grid{Lo: 0, Hi: length, Resolution: resolution})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(ls[0][q].Values, want.Values); d > 1e-15 {
			t.Errorf("H%d: slice landscape differs from the Rips landscape by %g", q, d)
		}
		if q == 1 && !(want.Norm(math.Inf(1)) > 0.5) {
			t.Errorf("H1 landscape peak %v: the circle is missing, the test checks little", want.Norm(math.Inf(1)))
		}
	}
	// Line 1 starts at t = −0.2 < f: every vertex enters at s = 0.5, so the
	// diagram is the Rips diagram with values max(0.5, r).
	shifted := make([]ph.Pair, 0, len(rips.Pairs))
	for _, p := range rips.Pairs {
		p.Birth, p.Death = max(0.5, p.Birth), max(0.5, p.Death)
		if p.Death > p.Birth && p.Birth <= length {
			shifted = append(shifted, p)
		}
	}
	for q := 0; q <= 1; q++ {
		want, _ := landscape.Sample(shifted, q, levels, landscape.Grid{Lo: 0, Hi: length, Resolution: resolution})
		if d := maxAbsDiff(ls[1][q].Values, want.Values); d > 1e-15 {
			t.Errorf("H%d: late vertices: slice landscape differs by %g", q, d)
		}
	}

	// Slope 2 and offset: s = max(0, (r − 0.1)/2).
	l := Line{T0: 0.3, R0: 0.1, A: 1, B: 2, Length: 0.7}
	d, err := SliceDiagram(points, n, 2, f, l, Options{MaxDim: 1})
	if err != nil {
		t.Fatal(err)
	}
	full, err := ph.VietorisRips(points, n, 2, ph.Options{MaxDim: 1, Threshold: l.R0 + l.B*l.Length})
	if err != nil {
		t.Fatal(err)
	}
	var want []ph.Pair
	for _, p := range full.Pairs {
		p.Birth, p.Death = l.Entry(0, p.Birth), l.Entry(0, p.Death)
		if p.Death > p.Birth {
			want = append(want, p)
		}
	}
	if b := bottleneckDiagram(d.Pairs, want); b > 1e-12 {
		t.Errorf("slope-2 slice: bottleneck-like distance %g to the reparametrised Rips diagram", b)
	}
}

// bottleneckDiagram compares two diagrams sorted by (Dim, Birth, Death)
// pairwise; it is +Inf when their pair counts differ (enough here: the
// diagrams have no ties that could reorder).
func bottleneckDiagram(a, b []ph.Pair) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		if a[i].Dim != b[i].Dim || math.IsInf(a[i].Death, 1) != math.IsInf(b[i].Death, 1) {
			return math.Inf(1)
		}
		m = max(m, math.Abs(a[i].Birth-b[i].Birth))
		if !math.IsInf(a[i].Death, 1) {
			m = max(m, math.Abs(a[i].Death-b[i].Death))
		}
	}
	return m
}

func TestSliceGoldens(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			s := g.Slices
			if len(s.Lines) == 0 {
				t.Fatal("no lines in the golden")
			}
			// The lines are ParallelLines of the grid box.
			box := g.Grid.Box()
			lines, err := ParallelLines(box, len(s.Lines), s.Lines[0].A, s.Lines[0].B)
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range s.Lines {
				l := lines[k]
				for _, c := range [][2]float64{{l.T0, w.T0}, {l.R0, w.R0}, {l.A, w.A}, {l.B, w.B}, {l.Length, w.Length}} {
					if relErr(c[0], c[1]) > 1e-14 {
						t.Errorf("line %d: %+v, numpy %+v", k, l, w)
						break
					}
				}
				lines[k] = Line{T0: w.T0, R0: w.R0, A: w.A, B: w.B, Length: w.Length}
			}
			ls, err := SliceLandscapes(g.points, g.N, g.Dim, g.f, lines, s.Levels, s.Resolution, Options{MaxDim: g.MaxDim, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			var worst, peak float64
			for k, w := range s.Lines {
				for q := 0; q <= g.MaxDim; q++ {
					want := w.Landscapes[strconv.Itoa(q)]
					d := maxAbsDiff(ls[k][q].Values, want)
					worst = max(worst, d)
					if q > 0 {
						peak = max(peak, ls[k][q].Norm(math.Inf(1)))
					}
					if d > 1e-12 {
						t.Errorf("line %d H%d: landscape differs from GUDHI's slice by %g", k, q, d)
					}
				}
			}
			t.Logf("%d lines, max |Δλ| = %.2g, largest H≥1 landscape value %.3g", len(lines), worst, peak)
			if !(peak > 0) {
				t.Error("every H≥1 slice landscape is zero: the golden checks little")
			}
		})
	}
}

func TestLines(t *testing.T) {
	box := Box{TMin: -1, TMax: 2, RMin: 0.5, RMax: 1.5}
	for _, dir := range [][2]float64{{1, 1}, {3, 1}, {0.2, 5}} {
		lines, err := ParallelLines(box, 7, dir[0], dir[1])
		if err != nil {
			t.Fatal(err)
		}
		prev := math.Inf(-1)
		for k, l := range lines {
			t0, r0 := l.Point(0)
			t1, r1 := l.Point(l.Length)
			const eps = 1e-12
			// Starts on the lower-left boundary, ends on the upper-right one.
			if !(math.Abs(t0-box.TMin) < eps || math.Abs(r0-box.RMin) < eps) || t0 < box.TMin-eps || r0 < box.RMin-eps {
				t.Errorf("direction %v line %d starts at (%v, %v), not on the box's lower boundary", dir, k, t0, r0)
			}
			if !(math.Abs(t1-box.TMax) < eps || math.Abs(r1-box.RMax) < eps) || t1 > box.TMax+eps || r1 > box.RMax+eps {
				t.Errorf("direction %v line %d ends at (%v, %v), not on the box's upper boundary", dir, k, t1, r1)
			}
			c := r0/l.B - t0/l.A
			if k > 0 && !(c > prev) {
				t.Errorf("direction %v: offsets not increasing", dir)
			}
			prev = c
		}
	}
	d, _ := DiagonalLines(box, 3)
	p, _ := ParallelLines(box, 3, 1, 1)
	for k := range d {
		if d[k] != p[k] {
			t.Errorf("DiagonalLines[%d] = %+v, ParallelLines(…, 1, 1) %+v", k, d[k], p[k])
		}
	}
	for _, bad := range []struct {
		box  Box
		n    int
		a, b float64
	}{{box, 0, 1, 1}, {box, 2, 0, 1}, {box, 2, 1, -1}, {Box{0, 0, 0, 1}, 2, 1, 1}, {Box{0, 1, 0, math.Inf(1)}, 2, 1, 1}} {
		if _, err := ParallelLines(bad.box, bad.n, bad.a, bad.b); err == nil {
			t.Errorf("ParallelLines(%+v, %d, %v, %v) accepted", bad.box, bad.n, bad.a, bad.b)
		}
	}
	points := []float64{0, 0, 1, 0}
	f := []float64{0, 1}
	for _, l := range []Line{{A: 0, B: 1, Length: 1}, {A: 1, B: 1, Length: 0}, {A: 1, B: math.NaN(), Length: 1}} {
		if _, err := SliceDiagram(points, 2, 2, f, l, Options{}); err == nil {
			t.Errorf("line %+v accepted", l)
		}
	}
	if _, err := SliceLandscapes(points, 2, 2, f, []Line{{A: 1, B: 1, Length: 1}}, 1, 1, Options{}); err == nil {
		t.Error("resolution 1 accepted")
	}
	// One point: a single H0 class from its entry on.
	d1, err := SliceDiagram([]float64{0, 0}, 1, 2, []float64{0.5}, Line{A: 1, B: 1, Length: 1}, Options{})
	if err != nil || len(d1.Pairs) != 1 || d1.Pairs[0].Birth != 0.5 {
		t.Errorf("one point: %+v, %v", d1, err)
	}
}
