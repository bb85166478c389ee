package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// WeightWatcher's reading of the power-law exponent α of a layer's ESD
// (Martin & Mahoney 2021, JMLR 22(165); Martin, Peng & Mahoney 2021):
// 2 ≤ α ≤ 6 is a well-trained layer, α < 2 a very heavy tail (possibly
// over-trained), α > 6 a layer close to random (under-trained).
const (
	alphaBandLow  = 2.0
	alphaBandHigh = 6.0
)

// alphaTrack is the alpha column of one tensor over its steps.
type alphaTrack struct {
	tensor      string
	first, last *transforms.RankDynamicsRow // first and last step with alpha
	outside     []int64                     // steps whose alpha is outside the band
}

// alphaTracks returns the tracks of the tensors with at least one alpha,
// sorted by name; rows must be sorted by (tensor, step).
func alphaTracks(rows []transforms.RankDynamicsRow) []alphaTrack {
	var out []alphaTrack
	for i := range rows {
		r := &rows[i]
		if r.Alpha == nil {
			continue
		}
		if len(out) == 0 || out[len(out)-1].tensor != r.Tensor {
			out = append(out, alphaTrack{tensor: r.Tensor, first: r})
		}
		tr := &out[len(out)-1]
		tr.last = r
		if *r.Alpha < alphaBandLow || *r.Alpha > alphaBandHigh {
			tr.outside = append(tr.outside, r.Step)
		}
	}
	return out
}

// byTensorStep orders rank_dynamics rows by tensor, then step.
func byTensorStep(a, b transforms.RankDynamicsRow) int {
	if c := strings.Compare(a.Tensor, b.Tensor); c != 0 {
		return c
	}
	return cmpInt64(a.Step, b.Step)
}

// writeAlphaSummary prints α per tensor from its first to its last step and
// the tensors whose α left the 2–6 band (at which steps); nothing when no
// row has an alpha.
func writeAlphaSummary(w io.Writer, rows []transforms.RankDynamicsRow) {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, byTensorStep)
	tracks := alphaTracks(rows)
	if len(tracks) == 0 {
		return
	}
	fmt.Fprintf(w, "  power-law α of σ² (Clauset fit; WeightWatcher: %g–%g well trained), first → last step\n", alphaBandLow, alphaBandHigh)
	var left []string
	for _, tr := range tracks {
		fmt.Fprintf(w, "    %-32s α %.2f → %.2f  (steps %d → %d)\n", tr.tensor, *tr.first.Alpha, *tr.last.Alpha, tr.first.Step, tr.last.Step)
		if len(tr.outside) > 0 {
			left = append(left, fmt.Sprintf("%s (%s)", tr.tensor, stepList(tr.outside)))
		}
	}
	if len(left) == 0 {
		fmt.Fprintf(w, "    α stayed in [%g, %g] for every tensor\n", alphaBandLow, alphaBandHigh)
	} else {
		fmt.Fprintf(w, "    α outside [%g, %g]: %s\n", alphaBandLow, alphaBandHigh, strings.Join(left, ", "))
	}
}

// stepList writes steps as "step 5" or "steps 0, 20, … 188" (at most 4 named).
func stepList(steps []int64) string {
	if len(steps) == 1 {
		return fmt.Sprintf("step %d", steps[0])
	}
	var s []string
	for i, st := range steps {
		if i == 3 && len(steps) > 4 {
			s = append(s, "…", fmt.Sprint(steps[len(steps)-1]))
			break
		}
		s = append(s, fmt.Sprint(st))
	}
	return "steps " + strings.Join(s, ", ")
}

// alphaReportSection draws rank-dynamics-alpha.png (α per tensor over
// steps, one line per tensor, the 2–6 band shaded) into dir and returns
// its Markdown with a table of α first → last per tensor and the DuckDB
// query; "" when no row has an alpha. rows must be sorted by (tensor, step).
func alphaReportSection(dir, out, runID string, rows []transforms.RankDynamicsRow, tensors []string) (string, error) {
	tracks := alphaTracks(rows)
	if len(tracks) == 0 {
		return "", nil
	}
	series := map[string]plotter.XYs{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if r.Alpha != nil {
			series[r.Tensor] = append(series[r.Tensor], plotter.XY{X: float64(r.Step), Y: *r.Alpha})
			lo, hi = min(lo, float64(r.Step)), max(hi, float64(r.Step))
		}
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	const name = "rank-dynamics-alpha.png"
	if err := alphaPlot(filepath.Join(dir, name), tensors, series, lo, hi); err != nil {
		return "", err
	}
	var md strings.Builder
	md.WriteString("### Heavy-tailed self-regularisation: power-law α of each ESD\n\n")
	fmt.Fprintf(&md, "α is the Clauset–Shalizi–Newman fit to the tail of λ = σ² (WeightWatcher's `alpha`); the shaded band is WeightWatcher's reading %g ≤ α ≤ %g, a well-trained layer (below: very heavy tail, possibly over-trained; above: close to random).\n\n", alphaBandLow, alphaBandHigh)
	fmt.Fprintf(&md, "![alpha](%s)\n\n", name)
	md.WriteString("| tensor | α first | α last | steps | tail (values) last | KS last | outside 2–6 |\n|---|---|---|---|---|---|---|\n")
	for _, tr := range tracks {
		outside := "–"
		if len(tr.outside) > 0 {
			outside = stepList(tr.outside)
		}
		fmt.Fprintf(&md, "| %s | %.3f | %.3f | %d → %d | %d | %.3f | %s |\n", tr.tensor, *tr.first.Alpha, *tr.last.Alpha, tr.first.Step, tr.last.Step,
			*tr.last.AlphaTail, *tr.last.AlphaKS, outside)
	}
	fmt.Fprintf(&md, "\n```sql\nSELECT tensor, step, alpha, alpha_xmin, alpha_tail, alpha_ks, alpha_weighted, log_spectral_norm\nFROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=1)\nWHERE run_id = '%s' AND alpha IS NOT NULL ORDER BY tensor, step;\n```\n\n", out, pipelines.RankDynamicsTable, runID)
	return md.String(), nil
}

// alphaPlot is linesPlot with the band [alphaBandLow, alphaBandHigh] shaded
// over the steps [x0, x1].
func alphaPlot(file string, tensors []string, series map[string]plotter.XYs, x0, x1 float64) error {
	p := newPanel("power-law exponent α of each tensor's eigenvalues", "training step", "α of the tail of λ = σ² (Clauset MLE)")
	band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: alphaBandLow}, {X: x1, Y: alphaBandLow}, {X: x1, Y: alphaBandHigh}, {X: x0, Y: alphaBandHigh}})
	if err != nil {
		return err
	}
	band.Color = color.NRGBA{R: 120, G: 200, B: 120, A: 70}
	band.LineStyle.Width = 0
	p.Add(band, plotter.NewGrid())
	p.Legend.Add(fmt.Sprintf("%g ≤ α ≤ %g: well trained (WeightWatcher)", alphaBandLow, alphaBandHigh), band)
	legend := len(tensors) <= reportLegendMax
	steps, err := addTensorLines(p, file, tensors, series, legend)
	if err != nil {
		return err
	}
	p.X.Tick.Marker = dataTicks(steps)
	p.Y.Min = min(p.Y.Min, 0)
	fig := Figure{
		Caption: fmt.Sprintf("Power-law exponent α fitted to the tail of each tensor's empirical spectral density (Martin & Mahoney); shaded: %g–%g.", alphaBandLow, alphaBandHigh),
		Panels:  []*Panel{p},
	}
	return fig.Save(file)
}
