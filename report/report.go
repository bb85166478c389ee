// Package report holds every console summary and every report of lowdim's
// studies. Each reads committed tables (package io/tables), never a
// pipeline's in-memory state, so `lowdim report OUT` can redraw any run.
package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// Summary prints the console summary of a committed run.
type Summary func(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error

// Section writes the plots of a committed run into dir and returns the
// markdown that shows them.
type Section func(ctx context.Context, out, runID, dir string) (markdown string, err error)

// LatestRun is the run of out that started last.
func LatestRun(ctx context.Context, out string) (pipelines.RunRow, error) {
	runs, err := tables.ReadTable[pipelines.RunRow](ctx, out, pipelines.RunsTable)
	if err != nil {
		return pipelines.RunRow{}, err
	}
	if len(runs) == 0 {
		return pipelines.RunRow{}, fmt.Errorf("%s: no runs table (is this a lowdim output directory?)", out)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].StartedAt.Before(runs[j].StartedAt) })
	return runs[len(runs)-1], nil
}

// SpectrumSummary prints the shape, top singular values and spectral metrics
// of each data set of a spectrum run.
func SpectrumSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	runID, took := run.RunID, run.FinishedAt.Sub(run.StartedAt)
	sums, err := tables.ReadRun[transforms.SpectrumSummaryRow](ctx, out, pipelines.SpectrumSummaryTable, runID)
	if err != nil {
		return err
	}
	sigma, err := tables.ReadRun[transforms.SpectrumRow](ctx, out, pipelines.SpectrumTable, runID)
	if err != nil {
		return err
	}
	sort.Slice(sigma, func(i, j int) bool { return sigma[i].Index < sigma[j].Index })
	for _, s := range sums {
		fmt.Fprintf(w, "\n%s: %d × %d in %d shards, %s in %.1fs (rows read %d, bad rows %d)\n",
			s.Dataset, s.Rows, s.Cols, s.Shards, centredWord(s.Centered), took.Seconds(), run.RowsRead, run.BadRows)
		var top []string
		for _, r := range sigma {
			if r.Dataset == s.Dataset && r.Index <= 8 {
				top = append(top, fmt.Sprintf("%.4g", r.Sigma))
			}
		}
		fmt.Fprintf(w, "  top singular values  %s\n", strings.Join(top, "  "))
		fmt.Fprintf(w, "  RankMe %.2f   stable rank %.2f   α-ReQ %s (R² %s)   spectral entropy %.3f\n",
			s.RankMe, s.StableRank, optFloat(s.AlphaReQ), optFloat(s.AlphaReQR2), s.SpectralEntropy)
		fmt.Fprintf(w, "  energy ranks  90%%: %s   95%%: %s   99%%: %s   (of top k = %d)\n",
			optInt(s.EnergyRank90), optInt(s.EnergyRank95), optInt(s.EnergyRank99), s.K)
		spectrumClassesSummary(w, s)
		fmt.Fprintf(w, "  coding rate R(Z, ε=%.2g) %.2f nats   error bound on σ² %.3g (relative %.2g)\n\n",
			s.CodingRateEps, s.CodingRate, s.ErrorEstimate, s.RelativeError)
	}
	return nil
}

func centredWord(c bool) string {
	if c {
		return "centred"
	}
	return "uncentred"
}

func optInt(p *int64) string {
	if p == nil {
		return "> k"
	}
	return fmt.Sprint(*p)
}

// Write writes OUT/report/report.md and the plots of one run: the run's
// details, the study's section (nil for none) and how to query its tables.
// It returns the report folder.
func Write(ctx context.Context, out, runID string, section Section) (string, error) {
	dir := filepath.Join(out, "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	runs, err := tables.ReadRun[pipelines.RunRow](ctx, out, pipelines.RunsTable, runID)
	if err != nil {
		return "", err
	}
	if len(runs) == 0 {
		return "", fmt.Errorf("%s: no run %q", out, runID)
	}
	run := runs[0]
	var md strings.Builder
	fmt.Fprintf(&md, "# lowdim report: %s (%s study)\n\n", run.Name, run.Study)
	fmt.Fprintf(&md, "- run `%s`, runner `%s`, lowdim %s\n- started %s, took %.1f s\n- rows read %d in %d shards, bad rows %d\n\n",
		run.RunID, run.Runner, run.LowdimVersion, run.StartedAt.Format(time.RFC3339), run.FinishedAt.Sub(run.StartedAt).Seconds(),
		run.RowsRead, run.Shards, run.BadRows)
	if section != nil {
		text, err := section(ctx, out, runID, dir)
		if err != nil {
			return "", err
		}
		md.WriteString(text)
		md.WriteString("\n")
	}
	runFolders, err := files.List(ctx, tables.Join(out, "*", "run="+runID))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&md, "## Query the tables\n\n")
	for _, t := range runFolders {
		name := filepath.Base(filepath.Dir(t))
		if name == pipelines.CheckpointsFolder {
			fmt.Fprintf(&md, "Checkpoints (safetensors, one folder per trained model) are in `%s`; a rank_dynamics spec reads them.\n\n", t)
			continue
		}
		fmt.Fprintf(&md, "```sql\nSELECT * FROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=1) WHERE run_id = '%s';\n```\n", out, name, runID)
	}
	return dir, os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644)
}

// SpectrumReport draws a scree plot per data set of a spectrum run and
// returns its markdown with the metrics table.
func SpectrumReport(ctx context.Context, out, runID, dir string) (string, error) {
	md := &strings.Builder{}
	sums, err := tables.ReadRun[transforms.SpectrumSummaryRow](ctx, out, pipelines.SpectrumSummaryTable, runID)
	if err != nil {
		return "", err
	}
	sigma, err := tables.ReadRun[transforms.SpectrumRow](ctx, out, pipelines.SpectrumTable, runID)
	if err != nil {
		return "", err
	}
	sort.Slice(sigma, func(i, j int) bool { return sigma[i].Index < sigma[j].Index })
	for _, s := range sums {
		var vals []transforms.SpectrumRow
		for _, r := range sigma {
			if r.Dataset == s.Dataset {
				vals = append(vals, r)
			}
		}
		png := "scree-" + s.Dataset + ".png"
		if err := screePlot(filepath.Join(dir, png), s, vals); err != nil {
			return "", err
		}
		fmt.Fprintf(md, "## %s\n\n![scree plot](%s)\n\n", s.Dataset, png)
		fmt.Fprintf(md, "| metric | value |\n|---|---|\n")
		fmt.Fprintf(md, "| shape | %d × %d (%s), %d shards |\n| k | %d |\n", s.Rows, s.Cols, centredWord(s.Centered), s.Shards, s.K)
		fmt.Fprintf(md, "| RankMe | %.3f |\n| stable rank | %.3f |\n| α-ReQ (R²) | %s (%s) |\n", s.RankMe, s.StableRank, optFloat(s.AlphaReQ), optFloat(s.AlphaReQR2))
		fmt.Fprintf(md, "| energy rank 90 / 95 / 99 %% | %s / %s / %s |\n", optInt(s.EnergyRank90), optInt(s.EnergyRank95), optInt(s.EnergyRank99))
		fmt.Fprintf(md, "| nuclear norm (top k) | %.4g |\n| spectral norm | %.4g |\n| Frobenius norm | %.4g |\n", s.NuclearNorm, s.SpectralNorm, s.FrobeniusNorm)
		fmt.Fprintf(md, "| coding rate R(Z, ε=%.2g) | %.3f nats |\n| spectral entropy | %.3f |\n", s.CodingRateEps, s.CodingRate, s.SpectralEntropy)
		fmt.Fprintf(md, "| error bound on σᵢ² (relative) | %.3g (%.2g) |\n\n", s.ErrorEstimate, s.RelativeError)
		classes, err := spectrumClassesSection(ctx, out, runID, dir, s)
		if err != nil {
			return "", err
		}
		md.WriteString(classes)
	}
	return md.String(), nil
}

// screePlot draws the explained variance ratio of each σᵢ and its cumulative sum,
// with the energy ranks marked.
func screePlot(file string, s transforms.SpectrumSummaryRow, vals []transforms.SpectrumRow) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: scree plot (%d × %d)", s.Dataset, s.Rows, s.Cols)
	p.X.Label.Text = "index i"
	p.Y.Label.Text = "explained variance ratio σᵢ²/‖A‖²_F (bars), cumulative (line)"
	bars := make(plotter.XYs, len(vals))
	cum := make(plotter.XYs, len(vals))
	total := 0.0
	for i, v := range vals {
		total += v.ExplainedVarianceRatio
		bars[i] = plotter.XY{X: float64(v.Index), Y: v.ExplainedVarianceRatio}
		cum[i] = plotter.XY{X: float64(v.Index), Y: total}
	}
	sc, err := plotter.NewScatter(bars)
	if err != nil {
		return err
	}
	line, err := plotter.NewLine(cum)
	if err != nil {
		return err
	}
	p.Add(sc, line, plotter.NewGrid())
	p.Legend.Add("σᵢ²/‖A‖²_F", sc)
	p.Legend.Add("cumulative", line)
	p.Legend.Top = true
	p.Legend.YOffs = -1.2 * vg.Inch // between the cumulative curve and the points
	p.Y.Min, p.Y.Max = 0, 1
	for _, x := range []struct {
		frac float64
		r    *int64
	}{{0.90, s.EnergyRank90}, {0.99, s.EnergyRank99}} {
		if x.r != nil {
			ref, _ := plotter.NewLine(plotter.XYs{{X: float64(*x.r), Y: 0}, {X: float64(*x.r), Y: 1}})
			ref.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(ref)
			p.Legend.Add(fmt.Sprintf("energy rank %.0f%% = %d", 100*x.frac, *x.r), ref)
		}
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, file)
}
