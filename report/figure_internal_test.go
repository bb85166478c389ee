package report

import (
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestFigureLayout draws a panel whose curve fills the data area and whose
// legend is long: the legend's text must lie right of the data area and
// inside the figure (not on the curve, not clipped), and the title below
// the top edge.
func TestFigureLayout(t *testing.T) {
	p := newPanel("a title that must not touch the top edge", "x (unit)", "y (unit)")
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	const entry = "a long legend entry that would cover the curve if it were drawn inside"
	p.Legend.Add(entry, l)
	fig := Figure{Caption: "A test figure.", Panels: []*Panel{p}}
	w, h := fig.size()
	rec := &recorder.Canvas{}
	areas := fig.draw(draw.NewCanvas(rec, w, h))
	if len(areas) != 1 {
		t.Fatalf("%d data areas", len(areas))
	}
	da := areas[0]
	var sawEntry, sawTitle bool
	for _, a := range rec.Actions {
		fs, ok := a.(*recorder.FillString)
		if !ok {
			continue
		}
		switch fs.String {
		case entry:
			sawEntry = true
			width := p.Plot.Legend.TextStyle.Width(entry) // default legend font, ≤ ours
			if fs.Point.X < da.Max.X || fs.Point.X+width*0.9 > w {
				t.Errorf("legend text at x = %v … ≈%v; data area ends at %v, figure at %v", fs.Point.X, fs.Point.X+width, da.Max.X, w)
			}
		case p.Title.Text:
			sawTitle = true
			if top := fs.Point.Y + fs.Size; top > h-figMargin/2 {
				t.Errorf("title top at %v of %v: touches the edge", top, h)
			}
		}
	}
	if !sawEntry || !sawTitle {
		t.Errorf("drawn: legend %v, title %v", sawEntry, sawTitle)
	}
	if px := float64(w) / float64(vg.Inch) * figDPI; px < figMinPixels {
		t.Errorf("figure %v px wide", px)
	}
}

// TestFigureCheck: a legend entry for a line of no length (the intrinsic
// plot's baseline with one swept d), a legend entry for a series never
// added, an axis without label or with TeX markup, no caption: each refused.
func TestFigureCheck(t *testing.T) {
	dir := t.TempDir()
	point, _ := plotter.NewLine(plotter.XYs{{X: 300, Y: 0.5}, {X: 300, Y: 0.5}})
	orphan, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	for _, c := range []struct {
		name, want string
		build      func(p *Panel, f *Figure)
	}{
		{"zero-length", "no length", func(p *Panel, f *Figure) { p.Add(point); p.Legend.Add("baseline", point) }},
		{"not-drawn", "not drawn", func(p *Panel, f *Figure) { p.Legend.Add("threshold", orphan) }},
		{"tex", "markup", func(p *Panel, f *Figure) { p.Y.Label.Text = "σᵢ²/‖A‖²_F" }},
		{"no-label", "no label", func(p *Panel, f *Figure) { p.X.Label.Text = "" }},
		{"no-caption", "caption", func(p *Panel, f *Figure) { f.Caption = "" }},
	} {
		p := newPanel("t", "x (unit)", "y (unit)")
		ok, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		p.Add(ok)
		f := &Figure{Caption: "A caption.", Panels: []*Panel{p}}
		c.build(p, f)
		err := f.Save(filepath.Join(dir, c.name+".png"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if _, statErr := os.Stat(filepath.Join(dir, c.name+".png")); statErr == nil {
			t.Errorf("%s: refused figure was written", c.name)
		}
	}
}

// TestTickers checks the tick labels of the helper's tickers.
func TestTickers(t *testing.T) {
	labels := func(ts []plot.Tick) []string {
		var out []string
		for _, t := range ts {
			if t.Label != "" {
				out = append(out, t.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{
		{"int 1…48", labels(intTicks{}.Ticks(1, 48)), []string{"1", "5", "10", "15", "20", "25", "30", "35", "40", "45"}},
		{"int 1…10", labels(intTicks{}.Ticks(1, 10)), []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{"data 5 20 50 200", labels(dataTicks{200, 5, 50, 20, 5}.Ticks(1, 1000)), []string{"5", "20", "50", "200"}},
		{"data one", labels(dataTicks{300}.Ticks(150, 450)), []string{"300"}},
		{"log 0.0012…0.15", labels(logTicks{}.Ticks(0.0012, 0.15)), []string{"0.002", "0.005", "0.01", "0.02", "0.05", "0.1"}},
		{"log 1e-6…150", labels(logTicks{}.Ticks(1e-6, 150)), []string{"1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10", "100"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: labels %v, want %v", c.name, c.got, c.want)
		}
	}
	// Many data values: at most figMaxTicks labelled, first and last among them.
	var many dataTicks
	for i := 1; i <= 40; i++ {
		many = append(many, float64(10*i))
	}
	got := labels(many.Ticks(0, 500))
	if len(got) > figMaxTicks+1 || got[0] != "10" || got[len(got)-1] != "400" {
		t.Errorf("40 data values: labels %v", got)
	}
}

// TestThinScatter: a thinScatter of 20,000 points on one vertical line (the
// H0 pairs of Rips diagrams, all born at 0) and 2,000 scattered ones draws
// a fraction of a plain scatter's glyphs, the same picture (PNG pixels),
// pads the axes alike, and its structure counts every point.
func TestThinScatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var xy plotter.XYs
	for range 20000 {
		xy = append(xy, plotter.XY{X: 0, Y: 0.5 * rng.Float64()})
	}
	for range 2000 {
		b := 0.5 * rng.Float64()
		xy = append(xy, plotter.XY{X: b, Y: b + 0.3*rng.Float64()})
	}
	figure := func(thin bool) Figure {
		p := newPanel("pairs", "birth (unit)", "death (unit)")
		var sc plot.Plotter
		if thin {
			s, err := newThinScatter(xy)
			if err != nil {
				t.Fatal(err)
			}
			s.Radius, s.Shape = vg.Points(2), draw.CircleGlyph{} // filled, like the H0 pairs
			sc = s
		} else {
			s, err := plotter.NewScatter(xy)
			if err != nil {
				t.Fatal(err)
			}
			s.Radius, s.Shape = vg.Points(2), draw.CircleGlyph{} // filled, like the H0 pairs
			sc = s
		}
		p.Add(sc)
		return Figure{Caption: "Pairs.", Panels: []*Panel{p}}
	}
	glyphs := func(thin bool) int {
		f := figure(thin)
		w, h := f.size()
		rec := &recorder.Canvas{}
		f.draw(draw.NewCanvas(rec, w, h))
		n := 0
		for _, a := range rec.Actions {
			if _, ok := a.(*recorder.Fill); ok {
				n++
			}
		}
		return n
	}
	pixels := func(thin bool) (*image.RGBA, [2]float64) {
		f := figure(thin)
		w, h := f.size()
		img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(figDPI))
		f.draw(draw.New(img))
		ax := f.Panels[0].X
		return img.Image().(*image.RGBA), [2]float64{ax.Min, ax.Max}
	}
	full, thin := glyphs(false), glyphs(true)
	if full < 22000 || thin > full/4 {
		t.Errorf("glyphs drawn: plain %d, thin %d; want every point plain and under a quarter thinned", full, thin)
	}
	a, ra := pixels(false)
	b, rb := pixels(true)
	if a.Bounds() != b.Bounds() || ra != rb {
		t.Fatalf("plain %v x range %v, thin %v x range %v", a.Bounds(), ra, b.Bounds(), rb)
	}
	differ := 0
	for i := 0; i < len(a.Pix); i += 4 {
		for c := range 3 {
			if d := int(a.Pix[i+c]) - int(b.Pix[i+c]); d > 64 || d < -64 {
				differ++
				break
			}
		}
	}
	if total := len(a.Pix) / 4; differ > total/2000 {
		t.Errorf("%d of %d pixels differ between the plain and the thinned scatter", differ, total)
	}
	p := figure(true).Panels[0]
	if s := p.series; len(s) != 1 || s[0].Points != len(xy) {
		t.Errorf("structure %v: want one series of %d points", s, len(xy))
	}
}
