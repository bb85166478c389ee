package cli

import (
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
