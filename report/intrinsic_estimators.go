package report

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// intrinsicEstimatorsReport writes the data estimators' figures: one panel
// of the overall estimate against the true dimension (data sets with a
// true_dim, i.e. generated manifolds) with a table estimator × manifold,
// and one histogram figure per data set of the local (per-point) estimates.
func intrinsicEstimatorsReport(ctx context.Context, out, runID, dir string, data []transforms.DataIDRow) (string, error) {
	var md strings.Builder
	var known []transforms.DataIDRow
	for _, r := range data {
		if r.Shard == nil && r.TrueDim != nil {
			known = append(known, r)
		}
	}
	if len(known) > 0 {
		name := "intrinsic-estimators-vs-true.png"
		if err := estimateVsTruePlot(filepath.Join(dir, name), known); err != nil {
			return "", err
		}
		fmt.Fprintf(&md, "## Estimate against true dimension\n\n![estimate against true dimension, one series per estimator](%s)\n\n", name)
		md.WriteString(estimatorTable(known))
	}
	local, err := tables.ReadRun[transforms.LocalIDRow](ctx, out, pipelines.LocalIntrinsicDimTable, runID)
	if err != nil {
		return "", err
	}
	byDataset := map[string][]transforms.LocalIDRow{}
	var datasets []string
	for _, r := range local {
		if _, ok := byDataset[r.Dataset]; !ok {
			datasets = append(datasets, r.Dataset)
		}
		byDataset[r.Dataset] = append(byDataset[r.Dataset], r)
	}
	slices.Sort(datasets)
	if len(datasets) > 0 {
		md.WriteString("## Local intrinsic dimension\n\n")
	}
	for i, ds := range datasets {
		name := fmt.Sprintf("local-id-%d-%s.png", i, strings.NewReplacer(" ", "-", "/", "-", ":", "-").Replace(ds))
		if err := localHistogram(filepath.Join(dir, name), ds, byDataset[ds]); err != nil {
			return "", err
		}
		fmt.Fprintf(&md, "![histograms of the local estimates of %s](%s)\n\n", ds, name)
	}
	return md.String(), nil
}

// methodLabel names an overall row's estimator setting.
func methodLabel(r transforms.DataIDRow) string {
	if r.K == nil {
		return r.Method
	}
	return fmt.Sprintf("%s (k=%d)", r.Method, *r.K)
}

// estimatorTable is the markdown table estimator × data set (true d in the
// header).
func estimatorTable(rows []transforms.DataIDRow) string {
	var sets, methods []string
	value := map[[2]string]float64{}
	truth := map[string]int64{}
	for _, r := range rows {
		if !slices.Contains(sets, r.Dataset) {
			sets = append(sets, r.Dataset)
		}
		m := methodLabel(r)
		if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
		value[[2]string{m, r.Dataset}] = r.Estimate
		truth[r.Dataset] = *r.TrueDim
	}
	slices.SortFunc(sets, func(a, b string) int {
		if truth[a] != truth[b] {
			return int(truth[a] - truth[b])
		}
		return strings.Compare(a, b)
	})
	slices.Sort(methods)
	var b strings.Builder
	b.WriteString("| data set | true d |")
	for _, m := range methods {
		fmt.Fprintf(&b, " %s |", m)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(methods)) + "\n")
	for _, s := range sets {
		fmt.Fprintf(&b, "| %s | %d |", strings.TrimPrefix(s, transforms.ManifoldPrefix), truth[s])
		for _, m := range methods {
			if v, ok := value[[2]string{m, s}]; ok {
				fmt.Fprintf(&b, " %.2f |", v)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

// estimateVsTruePlot draws each estimator's estimate against the true
// dimension of the benchmark manifolds, with the line estimate = d.
func estimateVsTruePlot(file string, rows []transforms.DataIDRow) error {
	p := newPanel("intrinsic-dimension estimators on benchmark manifolds", "true dimension d", "estimated dimension")
	byMethod := map[string]plotter.XYs{}
	var methods []string
	var truths []float64
	top := 1.0
	for _, r := range rows {
		m := methodLabel(r)
		if _, ok := byMethod[m]; !ok {
			methods = append(methods, m)
		}
		byMethod[m] = append(byMethod[m], plotter.XY{X: float64(*r.TrueDim), Y: r.Estimate})
		truths = append(truths, float64(*r.TrueDim))
		top = max(top, float64(*r.TrueDim), r.Estimate)
	}
	slices.Sort(methods)
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: top, Y: top}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{Y: 0x60}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(plotter.NewGrid(), diag)
	p.Legend.Add("estimate = d", diag)
	for i, m := range methods {
		sc, err := plotter.NewScatter(byMethod[m])
		if err != nil {
			return err
		}
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(3)
		p.Add(sc)
		p.Legend.Add(m, sc)
	}
	p.X.Tick.Marker = dataTicks(truths)
	fig := Figure{
		Caption: fmt.Sprintf("Estimates of %d intrinsic-dimension estimators on benchmark manifolds of known dimension; the dashed line is a perfect estimate.", len(methods)),
		Panels:  []*Panel{p},
	}
	return fig.Save(file)
}

// localHistogram draws, per local estimator, the histogram (40 bins over
// the range of all estimates) of the per-row local estimates of dataset.
func localHistogram(file, dataset string, rows []transforms.LocalIDRow) error {
	byEst := map[string][]float64{}
	var ests []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if r.Estimate == nil || math.IsInf(*r.Estimate, 0) {
			continue
		}
		if _, ok := byEst[r.Estimator]; !ok {
			ests = append(ests, r.Estimator)
		}
		byEst[r.Estimator] = append(byEst[r.Estimator], *r.Estimate)
		lo, hi = min(lo, *r.Estimate), max(hi, *r.Estimate)
	}
	slices.Sort(ests)
	p := newPanel(fmt.Sprintf("%s: local intrinsic dimension", dataset), "local estimate of the dimension", "rows per bin (count)")
	p.Add(plotter.NewGrid())
	fig := Figure{
		Caption: fmt.Sprintf("Histograms of the per-row local intrinsic-dimension estimates of %s, one outline per estimator.", dataset),
		Panels:  []*Panel{p},
	}
	if len(ests) == 0 {
		return fig.Save(file)
	}
	if hi <= lo {
		lo, hi = lo-0.5, hi+0.5
	}
	const bins = 40
	width := (hi - lo) / bins
	for i, e := range ests {
		counts := make([]float64, bins)
		for _, v := range byEst[e] {
			counts[min(bins-1, int((v-lo)/width))]++
		}
		var xy plotter.XYs
		for b, c := range counts {
			x0 := lo + float64(b)*width
			xy = append(xy, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + width, Y: c})
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%d rows)", e, len(byEst[e])), l)
	}
	p.Y.Min = 0
	return fig.Save(file)
}
