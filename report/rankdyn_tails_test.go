package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/transforms"
)

func alphaRow(tensor string, step int64, alpha float64) transforms.RankDynamicsRow {
	tail, ks := int64(50), 0.04
	return transforms.RankDynamicsRow{Tensor: tensor, Step: step, Alpha: &alpha, AlphaTail: &tail, AlphaKS: &ks}
}

// TestAlphaSummaryAndSection: a tensor whose α goes 7.5 → 3.1 (outside the
// band at step 0 only) and one that falls from 4 to 1.6 at steps 20 and 30
// are both named with those steps; a tensor without alpha (top-k only) is
// left out; the section draws the plot with the band.
func TestAlphaSummaryAndSection(t *testing.T) {
	rows := []transforms.RankDynamicsRow{
		alphaRow("b", 30, 1.6), alphaRow("a", 0, 7.5), alphaRow("a", 10, 3.1), alphaRow("b", 0, 4), alphaRow("b", 20, 1.9),
		{Tensor: "c", Step: 0},
	}
	var w bytes.Buffer
	writeAlphaSummary(&w, rows)
	for _, want := range []string{"a                                α 7.50 → 3.10  (steps 0 → 10)", "b                                α 4.00 → 1.60  (steps 0 → 30)", "α outside [2, 6]: a (step 0), b (steps 20, 30)"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, w.String())
		}
	}
	if strings.Contains(w.String(), "c  ") {
		t.Errorf("summary names a tensor without alpha:\n%s", w.String())
	}
	var none bytes.Buffer
	writeAlphaSummary(&none, rows[5:])
	if none.Len() != 0 {
		t.Errorf("no alpha, summary %q", none.String())
	}

	dir := t.TempDir()
	sorted := []transforms.RankDynamicsRow{rows[1], rows[2], rows[3], rows[4], rows[0], rows[5]}
	md, err := alphaReportSection(dir, "OUT", "r1", sorted, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"![alpha](rank-dynamics-alpha.png)", "| a | 7.500 | 3.100 | 0 → 10 | 50 | 0.040 | step 0 |", "| b | 4.000 | 1.600 | 0 → 30 | 50 | 0.040 | steps 20, 30 |", "alpha IS NOT NULL"} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rank-dynamics-alpha.png")); err != nil || string(b[1:4]) != "PNG" {
		t.Errorf("plot: %v", err)
	}
}
