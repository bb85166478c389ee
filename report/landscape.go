package report

import (
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

// MeanLandscapes arranges the rows of the landscape table whose sample is
// NULL (the means) by (cloud, dim), in that order.
func MeanLandscapes(rows []transforms.LandscapeRow) []MeanLandscape {
	type key struct {
		cloud string
		dim   int64
	}
	groups := map[key][]transforms.LandscapeRow{}
	var keys []key
	for _, r := range rows {
		if r.Sample != nil {
			continue
		}
		k := key{r.Cloud, r.Dim}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.cloud, b.cloud); c != 0 {
			return c
		}
		return int(a.dim - b.dim)
	})
	var out []MeanLandscape
	for _, k := range keys {
		g := groups[k]
		var ts []float64
		levels := int64(0)
		for _, r := range g {
			if !slices.Contains(ts, r.T) {
				ts = append(ts, r.T)
			}
			levels = max(levels, r.Level)
		}
		slices.Sort(ts)
		m := MeanLandscape{Cloud: k.cloud, Dim: k.dim, T: ts, Values: make([][]float64, levels)}
		for l := range m.Values {
			m.Values[l] = make([]float64, len(ts))
		}
		for _, r := range g {
			i, _ := slices.BinarySearch(ts, r.T)
			m.Values[r.Level-1][i] = r.Value
		}
		out = append(out, m)
	}
	return out
}

// LandscapeReport reads the committed tables of landscape run runID under
// out and draws into dir, for every cloud, the mean landscape of each
// dimension (landscape-<cloud>-H<dim>.png, one line per level k) and the
// diagrams of all its samples (diagram-<cloud>.png). It returns the
// report's markdown: the plots and a table of the landscape_summary rows.
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
	slices.SortFunc(sums, func(a, b transforms.LandscapeSummaryRow) int {
		if c := strings.Compare(a.Cloud, b.Cloud); c != 0 {
			return c
		}
		return int(a.Dim - b.Dim)
	})
	means := MeanLandscapes(lands)
	var md strings.Builder
	var figs []func() error // a cloud's figures are independent: drawn together at the end
	for i := 0; i < len(sums); {
		cloud := sums[i].Cloud
		j := i
		for j < len(sums) && sums[j].Cloud == cloud {
			j++
		}
		cs := sums[i:j]
		i = j
		s0 := cs[0]
		fmt.Fprintf(&md, "## %s\n\n%d points; %d sample(s) of %d points; threshold %.4g; grid [%.4g, %.4g]\n\n",
			cloud, s0.Points, s0.Samples, s0.SampleSize, s0.Threshold, s0.RangeLo, s0.RangeHi)
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
		md.WriteString("| dim | features / sample | essential / sample | total persistence | L1 | L2 | L∞ |\n|---|---|---|---|---|---|---|\n")
		for _, s := range cs {
			fmt.Fprintf(&md, "| H%d | %.2f | %.2f | %.4g | %.4g | %.4g | %.4g |\n", s.Dim, s.Features, s.Essential, s.TotalPersistence, s.L1, s.L2, s.Linf)
		}
		md.WriteString("\n")
	}
	if err := drawAll(figs); err != nil {
		return "", err
	}
	mp, err := multipersReport(ctx, out, runID, dir)
	if err != nil {
		return "", err
	}
	return md.String() + mp, nil
}

// LandscapeSummary prints one line per (cloud, dim) of run runID: the
// mean number of features and the norms of the mean landscape.
func LandscapeSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	runID := run.RunID
	sums, err := tables.ReadRun[transforms.LandscapeSummaryRow](ctx, out, pipelines.LandscapeSummaryTable, runID)
	if err != nil {
		return err
	}
	slices.SortFunc(sums, func(a, b transforms.LandscapeSummaryRow) int {
		if c := strings.Compare(a.Cloud, b.Cloud); c != 0 {
			return c
		}
		return int(a.Dim - b.Dim)
	})
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
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: hi, Y: hi}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{Y: 0x60}
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(plotter.NewGrid(), diag)
	p.Legend.Add("death = birth", diag)
	for i, d := range dims {
		pts := byDim[d]
		for j, xy := range pts {
			if len(xy) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(xy)
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
