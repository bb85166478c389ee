package cli

import (
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/pipelines"
)

// remoteWorkers reports whether the runner's workers may run on other
// machines, which cannot read the launcher's files: any runner but
// in-process Prism, unless its environment is LOOPBACK (workers in this
// process).
func remoteWorkers(runner string) bool {
	if runner == "prism" {
		return false
	}
	return !strings.EqualFold(flagValue("environment_type"), "LOOPBACK")
}

func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// checkRemote refuses, before anything is submitted, what workers on other
// machines could not use: a local input path or hessian params.checkpoints
// (gs:// and bundled:// are fine), a bundled data set replaced by local
// files ($LOWDIM_DATA, $LOWDIM_MNIST_DIR), a local output, and a
// --worker_binary that is missing or not a linux/amd64 executable
// (Dataflow needs one).
func checkRemote(spec *experiments.Spec, out, runner string) error {
	if !remoteWorkers(runner) {
		return nil
	}
	where := fmt.Sprintf("the %s runner's workers run on other machines", runner)
	if p := spec.Input.Path; p != "" && !strings.Contains(p, "://") {
		return fmt.Errorf("%s: input.path %q is a local path and %s: copy it to gs://BUCKET/… (gcloud storage cp) and set input.path to that", spec.File, p, where)
	}
	if spec.Study == "hessian" {
		if hp, err := spec.HessianParams(); err == nil && !strings.Contains(hp.Checkpoints, "://") {
			return fmt.Errorf("%s: params.checkpoints %q is a local path and %s: copy the checkpoints to gs://BUCKET/… and set params.checkpoints to that", spec.File, hp.Checkpoints, where)
		}
	}
	// The bundled data sets (digits, mnist) travel in the worker's binary
	// (bundled://, package io/datasets) and generated ones read no file,
	// unless LOWDIM_DATA or LOWDIM_MNIST_DIR points at this machine's files.
	env := map[string]string{pipelines.DigitsDataset: "LOWDIM_DATA", pipelines.MNISTDataset: "LOWDIM_MNIST_DIR"}[spec.Input.Dataset]
	if v := os.Getenv(env); env != "" && v != "" {
		return fmt.Errorf("%s: input.dataset %q with %s=%s reads this machine's files and %s: unset %s to read the copy bundled in the worker binary", spec.File, spec.Input.Dataset, env, v, where, env)
	}
	if !strings.Contains(out, "://") {
		return fmt.Errorf("output %q is a local folder and %s: pass --out gs://BUCKET/PREFIX", out, where)
	}
	bin := flagValue("worker_binary")
	if bin == "" {
		if runner == "dataflow" {
			return fmt.Errorf("--runner=dataflow needs --worker_binary: build it with `make worker` (bin/lowdim-worker-linux-amd64)")
		}
		return nil
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("--worker_binary %s: %v (build it with `make worker`)", bin, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("--worker_binary %s is a %s %s file, not a linux/amd64 executable (build it with `make worker`)", bin, f.Machine, f.Type)
	}
	return nil
}
