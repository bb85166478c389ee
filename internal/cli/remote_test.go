package cli

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/experiments"
)

// TestCheckRemoteDatasets: for workers on other machines, the bundled data
// sets pass (they travel in the binary), unless LOWDIM_DATA or
// LOWDIM_MNIST_DIR points them at this machine's files; a local
// params.checkpoints is refused like a local input.path.
func TestCheckRemoteDatasets(t *testing.T) {
	exe, err := os.Executable() // a linux/amd64 ELF, as a worker binary must be
	if err != nil {
		t.Fatal(err)
	}
	setFlag(t, "worker_binary", exe)
	setFlag(t, "environment_type", "") // not LOOPBACK, as another test may have left it
	t.Setenv("LOWDIM_DATA", "")
	t.Setenv("LOWDIM_MNIST_DIR", "")
	spec := func(file string, overrides ...string) *experiments.Spec {
		s, err := experiments.ParseFileWithOverrides(file, overrides)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const out = "gs://bucket/out"
	for _, s := range []*experiments.Spec{
		spec("experiments/intrinsic-digits.yaml"),
		spec("experiments/mnist-mlp-checkpoints.yaml"),
		spec("experiments/benchmark-manifolds.yaml"),
		spec("experiments/quickstart.yaml", "input.path=bundled://digits.csv.gz"),
		spec("experiments/hessian-digits.yaml", "params.checkpoints=gs://bucket/ck"),
	} {
		if err := checkRemote(s, out, "dataflow"); err != nil {
			t.Errorf("%s: %v", s.File, err)
		}
	}
	for _, c := range []struct {
		spec     *experiments.Spec
		env, val string
		want     string
	}{
		{spec("experiments/intrinsic-digits.yaml"), "LOWDIM_DATA", "/data", "unset LOWDIM_DATA"},
		{spec("experiments/mnist-mlp-checkpoints.yaml"), "LOWDIM_MNIST_DIR", "/mnist", "unset LOWDIM_MNIST_DIR"},
		{spec("experiments/hessian-digits.yaml"), "", "", `params.checkpoints "out/digits-mlp-checkpoints/checkpoints/run=ckpt/mlp-full-seed0" is a local path`},
	} {
		if c.env != "" {
			t.Setenv(c.env, c.val)
		}
		if err := checkRemote(c.spec, out, "dataflow"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s with %s=%s: %v; want a refusal naming %q", c.spec.File, c.env, c.val, err, c.want)
		}
		if c.env != "" {
			t.Setenv(c.env, "")
		}
	}
	// Generated manifolds ignore LOWDIM_DATA.
	t.Setenv("LOWDIM_DATA", "/data")
	if err := checkRemote(spec("experiments/benchmark-manifolds.yaml"), out, "dataflow"); err != nil {
		t.Errorf("manifolds with LOWDIM_DATA: %v", err)
	}
}

// setFlag sets a flag of the process until the test ends.
func setFlag(t *testing.T, name, value string) {
	t.Helper()
	f := flag.Lookup(name)
	if f == nil {
		t.Fatalf("no flag --%s", name)
	}
	old := f.Value.String()
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}
