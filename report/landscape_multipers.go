package report

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// HilbertHeatmap is the (mean) Hilbert function of one (cloud, dim) of a
// landscape run with params.codensity: Value[i][j] at (T[i], R[j]).
type HilbertHeatmap struct {
	Cloud   string
	Dim     int64
	Samples int64
	T, R    []float64
	Value   [][]float64
}

// HilbertHeatmaps arranges hilbert rows by (cloud, dim), in that order, on
// each one's sorted grid.
func HilbertHeatmaps(rows []transforms.HilbertRow) []HilbertHeatmap {
	var out []HilbertHeatmap
	for _, g := range groupByCloudDim(rows, func(r transforms.HilbertRow) (string, int64) { return r.Cloud, r.Dim }) {
		h := HilbertHeatmap{Cloud: g.cloud, Dim: g.dim}
		for _, r := range g.rows {
			if !slices.Contains(h.T, r.T) {
				h.T = append(h.T, r.T)
			}
			if !slices.Contains(h.R, r.R) {
				h.R = append(h.R, r.R)
			}
			h.Samples = r.Samples
		}
		slices.Sort(h.T)
		slices.Sort(h.R)
		h.Value = make([][]float64, len(h.T))
		for i := range h.Value {
			h.Value[i] = make([]float64, len(h.R))
		}
		for _, r := range g.rows {
			i, _ := slices.BinarySearch(h.T, r.T)
			j, _ := slices.BinarySearch(h.R, r.R)
			h.Value[i][j] = r.Value
		}
		out = append(out, h)
	}
	return out
}

// hilbertGrid adapts a HilbertHeatmap to plotter.GridXYZ: one equal cell
// per grid point (x = index of t, y = index of r), so that quantile grids,
// dense where the data are, stay readable; the ticks carry the values.
type hilbertGrid struct{ h HilbertHeatmap }

func (g hilbertGrid) Dims() (c, r int)   { return len(g.h.T), len(g.h.R) }
func (g hilbertGrid) Z(c, r int) float64 { return g.h.Value[c][r] }
func (g hilbertGrid) X(c int) float64    { return float64(c) }
func (g hilbertGrid) Y(r int) float64    { return float64(r) }

// multipersReport is the two-parameter part of the landscape report: for
// every (cloud, dim) a heatmap of the hilbert table (hilbert-<cloud>-H<dim>.png;
// for a run of several clouds only if perCloud, as the other per-cloud figures)
// and a table of the signed barcodes' masses. It returns the markdown and
// the figures to draw, nothing when the run has no hilbert rows
// (params.codensity unset).
func multipersReport(ctx context.Context, out, runID, dir string, perCloud bool) (string, []func() error, error) {
	rows, err := tables.ReadRun[transforms.HilbertRow](ctx, out, pipelines.HilbertTable, runID)
	if err != nil || len(rows) == 0 {
		return "", nil, err
	}
	signed, err := tables.ReadRun[transforms.SignedBarcodeRow](ctx, out, pipelines.SignedBarcodeTable, runID)
	if err != nil {
		return "", nil, err
	}
	var md strings.Builder
	md.WriteString("## Two-parameter persistence: codensity–Rips bifiltration\n\n")
	md.WriteString("Hilbert function dim H_q(Rips_r({x : f(x) ≤ t})) on each cloud's grid (mean over samples); signed barcode = its Möbius inversion (Loiseaux et al. 2023).\n\n")
	maps := HilbertHeatmaps(rows)
	var figs []func() error
	for _, h := range maps {
		if !perCloud {
			md.WriteString("Each cloud's Hilbert function is drawn as a heatmap by `lowdim report --figures=all`.\n\n")
			break
		}
		png := fmt.Sprintf("hilbert-%s-H%d.png", fileSafe(h.Cloud), h.Dim)
		figs = append(figs, func() error { return hilbertPlot(filepath.Join(dir, png), h) })
		fmt.Fprintf(&md, "![%s: Hilbert function H%d](%s)\n\n", h.Cloud, h.Dim, png)
	}
	md.WriteString("| cloud | dim | samples | grid t × r | max H | signed points | positive mass | negative mass |\n|---|---|---|---|---|---|---|---|\n")
	for _, h := range maps {
		var top float64
		for _, col := range h.Value {
			top = max(top, slices.Max(col))
		}
		var n int
		var pos, neg float64
		for _, w := range signed {
			if w.Cloud == h.Cloud && w.Dim == h.Dim {
				n++
				if w.Weight > 0 {
					pos += w.Weight
				} else {
					neg += w.Weight
				}
			}
		}
		fmt.Fprintf(&md, "| %s | H%d | %d | %d × %d | %.4g | %d | %.4g | %.4g |\n", h.Cloud, h.Dim, h.Samples, len(h.T), len(h.R), top, n, pos, neg)
	}
	fmt.Fprintf(&md, "\n```sql\nSELECT cloud, dim, t, r, value\nFROM read_parquet('%s/hilbert/**/*.parquet', hive_partitioning=1)\nWHERE run_id = '%s' ORDER BY cloud, dim, t, r;\n```\n\n", out, runID)
	return md.String(), figs, nil
}

// hilbertPlot draws one Hilbert function as a heatmap over the grid, one
// equal cell per (t, r), ticks labelled with the grid values, and a colour
// bar of its values.
func hilbertPlot(file string, h HilbertHeatmap) error {
	lo, hi := h.Value[0][0], h.Value[0][0]
	for _, col := range h.Value {
		lo, hi = min(lo, slices.Min(col)), max(hi, slices.Max(col))
	}
	label := func(vals []float64) []string {
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = fmt.Sprintf("%.3g", v)
		}
		return out
	}
	p := heatPanel(fmt.Sprintf("%s: Hilbert function of H%d (mean over %d sample(s))", h.Cloud, h.Dim, h.Samples),
		"codensity threshold t (one cell per grid value)", "Rips radius r (one cell per grid value)",
		hilbertGrid{h}, label(h.T), label(h.R), lo, hi, moreland.ExtendedBlackBody(), fmt.Sprintf("dim H%d (mean rank)", h.Dim))
	p.X.Tick.Label.Rotation = 0.8
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	fig := Figure{
		Caption: fmt.Sprintf("Hilbert function dim H%d(Rips_r({x : f(x) ≤ t})) of %s on the codensity–Rips grid.", h.Dim, h.Cloud),
		Panels:  []*Panel{p},
	}
	return fig.Save(file)
}

// gridTicks puts a tick at every cell (index i) labelled with its grid
// value, about 25 labels at most.
func gridTicks(vals []float64) plot.ConstantTicks {
	step := max(1, (len(vals)+24)/25)
	ticks := make(plot.ConstantTicks, len(vals))
	for i, v := range vals {
		ticks[i] = plot.Tick{Value: float64(i)}
		if i%step == 0 {
			ticks[i].Label = fmt.Sprintf("%.3g", v)
		}
	}
	return ticks
}
