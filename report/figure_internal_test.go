package report

import (
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
