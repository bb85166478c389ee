package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportFigures: `lowdim run` of a landscape study of two clouds writes
// the report's summary figures only (issue #14: the report must not
// dominate a small run) and says how to draw the rest; `lowdim report OUT
// --figures=all` then draws each cloud's figures from the committed tables
// and report.md shows them.
func TestReportFigures(t *testing.T) {
	if _, help, _ := runLowdim(t, "report", "--help"); !strings.Contains(help, "--figures=all also") {
		t.Errorf("lowdim report --help does not document --figures:\n%s", help)
	}
	out := t.TempDir()
	code, o, e := runLowdim(t, "run", "experiments/landscape-torus.yaml", "input.path=testdata/clouds", "params.subsample_size=100",
		"params.subsamples=2", "params.threshold=1.5", "--out", out, "--run_id", "two", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, o, e)
	}
	dir := filepath.Join(out, "report")
	pngs := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for i := range m {
			m[i] = filepath.Base(m[i])
		}
		return m
	}
	md := func() string {
		b, err := os.ReadFile(filepath.Join(dir, "report.md"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := strings.Join(pngs(), " "); got != "diagrams.png landscapes.png" {
		t.Errorf("lowdim run drew %s; want the two summary figures", got)
	}
	if want := "lowdim report " + out + " --run_id two --figures=all"; !strings.Contains(md(), want) {
		t.Errorf("report.md does not say %q:\n%s", want, md())
	}
	if code, o, e := runLowdim(t, "report", out, "--figures=all"); code != 0 {
		t.Fatalf("lowdim report --figures=all: exit %d\n%s%s", code, o, e)
	}
	text := md()
	for _, f := range []string{"diagrams.png", "landscapes.png", "diagram-circle.png", "diagram-torus.png", "landscape-circle-H1.png", "landscape-torus-H1.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil || !strings.Contains(text, "("+f+")") {
			t.Errorf("after --figures=all: %s drawn %v, shown in report.md %v", f, err == nil, strings.Contains(text, "("+f+")"))
		}
	}
	if strings.Contains(text, "--figures=all`") {
		t.Errorf("report.md with every figure still points to --figures=all")
	}
}
