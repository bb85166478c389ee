package cli

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docCommands returns the commands in the fenced code blocks of a Markdown
// file, one per line after joining lines that end in a backslash, split
// into words, with their 1-based line numbers; comments (# to the end of
// the line) and blank lines are skipped.
func docCommands(t *testing.T, file string) (cmds [][]string, lines []int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inFence, cur, start := false, "", 0
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if i := strings.Index(text, " #"); i >= 0 && inFence {
			text = strings.TrimSpace(text[:i]) // a trailing comment
		}
		if strings.HasPrefix(text, "```") {
			inFence = !inFence
			continue
		}
		if !inFence || (cur == "" && (text == "" || strings.HasPrefix(text, "#"))) {
			continue
		}
		if cur == "" {
			start = n
		}
		if body, ok := strings.CutSuffix(text, `\`); ok {
			cur += body + " "
			continue
		}
		cur += text
		cmds, lines = append(cmds, strings.Fields(cur)), append(lines, start)
		cur = ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds, lines
}

// TestDeployCommands runs every `bin/lowdim` command of docs/DEPLOY.md as
// written, with its placeholders filled in: each flag must be one lowdim
// accepts; local runs write to a temporary folder; the Flink commands go to
// Prism's standalone job server (the same Job API; the EXTERNAL one with
// Beam's Go worker pool on port 50000); the Dataflow commands run with
// --dry_run; BUCKET is a bucket of the fake GCS, which the file's
// `gcloud storage cp` lines fill first. Each command must succeed.
func TestDeployCommands(t *testing.T) {
	const doc = "docs/DEPLOY.md"
	cmds, lines := docCommands(t, doc)
	type command struct {
		line int
		args []string
	}
	var runs []command
	var copies [][2]string
	for i, c := range cmds {
		switch {
		case c[0] == "bin/lowdim" || c[0] == "lowdim":
			runs = append(runs, command{lines[i], c[1:]})
		case len(c) == 5 && c[0] == "gcloud" && c[1] == "storage" && c[2] == "cp":
			copies = append(copies, [2]string{c[3], c[4]})
		}
	}
	if len(runs) < 6 || len(copies) == 0 {
		t.Fatalf("%s: found %d lowdim commands and %d copies; the parser lost some", doc, len(runs), len(copies))
	}
	for _, r := range runs {
		if r.args[0] != "run" {
			t.Errorf("%s:%d: lowdim %s: only `lowdim run` commands are expected here", doc, r.line, r.args[0])
		}
		for _, a := range r.args {
			if strings.ContainsAny(a, `'"`) {
				t.Fatalf("%s:%d: quoted word %s: this test splits words on blanks only", doc, r.line, a)
			}
			if name, ok := strings.CutPrefix(a, "--"); ok {
				name, _, _ = strings.Cut(name, "=")
				if flag.Lookup(name) == nil {
					t.Errorf("%s:%d: lowdim has no flag --%s", doc, r.line, name)
				}
			}
		}
	}
	if t.Failed() {
		return
	}

	server := startFakeGCS(t)
	endpoint := startPrismJobServer(t)
	dir := t.TempDir()
	worker := filepath.Join(dir, "lowdim-worker-linux-amd64")
	goBuild(t, worker, ".")
	external := slices.ContainsFunc(runs, func(r command) bool { return slices.Contains(r.args, "--environment_type=EXTERNAL") })
	if external {
		boot := filepath.Join(dir, "boot")
		goBuild(t, boot, "github.com/apache/beam/sdks/v2/go/container")
		startWorkerPool(t, boot)
	}
	fill := func(s string) string {
		return strings.NewReplacer("BUCKET", testBucket, "PROJECT", "lowdim-test",
			"JOBSERVER:8099", endpoint, "localhost:8099", endpoint,
			"bin/lowdim-worker-linux-amd64", worker).Replace(s)
	}
	for _, c := range copies {
		dst, ok := strings.CutPrefix(fill(c[1]), "gs://"+testBucket+"/")
		if !ok {
			t.Fatalf("gcloud storage cp %s %s: the destination is not gs://BUCKET/…", c[0], c[1])
		}
		upload(t, server, filepath.Dir(dst), c[0])
		if base := filepath.Base(dst); base != filepath.Base(c[0]) {
			t.Fatalf("gcloud storage cp %s %s: renaming copies are not emulated", c[0], c[1])
		}
	}
	for i, r := range runs {
		var args []string
		dataflow, dry := false, false
		for j := 0; j < len(r.args); j++ {
			a := fill(r.args[j])
			switch {
			case a == "--out" && j+1 < len(r.args):
				args = append(args, a)
				j++
				a = fill(r.args[j])
				if !strings.Contains(a, "://") {
					a = filepath.Join(t.TempDir(), filepath.Base(a))
				}
			case a == "--runner=dataflow":
				dataflow = true
			case a == "--dry_run":
				dry = true
			}
			args = append(args, a)
		}
		if dataflow && !dry {
			args = append(args, "--dry_run") // never submit
		}
		args = append(args, "--run_id", fmt.Sprint("deploy", i), "--quiet", "--report=false")
		if code, o, e := runLowdim(t, args...); code != 0 {
			t.Errorf("%s:%d: lowdim %s: exit %d\n%s%s", doc, r.line, strings.Join(args, " "), code, o, e)
		}
	}
}
