package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// One style for every figure of every study: a Figure is one or more panels
// side by side, each a gonum plot whose legend (if any) and colour bar (if
// any) are drawn in strips to its right, outside the data; it is saved as a
// PNG of at least figMinPixels pixels wide and an SVG beside it, with a
// one-line caption that report.md and index.html print under it.

const (
	figDPI        = 200           // PNG resolution
	figMinPixels  = 1200          // narrowest PNG
	figPanelWidth = 7 * vg.Inch   // data panels of a one-panel figure, without legend and colour bar
	figHeight     = 4.5 * vg.Inch // every figure
	figMargin     = 10 * vg.Length(1)
	figStripGap   = 8 * vg.Length(1)
	figColorBarW  = 0.95 * vg.Inch // colour bar strip, with its axis
	figMaxTicks   = 12             // labelled ticks at most on a data-value axis
)

// Figure is one saved plot: Panels drawn left to right in Width (default
// figPanelWidth), a caption of one line.
type Figure struct {
	Caption string
	Width   vg.Length
	Panels  []*Panel
}

// Panel is a gonum plot with the legend and colour bar the figure draws
// beside it; Add and Legend.Add record what is drawn for the structure check.
type Panel struct {
	*plot.Plot
	// Legend shadows plot.Plot's legend: its entries are drawn outside the data.
	Legend   Legend
	ColorBar *ColorBar

	series []SeriesStructure
	added  map[plot.Plotter]bool
}

// Legend records the entries of a panel's legend.
type Legend struct{ entries []legendEntry }

type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// Add adds an entry; every thumbnail must also be added to the panel.
func (l *Legend) Add(name string, thumbs ...plot.Thumbnailer) {
	l.entries = append(l.entries, legendEntry{name, thumbs})
}

// ColorBar is the colour scale of a heatmap panel, drawn in a strip to its right.
type ColorBar struct {
	Map   palette.ColorMap
	Label string
}

// newPanel is a panel with the figure style: title, axis labels (with
// units), a grid, and the default fonts one step larger.
func newPanel(title, xlabel, ylabel string) *Panel {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.Title.Padding = 8
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = 12
		a.Label.Padding = 4
		a.Tick.Label.Font.Size = 10.5
	}
	pn := &Panel{Plot: p, added: map[plot.Plotter]bool{}}
	return pn
}

// Add adds plotters to the panel and records them.
func (pn *Panel) Add(ps ...plot.Plotter) {
	for _, q := range ps {
		pn.added[q] = true
		if s, ok := seriesOf(q); ok {
			pn.series = append(pn.series, s)
		}
	}
	pn.Plot.Add(ps...)
}

// seriesOf describes a plotter for the structure check (false: decoration).
func seriesOf(q plot.Plotter) (SeriesStructure, bool) {
	switch v := q.(type) {
	case *plotter.Line:
		return SeriesStructure{"line", len(v.XYs)}, true
	case *plotter.Scatter:
		return SeriesStructure{"points", len(v.XYs)}, true
	case thinScatter:
		return SeriesStructure{"points", len(v.XYs)}, true
	case *plotter.HeatMap:
		c, r := v.GridXYZ.Dims()
		return SeriesStructure{"heatmap", c * r}, true
	case *plotter.Polygon:
		n := 0
		for _, ring := range v.XYs {
			n += len(ring)
		}
		return SeriesStructure{"band", n}, true
	case *refLine:
		if v.vertical {
			return SeriesStructure{"vline", 1}, true
		}
		return SeriesStructure{"hline", 1}, true
	case *plotter.BarChart:
		return SeriesStructure{"bars", v.Values.Len()}, true
	}
	return SeriesStructure{}, false
}

// thinScatter is a scatter of many points (persistence pairs) that draws a
// glyph only where none of its own was drawn within a quarter of a point
// (0.09 mm, a third of a pixel at figDPI): the 20,000 H0 pairs of ten Rips
// diagrams, all born at 0, cost what a few thousand do and draw the same
// picture. Its structure still counts every point.
type thinScatter struct{ *plotter.Scatter }

// newThinScatter is a thinScatter of xy with plotter.NewScatter's style.
func newThinScatter(xy plotter.XYs) (thinScatter, error) {
	sc, err := plotter.NewScatter(xy)
	return thinScatter{sc}, err
}

// Plot draws the points' glyphs, one per quarter-point cell.
func (s thinScatter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	drawn := make(map[[2]int64]bool, len(s.XYs))
	for _, p := range s.XYs {
		pt := vg.Point{X: trX(p.X), Y: trY(p.Y)}
		cell := [2]int64{int64(math.Round(float64(pt.X) * 4)), int64(math.Round(float64(pt.Y) * 4))}
		if drawn[cell] {
			continue
		}
		drawn[cell] = true
		c.DrawGlyph(s.GlyphStyle, pt)
	}
}

// GlyphBoxes are the boxes of the extreme points: every glyph has the same
// box, so they pad the axes as the boxes of all points would.
func (s thinScatter) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	if len(s.XYs) == 0 {
		return nil
	}
	ext := [4]int{} // indices of the least and greatest x, then y
	for i, p := range s.XYs {
		if p.X < s.XYs[ext[0]].X {
			ext[0] = i
		}
		if p.X > s.XYs[ext[1]].X {
			ext[1] = i
		}
		if p.Y < s.XYs[ext[2]].Y {
			ext[2] = i
		}
		if p.Y > s.XYs[ext[3]].Y {
			ext[3] = i
		}
	}
	r := s.GlyphStyle.Radius
	boxes := make([]plot.GlyphBox, len(ext))
	for j, i := range ext {
		boxes[j] = plot.GlyphBox{X: plt.X.Norm(s.XYs[i].X), Y: plt.Y.Norm(s.XYs[i].Y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}}
	}
	return boxes
}

// refLine is a horizontal (y = at) or vertical (x = at) reference line
// across the whole data area, whatever the other axis spans.
type refLine struct {
	draw.LineStyle
	at       float64
	vertical bool
}

// hLine is a horizontal reference line at y, in colour c, dashed if dash.
func hLine(y float64, c color.Color, dash bool) *refLine {
	return newRefLine(y, false, c, dash)
}

// vLine is a vertical reference line at x.
func vLine(x float64, c color.Color, dash bool) *refLine {
	return newRefLine(x, true, c, dash)
}

func newRefLine(at float64, vertical bool, c color.Color, dash bool) *refLine {
	l := &refLine{LineStyle: plotter.DefaultLineStyle, at: at, vertical: vertical}
	l.Color = c
	l.Width = vg.Points(1.2)
	if dash {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return l
}

func (l *refLine) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	if l.vertical {
		c.StrokeLine2(l.LineStyle, x(l.at), c.Min.Y, x(l.at), c.Max.Y)
		return
	}
	c.StrokeLine2(l.LineStyle, c.Min.X, y(l.at), c.Max.X, y(l.at))
}

func (l *refLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	inf := math.Inf(1)
	if l.vertical {
		return l.at, l.at, inf, -inf
	}
	return inf, -inf, l.at, l.at
}

func (l *refLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.LineStyle, c.Min.X, y, c.Max.X, y)
}

// dataTicks labels an axis at the given data values (at most figMaxTicks
// labelled, evenly thinned, the first and last always; the others get
// unlabelled ticks).
type dataTicks []float64

func (d dataTicks) Ticks(lo, hi float64) []plot.Tick {
	vals := slices.Clone([]float64(d))
	slices.Sort(vals)
	vals = slices.Compact(vals)
	vals = slices.DeleteFunc(vals, func(v float64) bool { return v < lo || v > hi })
	step := 1
	for len(vals) > 0 && (len(vals)-1)/step+1 > figMaxTicks {
		step++
	}
	ticks := make([]plot.Tick, len(vals))
	for i, v := range vals {
		ticks[i] = plot.Tick{Value: v}
		if i%step == 0 || i == len(vals)-1 && (i%step) > step/2 {
			ticks[i].Label = formatTick(v)
		}
	}
	return ticks
}

// intTicks labels an integer axis at 1 and multiples of a 1-2-5 step
// (at most about 10 labels), with an unlabelled tick at each integer when
// they are not too dense.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	a, b := math.Ceil(lo), math.Floor(hi)
	if b < a {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := 1.0
	for _, m := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6} {
		step = m
		if (b-a)/m <= 10 {
			break
		}
	}
	minor := step
	if step >= 5 {
		minor = step / 5
		if step == 20 || step == 200 || step == 2000 {
			minor = step / 4
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(a/minor) * minor; v <= b; v += minor {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 || (v == 1 && a == 1 && step > 2) {
			t.Label = formatTick(v)
		}
		ticks = append(ticks, t)
	}
	if a == 1 && 1 <= b && math.Mod(1, minor) != 0 { // an index axis starting at 1
		ticks = append(ticks, plot.Tick{Value: 1, Label: "1"})
	}
	return ticks
}

// indexTicks labels cells 0 … len(labels)−1 of a heatmap axis.
func indexTicks(labels []string) plot.Ticker {
	ticks := make([]plot.Tick, len(labels))
	step := 1
	for (len(labels)-1)/step+1 > figMaxTicks*2 {
		step++
	}
	for i, l := range labels {
		ticks[i] = plot.Tick{Value: float64(i)}
		if i%step == 0 {
			ticks[i].Label = l
		}
	}
	return plot.ConstantTicks(ticks)
}

func formatTick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e7 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// logAxis puts an axis on a log scale (see logTicks).
func logAxis(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
}

// logTicks ticks a log axis at 1, 2, …, 9 × 10ᵏ, labelling the powers of
// ten, and also 2 and 5 × 10ᵏ when the axis spans less than three decades.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	decades := math.Log10(hi / lo)
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		p := math.Pow(10, e)
		for m := 1.0; m <= 9; m++ {
			v := m * p
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || decades < 3 && (m == 2 || m == 5) {
				t.Label = formatTick(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// heatPanel is a heatmap of grid (cells at integer x = 0 … c−1 and
// y = 0 … r−1) with the given tick labels per cell and a colour bar over
// [lo, hi]; NaN cells are grey.
func heatPanel(title, xlabel, ylabel string, grid plotter.GridXYZ, xlabels, ylabels []string, lo, hi float64, cmap palette.ColorMap, cbLabel string) *Panel {
	pn := newPanel(title, xlabel, ylabel)
	if !(hi > lo) {
		hi = lo + 1
	}
	cmap.SetMin(lo)
	cmap.SetMax(hi)
	heat := plotter.NewHeatMap(grid, cmap.Palette(256))
	heat.Min, heat.Max = lo, hi
	heat.NaN = color.Gray{Y: 0xb0}
	pn.Add(heat)
	pn.X.Tick.Marker = indexTicks(xlabels)
	pn.Y.Tick.Marker = indexTicks(ylabels)
	pn.ColorBar = &ColorBar{Map: cmap, Label: cbLabel}
	return pn
}

// FigureStructure describes a saved figure: what the golden files hold.
type FigureStructure struct {
	File     string           `json:"file"`
	Caption  string           `json:"caption"`
	WidthPx  int              `json:"width_px"`
	HeightPx int              `json:"height_px"`
	Panels   []PanelStructure `json:"panels"`
}

// PanelStructure describes one panel of a figure.
type PanelStructure struct {
	Title    string            `json:"title"`
	X        AxisStructure     `json:"x"`
	Y        AxisStructure     `json:"y"`
	Series   []SeriesStructure `json:"series"`
	Legend   []string          `json:"legend,omitempty"`
	ColorBar *AxisStructure    `json:"color_bar,omitempty"`
}

// AxisStructure is an axis: its label, scale and labelled ticks.
type AxisStructure struct {
	Label    string   `json:"label"`
	Scale    string   `json:"scale"`
	Ticks    []string `json:"ticks"`
	Min, Max float64  `json:"-"` // the drawn range (not golden: data-dependent)
}

// SeriesStructure is one drawn series: its kind and number of points.
type SeriesStructure struct {
	Kind   string `json:"kind"`
	Points int    `json:"points"`
}

var figures struct {
	sync.Mutex
	byFile map[string]FigureStructure
}

// SavedFigure returns the structure of the figure last saved as file (the
// PNG path), if this process saved it.
func SavedFigure(file string) (FigureStructure, bool) {
	figures.Lock()
	defer figures.Unlock()
	s, ok := figures.byFile[filepath.Clean(file)]
	return s, ok
}

// figureCaption is the caption of the figure saved as file, or "".
func figureCaption(file string) string {
	s, _ := SavedFigure(file)
	return s.Caption
}

// drawAll runs a report's independent figure functions on the worker pool
// (internal/parallel) and returns the first error in their order.
func drawAll(figs []func() error) error {
	errs := make([]error, len(figs))
	parallel.For(len(figs), func(i int) { errs[i] = figs[i]() })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Save checks the figure and writes it as file (a .png path) and the SVG
// beside it.
func (f *Figure) Save(file string) error {
	if err := f.check(); err != nil {
		return fmt.Errorf("figure %s: %w", filepath.Base(file), err)
	}
	for _, pn := range f.Panels {
		widenDegenerate(&pn.X)
		widenDegenerate(&pn.Y)
		switch pn.X.Tick.Marker.(type) {
		case dataTicks, intTicks: // markers at the first and last x
			padX(&pn.X)
		}
	}
	// The PNG is deflated at the fastest level: a report must not cost
	// more than the small run it describes (a 1,200 px figure at the
	// default level spends most of its time in zlib). Figures are drawn one
	// at a time (drawing mutates the plot); drawAll runs several at once.
	w, h := f.size()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(figDPI))
	f.draw(draw.New(img))
	var pngBuf, sv bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&pngBuf, img.Image()); err != nil {
		return err
	}
	svg := vgsvg.New(w, h)
	f.draw(draw.New(svg))
	if _, err := svg.WriteTo(&sv); err != nil {
		return err
	}
	if err := os.WriteFile(file, pngBuf.Bytes(), 0o644); err != nil {
		return err
	}
	// vgsvg writes embedded images (colour bars) as JPEG-labelled PNGs that
	// keep their aspect ratio: a 1 × 256 bar would draw as a hairline.
	svgText := strings.ReplaceAll(sv.String(), "<image ", `<image preserveAspectRatio="none" `)
	svgText = strings.ReplaceAll(svgText, "data:image/jpg;base64,", "data:image/png;base64,")
	if err := os.WriteFile(strings.TrimSuffix(file, filepath.Ext(file))+".svg", []byte(svgText), 0o644); err != nil {
		return err
	}
	bounds := img.Image().Bounds()
	s := f.structure(filepath.Base(file), bounds.Dx(), bounds.Dy())
	figures.Lock()
	defer figures.Unlock()
	if figures.byFile == nil {
		figures.byFile = map[string]FigureStructure{}
	}
	figures.byFile[filepath.Clean(file)] = s
	return nil
}

// check refuses a figure a reviewer would send back: no caption or a
// caption of several lines, an axis without a label or with markup that
// the plain text renderer would print literally, a legend entry for
// something not drawn (or a line without extent).
func (f *Figure) check() error {
	var errs []error
	if strings.TrimSpace(f.Caption) == "" || strings.Contains(f.Caption, "\n") {
		errs = append(errs, fmt.Errorf("caption %q: want one line", f.Caption))
	}
	if len(f.Panels) == 0 {
		errs = append(errs, errors.New("no panels"))
	}
	for i, pn := range f.Panels {
		for _, a := range []struct{ name, text string }{{"x", pn.X.Label.Text}, {"y", pn.Y.Label.Text}} {
			if strings.TrimSpace(a.text) == "" {
				errs = append(errs, fmt.Errorf("panel %d: %s axis has no label", i+1, a.name))
			}
			if strings.ContainsAny(a.text, "_^$\\") {
				errs = append(errs, fmt.Errorf("panel %d: %s label %q has markup the plain renderer prints literally", i+1, a.name, a.text))
			}
		}
		for _, e := range pn.Legend.entries {
			for _, t := range e.thumbs {
				q, ok := t.(plot.Plotter)
				if !ok || !pn.added[q] {
					errs = append(errs, fmt.Errorf("panel %d: legend entry %q names a series that is not drawn", i+1, e.name))
					continue
				}
				if l, ok := t.(*plotter.Line); ok && !hasExtent(l.XYs) {
					errs = append(errs, fmt.Errorf("panel %d: legend entry %q is a line of no length", i+1, e.name))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func hasExtent(xys plotter.XYs) bool {
	for _, q := range xys[min(1, len(xys)):] {
		if q != xys[0] {
			return true
		}
	}
	return false
}

// widenDegenerate gives an axis spanning one value a range around it (not
// gonum's ±1), so that a single swept value reads as a point, not an axis
// of 299–301.
func widenDegenerate(a *plot.Axis) {
	if a.Min != a.Max || math.IsInf(a.Min, 0) || math.IsNaN(a.Min) {
		return
	}
	v := a.Min
	if _, log := a.Scale.(plot.LogScale); log && v > 0 {
		a.Min, a.Max = v/10, v*10
		return
	}
	d := math.Abs(v) * 0.5
	if d == 0 {
		d = 1
	}
	a.Min, a.Max = v-d, v+d
	if v >= 0 && a.Min < 0 {
		a.Min = 0
	}
}

// padX widens an x axis ticked at discrete values by 2 % on each side so
// that markers at the first and last x are not cut by the frame.
func padX(a *plot.Axis) {
	if _, log := a.Scale.(plot.LogScale); log && a.Min > 0 {
		f := math.Pow(a.Max/a.Min, 0.02)
		a.Min, a.Max = a.Min/f, a.Max*f
		return
	}
	d := 0.02 * (a.Max - a.Min)
	a.Min, a.Max = a.Min-d, a.Max+d
}

// layout is where a panel and its strips go, in points from the left margin.
type panelLayout struct {
	legend     *plot.Legend
	legendW    vg.Length
	colorBarW  vg.Length
	panelWidth vg.Length
}

func (f *Figure) layouts() []panelLayout {
	width := f.Width
	if width == 0 {
		width = figPanelWidth
	}
	out := make([]panelLayout, len(f.Panels))
	for i, pn := range f.Panels {
		l := panelLayout{panelWidth: width / vg.Length(len(f.Panels))}
		if len(pn.Legend.entries) > 0 {
			leg := plot.NewLegend()
			leg.TextStyle.Font.Size = 10.5
			leg.Top, leg.Left = true, true
			leg.Padding = 2
			for _, e := range pn.Legend.entries {
				leg.Add(e.name, e.thumbs...)
			}
			l.legend = &leg
			l.legendW = leg.Rectangle(draw.Canvas{}).Size().X + figStripGap
		}
		if pn.ColorBar != nil {
			l.colorBarW = figColorBarW
		}
		out[i] = l
	}
	return out
}

func (f *Figure) size() (w, h vg.Length) {
	w = 2 * figMargin
	for _, l := range f.layouts() {
		w += l.panelWidth + l.legendW + l.colorBarW
	}
	if min := vg.Length(figMinPixels) / figDPI * vg.Inch; w < min {
		w = min
	}
	return w, figHeight + 2*figMargin
}

// draw draws the figure on dc and returns the data area of each panel.
func (f *Figure) draw(dc draw.Canvas) []draw.Canvas {
	var areas []draw.Canvas
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	c := draw.Crop(dc, figMargin, -figMargin, figMargin, -figMargin)
	x := c.Min.X
	for i, l := range f.layouts() {
		pn := f.Panels[i]
		pc := c
		pc.Min.X, pc.Max.X = x, x+l.panelWidth
		da := drawPanel(pn, pc)
		areas = append(areas, da)
		x += l.panelWidth
		if cb := pn.ColorBar; cb != nil {
			bar := plot.New()
			bar.Add(&plotter.ColorBar{ColorMap: cb.Map, Vertical: true, Colors: 256})
			bar.HideX()
			bar.Y.Label.Text = cb.Label
			bar.Y.Label.TextStyle.Font.Size = 11
			bar.Y.Tick.Label.Font.Size = 10
			bc := c
			bc.Min.X, bc.Max.X = x+figStripGap, x+l.colorBarW-4
			bc.Min.Y, bc.Max.Y = da.Min.Y, da.Max.Y
			bar.Draw(bc)
			x += l.colorBarW
		}
		if l.legend != nil {
			lc := c
			lc.Min.X, lc.Max.X = x+figStripGap, x+l.legendW
			lc.Min.Y, lc.Max.Y = da.Min.Y, da.Max.Y
			l.legend.Draw(lc)
			x += l.legendW
		}
	}
	return areas
}

// drawPanel draws pn in c and returns its data area. It draws the y label
// itself, centred on the data area: gonum centres it at the arithmetic
// middle of the range, which on a log axis pushes the plot down.
func drawPanel(pn *Panel, c draw.Canvas) draw.Canvas {
	lbl := pn.Y.Label
	if lbl.Text == "" {
		pn.Plot.Draw(c)
		return pn.Plot.DataCanvas(c)
	}
	h, descent := lbl.TextStyle.Height(lbl.Text), lbl.TextStyle.FontExtents().Descent
	pc := c
	pc.Min.X += h + descent + lbl.Padding
	pn.Y.Label.Text = ""
	pn.Plot.Draw(pc)
	da := pn.Plot.DataCanvas(pc)
	pn.Y.Label.Text = lbl.Text
	sty := lbl.TextStyle
	sty.Rotation += math.Pi / 2
	c.FillText(sty, vg.Point{X: c.Min.X + h - descent, Y: da.Center().Y}, lbl.Text)
	return da
}

func (f *Figure) structure(file string, wpx, hpx int) FigureStructure {
	s := FigureStructure{File: file, Caption: f.Caption, WidthPx: wpx, HeightPx: hpx}
	for _, pn := range f.Panels {
		ps := PanelStructure{Title: pn.Title.Text, X: axisStructure(pn.X), Y: axisStructure(pn.Y), Series: pn.series}
		for _, e := range pn.Legend.entries {
			ps.Legend = append(ps.Legend, e.name)
		}
		if cb := pn.ColorBar; cb != nil {
			a := plot.Axis{Min: cb.Map.Min(), Max: cb.Map.Max(), Scale: plot.LinearScale{}}
			a.Label.Text = cb.Label
			a.Tick.Marker = plot.DefaultTicks{}
			ps.ColorBar = &AxisStructure{}
			*ps.ColorBar = axisStructure(a)
		}
		s.Panels = append(s.Panels, ps)
	}
	return s
}

func axisStructure(a plot.Axis) AxisStructure {
	scale := "linear"
	if _, ok := a.Scale.(plot.LogScale); ok {
		scale = "log"
	}
	s := AxisStructure{Label: a.Label.Text, Scale: scale, Ticks: []string{}, Min: a.Min, Max: a.Max}
	for _, t := range a.Tick.Marker.Ticks(a.Min, a.Max) {
		if t.Label != "" {
			s.Ticks = append(s.Ticks, t.Label)
		}
	}
	return s
}

// MarshalIndent is the golden-file form of a figure's structure.
func (s FigureStructure) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}
