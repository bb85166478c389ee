package report

import (
	"cmp"
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// hessianSeries is the summary rows of one (checkpoint, block), by step.
type hessianSeries struct {
	checkpoint, block string
	rows              []transforms.HessianSummaryRow
}

// groupHessian groups summary rows by (checkpoint, block), sorted by name,
// block (whole first, then layers in order) and step.
func groupHessian(rows []transforms.HessianSummaryRow) []hessianSeries {
	slices.SortFunc(rows, func(a, b transforms.HessianSummaryRow) int {
		return cmp.Or(strings.Compare(a.Checkpoint, b.Checkpoint), compareHessianBlocks(a.Block, b.Block), cmp.Compare(a.Step, b.Step))
	})
	var out []hessianSeries
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].checkpoint != r.Checkpoint || out[n-1].block != r.Block {
			out = append(out, hessianSeries{checkpoint: r.Checkpoint, block: r.Block})
		}
		out[len(out)-1].rows = append(out[len(out)-1].rows, r)
	}
	return out
}

// compareHessianBlocks orders "whole" before "layers.0" < "layers.1" < … < "layers.10".
func compareHessianBlocks(a, b string) int {
	layer := func(s string) int {
		var l int
		if _, err := fmt.Sscanf(s, "layers.%d", &l); err != nil {
			return -1
		}
		return l
	}
	return cmp.Or(cmp.Compare(layer(a), layer(b)), strings.Compare(a, b))
}

func hessianOpt(p *float64, format string) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf(format, *p)
}

func hessianTrace(r transforms.HessianSummaryRow) string {
	switch {
	case r.Trace != nil && r.TraceStderr != nil:
		return fmt.Sprintf("%.4g ± %.2g", *r.Trace, *r.TraceStderr)
	case r.Trace != nil:
		return fmt.Sprintf("%.4g", *r.Trace)
	case r.TraceExact != nil:
		return fmt.Sprintf("%.4g (exact)", *r.TraceExact)
	}
	return "–"
}

// HessianSummary prints, per checkpoint series and block, one line per
// step: loss and accuracy on the rows, the top eigenvalue, the trace ± its
// standard error (Hutchinson) and the outliers against the number of
// classes (Sagun et al. 2018: about one per class after training).
func HessianSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	rows, err := tables.ReadRun[transforms.HessianSummaryRow](ctx, out, pipelines.HessianSummaryTable, run.RunID)
	if err != nil {
		return err
	}
	for _, g := range groupHessian(rows) {
		r0 := g.rows[0]
		fmt.Fprintf(w, "\n%s, block %s: D = %d, %d rows, %d classes, features ÷ %g (%s)\n", g.checkpoint, g.block, r0.Params, r0.Rows, r0.Classes, r0.InputScale, r0.ScaleRule)
		fmt.Fprintf(w, "  %8s  %7s  %6s  %-12s  %-20s  %s\n", "step", "loss", "acc", "top λ", "trace ± stderr", "outliers / classes")
		for _, r := range g.rows {
			fmt.Fprintf(w, "  %8d  %7.4f  %6.3f  %-12s  %-20s  %s / %d\n", r.Step, r.Loss, r.Accuracy, hessianOpt(r.TopEigenvalue, "%.5g"), hessianTrace(r), optInt64(r.Outliers), r.Classes)
		}
	}
	fmt.Fprintln(w)
	return nil
}

var hessianUnsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// hessianLogFloor is the smallest density drawn, relative to the largest,
// on the log-scale density plots.
const hessianLogFloor = 1e-6

// HessianReport draws, per checkpoint series and block, the eigenvalue
// density at every step (log-scale y; slq, else exact), the top eigenvalues
// over steps (one line per index) and the outlier count against the number
// of classes, and returns the markdown with a table per series.
func HessianReport(ctx context.Context, out, runID, dir string) (string, error) {
	sums, err := tables.ReadRun[transforms.HessianSummaryRow](ctx, out, pipelines.HessianSummaryTable, runID)
	if err != nil {
		return "", err
	}
	if len(sums) == 0 {
		return "", fmt.Errorf("%s: no %s rows for run %q", out, pipelines.HessianSummaryTable, runID)
	}
	eigs, err := tables.ReadRun[transforms.HessianEigRow](ctx, out, pipelines.HessianEigsTable, runID)
	if err != nil {
		return "", err
	}
	dens, err := tables.ReadRun[transforms.HessianDensityRow](ctx, out, pipelines.HessianDensityTable, runID)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	type key struct {
		checkpoint, block string
		step              int64
	}
	eigsOf := map[key][]transforms.HessianEigRow{}
	for _, e := range eigs {
		k := key{e.Checkpoint, e.Block, e.Step}
		eigsOf[k] = append(eigsOf[k], e)
	}
	densOf := map[key][]transforms.HessianDensityRow{}
	for _, d := range dens {
		k := key{d.Checkpoint, d.Block, d.Step}
		densOf[k] = append(densOf[k], d)
	}
	var md strings.Builder
	for _, g := range groupHessian(sums) {
		r0 := g.rows[0]
		base := hessianUnsafeName.ReplaceAllString(g.checkpoint+"-"+g.block, "-")
		fmt.Fprintf(&md, "## Hessian of %s, block %s (D = %d, %d rows, %d classes)\n\n", g.checkpoint, g.block, r0.Params, r0.Rows, r0.Classes)

		// Density per step, from SLQ when present, else from the exact eigenvalues.
		var curves []hessianXYs
		method := ""
		for _, r := range g.rows {
			pts := densOf[key{g.checkpoint, g.block, r.Step}]
			m := transforms.HessianSLQMethod
			if !slices.ContainsFunc(pts, func(d transforms.HessianDensityRow) bool { return d.Method == m }) {
				m = transforms.HessianExactMethod
			}
			var xys plotter.XYs
			for _, d := range pts {
				if d.Method == m {
					xys = append(xys, plotter.XY{X: d.X, Y: d.Density})
				}
			}
			if len(xys) > 0 {
				slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
				curves = append(curves, hessianXYs{fmt.Sprintf("step %d", r.Step), xys})
				method = m
			}
		}
		if len(curves) > 0 {
			name := "hessian-density-" + base + ".png"
			sigma := hessianOpt(r0.Broadening, "%.3g")
			for _, r := range g.rows {
				if hessianOpt(r.Broadening, "%.3g") != sigma {
					sigma = "1 % of each step's width"
				}
			}
			title := fmt.Sprintf("%s, %s: eigenvalue density (%s, σ = %s)", g.checkpoint, g.block, method, sigma)
			if err := hessianDensityPlot(filepath.Join(dir, name), title,
				fmt.Sprintf("Eigenvalue density of the Hessian of the loss of %s (block %s, D = %d) at each checkpoint step, by %s with Gaussian broadening σ = %s.", g.checkpoint, g.block, r0.Params, method, sigma), curves); err != nil {
				return "", err
			}
			fmt.Fprintf(&md, "![eigenvalue density per step](%s)\n\n", name)
		}

		// Top eigenvalues over steps, one line per index.
		byIndex := map[int64]plotter.XYs{}
		var maxIndex int64
		for _, r := range g.rows {
			for _, e := range eigsOf[key{g.checkpoint, g.block, r.Step}] {
				if e.Method == r.SpectrumMethod && e.Index >= 1 && e.Index <= int64(hessianTopLines) {
					byIndex[e.Index] = append(byIndex[e.Index], plotter.XY{X: float64(r.Step), Y: e.Eigenvalue})
					maxIndex = max(maxIndex, e.Index)
				}
			}
		}
		if len(byIndex) > 0 {
			var lines []hessianXYs
			positive := true
			for i := int64(1); i <= maxIndex; i++ {
				if xys := byIndex[i]; len(xys) > 0 {
					slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
					lines = append(lines, hessianXYs{fmt.Sprintf("λ%d", i), xys})
					for _, q := range xys {
						positive = positive && q.Y > 0
					}
				}
			}
			name := "hessian-top-" + base + ".png"
			title, ylabel := fmt.Sprintf("%s, %s: top %d Hessian eigenvalues", g.checkpoint, g.block, len(lines)), "Hessian eigenvalue λᵢ"
			if positive {
				ylabel = "Hessian eigenvalue λᵢ (log scale)"
			}
			caption := fmt.Sprintf("The %d largest Hessian eigenvalues of %s (block %s) at each checkpoint step, by %s.", len(lines), g.checkpoint, g.block, r0.SpectrumMethod)
			if err := hessianStepLines(filepath.Join(dir, name), title, ylabel, caption, lines, nil, positive); err != nil {
				return "", err
			}
			fmt.Fprintf(&md, "![top eigenvalues over steps](%s)\n\n", name)
		}

		// Outliers against the number of classes.
		var outl plotter.XYs
		for _, r := range g.rows {
			if r.Outliers != nil {
				outl = append(outl, plotter.XY{X: float64(r.Step), Y: float64(*r.Outliers)})
			}
		}
		if len(outl) > 0 {
			name := "hessian-outliers-" + base + ".png"
			ref := &hessianRef{y: float64(r0.Classes), label: fmt.Sprintf("classes C = %d", r0.Classes)}
			if err := hessianStepLines(filepath.Join(dir, name), fmt.Sprintf("%s, %s: Hessian outliers vs classes", g.checkpoint, g.block), "eigenvalues above the bulk (count)",
				fmt.Sprintf("Number of Hessian eigenvalues of %s (block %s) separated from the bulk at each step, against the number of classes C = %d (Sagun et al. 2018).", g.checkpoint, g.block, r0.Classes), []hessianXYs{{"outliers", outl}}, ref, false); err != nil {
				return "", err
			}
			fmt.Fprintf(&md, "![outliers vs classes](%s)\n\n", name)
		}

		fmt.Fprintf(&md, "| step | loss | accuracy | top λ | trace ± stderr (Hutchinson) | exact trace | outliers / classes | bulk edge | gap |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range g.rows {
			fmt.Fprintf(&md, "| %d | %.4f | %.3f | %s | %s | %s | %s / %d | %s | %s |\n", r.Step, r.Loss, r.Accuracy, hessianOpt(r.TopEigenvalue, "%.5g"),
				hessianTrace(r), hessianOpt(r.TraceExact, "%.4g"), optInt64(r.Outliers), r.Classes, hessianOpt(r.BulkEdge, "%.3g"), hessianOpt(r.OutlierGap, "%.2f"))
		}
		fmt.Fprintf(&md, "\nOutliers: %s. Features were divided by %g (%s).\n\n", r0.OutlierRule, r0.InputScale, r0.ScaleRule)
	}
	fmt.Fprintf(&md, "Outliers against classes over training:\n\n```sql\nSELECT checkpoint, block, step, outliers, classes, top_eigenvalue, trace, trace_stderr\nFROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=1)\nWHERE run_id = '%s' ORDER BY checkpoint, block, step;\n```\n\n", out, pipelines.HessianSummaryTable, runID)
	return md.String(), nil
}

// hessianTopLines is the number of top eigenvalues drawn over steps.
const hessianTopLines = 20

type hessianXYs struct {
	name string
	xys  plotter.XYs
}

type hessianRef struct {
	y     float64
	label string
}

func hessianDensityPlot(file, title, caption string, curves []hessianXYs) error {
	p := newPanel(title, "Hessian eigenvalue λ", "spectral density (log scale)")
	var top float64
	for _, c := range curves {
		for _, q := range c.xys {
			top = max(top, q.Y)
		}
	}
	if !(top > 0) {
		top = 1
	}
	floor := top * hessianLogFloor
	logAxis(&p.Y)
	p.Add(plotter.NewGrid())
	legend := len(curves) <= reportLegendMax
	for i, c := range curves {
		xys := make(plotter.XYs, len(c.xys))
		for j, q := range c.xys {
			xys[j] = plotter.XY{X: q.X, Y: max(q.Y, floor)}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", file, c.name, err)
		}
		l.Color = hessianStepColor(i, len(curves))
		l.Width = vg.Points(1.3)
		p.Add(l)
		if legend {
			p.Legend.Add(c.name, l)
		}
	}
	p.Y.Min, p.Y.Max = floor, top*10
	fig := Figure{Caption: caption, Panels: []*Panel{p}}
	return fig.Save(file)
}

func hessianStepColor(i, n int) color.Color {
	t := 0.0
	if n > 1 {
		t = float64(i) / float64(n-1)
	}
	return color.RGBA{R: uint8(math.Round(30 + 200*t)), G: 60, B: uint8(math.Round(230 - 200*t)), A: 255}
}

// hessianStepLines draws lines with points over training steps, an
// optional horizontal reference line, on a log y axis if logY.
func hessianStepLines(file, title, ylabel, caption string, lines []hessianXYs, ref *hessianRef, logY bool) error {
	p := newPanel(title, "training step", ylabel)
	if logY {
		logAxis(&p.Y)
	}
	p.Add(plotter.NewGrid())
	legend := len(lines) <= reportLegendMax
	var steps []float64
	for i, ln := range lines {
		l, s, err := plotter.NewLinePoints(ln.xys)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", file, ln.name, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
		s.Color, s.Shape = l.Color, plotutil.Shape(i)
		thumbs := []plot.Thumbnailer{s}
		if hasExtent(ln.xys) {
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		p.Add(s)
		if legend {
			p.Legend.Add(ln.name, thumbs...)
		}
		for _, q := range ln.xys {
			steps = append(steps, q.X)
		}
	}
	p.X.Tick.Marker = dataTicks(steps)
	if ref != nil {
		l := hLine(ref.y, color.Gray{Y: 0x40}, true)
		p.Add(l)
		p.Legend.Add(ref.label, l)
		p.Y.Min = min(p.Y.Min, 0)
		p.Y.Max = max(p.Y.Max, ref.y*1.25)
	}
	if !logY && allIntegers(lines) {
		p.Y.Tick.Marker = intTicks{}
	}
	fig := Figure{Caption: caption, Panels: []*Panel{p}}
	return fig.Save(file)
}

// allIntegers reports whether every y of lines is a whole number (counts).
func allIntegers(lines []hessianXYs) bool {
	for _, ln := range lines {
		for _, q := range ln.xys {
			if q.Y != math.Trunc(q.Y) {
				return false
			}
		}
	}
	return true
}
