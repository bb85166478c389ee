package report

import (
	"cmp"
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// MeanLandscape is the mean landscape of one (cloud, dim): Values[k][i] is
// λ̄_{k+1}(T[i]).
type MeanLandscape struct {
	Cloud  string
	Dim    int64
	T      []float64
	Values [][]float64
}

// cloudDim is the key of a landscape run's groups: a cloud and a homology
// dimension.
type cloudDim struct {
	cloud string
	dim   int64
}

// cmpCloudDim orders by cloud, then dimension.
func cmpCloudDim(a, b cloudDim) int {
	if c := strings.Compare(a.cloud, b.cloud); c != 0 {
		return c
	}
	return cmp.Compare(a.dim, b.dim)
}

// cloudDimGroup is the rows of one (cloud, dim).
type cloudDimGroup[R any] struct {
	cloudDim
	rows []R
}

// groupByCloudDim groups rows by (cloud, dim), in that order; key returns a
// row's cloud and dimension.
func groupByCloudDim[R any](rows []R, key func(R) (string, int64)) []cloudDimGroup[R] {
	at := map[cloudDim]int{}
	var out []cloudDimGroup[R]
	for _, r := range rows {
		c, d := key(r)
		k := cloudDim{c, d}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, cloudDimGroup[R]{cloudDim: k})
		}
		out[i].rows = append(out[i].rows, r)
	}
	slices.SortFunc(out, func(a, b cloudDimGroup[R]) int { return cmpCloudDim(a.cloudDim, b.cloudDim) })
	return out
}

// sortSummaries orders landscape_summary rows by cloud, then dimension.
func sortSummaries(sums []transforms.LandscapeSummaryRow) {
	slices.SortFunc(sums, func(a, b transforms.LandscapeSummaryRow) int {
		return cmpCloudDim(cloudDim{a.Cloud, a.Dim}, cloudDim{b.Cloud, b.Dim})
	})
}

// MeanLandscapes arranges the rows of the landscape table whose sample is
// NULL (the means) by (cloud, dim), in that order.
func MeanLandscapes(rows []transforms.LandscapeRow) []MeanLandscape {
	means := slices.DeleteFunc(slices.Clone(rows), func(r transforms.LandscapeRow) bool { return r.Sample != nil })
	var out []MeanLandscape
	for _, g := range groupByCloudDim(means, func(r transforms.LandscapeRow) (string, int64) { return r.Cloud, r.Dim }) {
		var ts []float64
		levels := int64(0)
		for _, r := range g.rows {
			if !slices.Contains(ts, r.T) {
				ts = append(ts, r.T)
			}
			levels = max(levels, r.Level)
		}
		slices.Sort(ts)
		m := MeanLandscape{Cloud: g.cloud, Dim: g.dim, T: ts, Values: make([][]float64, levels)}
		for l := range m.Values {
			m.Values[l] = make([]float64, len(ts))
		}
		for _, r := range g.rows {
			i, _ := slices.BinarySearch(ts, r.T)
			m.Values[r.Level-1][i] = r.Value
		}
		out = append(out, m)
	}
	return out
}

// LandscapeReport reads the committed tables of landscape run runID under
// out and returns the report's markdown: its figures, drawn into dir, and
// one table of the landscape_summary rows of every cloud.
//
// A run of one cloud draws that cloud's figures: its persistence diagrams
// (diagram-<cloud>.png) and a mean landscape per dimension
// (landscape-<cloud>-H<dim>.png, one line per level k). A run of several
// clouds draws two figures that put them together: landscapes.png (the
// first levels of every cloud's mean landscape, a panel per dimension) and
// diagrams.png (every cloud's pairs); the per-cloud figures follow only when
// ctx asks for AllFigures (lowdim report --figures=all), so that a small run
// of many clouds does not spend longer on its report than on its diagrams.
func LandscapeReport(ctx context.Context, out, runID, dir string) (string, error) {
	sums, err := tables.ReadRun[transforms.LandscapeSummaryRow](ctx, out, pipelines.LandscapeSummaryTable, runID)
	if err != nil {
		return "", err
	}
	lands, err := tables.ReadRun[transforms.LandscapeRow](ctx, out, pipelines.LandscapeTable, runID)
	if err != nil {
		return "", err
	}
	diags, err := tables.ReadRun[transforms.LandscapeDiagramRow](ctx, out, pipelines.DiagramTable, runID)
	if err != nil {
		return "", err
	}
	if len(sums) == 0 {
		return "", fmt.Errorf("%s: run %s has no %s rows", out, runID, pipelines.LandscapeSummaryTable)
	}
	sortSummaries(sums)
	means := MeanLandscapes(lands)
	var clouds []string
	first := map[string]transforms.LandscapeSummaryRow{} // a cloud's first summary row
	for _, s := range sums {
		if _, ok := first[s.Cloud]; !ok {
			clouds = append(clouds, s.Cloud)
			first[s.Cloud] = s
		}
	}
	var md strings.Builder
	var figs []func() error // independent figures, drawn together at the end
	perCloud := len(clouds) == 1 || figuresOf(ctx) == AllFigures
	if len(clouds) > 1 {
		fmt.Fprintf(&md, "## All %d clouds\n\n", len(clouds))
		figs = append(figs, func() error { return landscapesPlot(filepath.Join(dir, landscapesFile), means, clouds) })
		figs = append(figs, func() error { return diagramsPlot(filepath.Join(dir, diagramsFile), clouds, first, diags) })
		fmt.Fprintf(&md, "![mean landscapes of every cloud](%s)\n\n![persistence diagrams of every cloud](%s)\n\n", landscapesFile, diagramsFile)
	}
	landscapeTable(&md, sums, first)
	if !perCloud {
		fmt.Fprintf(&md, "Each cloud's own figures (its persistence diagrams, and every level of its mean landscape per dimension) are drawn from these tables by `lowdim report %s --run_id %s --figures=all`.\n\n", out, runID)
	}
	if perCloud {
		for _, cloud := range clouds {
			s0 := first[cloud]
			if len(clouds) > 1 {
				fmt.Fprintf(&md, "## %s\n\n", cloud)
			}
			diagPNG := "diagram-" + fileSafe(cloud) + ".png"
			figs = append(figs, func() error { return diagramPlot(filepath.Join(dir, diagPNG), cloud, s0.Threshold, diags) })
			fmt.Fprintf(&md, "![persistence diagrams](%s)\n\n", diagPNG)
			for _, m := range means {
				if m.Cloud != cloud {
					continue
				}
				png := fmt.Sprintf("landscape-%s-H%d.png", fileSafe(cloud), m.Dim)
				figs = append(figs, func() error { return meanLandscapePlot(filepath.Join(dir, png), m, s0.Samples) })
				fmt.Fprintf(&md, "![mean landscape H%d](%s)\n\n", m.Dim, png)
			}
		}
	}
	mp, mpFigs, err := multipersReport(ctx, out, runID, dir, perCloud)
	if err != nil {
		return "", err
	}
	if err := drawAll(append(figs, mpFigs...)); err != nil {
		return "", err
	}
	return md.String() + mp, nil
}

// The summary figures of a landscape run of several clouds.
const (
	landscapesFile = "landscapes.png"
	diagramsFile   = "diagrams.png"
)

// landscapeTable writes the landscape_summary rows of every cloud as one
// table; the threshold and grid are stated once when every cloud shares them.
func landscapeTable(md *strings.Builder, sums []transforms.LandscapeSummaryRow, first map[string]transforms.LandscapeSummaryRow) {
	s0 := sums[0]
	shared := !slices.ContainsFunc(sums, func(s transforms.LandscapeSummaryRow) bool {
		return s.Threshold != s0.Threshold || s.RangeLo != s0.RangeLo || s.RangeHi != s0.RangeHi
	})
	if shared {
		fmt.Fprintf(md, "Vietoris–Rips threshold %.4g; landscapes on a grid over [%.4g, %.4g].\n\n", s0.Threshold, s0.RangeLo, s0.RangeHi)
		md.WriteString("| cloud | points | samples × points | dim | features / sample | essential / sample | total persistence | L1 | L2 | L∞ |\n|---|---|---|---|---|---|---|---|---|---|\n")
	} else {
		md.WriteString("| cloud | points | samples × points | threshold | grid | dim | features / sample | essential / sample | total persistence | L1 | L2 | L∞ |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	}
	for _, s := range sums {
		c := first[s.Cloud]
		fmt.Fprintf(md, "| %s | %d | %d × %d | ", s.Cloud, c.Points, c.Samples, c.SampleSize)
		if !shared {
			fmt.Fprintf(md, "%.4g | [%.4g, %.4g] | ", s.Threshold, s.RangeLo, s.RangeHi)
		}
		fmt.Fprintf(md, "H%d | %.2f | %.2f | %.4g | %.4g | %.4g | %.4g |\n", s.Dim, s.Features, s.Essential, s.TotalPersistence, s.L1, s.L2, s.Linf)
	}
	md.WriteString("\n")
}

// LandscapeSummary prints one line per (cloud, dim) of run runID: the
// mean number of features and the norms of the mean landscape.
func LandscapeSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	runID := run.RunID
	sums, err := tables.ReadRun[transforms.LandscapeSummaryRow](ctx, out, pipelines.LandscapeSummaryTable, runID)
	if err != nil {
		return err
	}
	sortSummaries(sums)
	fmt.Fprintln(w)
	for _, s := range sums {
		fmt.Fprintf(w, "  %s H%d  %d×%d pts  features %.1f  total persistence %.4g  mean landscape L1 %.4g L2 %.4g L∞ %.4g\n",
			s.Cloud, s.Dim, s.Samples, s.SampleSize, s.Features, s.TotalPersistence, s.L1, s.L2, s.Linf)
	}
	fmt.Fprintln(w)
	return nil
}

// meanLandscapePlot draws the levels of one mean landscape.
func meanLandscapePlot(file string, m MeanLandscape, samples int64) error {
	p := newPanel(fmt.Sprintf("%s: mean H%d persistence landscape", m.Cloud, m.Dim), "filtration value t (edge length)", "mean landscape λₖ(t)")
	p.Add(plotter.NewGrid())
	for k, vals := range m.Values {
		xy := make(plotter.XYs, len(m.T))
		for i, t := range m.T {
			xy[i] = plotter.XY{X: t, Y: vals[i]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(k)
		l.Dashes = plotutil.Dashes(k)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("level k = %d", k+1), l)
	}
	p.Y.Min = 0
	fig := Figure{
		Caption: fmt.Sprintf("Mean persistence landscape λₖ of the H%d diagrams of %s over %d sample(s), levels k = 1 … %d (Bubenik 2015).", m.Dim, m.Cloud, samples, len(m.Values)),
		Panels:  []*Panel{p},
	}
	return fig.Save(file)
}

// diagramPlot draws the pairs of every sample of cloud, one colour per
// dimension; essential classes are drawn at the threshold as triangles.
func diagramPlot(file, cloud string, threshold float64, rows []transforms.LandscapeDiagramRow) error {
	p := newPanel(fmt.Sprintf("%s: persistence diagrams of all samples", cloud), "birth (edge length)", "death (edge length)")
	byDim := map[int64][2]plotter.XYs{}
	var dims []int64
	hi := threshold
	for _, r := range rows {
		if r.Cloud != cloud {
			continue
		}
		if _, ok := byDim[r.Dim]; !ok {
			dims = append(dims, r.Dim)
		}
		pts := byDim[r.Dim]
		if r.Death == nil {
			pts[1] = append(pts[1], plotter.XY{X: r.Birth, Y: threshold})
		} else {
			pts[0] = append(pts[0], plotter.XY{X: r.Birth, Y: *r.Death})
			hi = max(hi, *r.Death)
		}
		byDim[r.Dim] = pts
	}
	slices.Sort(dims)
	hi = math.Max(hi, 1e-9)
	if err := addDiagonal(p, hi); err != nil {
		return err
	}
	for i, d := range dims {
		pts := byDim[d]
		for j, xy := range pts {
			if len(xy) == 0 {
				continue
			}
			sc, err := newThinScatter(xy)
			if err != nil {
				return err
			}
			sc.Color = plotutil.Color(i)
			sc.Radius = vg.Points(2)
			name := fmt.Sprintf("H%d pairs", d)
			if j == 1 {
				sc.Shape = draw.TriangleGlyph{}
				sc.Radius = vg.Points(3.5)
				name = fmt.Sprintf("H%d essential (drawn at the threshold)", d)
			}
			p.Add(sc)
			p.Legend.Add(name, sc)
		}
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max, p.Y.Max = hi*1.02, hi*1.02
	fig := Figure{
		Caption: fmt.Sprintf("Vietoris–Rips persistence diagrams of every sample of %s (threshold %.4g): one point per (birth, death) pair.", cloud, threshold),
		Width:   5 * vg.Inch,
		Panels:  []*Panel{p},
	}
	return fig.Save(file)
}

// fileSafe replaces the characters of name that are unsafe in a file name.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
}

// maxCloudColours is the most clouds the summary figures tell apart by
// colour (cloudPalette); a run of more clouds is drawn pooled.
const maxCloudColours = 10

// cloudPalette is ten colours distinguishable side by side (Tableau 10).
var cloudPalette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, color.RGBA{0xbc, 0xbd, 0x22, 0xff},
	color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

// summaryLevels is how many levels of each cloud's mean landscape the
// summary figure draws: λ₁ and λ₂ (a torus's two H1 classes); every level
// is in the table and in the per-cloud figures.
const summaryLevels = 2

// landscapesPlot draws the mean landscapes of several clouds, one panel per
// homology dimension: levels k = 1 and 2 of every cloud, one colour per
// cloud (solid λ₁, dashed λ₂) for up to maxCloudColours clouds, else one
// colour per level and a thin line per cloud.
func landscapesPlot(file string, means []MeanLandscape, clouds []string) error {
	byColour := len(clouds) <= maxCloudColours
	index := map[string]int{}
	for i, c := range clouds {
		index[c] = i
	}
	var dims []int64
	for _, m := range means {
		if !slices.Contains(dims, m.Dim) {
			dims = append(dims, m.Dim)
		}
	}
	slices.Sort(dims)
	if len(dims) == 0 {
		return fmt.Errorf("no mean landscapes to draw")
	}
	type drawn struct {
		panel *Panel
		lines map[[2]int]*plotter.Line // (cloud, level) → line
	}
	panels := make([]drawn, len(dims))
	for pi, d := range dims {
		p := newPanel(fmt.Sprintf("mean H%d persistence landscapes", d), "filtration value t (edge length)", "mean landscape λₖ(t)")
		p.Add(plotter.NewGrid())
		lines := map[[2]int]*plotter.Line{}
		for _, m := range means {
			if m.Dim != d {
				continue
			}
			ci := index[m.Cloud]
			for k := range min(summaryLevels, len(m.Values)) {
				xy := make(plotter.XYs, len(m.T))
				for i, t := range m.T {
					xy[i] = plotter.XY{X: t, Y: m.Values[k][i]}
				}
				l, err := plotter.NewLine(xy)
				if err != nil {
					return err
				}
				l.Dashes = plotutil.Dashes(k)
				if byColour {
					l.Color, l.Width = cloudPalette[ci], vg.Points(1.5)
				} else {
					l.Color, l.Width = plotutil.Color(k), vg.Points(0.75)
				}
				p.Add(l)
				lines[[2]int{ci, k}] = l
			}
		}
		p.Y.Min = 0
		panels[pi] = drawn{p, lines}
	}
	// The legend goes beside the last panel; a panel holding a cloud the
	// last one lacks gets its own.
	legend := func(dr drawn, only func(ci int) bool) {
		if !byColour {
			for k := range summaryLevels {
				for ci := range clouds {
					if l := dr.lines[[2]int{ci, k}]; l != nil {
						dr.panel.Legend.Add(fmt.Sprintf("level k = %d, one line per cloud", k+1), l)
						break
					}
				}
			}
			return
		}
		for ci, c := range clouds {
			if l := dr.lines[[2]int{ci, 0}]; l != nil && only(ci) {
				dr.panel.Legend.Add(c, l)
			}
		}
		for k := range summaryLevels {
			for ci := range clouds {
				if l := dr.lines[[2]int{ci, k}]; l != nil && only(ci) {
					dr.panel.Legend.Add(fmt.Sprintf("level k = %d (%s)", k+1, []string{"solid", "dashed"}[k]), l)
					break
				}
			}
		}
	}
	last := panels[len(panels)-1]
	inLast := func(ci int) bool { return last.lines[[2]int{ci, 0}] != nil }
	legend(last, func(int) bool { return true })
	for _, dr := range panels[:len(panels)-1] {
		if byColour && slices.ContainsFunc(clouds, func(c string) bool {
			ci := index[c]
			return dr.lines[[2]int{ci, 0}] != nil && !inLast(ci)
		}) {
			legend(dr, func(ci int) bool { return !inLast(ci) })
		}
	}
	caption := fmt.Sprintf("Mean persistence landscapes λ₁ (solid) and λ₂ (dashed) of each of the %d clouds, one colour per cloud and one panel per homology dimension (Bubenik 2015).", len(clouds))
	if !byColour {
		caption = fmt.Sprintf("Mean persistence landscapes λ₁ and λ₂ of each of the %d clouds, one thin line per cloud coloured by level, one panel per homology dimension (Bubenik 2015).", len(clouds))
	}
	fig := Figure{Caption: caption, Width: max(figPanelWidth, vg.Length(len(dims))*4*vg.Inch)}
	for _, dr := range panels {
		fig.Panels = append(fig.Panels, dr.panel)
	}
	return fig.Save(file)
}

// diagramsPlot draws the persistence diagrams of every sample of several
// clouds in one panel: one colour per cloud for up to maxCloudColours
// clouds (one marker per dimension), else one colour per dimension, pooled;
// essential classes are triangles at their cloud's threshold.
func diagramsPlot(file string, clouds []string, first map[string]transforms.LandscapeSummaryRow, rows []transforms.LandscapeDiagramRow) error {
	byColour := len(clouds) <= maxCloudColours
	index := map[string]int{}
	hi := 0.0
	for i, c := range clouds {
		index[c] = i
		hi = max(hi, first[c].Threshold)
	}
	type key struct {
		cloud     int // -1: pooled
		dim       int64
		essential bool
	}
	pts := map[key]plotter.XYs{}
	var dims []int64
	for _, r := range rows {
		ci, ok := index[r.Cloud]
		if !ok {
			continue
		}
		if !slices.Contains(dims, r.Dim) {
			dims = append(dims, r.Dim)
		}
		k := key{ci, r.Dim, r.Death == nil}
		if !byColour {
			k.cloud = -1
		}
		if r.Death == nil {
			pts[k] = append(pts[k], plotter.XY{X: r.Birth, Y: first[r.Cloud].Threshold})
		} else {
			pts[k] = append(pts[k], plotter.XY{X: r.Birth, Y: *r.Death})
			hi = max(hi, *r.Death)
		}
	}
	slices.Sort(dims)
	hi = math.Max(hi, 1e-9)
	p := newPanel(fmt.Sprintf("persistence diagrams of all %d clouds", len(clouds)), "birth (edge length)", "death (edge length)")
	if err := addDiagonal(p, hi); err != nil {
		return err
	}
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}}
	var cloudThumb []thinScatter // a cloud's first scatter, for its legend entry
	dimThumb := map[string]thinScatter{}
	var dimNames []string
	cloudKeys := []int{-1}
	if byColour {
		cloudKeys = make([]int, len(clouds))
		for i := range cloudKeys {
			cloudKeys[i] = i
		}
		cloudThumb = make([]thinScatter, len(clouds))
	}
	for _, ci := range cloudKeys {
		for di, d := range dims {
			for _, ess := range []bool{false, true} {
				xy := pts[key{ci, d, ess}]
				if len(xy) == 0 {
					continue
				}
				sc, err := newThinScatter(xy)
				if err != nil {
					return err
				}
				sc.Radius = vg.Points(2)
				sc.Shape = shapes[di%len(shapes)]
				if ess {
					sc.Shape, sc.Radius = draw.TriangleGlyph{}, vg.Points(3.5)
				}
				name := fmt.Sprintf("H%d pairs", d)
				if ess {
					name = fmt.Sprintf("H%d essential (drawn at the threshold)", d)
				}
				if byColour {
					sc.Color = cloudPalette[ci]
					if cloudThumb[ci].Scatter == nil {
						cloudThumb[ci] = sc
					}
				} else {
					sc.Color = plotutil.Color(di)
					name += fmt.Sprintf(", all %d clouds", len(clouds))
				}
				p.Add(sc)
				if _, ok := dimThumb[name]; !ok {
					dimThumb[name] = sc
					dimNames = append(dimNames, name)
				}
			}
		}
	}
	for ci, sc := range cloudThumb {
		if sc.Scatter != nil {
			p.Legend.Add(clouds[ci], sc)
		}
	}
	if byColour {
		// Marker shapes, each drawn in the first cloud's colour.
		var essential thinScatter
		for _, n := range dimNames {
			sc := dimThumb[n]
			if _, tri := sc.Shape.(draw.TriangleGlyph); tri {
				essential = cmp.Or(essential, sc)
				continue
			}
			p.Legend.Add(n+": "+shapeName(sc.Shape), sc)
		}
		if essential.Scatter != nil {
			p.Legend.Add("essential classes: triangles at the threshold", essential)
		}
	} else {
		for _, n := range dimNames {
			p.Legend.Add(n, dimThumb[n])
		}
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max, p.Y.Max = hi*1.02, hi*1.02
	caption := fmt.Sprintf("Vietoris–Rips persistence diagrams of every sample of the %d clouds, one colour per cloud, one marker per homology dimension: one point per (birth, death) pair.", len(clouds))
	if !byColour {
		caption = fmt.Sprintf("Vietoris–Rips persistence diagrams of every sample of the %d clouds pooled, one colour per homology dimension: one point per (birth, death) pair.", len(clouds))
	}
	fig := Figure{Caption: caption, Width: 5 * vg.Inch, Panels: []*Panel{p}}
	return fig.Save(file)
}

// shapeName names a scatter marker for a legend.
func shapeName(g draw.GlyphDrawer) string {
	switch g.(type) {
	case draw.CircleGlyph:
		return "dots"
	case draw.SquareGlyph:
		return "squares"
	case draw.CrossGlyph:
		return "crosses"
	case draw.PlusGlyph:
		return "pluses"
	case draw.RingGlyph:
		return "rings"
	}
	return "markers"
}

// addDiagonal adds a grid and the dashed diagonal death = birth up to hi,
// with its legend entry, to a persistence-diagram panel.
func addDiagonal(p *Panel, hi float64) error {
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: hi, Y: hi}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{Y: 0x60}
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(plotter.NewGrid(), diag)
	p.Legend.Add("death = birth", diag)
	return nil
}
