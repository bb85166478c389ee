package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/experiments"
)

// TestValidateAndRunAgree: every example spec validates, and for every
// study a typo in a params key is refused by validate and by run with the
// same positioned message, before run computes anything.
func TestValidateAndRunAgree(t *testing.T) {
	specs, err := filepath.Glob("experiments/*.yaml")
	if err != nil || len(specs) < 5 {
		t.Fatalf("example specs: %v, %v", specs, err)
	}
	for _, spec := range specs {
		if code, _, e := runLowdim(t, "validate", spec); code != 0 {
			t.Errorf("validate %s: exit %d: %s", spec, code, e)
		}
	}
	for _, study := range experiments.Studies() {
		input := "input:\n  path: testdata/digits.csv.gz\n"
		if st, _ := experiments.Lookup(study); !st.ReadsInput {
			input = ""
		}
		spec := writeSpec(t, t.TempDir(), "study: "+study+"\nname: typo\n"+input+"params:\n  bogus_key: 1\n")
		want := `unknown key "bogus_key" in params`
		code, _, ve := runLowdim(t, "validate", spec)
		if code == 0 || !strings.Contains(ve, want) || !positioned.MatchString(ve) {
			t.Errorf("%s: validate exit %d, stderr %q: want a positioned error naming %s", study, code, ve, want)
		}
		code, _, re := runLowdim(t, "run", spec, "--out", t.TempDir(), "--quiet")
		if code == 0 || !strings.Contains(re, want) {
			t.Errorf("%s: run exit %d, stderr %q: want an error naming %s", study, code, re, want)
		}
		if strings.TrimPrefix(ve, "lowdim: ") != strings.TrimPrefix(re, "lowdim: ") {
			t.Errorf("%s: validate says %q, run says %q", study, ve, re)
		}
	}
}

var positioned = regexp.MustCompile(`spec\.yaml:\d+:\d+: `)

// TestRunWithOverrides: KEY=VALUE arguments change the spec as if written
// in it: the run uses them and records them in its runs row; a typo in an
// override's key is refused before any work, naming it.
func TestRunWithOverrides(t *testing.T) {
	out := t.TempDir()
	code, o, e := runLowdim(t, "run", "experiments/quickstart.yaml", "params.k=5", "input.shard_rows=500", "--out", out, "--run_id", "ov", "--quiet", "--report=false")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, o, e)
	}
	db := duck(t)
	if n := queryInt(t, db, "SELECT count(*) FROM read_parquet('"+out+"/spectrum/**/*.parquet', hive_partitioning=1)"); n != 5 {
		t.Errorf("%d singular values, want k = 5", n)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM read_parquet('"+out+"/runs/**/*.parquet', hive_partitioning=1) WHERE spec LIKE '%\"k\":5%' AND spec LIKE '%\"shard_rows\":500%'"); n != 1 {
		t.Errorf("the runs row does not record the overrides")
	}
	code, _, e = runLowdim(t, "run", "experiments/quickstart.yaml", "params.kk=5", "--out", t.TempDir())
	if code == 0 || !strings.Contains(e, `unknown key "kk" in params`) || !strings.Contains(e, "params.kk=5") {
		t.Errorf("typo in an override: exit %d, %q", code, e)
	}
	code, o, _ = runLowdim(t, "validate", "experiments/quickstart.yaml", "params.method=randomized")
	if code != 0 || !strings.Contains(o, "method: randomized") {
		t.Errorf("validate with an override: exit %d\n%s", code, o)
	}
}

// TestBadFlags: every refused flag or value prints one line naming it.
func TestBadFlags(t *testing.T) {
	for _, c := range []struct{ arg, want string }{
		{"--bogus", "flag provided but not defined: -bogus"},
		{"--quiet=maybe", `invalid boolean value "maybe" for -quiet`},
		{"--out", "flag needs an argument: -out"},
		{"--figures=some", `invalid value "some" for flag -figures: want summary or all`},
	} {
		code, _, e := runLowdim(t, "validate", "experiments/quickstart.yaml", c.arg)
		if code != 2 || !strings.Contains(e, c.want) || strings.Count(e, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want one line naming %q", c.arg, code, e, c.want)
		}
	}
}

// TestRunSweep: params.k=5,10 params.center=true,false runs the study once
// per combination as runs ID-1 … ID-4, each recording its own values;
// validate prints every run's spec; a typo or a bad value in any run of the
// sweep is refused before the first starts.
func TestRunSweep(t *testing.T) {
	out := t.TempDir()
	code, o, e := runLowdim(t, "run", "experiments/quickstart.yaml", "params.k=5,10", "params.center=true,false", "--out", out, "--run_id", "sw", "--report=false")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, o, e)
	}
	if !strings.Contains(e, "sweep run 4 of 4: params.k=10 params.center=false as run sw-4") {
		t.Errorf("stderr does not name the sweep runs:\n%s", e)
	}
	db := duck(t)
	for i, want := range []struct {
		k      int
		center bool
	}{{5, true}, {5, false}, {10, true}, {10, false}} {
		run := fmt.Sprintf("sw-%d", i+1)
		n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s/spectrum_summary/run=%s/*.parquet') WHERE k = %d AND centered = %v", out, run, want.k, want.center))
		spec := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s/runs/run=%s/*.parquet') WHERE spec LIKE '%%"k":%d,%%' AND spec LIKE '%%"center":%v%%'`, out, run, want.k, want.center))
		if n != 1 || spec != 1 {
			t.Errorf("run %s: %d summary rows with k = %d, centered = %v; runs row records them: %d", run, n, want.k, want.center, spec)
		}
	}
	code, o, _ = runLowdim(t, "validate", "experiments/quickstart.yaml", "params.k=5,10")
	if code != 0 || strings.Count(o, "# sweep run") != 2 || !strings.Contains(o, "k: 5") || !strings.Contains(o, "k: 10") {
		t.Errorf("validate of a sweep: exit %d\n%s", code, o)
	}
	for _, c := range []struct{ arg, want string }{
		{"params.kk=5,10", `unknown key "kk" in params (did you mean k?)`},
		{"params.k=5,0", "params.k must be > 0, got 0"},
		{"params.k=5,,10", "empty value"},
	} {
		dir := t.TempDir()
		code, _, e := runLowdim(t, "run", "experiments/quickstart.yaml", c.arg, "--out", dir, "--run_id", "bad")
		if entries, _ := os.ReadDir(dir); code == 0 || !strings.Contains(e, c.want) || len(entries) != 0 {
			t.Errorf("%s: exit %d, %q, %d entries in OUT; want a refusal naming %q before any run", c.arg, code, e, len(entries), c.want)
		}
	}
}
