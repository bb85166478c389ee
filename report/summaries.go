package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

// RankDynamicsSummary prints, per tensor, its first and last step with
// stable rank, RankMe and 90 % energy rank at both, and the mean principal
// angle of its subspace drift over the series.
func RankDynamicsSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	runID := run.RunID
	rows, err := tables.ReadRun[transforms.RankDynamicsRow](ctx, out, pipelines.RankDynamicsTable, runID)
	if err != nil {
		return err
	}
	drift, err := tables.ReadRun[transforms.RankDriftRow](ctx, out, pipelines.RankDriftTable, runID)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	byTensor := map[string][]transforms.RankDynamicsRow{}
	for _, r := range rows {
		byTensor[r.Tensor] = append(byTensor[r.Tensor], r)
	}
	angle := map[string][]float64{}
	for _, d := range drift {
		angle[d.Tensor] = append(angle[d.Tensor], d.MeanPrincipalAngle)
	}
	names := make([]string, 0, len(byTensor))
	for n := range byTensor {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "\n%d matrices, %d tensors (first step → last step)\n", len(rows), len(names))
	fmt.Fprintf(w, "  %-32s %-13s %-17s %-17s %-11s %s\n", "tensor", "shape", "stable rank", "RankMe", "energy r90", "mean drift")
	for _, n := range names {
		rs := byTensor[n]
		slices.SortFunc(rs, byStep)
		a, b := rs[0], rs[len(rs)-1]
		drift := "–"
		if as := angle[n]; len(as) > 0 {
			var s float64
			for _, x := range as {
				s += x
			}
			drift = fmt.Sprintf("%.1f°", s/float64(len(as))*180/math.Pi)
		}
		fmt.Fprintf(w, "  %-32s %-13s %-17s %-17s %-11s %s\n", n, fmt.Sprintf("%d×%d", a.Rows, a.Cols),
			fmt.Sprintf("%.2f → %.2f", a.StableRank, b.StableRank), fmt.Sprintf("%.1f → %.1f", a.RankMe, b.RankMe),
			optInt(a.EnergyRank90)+" → "+optInt(b.EnergyRank90), drift)
	}
	writeAlphaSummary(w, rows)
	fmt.Fprintf(w, "  steps %d … %d\n\n", minStep(rows), maxStep(rows))
	return nil
}

func byStep(a, b transforms.RankDynamicsRow) int { return cmp.Compare(a.Step, b.Step) }

func minStep(rows []transforms.RankDynamicsRow) int64 {
	return slices.MinFunc(rows, byStep).Step
}

func maxStep(rows []transforms.RankDynamicsRow) int64 {
	return slices.MaxFunc(rows, byStep).Step
}

// IntrinsicSummary prints d_int90 per model and projection and the
// overall data intrinsic-dimension estimates, whichever the run has.
func IntrinsicSummary(ctx context.Context, w io.Writer, out string, run pipelines.RunRow) error {
	runID := run.RunID
	ids, err := tables.ReadRun[transforms.IntrinsicDimRow](ctx, out, pipelines.IntrinsicDimTable, runID)
	if err != nil {
		return err
	}
	ds, err := tables.ReadRun[transforms.DataIDRow](ctx, out, pipelines.DataIntrinsicDimTable, runID)
	if err != nil {
		return err
	}
	slices.SortFunc(ids, func(a, b transforms.IntrinsicDimRow) int {
		return cmp.Or(strings.Compare(a.Dataset, b.Dataset), strings.Compare(a.Model, b.Model), strings.Compare(a.Projection, b.Projection))
	})
	slices.SortFunc(ds, func(a, b transforms.DataIDRow) int {
		return cmp.Or(strings.Compare(a.Dataset, b.Dataset), strings.Compare(a.Method, b.Method), cmp.Compare(deref(a.K), deref(b.K)))
	})
	fmt.Fprintln(w)
	for _, r := range ids {
		dint := "not reached by any swept d"
		if r.DInt90 != nil {
			dint = fmt.Sprint(*r.DInt90)
		}
		fmt.Fprintf(w, "%s, %s, %s projection: d_int90 %s", r.Dataset, r.Model, r.Projection, dint)
		if r.BaselineAccuracy != nil {
			fmt.Fprintf(w, " (baseline accuracy %.4f, threshold %.4f)", *r.BaselineAccuracy, *r.Threshold)
		}
		fmt.Fprintln(w)
	}
	for _, r := range ds {
		if r.Shard != nil {
			continue
		}
		method := r.Method
		if r.K != nil {
			method += fmt.Sprintf(" (k %d, %s)", *r.K, r.Convention)
		}
		fmt.Fprintf(w, "%s: data intrinsic dimension, %s: %.2f", r.Dataset, method, r.Estimate)
		if r.Spread != nil {
			fmt.Fprintf(w, " ± %.2f", *r.Spread)
		}
		fmt.Fprintf(w, " on %d points\n", r.Points)
	}
	fmt.Fprintln(w)
	return nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
