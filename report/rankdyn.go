package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// reportLegendMax is the most tensors a plot names in its legend.
const reportLegendMax = 12

// RankDynamicsReport reads the committed rank_dynamics and rank_drift
// tables of run runID under out, draws into the folder dir (created if
// needed) one PNG per metric over steps with one line per tensor
// (rank-dynamics-<metric>.png, rank-drift-<metric>.png), and returns the
// Markdown section that shows them, with a table of each tensor's first
// and last step. It returns an error when the run has no rank_dynamics rows.
func RankDynamicsReport(ctx context.Context, out, runID, dir string) (markdown string, err error) {
	rows, err := tables.ReadRun[transforms.RankDynamicsRow](ctx, out, pipelines.RankDynamicsTable, runID)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", fmt.Errorf("%s: no %s rows for run %q", out, pipelines.RankDynamicsTable, runID)
	}
	drift, err := tables.ReadRun[transforms.RankDriftRow](ctx, out, pipelines.RankDriftTable, runID)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	slices.SortFunc(rows, func(a, b transforms.RankDynamicsRow) int {
		if c := strings.Compare(a.Tensor, b.Tensor); c != 0 {
			return c
		}
		return cmpInt64(a.Step, b.Step)
	})
	slices.SortFunc(drift, func(a, b transforms.RankDriftRow) int {
		if c := strings.Compare(a.Tensor, b.Tensor); c != 0 {
			return c
		}
		return cmpInt64(a.StepTo, b.StepTo)
	})
	var tensors []string
	for _, r := range rows {
		if len(tensors) == 0 || tensors[len(tensors)-1] != r.Tensor {
			tensors = append(tensors, r.Tensor)
		}
	}
	var md strings.Builder
	fmt.Fprintf(&md, "## Rank dynamics: %d matrices over %d rows\n\n", len(tensors), len(rows))
	if len(tensors) > reportLegendMax {
		fmt.Fprintf(&md, "Plots draw every tensor; legends name none beyond %d tensors — query the tables to pick some.\n\n", reportLegendMax)
	}
	opt := func(p *int64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return float64(*p), true
	}
	optF := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	type metric struct {
		col, label string
		val        func(transforms.RankDynamicsRow) (float64, bool)
	}
	metrics := []metric{
		{"stable_rank", "stable rank = Frobenius² / spectral norm²", func(r transforms.RankDynamicsRow) (float64, bool) { return r.StableRank, true }},
		{"rankme", "RankMe = exp(entropy of σ/Σσ)", func(r transforms.RankDynamicsRow) (float64, bool) { return r.RankMe, true }},
		{"energy_rank_90", "energy rank r₀.₉₀", func(r transforms.RankDynamicsRow) (float64, bool) { return opt(r.EnergyRank90) }},
		{"energy_rank_99", "energy rank r₀.₉₉", func(r transforms.RankDynamicsRow) (float64, bool) { return opt(r.EnergyRank99) }},
		{"alpha_req", "α-ReQ (eigenvalue decay)", func(r transforms.RankDynamicsRow) (float64, bool) { return optF(r.AlphaReQ) }},
		{"spectral_norm", "spectral norm σ₁", func(r transforms.RankDynamicsRow) (float64, bool) { return r.SpectralNorm, true }},
		{"frobenius_norm", "Frobenius norm", func(r transforms.RankDynamicsRow) (float64, bool) { return r.FrobeniusNorm, true }},
		{"welore_rank_reduction", "WeLore rank reduction 1 − r(τ) / min(m, n)", func(r transforms.RankDynamicsRow) (float64, bool) { return optF(r.WeloreRankReduction) }},
		{"twonn", "TwoNN intrinsic dimension of the rows (representations)", func(r transforms.RankDynamicsRow) (float64, bool) { return optF(r.TwoNN) }},
	}
	md.WriteString("### Spectral measures over training\n\n")
	var figs []func() error // independent figures, drawn together on the worker pool
	for _, m := range metrics {
		series := map[string]plotter.XYs{}
		for _, r := range rows {
			if v, ok := m.val(r); ok {
				series[r.Tensor] = append(series[r.Tensor], plotter.XY{X: float64(r.Step), Y: v})
			}
		}
		if len(series) == 0 {
			continue
		}
		name := "rank-dynamics-" + m.col + ".png"
		caption := fmt.Sprintf("%s of each weight matrix at each checkpoint step (%d tensors).", upperFirst(m.label), len(series))
		figs = append(figs, func() error {
			return linesPlot(filepath.Join(dir, name), m.label+" per tensor", m.label, caption, tensors, series)
		})
		fmt.Fprintf(&md, "![%s](%s)\n\n", m.col, name)
	}
	alphaMD, err := alphaReportSection(dir, out, runID, rows, tensors)
	if err != nil {
		return "", err
	}
	md.WriteString(alphaMD)
	if len(drift) > 0 {
		md.WriteString("### Drift of the top-k right singular subspaces between consecutive steps\n\n")
		for _, m := range []struct {
			col, label string
			val        func(transforms.RankDriftRow) float64
		}{
			{"mean_principal_angle", "mean principal angle (rad)", func(r transforms.RankDriftRow) float64 { return r.MeanPrincipalAngle }},
			{"subspace_overlap", "subspace overlap = mean cos² θ", func(r transforms.RankDriftRow) float64 { return r.SubspaceOverlap }},
		} {
			series := map[string]plotter.XYs{}
			for _, r := range drift {
				series[r.Tensor] = append(series[r.Tensor], plotter.XY{X: float64(r.StepTo), Y: m.val(r)})
			}
			name := "rank-drift-" + m.col + ".png"
			caption := fmt.Sprintf("%s between the top-k right singular subspaces of each tensor at a step and at the step before (%d tensors).", upperFirst(m.label), len(series))
			figs = append(figs, func() error {
				return linesPlot(filepath.Join(dir, name), m.label+" from the previous step", m.label, caption, tensors, series)
			})
			fmt.Fprintf(&md, "![%s](%s)\n\n", m.col, name)
		}
	}
	if err := drawAll(figs); err != nil {
		return "", err
	}
	md.WriteString("### First and last step of each tensor\n\n")
	md.WriteString("| tensor | shape | step | stable rank | RankMe | energy rank 90 / 99 % | α-ReQ | WeLore rank (LRC) | σ₁ |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, r := range rows {
		first := i == 0 || rows[i-1].Tensor != r.Tensor
		last := i == len(rows)-1 || rows[i+1].Tensor != r.Tensor
		if !first && !last {
			continue
		}
		welore := "–"
		if r.WeloreRank != nil {
			welore = fmt.Sprint(*r.WeloreRank)
			if *r.WeloreLowRank {
				welore += " (LRC)"
			}
		}
		alpha := "–"
		if r.AlphaReQ != nil {
			alpha = fmt.Sprintf("%.3f", *r.AlphaReQ)
		}
		fmt.Fprintf(&md, "| %s | %d × %d | %d | %.3f | %.3f | %s / %s | %s | %s | %.4g |\n",
			r.Tensor, r.Rows, r.Cols, r.Step, r.StableRank, r.RankMe, reportInt(r.EnergyRank90), reportInt(r.EnergyRank99), alpha, welore, r.SpectralNorm)
	}
	md.WriteString("\n")
	fmt.Fprintf(&md, "Per-tensor change of stable rank from the first to the last step:\n\n```sql\nSELECT tensor, arg_min(stable_rank, step) AS first, arg_max(stable_rank, step) AS last\nFROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=1)\nWHERE run_id = '%s' GROUP BY tensor ORDER BY last / first;\n```\n\n", out, pipelines.RankDynamicsTable, runID)
	return md.String(), nil
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func reportInt(p *int64) string {
	if p == nil {
		return "> k"
	}
	return fmt.Sprint(*p)
}

// linesPlot draws one line with points per tensor, in the order of
// tensors, and saves it as a PNG and SVG.
func linesPlot(file, title, ylabel, caption string, tensors []string, series map[string]plotter.XYs) error {
	p := newPanel(title, "training step", ylabel)
	p.Add(plotter.NewGrid())
	legend := len(tensors) <= reportLegendMax
	steps, err := addTensorLines(p, file, tensors, series, legend)
	if err != nil {
		return err
	}
	p.X.Tick.Marker = dataTicks(steps)
	fig := Figure{Caption: caption, Panels: []*Panel{p}}
	return fig.Save(file)
}

// addTensorLines draws one line with points per tensor of series (x: step),
// in a colour, dash and shape of its own, named in the legend when legend
// is set, and returns the steps drawn.
func addTensorLines(p *Panel, file string, tensors []string, series map[string]plotter.XYs, legend bool) ([]float64, error) {
	var steps []float64
	for i, t := range tensors {
		xys, ok := series[t]
		if !ok {
			continue
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, t, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / len(plotutil.DefaultColors))
		s.Color = l.Color
		s.Shape = plotutil.Shape(i)
		thumbs := []plot.Thumbnailer{s}
		if hasExtent(xys) {
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		p.Add(s)
		if legend {
			p.Legend.Add(t, thumbs...)
		}
		for _, q := range xys {
			steps = append(steps, q.X)
		}
	}
	return steps, nil
}
