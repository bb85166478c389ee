package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/lowdim/lowdim/internal/fakegcs"
)

const testBucket = "lowdim-test"

// startFakeGCS serves GCS's JSON API from this process on loopback and points
// every GCS client here (and in child processes given os.Environ()) at it.
func startFakeGCS(t *testing.T) *fakestorage.Server {
	t.Helper()
	return fakegcs.Start(t, testBucket)
}

func objectNames(t *testing.T, server *fakestorage.Server, prefix string) []string {
	t.Helper()
	objs, _, err := server.ListObjects(testBucket, prefix, "", false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	sort.Strings(names)
	return names
}

// TestQuickstartToGCS writes the quickstart's tables to gs:// and reads them
// back: same spectrum as a local run, committed files only, no staging left.
func TestQuickstartToGCS(t *testing.T) {
	server := startFakeGCS(t)
	local := t.TempDir()
	if code, o, e := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", local, "--run_id", "l1", "--quiet", "--report=false"); code != 0 {
		t.Fatalf("local run: %d\n%s%s", code, o, e)
	}
	out := "gs://" + testBucket + "/results"
	if code, o, e := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "g1", "--quiet"); code != 0 {
		t.Fatalf("gs:// run: %d\n%s%s", code, o, e)
	}
	names := objectNames(t, server, "results/")
	want := []string{
		"results/class_geometry/run=g1/part-00000-of-00001.parquet",
		"results/class_pairs/run=g1/part-00000-of-00001.parquet",
		"results/runs/run=g1/part-00000-of-00001.parquet",
		"results/spectrum/run=g1/part-00000-of-00001.parquet",
		"results/spectrum_summary/run=g1/part-00000-of-00001.parquet",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects under gs://%s/results:\n%s\nwant:\n%s", testBucket, strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	l, g := readSigma(t, local, "l1"), readSigma(t, out, "g1")
	if len(l) == 0 || len(l) != len(g) {
		t.Fatalf("spectrum rows: local %d, gs:// %d", len(l), len(g))
	}
	for i := range l {
		if l[i].Sigma != g[i].Sigma {
			t.Errorf("σ%d: local %v, gs:// %v", i+1, l[i].Sigma, g[i].Sigma)
		}
	}
	// The same run id again refuses and leaves the committed objects as they were.
	if code, _, e := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "g1", "--quiet"); code == 0 || !strings.Contains(e, "--overwrite") {
		t.Errorf("rerun: exit %d, %q", code, e)
	}
	if got := objectNames(t, server, "results/"); len(got) != len(want) {
		t.Errorf("after refused rerun: %v", got)
	}
	// --overwrite replaces the run.
	if code, o, e := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "g1", "--quiet", "--overwrite"); code != 0 {
		t.Fatalf("overwrite: %d\n%s%s", code, o, e)
	}
	if got := objectNames(t, server, "results/"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after --overwrite:\n%s", strings.Join(got, "\n"))
	}
}

// TestDataflowDryRun builds the worker as Dataflow needs it (linux/amd64, no
// cgo) and checks the job lowdim would submit, offline against the fake GCS:
// every transform of the spectrum pipeline is present, nothing is written.
func TestDataflowDryRun(t *testing.T) {
	server := startFakeGCS(t)
	dir := t.TempDir()
	worker := filepath.Join(dir, "worker")
	cmd := exec.Command("go", "build", "-o", worker, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("worker build: %v\n%s", err, b)
	}
	bin := filepath.Join(dir, "lowdim")
	goBuild(t, bin, ".")
	digits, err := os.ReadFile("testdata/digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	fakegcs.Put(server, testBucket, "in/digits.csv.gz", digits)
	dataflow := func(worker string, args ...string) *exec.Cmd {
		return exec.Command(bin, append(append([]string{"run", "experiments/quickstart.yaml"}, args...),
			"--run_id", "dry", "--runner=dataflow", "--dry_run", "--project=lowdim-test", "--region=us-central1",
			"--staging_location=gs://"+testBucket+"/staging", "--temp_location=gs://"+testBucket+"/tmp",
			"--worker_binary="+worker)...)
	}
	// What workers on other machines could not use is refused before submission.
	notELF := filepath.Join(dir, "not-a-binary")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	for _, c := range []struct {
		cmd  *exec.Cmd
		want string
	}{
		{dataflow(worker, "--out", "gs://"+testBucket+"/dry"), `input.path "testdata/digits.csv.gz" is a local path`},
		{dataflow(worker, "input.path=gs://"+testBucket+"/in/digits.csv.gz", "--out", dir), "is a local folder"},
		{dataflow(notELF, "input.path=gs://"+testBucket+"/in/digits.csv.gz", "--out", "gs://"+testBucket+"/dry"), "--worker_binary " + notELF},
		{dataflow(filepath.Join(dir, "missing"), "input.path=gs://"+testBucket+"/in/digits.csv.gz", "--out", "gs://"+testBucket+"/dry"), "missing"},
	} {
		if b, err := c.cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), c.want) {
			t.Errorf("%v: %v, want a refusal naming %q:\n%s", c.cmd.Args[2:4], err, c.want, b)
		}
	}
	run := dataflow(worker, "input.path=gs://"+testBucket+"/in/digits.csv.gz", "--out", "gs://"+testBucket+"/dry")
	// No LOWDIM_BEAM_LOGS: a dry run prints its job without it.
	b, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, b)
	}
	job := string(b)
	for _, want := range []string{
		"blocks.readFn", "transforms.ExactBlockFn", "transforms.MergeRowQRFn", "transforms.ExactSpectrumFn",
		"tables.keyByShardFn", "tables.writePartFn", "nothing submitted",
	} {
		if !strings.Contains(job, want) {
			t.Errorf("dry-run output lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(job), "unregistered") || strings.Contains(strings.ToLower(job), "not registered") {
		t.Errorf("dry-run job mentions an unregistered function:\n%s", job)
	}
	if got := objectNames(t, server, "dry/"); len(got) != 0 {
		t.Errorf("a dry run wrote %v", got)
	}
}

// TestSpectrumFromGCS reads matrices from gs:// (npy and Parquet) and gets
// the same spectrum as from local disk.
func TestSpectrumFromGCS(t *testing.T) {
	server := startFakeGCS(t)
	for _, name := range []string{"m_c.npy", "m_list.parquet"} {
		data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
		if err != nil {
			t.Fatal(err)
		}
		server.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: testBucket, Name: "in/" + name}, Content: data})
	}
	dir := t.TempDir()
	for i, tc := range []struct{ path, extra string }{
		{"testdata/formats/m_c.npy", ""},
		{"gs://" + testBucket + "/in/m_c.npy", ""},
		{"gs://" + testBucket + "/in/m_list.parquet", "  column: x\n"},
	} {
		spec := writeSpec(t, t.TempDir(), fmt.Sprintf("study: spectrum\ninput:\n  path: %s\n  shard_rows: 10\n%sparams:\n  k: 5\n", tc.path, tc.extra))
		if code, o, e := runLowdim(t, "run", spec, "--out", dir, "--run_id", fmt.Sprint("r", i), "--quiet", "--report=false"); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tc.path, code, o, e)
		}
	}
	ref := readSigma(t, dir, "r0")
	for _, run := range []string{"r1", "r2"} {
		got := readSigma(t, dir, run)
		if len(got) != len(ref) {
			t.Fatalf("%s: %d values, want %d", run, len(got), len(ref))
		}
		for i := range ref {
			if got[i].Sigma != ref[i].Sigma {
				t.Errorf("%s σ%d = %v, local npy %v", run, i+1, got[i].Sigma, ref[i].Sigma)
			}
		}
	}
}

// TestOutTrailingSlash: --out gs://bucket/prefix/ writes the same objects as
// gs://bucket/prefix (a trailing slash once broke the check for an existing
// run).
func TestOutTrailingSlash(t *testing.T) {
	server := startFakeGCS(t)
	spec := writeSpec(t, t.TempDir(), spectrumSpec(mustAbs(t, "testdata/formats/m_c.npy"), ""))
	if code, o, e := runLowdim(t, "run", spec, "--out", "gs://"+testBucket+"/slash/", "--run_id", "s1", "--quiet", "--report=false"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, o, e)
	}
	names := objectNames(t, server, "slash/")
	if len(names) == 0 || !slices.Contains(names, "slash/spectrum/run=s1/part-00000-of-00001.parquet") {
		t.Errorf("objects: %v", names)
	}
	if code, _, e := runLowdim(t, "run", spec, "--out", "gs://"+testBucket+"/slash//", "--run_id", "s1", "--quiet", "--report=false"); code == 0 || !strings.Contains(e, "gs://"+testBucket+"/slash/spectrum/run=s1 already holds") {
		t.Errorf("same run again: exit %d, %q", code, e)
	}
}
