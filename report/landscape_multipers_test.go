package report_test

import (
	"context"
	"os"
	"testing"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/report"
	"github.com/lowdim/lowdim/transforms"
)

// TestMultipersHiddenCircleReport runs experiments/multipers-hidden-circle.yaml
// through the registry: on the committed tables the one-parameter H1 diagram
// has no bar longer than 0.5 while the Hilbert function of H1 is 1 over
// r ∈ [0.5, max r] at some codensity threshold (the circle); the report draws
// a Hilbert heatmap per dimension.
func TestMultipersHiddenCircleReport(t *testing.T) {
	src, err := os.ReadFile("../experiments/multipers-hidden-circle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, run := runStudy(t, string(src))
	ctx := context.Background()
	diags, err := tables.ReadRun[transforms.LandscapeDiagramRow](ctx, out, pipelines.DiagramTable, "r1")
	if err != nil {
		t.Fatal(err)
	}
	longest := 0.0
	for _, d := range diags {
		if d.Dim == 1 && d.Death != nil {
			longest = max(longest, *d.Death-d.Birth)
		}
	}
	if !(longest > 0 && longest < 0.5) {
		t.Errorf("one-parameter H1: longest bar %.3f, want in (0, 0.5)", longest)
	}
	rows, err := tables.ReadRun[transforms.HilbertRow](ctx, out, pipelines.HilbertTable, "r1")
	if err != nil {
		t.Fatal(err)
	}
	maps := report.HilbertHeatmaps(rows)
	if len(maps) != 2 || maps[1].Dim != 1 || len(maps[1].T) != 20 || len(maps[1].R) != 20 {
		t.Fatalf("%d heatmaps; want H0 and H1 on 20 × 20 grids", len(maps))
	}
	h1 := maps[1]
	found := false
	for i := range h1.T {
		all := true
		for j, r := range h1.R {
			if r >= 0.5 && h1.Value[i][j] != 1 {
				all = false
			}
		}
		found = found || all
	}
	if !found {
		t.Errorf("no codensity threshold with H1 = 1 over r ∈ [0.5, %.3f]", h1.R[len(h1.R)-1])
	}
	checkReport(t, out, run, []string{"hilbert-hidden_circle-H0.png", "hilbert-hidden_circle-H1.png", "landscape-hidden_circle-H1.png"},
		[]string{"Two-parameter persistence", "| hidden_circle | H1 | 1 | 20 × 20 |"}, "hidden_circle H1")
}
