package report

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// heatGrid adapts a PhaseHeatmap to plotter.GridXYZ: column c is the c-th
// swept N, row r the r-th swept d.
type heatGrid struct{ h PhaseHeatmap }

func (g heatGrid) Dims() (c, r int)   { return len(g.h.Samples), len(g.h.Dims) }
func (g heatGrid) Z(c, r int) float64 { return g.h.Rate[r][c] }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

// PhaseReport draws a success-rate heatmap per (n, K, noise) panel with the
// boundary N* and returns the markdown section.
func PhaseReport(ctx context.Context, out, runID, dir string) (string, error) {
	md := &strings.Builder{}
	sum, err := tables.ReadRun[transforms.PhaseSummaryRow](ctx, out, pipelines.PhaseSummaryTable, runID)
	if err != nil {
		return "", err
	}
	bounds, err := tables.ReadRun[transforms.PhaseBoundaryRow](ctx, out, pipelines.PhaseBoundaryTable, runID)
	if err != nil {
		return "", err
	}
	for _, h := range PhaseHeatmaps(sum) {
		name := fmt.Sprintf("phase-n%d-K%d-noise%g.png", h.AmbientDim, h.Components, h.Noise)
		if err := phaseHeatmap(filepath.Join(dir, name), h, bounds); err != nil {
			return "", err
		}
		fmt.Fprintf(md, "## n = %d, K = %d, noise = %g\n\n![success rate](%s)\n\n", h.AmbientDim, h.Components, h.Noise, name)
		fmt.Fprintf(md, "| d | N* | N* interpolated |\n|---|---|---|\n")
		for _, b := range sortedBounds(bounds, h) {
			fmt.Fprintf(md, "| %d | %s | %s |\n", b.IntrinsicDim, optInt(b.NStar), optFloat(b.NStarInterp))
		}
		md.WriteString("\n")
	}
	fmt.Fprintf(md, "Slope of N* in d per (n, K, noise):\n\n```sql\nSELECT ambient_dim, components, noise, regr_slope(n_star, intrinsic_dim) AS slope,\n       regr_r2(n_star, intrinsic_dim) AS r2\nFROM read_parquet('%s/phase_boundary/**/*.parquet', hive_partitioning=1)\nWHERE run_id = '%s' GROUP BY ALL ORDER BY ALL;\n```\n\n", out, runID)
	return md.String(), nil
}

func sortedBounds(bounds []transforms.PhaseBoundaryRow, h PhaseHeatmap) []transforms.PhaseBoundaryRow {
	var sel []transforms.PhaseBoundaryRow
	for _, b := range bounds {
		if b.AmbientDim == h.AmbientDim && b.Components == h.Components && b.Noise == h.Noise {
			sel = append(sel, b)
		}
	}
	sort.Slice(sel, func(i, j int) bool { return sel[i].IntrinsicDim < sel[j].IntrinsicDim })
	return sel
}

func optFloat(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", *p)
}

// phaseHeatmap draws the success rate over (N, d), one cell per swept
// pair with ticks at the swept values, a colour bar, and the boundary N*(d).
func phaseHeatmap(file string, h PhaseHeatmap, bounds []transforms.PhaseBoundaryRow) error {
	xs := make([]string, len(h.Samples))
	for i, n := range h.Samples {
		xs[i] = fmt.Sprint(n)
	}
	ys := make([]string, len(h.Dims))
	for i, d := range h.Dims {
		ys[i] = fmt.Sprint(d)
	}
	pn := heatPanel(fmt.Sprintf("recovery success rate: n = %d, K = %d, noise = %g", h.AmbientDim, h.Components, h.Noise),
		"samples per component N", "intrinsic dimension d", heatGrid{h}, xs, ys, 0, 1, moreland.SmoothBlueRed(), "success rate (fraction of trials)")
	var line plotter.XYs
	for _, b := range sortedBounds(bounds, h) {
		i := slices.Index(h.Dims, b.IntrinsicDim)
		if b.NStarInterp != nil && !math.IsNaN(*b.NStarInterp) && i >= 0 {
			line = append(line, plotter.XY{X: sampleIndex(h.Samples, *b.NStarInterp), Y: float64(i)})
		}
	}
	if len(line) > 1 {
		l, err := plotter.NewLine(line)
		if err != nil {
			return err
		}
		l.Width = vg.Points(2.5)
		l.Color = color.Black
		pn.Add(l)
		pn.Legend.Add("boundary N*(d), interpolated", l)
	}
	fig := Figure{
		Caption: fmt.Sprintf("Fraction of trials recovering every component (n = %d, K = %d, noise = %g) per swept (N, d); grey cells were not swept.", h.AmbientDim, h.Components, h.Noise),
		Panels:  []*Panel{pn},
	}
	return fig.Save(file)
}

// sampleIndex maps N to the heatmap's column coordinate: the index of the
// swept values, linear between them.
func sampleIndex(samples []int64, n float64) float64 {
	if len(samples) == 1 || n <= float64(samples[0]) {
		return 0
	}
	for j := 1; j < len(samples); j++ {
		a, b := float64(samples[j-1]), float64(samples[j])
		if n <= b {
			return float64(j-1) + (n-a)/(b-a)
		}
	}
	return float64(len(samples) - 1)
}

// PhaseSummary prints the cells, trials and N* per d of a phase_transition run.
func PhaseSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	runID := run.RunID
	sum, err := tables.ReadRun[transforms.PhaseSummaryRow](ctx, out, pipelines.PhaseSummaryTable, runID)
	if err != nil {
		return err
	}
	bounds, err := tables.ReadRun[transforms.PhaseBoundaryRow](ctx, out, pipelines.PhaseBoundaryTable, runID)
	if err != nil {
		return err
	}
	var trials int64
	for _, s := range sum {
		trials += s.Trials
	}
	fmt.Fprintf(w, "\n%d cells, %d trials\n", len(sum), trials)
	for _, h := range PhaseHeatmaps(sum) {
		var parts []string
		for _, b := range sortedBounds(bounds, h) {
			parts = append(parts, fmt.Sprintf("d=%d: %s", b.IntrinsicDim, optInt(b.NStar)))
		}
		fmt.Fprintf(w, "  n=%d K=%d noise=%g  N*  %s\n", h.AmbientDim, h.Components, h.Noise, strings.Join(parts, "  "))
	}
	fmt.Fprintln(w)
	return nil
}

// PhaseHeatmap is the success rate of one (ambient_dim, components, noise)
// panel over intrinsic_dim (rows, ascending) × samples_per_component
// (columns, ascending); Rate is NaN where no cell was swept.
type PhaseHeatmap struct {
	AmbientDim int64
	Components int64
	Noise      float64
	Dims       []int64
	Samples    []int64
	Rate       [][]float64 // Rate[i][j] at Dims[i], Samples[j]
}

// PhaseHeatmaps arranges phase_summary rows (of one run) as heatmaps, one per
// (ambient_dim, components, noise), in ascending order of those.
func PhaseHeatmaps(rows []transforms.PhaseSummaryRow) []PhaseHeatmap {
	type panelKey struct {
		n, k  int64
		noise float64
	}
	groups := map[panelKey][]transforms.PhaseSummaryRow{}
	var keys []panelKey
	for _, r := range rows {
		k := panelKey{r.AmbientDim, r.Components, r.Noise}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortFunc(keys, func(a, b panelKey) int {
		switch {
		case a.n != b.n:
			return int(a.n - b.n)
		case a.k != b.k:
			return int(a.k - b.k)
		}
		switch {
		case a.noise < b.noise:
			return -1
		case a.noise > b.noise:
			return 1
		}
		return 0
	})
	var maps []PhaseHeatmap
	for _, k := range keys {
		g := groups[k]
		h := PhaseHeatmap{AmbientDim: k.n, Components: k.k, Noise: k.noise}
		for _, r := range g {
			if !slices.Contains(h.Dims, r.IntrinsicDim) {
				h.Dims = append(h.Dims, r.IntrinsicDim)
			}
			if !slices.Contains(h.Samples, r.SamplesPerComponent) {
				h.Samples = append(h.Samples, r.SamplesPerComponent)
			}
		}
		slices.Sort(h.Dims)
		slices.Sort(h.Samples)
		h.Rate = make([][]float64, len(h.Dims))
		for i := range h.Rate {
			h.Rate[i] = make([]float64, len(h.Samples))
			for j := range h.Rate[i] {
				h.Rate[i][j] = math.NaN()
			}
		}
		for _, r := range g {
			i, _ := slices.BinarySearch(h.Dims, r.IntrinsicDim)
			j, _ := slices.BinarySearch(h.Samples, r.SamplesPerComponent)
			h.Rate[i][j] = r.SuccessRate
		}
		maps = append(maps, h)
	}
	return maps
}
