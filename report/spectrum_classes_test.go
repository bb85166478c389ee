package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpectrumClassesReport: a labelled spectrum run's report shows the
// Bures–Wasserstein and smallest-angle heatmaps, the class table and the
// nearest pairs; its console summary prints ΔR; an unlabelled run's does not.
func TestSpectrumClassesReport(t *testing.T) {
	out, run := runStudy(t, "study: spectrum\nname: q\ninput:\n  path: testdata/digits.csv.gz\n  label_column: \"64\"\n  shard_rows: 600\nparams:\n  k: 10\n")
	checkReport(t, out, run,
		[]string{"classes-bures-wasserstein-digits.png", "classes-min-angle-digits.png"},
		[]string{"class geometry (10 classes)", "| ΔR = R − Rc | 38.4875 nats |", "Nearest class pairs by W₂", "| 9 | 180 |"},
		"ΔR = R − Rc = 204.090 − 165.602 = 38.487 nats")

	out, run = runStudy(t, "study: spectrum\nname: q\ninput:\n  path: testdata/formats/m_c.npy\nparams:\n  k: 3\n")
	checkReport(t, out, run, nil, []string{"| RankMe |"}, "top singular values")
	if text, err := os.ReadFile(filepath.Join(out, "report", "report.md")); err != nil || strings.Contains(string(text), "class geometry") {
		t.Errorf("unlabelled run's report has a class section (%v):\n%s", err, text)
	}
}
