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
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
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

// Studies looks up the report section and the console summary of a study
// by name (either may be nil).
type Studies func(study string) (Section, Summary, error)

// Write writes the report folder OUT/report of run runID: report.md with the
// run's details, its study's section (figures as PNG and SVG beside it,
// each with its caption) and how to query its tables; and index.html, one
// self-contained page with a section for every run in OUT (newest first).
// It returns the report folder.
func Write(ctx context.Context, out, runID string, studies Studies) (string, error) {
	dir := filepath.Join(out, "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	runs, err := tables.ReadTable[pipelines.RunRow](ctx, out, pipelines.RunsTable)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(runs, func(r pipelines.RunRow) bool { return r.RunID == runID })
	if i < 0 {
		return "", fmt.Errorf("%s: no run %q", out, runID)
	}
	run := runs[i]
	doc, err := runDocument(ctx, out, run, dir, studies)
	if err != nil {
		return "", err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# lowdim report: %s (%s study)\n\n", run.Name, run.Study)
	fmt.Fprintf(&md, "- run `%s`, runner `%s`, lowdim %s\n- started %s, took %.1f s\n- rows read %d in %d shards, bad rows %d\n\n",
		run.RunID, run.Runner, run.LowdimVersion, run.StartedAt.Format(time.RFC3339), run.FinishedAt.Sub(run.StartedAt).Seconds(),
		run.RowsRead, run.Shards, run.BadRows)
	md.WriteString(doc.section)
	md.WriteString(doc.query)
	md.WriteString("The same report with every run of this folder, for a browser: [index.html](index.html).\n")
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644); err != nil {
		return "", err
	}
	docs := map[string]runDoc{runID: doc}
	for _, r := range runs {
		if r.RunID == runID {
			continue
		}
		tmp, err := os.MkdirTemp("", "lowdim-report-")
		if err != nil {
			return "", err
		}
		d, err := runDocument(ctx, out, r, tmp, studies)
		if err != nil {
			d = runDoc{run: r, dir: tmp, failed: err}
		}
		d.html = sectionHTML(d)
		os.RemoveAll(tmp)
		docs[r.RunID] = d
	}
	doc.html = sectionHTML(doc)
	docs[runID] = doc
	if err := writeIndex(out, dir, runID, runs, docs); err != nil {
		return "", err
	}
	return dir, nil
}

// runDoc is what the report holds of one run: its section's markdown (with
// figures in dir and their captions), how to query its tables, and the
// console summary.
type runDoc struct {
	run            pipelines.RunRow
	dir            string
	section, query string
	summary        string
	tables         []string // table folders of the run
	failed         error    // the section could not be drawn
	html           string
}

func runDocument(ctx context.Context, out string, run pipelines.RunRow, dir string, studies Studies) (runDoc, error) {
	d := runDoc{run: run, dir: dir}
	var section Section
	var summary Summary
	if studies != nil {
		var err error
		if section, summary, err = studies(run.Study); err != nil {
			return d, err
		}
	}
	if section != nil {
		text, err := section(ctx, out, run.RunID, dir)
		if err != nil {
			return d, err
		}
		d.section = captionFigures(text, dir) + "\n"
	}
	if summary != nil {
		var b strings.Builder
		if err := summary(ctx, &b, out, run); err != nil {
			return d, err
		}
		d.summary = strings.TrimSpace(b.String())
	}
	runFolders, err := files.List(ctx, tables.Join(out, "*", "run="+run.RunID))
	if err != nil {
		return d, err
	}
	var q strings.Builder
	fmt.Fprintf(&q, "## Query the tables\n\n")
	for _, t := range runFolders {
		name := filepath.Base(filepath.Dir(t))
		d.tables = append(d.tables, t)
		if name == pipelines.CheckpointsFolder {
			fmt.Fprintf(&q, "Checkpoints (safetensors, one folder per trained model) are in `%s`; a rank_dynamics spec reads them.\n\n", t)
			continue
		}
		fmt.Fprintf(&q, "```sql\nSELECT * FROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=1) WHERE run_id = '%s';\n```\n", out, name, run.RunID)
	}
	q.WriteString("\n")
	d.query = q.String()
	return d, nil
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

// screePlot draws, per component, the fraction of the variance it explains
// (log scale: the fractions span decades) and the cumulative fraction with
// the 90 % and 99 % energy ranks marked.
func screePlot(file string, s transforms.SpectrumSummaryRow, vals []transforms.SpectrumRow) error {
	frac := make(plotter.XYs, len(vals))
	cum := make(plotter.XYs, len(vals))
	total := 0.0
	for i, v := range vals {
		total += v.ExplainedVarianceRatio
		frac[i] = plotter.XY{X: float64(v.Index), Y: max(v.ExplainedVarianceRatio, 1e-300)}
		cum[i] = plotter.XY{X: float64(v.Index), Y: total}
	}
	left := newPanel("variance explained by each component", "component i", "σᵢ² / ‖A‖² (Frobenius), log scale")
	logAxis(&left.Y)
	left.X.Tick.Marker = intTicks{}
	sc, err := plotter.NewScatter(frac)
	if err != nil {
		return err
	}
	sc.Radius = vg.Points(2.5)
	left.Add(plotter.NewGrid(), sc)

	right := newPanel("cumulative variance explained", "number of components r", "cumulative fraction of ‖A‖² (Frobenius)")
	right.X.Tick.Marker = intTicks{}
	line, pts, err := plotter.NewLinePoints(cum)
	if err != nil {
		return err
	}
	pts.Radius = vg.Points(1.5)
	right.Add(plotter.NewGrid(), line, pts)
	right.Legend.Add("cumulative fraction", line, pts)
	right.Y.Min, right.Y.Max = 0, 1
	for i, x := range []struct {
		frac float64
		r    *int64
	}{{0.90, s.EnergyRank90}, {0.99, s.EnergyRank99}} {
		if x.r != nil {
			ref := vLine(float64(*x.r), plotutil.Color(i+1), true)
			right.Add(ref)
			right.Legend.Add(fmt.Sprintf("%.0f %% energy rank r = %d", 100*x.frac, *x.r), ref)
		}
	}
	fig := Figure{
		Caption: fmt.Sprintf("Scree plot of %s (%d × %d, %s): the fraction of the squared Frobenius norm in each of the top %d singular values, and its running sum.",
			s.Dataset, s.Rows, s.Cols, centredWord(s.Centered), s.K),
		Width:  9 * vg.Inch,
		Panels: []*Panel{left, right},
	}
	return fig.Save(file)
}
