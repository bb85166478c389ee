package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/classgeom"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// spectrumClassesSummary prints the class measures of a spectrum summary
// row (nothing when the run had no label column).
func spectrumClassesSummary(w io.Writer, s transforms.SpectrumSummaryRow) {
	if s.RateReduction == nil {
		return
	}
	fmt.Fprintf(w, "  classes: ΔR = R − Rc = %.3f − %.3f = %.3f nats (ε=%.2g)   centroid nuclear norm %.4g\n",
		*s.CodingRateTotal, *s.CodingRateClasses, *s.RateReduction, s.CodingRateEps, *s.CentroidNuclearNorm)
}

// classMatrix is a symmetric label × label matrix of a pair measure for a heatmap.
type classMatrix struct {
	labels []string
	z      [][]float64 // NaN where undefined
}

func (g classMatrix) Dims() (c, r int)   { return len(g.labels), len(g.labels) }
func (g classMatrix) Z(c, r int) float64 { return g.z[r][c] }
func (g classMatrix) X(c int) float64    { return float64(c) }
func (g classMatrix) Y(r int) float64    { return float64(r) }

// classPairMatrix fills a classMatrix from the pairs of one data set, the
// diagonal set to diag (NaN, drawn grey, keeps the colour scale to the pairs).
func classPairMatrix(labels []string, pairs []transforms.ClassPairRow, value func(transforms.ClassPairRow) float64, diag float64) classMatrix {
	m := classMatrix{labels: labels, z: make([][]float64, len(labels))}
	for i := range m.z {
		m.z[i] = make([]float64, len(labels))
		for j := range m.z[i] {
			m.z[i][j] = math.NaN()
		}
		m.z[i][i] = diag
	}
	for _, p := range pairs {
		a, b := slices.Index(labels, p.LabelA), slices.Index(labels, p.LabelB)
		if a < 0 || b < 0 {
			continue
		}
		m.z[a][b], m.z[b][a] = value(p), value(p)
	}
	return m
}

// classHeatmap draws m with the labels as ticks on both axes and a colour
// bar of its values.
func classHeatmap(file, title, cbLabel, caption string, m classMatrix) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range m.z {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	p := heatPanel(title, "class", "class", m, m.labels, m.labels, lo, hi, moreland.SmoothBlueRed(), cbLabel)
	fig := Figure{Caption: caption, Width: 5 * vg.Inch, Panels: []*Panel{p}}
	return fig.Save(file)
}

// spectrumClassesSection draws the pairwise Bures–Wasserstein and smallest
// principal angle heatmaps of one data set and returns its markdown: the
// class measures, the per-class table and the nearest pairs. It returns ""
// when the run had no label column.
func spectrumClassesSection(ctx context.Context, out, runID, dir string, s transforms.SpectrumSummaryRow) (string, error) {
	if s.RateReduction == nil {
		return "", nil
	}
	classes, err := tables.ReadRun[transforms.ClassGeometryRow](ctx, out, pipelines.ClassGeometryTable, runID)
	if err != nil {
		return "", err
	}
	pairs, err := tables.ReadRun[transforms.ClassPairRow](ctx, out, pipelines.ClassPairsTable, runID)
	if err != nil {
		return "", err
	}
	classes = slices.DeleteFunc(classes, func(c transforms.ClassGeometryRow) bool { return c.Dataset != s.Dataset })
	pairs = slices.DeleteFunc(pairs, func(p transforms.ClassPairRow) bool { return p.Dataset != s.Dataset })
	labels := make([]string, len(classes))
	for i, c := range classes {
		labels[i] = c.Label
	}
	classgeom.SortLabels(labels)
	slices.SortFunc(classes, func(a, b transforms.ClassGeometryRow) int {
		return slices.Index(labels, a.Label) - slices.Index(labels, b.Label)
	})

	md := &strings.Builder{}
	fmt.Fprintf(md, "### %s: class geometry (%d classes)\n\n", s.Dataset, len(classes))
	normalized := len(classes) > 0 && classes[0].Normalized
	fmt.Fprintf(md, "Coding rates with ε = %.2g (Yu et al. 2020), rows normalised to the unit sphere: %v.\n\n", s.CodingRateEps, normalized)
	fmt.Fprintf(md, "| measure | value |\n|---|---|\n")
	fmt.Fprintf(md, "| R(Z, ε) | %.4f nats |\n| Rc(Z, ε \\| Π) | %.4f nats |\n| ΔR = R − Rc | %.4f nats |\n| centroid nuclear norm ‖C‖_* | %.4g |\n\n",
		*s.CodingRateTotal, *s.CodingRateClasses, *s.RateReduction, *s.CentroidNuclearNorm)
	fmt.Fprintf(md, "| class | rows | rank | subspace rank | RankMe | stable rank | α-ReQ | energy rank 90 / 95 / 99 %% |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range classes {
		fmt.Fprintf(md, "| %s | %d | %d | %d | %.3f | %.3f | %s | %s / %s / %s |\n", c.Label, c.Rows, c.Rank, c.SubspaceRank,
			c.RankMe, c.StableRank, optFloat(c.AlphaReQ), optInt(c.EnergyRank90), optInt(c.EnergyRank95), optInt(c.EnergyRank99))
	}
	md.WriteString("\n")

	bw := "classes-bures-wasserstein-" + s.Dataset + ".png"
	if err := classHeatmap(filepath.Join(dir, bw), s.Dataset+": Bures–Wasserstein W₂ between classes", "W₂ (feature units)",
		fmt.Sprintf("Bures–Wasserstein distance W₂ between the Gaussians fitted to each pair of classes of %s; grey: the diagonal.", s.Dataset),
		classPairMatrix(labels, pairs, func(p transforms.ClassPairRow) float64 { return p.BuresWasserstein }, math.NaN())); err != nil {
		return "", err
	}
	angle := "classes-min-angle-" + s.Dataset + ".png"
	if err := classHeatmap(filepath.Join(dir, angle), s.Dataset+": smallest principal angle between classes", "smallest angle (degrees)",
		fmt.Sprintf("Smallest principal angle between the subspaces spanned by each pair of classes of %s; grey: the diagonal or undefined.", s.Dataset),
		classPairMatrix(labels, pairs, func(p transforms.ClassPairRow) float64 {
			if p.MinAngleDeg == nil {
				return math.NaN()
			}
			return *p.MinAngleDeg
		}, math.NaN())); err != nil {
		return "", err
	}
	fmt.Fprintf(md, "![Bures–Wasserstein](%s) ![smallest principal angle](%s)\n\n", bw, angle)

	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].BuresWasserstein < pairs[j].BuresWasserstein })
	fmt.Fprintf(md, "Nearest class pairs by W₂:\n\n| pair | W₂ | smallest angle | mean angle | projection distance |\n|---|---|---|---|---|\n")
	for _, p := range pairs[:min(5, len(pairs))] {
		fmt.Fprintf(md, "| %s–%s | %.4g | %s° | %s° | %.3f |\n", p.LabelA, p.LabelB, p.BuresWasserstein, optFloat(p.MinAngleDeg), optFloat(p.MeanAngleDeg), p.ProjectionDistance)
	}
	md.WriteString("\n")
	return md.String(), nil
}
