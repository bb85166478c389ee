package report

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// IntrinsicDimReport writes the figures of an intrinsic_dim run of out into
// dir and returns the markdown that shows them: for a subspace sweep, one
// PNG per (dataset, model) of validation accuracy against d (per-seed points,
// mean per projection, the baseline and the threshold·baseline line) and a
// table of d_int90; for the data estimators, a table of the estimates.
func IntrinsicDimReport(ctx context.Context, out, runID, dir string) (string, error) {
	runs, err := tables.ReadRun[transforms.SubspaceRunRow](ctx, out, pipelines.SubspaceRunsTable, runID)
	if err != nil {
		return "", err
	}
	dims, err := tables.ReadRun[transforms.IntrinsicDimRow](ctx, out, pipelines.IntrinsicDimTable, runID)
	if err != nil {
		return "", err
	}
	data, err := tables.ReadRun[transforms.DataIDRow](ctx, out, pipelines.DataIntrinsicDimTable, runID)
	if err != nil {
		return "", err
	}
	var md strings.Builder
	groups := map[string][]transforms.SubspaceRunRow{}
	var keys []string
	for _, r := range runs {
		k := r.Dataset + "\x00" + r.Model
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Strings(keys)
	for i, k := range keys {
		g := groups[k]
		var rows []transforms.IntrinsicDimRow
		for _, d := range dims {
			if d.Dataset == g[0].Dataset && d.Model == g[0].Model {
				rows = append(rows, d)
			}
		}
		sort.Slice(rows, func(a, b int) bool { return rows[a].Projection < rows[b].Projection })
		name := fmt.Sprintf("intrinsic-%d-%s.png", i, strings.NewReplacer(" ", "-", "/", "-").Replace(g[0].Dataset+"-"+g[0].Model))
		if err := accuracyPlot(filepath.Join(dir, name), g, rows); err != nil {
			return "", err
		}
		fmt.Fprintf(&md, "## %s, %s (D = %d)\n\n![validation accuracy against d](%s)\n\n", g[0].Dataset, g[0].Model, g[0].ParamsTotal, name)
		fmt.Fprintf(&md, "| projection | baseline accuracy | threshold | d_int90 | d_below | d_above | d swept | seeds |\n|---|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s | %d | %d |\n", r.Projection, fmtOpt(r.BaselineAccuracy), fmtOpt(r.Threshold),
				optInt64(r.DInt90), optInt64(r.DBelow), optInt64(r.DAbove), r.DSwept, r.Seeds)
		}
		md.WriteString("\n")
	}
	if len(data) > 0 {
		sort.Slice(data, func(a, b int) bool {
			x, y := data[a], data[b]
			if x.Dataset != y.Dataset {
				return x.Dataset < y.Dataset
			}
			if x.Method != y.Method {
				return x.Method < y.Method
			}
			if optInt64(x.K) != optInt64(y.K) {
				return optInt64(x.K) < optInt64(y.K)
			}
			return shardOrder(x.Shard) < shardOrder(y.Shard)
		})
		fmt.Fprintf(&md, "## Intrinsic dimension of the data\n\n| dataset | method | k | shard | estimate | spread | points |\n|---|---|---|---|---|---|---|\n")
		for _, r := range data {
			shard := "all"
			if r.Shard != nil {
				shard = fmt.Sprint(*r.Shard)
			}
			k := optInt64(r.K)
			if r.K != nil {
				k += " (" + r.Convention + ")"
			}
			fmt.Fprintf(&md, "| %s | %s | %s | %s | %.3f | %s | %d |\n", r.Dataset, r.Method, k, shard, r.Estimate, fmtOpt(r.Spread), r.Points)
		}
		md.WriteString("\n")
	}
	more, err := intrinsicEstimatorsReport(ctx, out, runID, dir, data)
	if err != nil {
		return "", err
	}
	md.WriteString(more)
	return md.String(), nil
}

func shardOrder(p *int64) int64 {
	if p == nil {
		return math.MaxInt64 // the overall row last
	}
	return *p
}

func optInt64(p *int64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprint(*p)
}

func fmtOpt(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.4g", *p)
}

// accuracyPlot draws validation accuracy against d: per-seed points, the
// mean per projection, and the baseline and threshold as lines across the
// plot; the x axis is ticked at the swept d (log scale when they span
// more than a decade).
func accuracyPlot(file string, runs []transforms.SubspaceRunRow, dims []transforms.IntrinsicDimRow) error {
	p := newPanel(fmt.Sprintf("%s, %s: training in random subspaces", runs[0].Dataset, runs[0].Model), "subspace dimension d (trained parameters)", "validation accuracy (fraction correct)")
	byProj := map[string]map[int64][]float64{}
	var projs []string
	var base []float64
	var swept []float64
	for _, r := range runs {
		if r.Projection == transforms.BaselineProjection {
			base = append(base, r.ValAccuracy)
			continue
		}
		if byProj[r.Projection] == nil {
			byProj[r.Projection] = map[int64][]float64{}
			projs = append(projs, r.Projection)
		}
		byProj[r.Projection][r.SubspaceDim] = append(byProj[r.Projection][r.SubspaceDim], r.ValAccuracy)
		swept = append(swept, float64(r.SubspaceDim))
	}
	slices.Sort(projs)
	if len(swept) > 0 {
		p.X.Tick.Marker = dataTicks(swept)
		if lo, hi := slices.Min(swept), slices.Max(swept); lo > 0 && hi/lo > 10 {
			p.X.Scale = plot.LogScale{}
		}
	}
	p.Add(plotter.NewGrid())
	for i, proj := range projs {
		var ds []int64
		for d := range byProj[proj] {
			ds = append(ds, d)
		}
		slices.Sort(ds)
		var pts, mean plotter.XYs
		for _, d := range ds {
			var s float64
			for _, a := range byProj[proj][d] {
				pts = append(pts, plotter.XY{X: float64(d), Y: a})
				s += a
			}
			mean = append(mean, plotter.XY{X: float64(d), Y: s / float64(len(byProj[proj][d]))})
		}
		line, sc, err := plotter.NewLinePoints(mean)
		if err != nil {
			return err
		}
		c := plotutil.Color(i)
		line.Color, sc.Color = c, c
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(3.5)
		seeds, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		seeds.Color = c
		seeds.Radius = vg.Points(1.5)
		label := proj + ", mean over seeds"
		for _, r := range dims {
			if r.Projection == proj {
				label = fmt.Sprintf("%s, mean over seeds: d_int90 = %s", proj, optInt64(r.DInt90))
			}
		}
		thumbs := []plot.Thumbnailer{sc}
		if hasExtent(mean) {
			p.Add(line)
			thumbs = append(thumbs, line)
		}
		p.Add(sc, seeds)
		p.Legend.Add(label, thumbs...)
		p.Legend.Add(proj+", one seed", seeds)
	}
	if len(base) > 0 {
		var s float64
		for _, a := range base {
			s += a
		}
		b := s / float64(len(base))
		th := 0.9 * b
		if len(dims) > 0 && dims[0].Threshold != nil && dims[0].BaselineAccuracy != nil && *dims[0].BaselineAccuracy > 0 {
			th = *dims[0].Threshold
		}
		gray := color.Gray{Y: 0x40}
		bl, tl := hLine(b, gray, false), hLine(th, gray, true)
		p.Add(bl, tl)
		p.Legend.Add(fmt.Sprintf("full-space baseline %.3f", b), bl)
		p.Legend.Add(fmt.Sprintf("threshold %.3f (%.0f %% of baseline)", th, 100*th/b), tl)
	}
	p.Y.Min, p.Y.Max = 0, 1
	fig := Figure{
		Caption: fmt.Sprintf("Validation accuracy of %s on %s trained in a random d-dimensional subspace of its %d parameters (Li et al. 2018), against d.",
			runs[0].Model, runs[0].Dataset, runs[0].ParamsTotal),
		Panels: []*Panel{p},
	}
	return fig.Save(file)
}
