package cli

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/lowdim/lowdim/internal/fakegcs"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
)

// workerPoolAddr is where Beam's Go worker pool listens: the boot program
// of the apache/beam_go_sdk image binds port 50000, fixed.
const workerPoolAddr = "localhost:50000"

// workerPoolPort holds port 50000 for the test binary (TestMain), except
// while a worker pool runs: the tests before it open ephemeral listeners and
// connections (in-process Prism, which stays up, and fake GCS servers), and
// the kernel may give any of them port 50000 (a CI run failed so). Ephemeral
// ports skip a port a listener holds.
var workerPoolPort net.Listener

func reserveWorkerPoolPort() {
	if workerPoolPort == nil {
		workerPoolPort, _ = net.Listen("tcp", ":50000")
	}
}

func releaseWorkerPoolPort() {
	if workerPoolPort != nil {
		workerPoolPort.Close()
		workerPoolPort = nil
	}
}

// startWorkerPool starts Beam's Go SDK worker pool — the boot program of
// the apache/beam_go_sdk container, `boot --worker_pool`, as a Flink task
// manager runs it beside itself — in an empty working directory, so that
// nothing relative to the repository resolves on the workers. For each
// worker the job server asks for, the pool starts boot, which fetches the
// staged --worker_binary from the job server's artifact service, copies it
// to /tmp/binNNN/worker and runs it with --worker. The pool and its
// workers share a process group that is killed when the test ends, and the
// copies of the worker binary they made are removed.
func startWorkerPool(t *testing.T, boot string) {
	t.Helper()
	releaseWorkerPoolPort()
	if l, err := net.Listen("tcp", ":50000"); err != nil {
		t.Fatalf("Beam's Go worker pool listens on port 50000, which is taken: %v", err)
	} else {
		l.Close()
	}
	before, _ := filepath.Glob("/tmp/bin*")
	// boot materialises the staged worker binary under
	// <semi_persist_dir>/staged, /tmp/staged (the pool passes no
	// --semi_persist_dir), and copies it to /tmp/binNNN/worker.
	const staged = "/tmp/staged"
	_, err := os.Stat(staged)
	stagedBefore := err == nil
	var stagedFiles []string
	if stagedBefore {
		stagedFiles, _ = filepath.Glob(filepath.Join(staged, "*"))
	}
	var logs bytes.Buffer
	pool := exec.Command(boot, "--worker_pool")
	pool.Dir = t.TempDir()
	pool.Env = os.Environ() // STORAGE_EMULATOR_HOST: the workers reach the fake GCS
	pool.Stdout, pool.Stderr = &logs, &logs
	pool.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := pool.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-pool.Process.Pid, syscall.SIGKILL) // the pool, boot processes and workers
		pool.Wait()
		reserveWorkerPoolPort()
		after, _ := filepath.Glob("/tmp/bin*")
		for _, d := range after {
			if slices.Contains(before, d) {
				continue
			}
			if entries, err := os.ReadDir(d); err == nil && len(entries) == 1 && entries[0].Name() == "worker" {
				os.RemoveAll(d)
			}
		}
		if !stagedBefore {
			os.RemoveAll(staged)
		} else {
			now, _ := filepath.Glob(filepath.Join(staged, "*"))
			for _, f := range now {
				if !slices.Contains(stagedFiles, f) {
					os.Remove(f)
				}
			}
		}
		if t.Failed() {
			t.Logf("worker pool output:\n%s", logs.String())
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", workerPoolAddr)
		if err == nil {
			c.Close()
			return
		}
		if i == 600 {
			t.Fatalf("the worker pool did not listen on %s:\n%s", workerPoolAddr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// download copies the objects under gs://testBucket/prefix to dir.
func download(t *testing.T, server *fakestorage.Server, prefix, dir string) {
	t.Helper()
	for _, name := range objectNames(t, server, prefix) {
		obj, err := server.GetObject(testBucket, name)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, strings.TrimPrefix(name, prefix))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, obj.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// upload copies the local files to gs://testBucket/prefix/<base name>.
func upload(t *testing.T, server *fakestorage.Server, prefix string, files ...string) {
	t.Helper()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fakegcs.Put(server, testBucket, prefix+"/"+filepath.Base(f), data)
	}
}

// tablesOf lists the table folders of out that hold a run's rows (not the
// runs table, locks, journals or checkpoints).
func tablesOf(t *testing.T, out, runID string) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "run="+runID))
	var names []string
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		if name != pipelines.RunsTable && name != pipelines.CheckpointsFolder && !strings.HasPrefix(name, "_") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TestExternalWorkerPool runs every study's example the way a Flink or
// Dataflow cluster would: submitted to a standalone Prism job server (the
// Job API of Beam's Flink job server) with --environment_type=EXTERNAL,
// whose workers Beam's Go worker pool starts from the staged
// --worker_binary (lowdim built with CGO_ENABLED=0) in another working
// directory, reading inputs from and writing tables to a fake GCS (gs://).
// The bundled data sets (digits, MNIST) come from the worker binary. Each
// example, shrunk by overrides, gives the same rows as the in-process run
// of the same spec and inputs (run_id and timing columns aside), and the
// checkpoints it publishes hold the same weights and metadata (but the
// run_id).
func TestExternalWorkerPool(t *testing.T) {
	server := startFakeGCS(t)
	endpoint := startPrismJobServer(t)
	dir := t.TempDir()
	worker := filepath.Join(dir, "lowdim")
	goBuild(t, worker, ".")
	boot := filepath.Join(dir, "boot")
	goBuild(t, boot, "github.com/apache/beam/sdks/v2/go/container")
	startWorkerPool(t, boot)

	gs := "gs://" + testBucket + "/"
	upload(t, server, "in", "testdata/digits.csv.gz", "testdata/clouds/torus.npy", "testdata/multipers/hidden_circle.csv")
	steps, _ := filepath.Glob("testdata/rankdyn/st/*.safetensors")
	upload(t, server, "in/rankdyn/st", steps...)

	// The hessian study reads checkpoints of an MLP trained on the digits:
	// train one in process (the training spec of hessian-digits.yaml,
	// shorter) and put its checkpoints on gs://.
	train := writeSpec(t, t.TempDir(), "study: intrinsic_dim\nname: digits-mlp-checkpoints\nseed: 17\ninput: {dataset: digits}\n"+
		"params:\n  method: subspace\n  model: mlp\n  hidden: [16]\n  baseline_lr: 0.003\n  epochs: 2\n  batch_size: 32\n"+
		"  projection: sparse\n  subspace_dim: 50\n  checkpoint_every: 45\n")
	ckOut := t.TempDir()
	if code, o, e := runLowdim(t, "run", train, "--out", ckOut, "--run_id", "ckpt", "--quiet", "--report=false"); code != 0 {
		t.Fatalf("training run: exit %d\n%s%s", code, o, e)
	}
	cks, _ := filepath.Glob(filepath.Join(ckOut, pipelines.CheckpointsFolder, "run=ckpt", "mlp-full-seed0", "*.safetensors"))
	if len(cks) < 2 {
		t.Fatalf("training run published %d checkpoints", len(cks))
	}
	upload(t, server, "in/hessian-ck/mlp-full-seed0", cks...)

	external := []string{"--runner=universal", "--endpoint=" + endpoint, "--environment_type=EXTERNAL",
		"--environment_config=" + workerPoolAddr, "--worker_binary=" + worker}
	db := duck(t)
	for _, tc := range []struct {
		name, spec  string
		overrides   []string
		checkpoints int // published checkpoints (0: none)
	}{
		{"spectrum", "experiments/quickstart.yaml", []string{"input.path=" + gs + "in/digits.csv.gz"}, 0},
		{"landscape", "experiments/landscape-torus.yaml", []string{"input.path=" + gs + "in/torus.npy", "params.subsamples=2", "params.subsample_size=150"}, 0},
		{"landscape-multipers", "experiments/multipers-hidden-circle.yaml", []string{"input.path=" + gs + "in/hidden_circle.csv"}, 0},
		{"phase_transition", "experiments/phase-quick.yaml", []string{"params.trials=2"}, 0},
		{"rank_dynamics", "experiments/rank-dynamics-example.yaml", []string{"input.path=" + gs + "in/rankdyn/st"}, 0},
		{"intrinsic_dim-digits", "experiments/intrinsic-digits.yaml", []string{"params.epochs=1", "params.grid.projection=[sparse]", "params.grid.subspace_dim=[10,20]", "params.grid.seed=[0]"}, 0},
		{"intrinsic_dim-mnist", "experiments/mnist-mlp-checkpoints.yaml", []string{"params.max_train=640", "params.checkpoint_every=10"}, 6},
		{"intrinsic_dim-manifolds", "experiments/benchmark-manifolds.yaml", []string{"params.points=300", "input.shard_rows=300", "params.grid.method=[mle,twonn]", "params.local=[mle]"}, 0},
		{"hessian", "experiments/hessian-digits.yaml", []string{"params.checkpoints=" + gs + "in/hessian-ck/mlp-full-seed0", "params.probes=2", "params.slq_steps=20"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local, remote := t.TempDir(), t.TempDir()
			args := func(out, runID string, flags ...string) []string {
				a := append([]string{"run", tc.spec}, tc.overrides...)
				return append(append(a, "--out", out, "--run_id", runID, "--quiet", "--report=false"), flags...)
			}
			if code, o, e := runLowdim(t, args(local, "local")...); code != 0 {
				t.Fatalf("in-process run: exit %d\n%s%s", code, o, e)
			}
			out := gs + "external/" + tc.name
			if code, o, e := runLowdim(t, args(out, "external", external...)...); code != 0 {
				t.Fatalf("external run: exit %d\n%s%s", code, o, e)
			}
			download(t, server, "external/"+tc.name+"/", remote)
			names := tablesOf(t, local, "local")
			if got := tablesOf(t, remote, "external"); len(names) == 0 || !slices.Equal(got, names) {
				t.Fatalf("tables: in process %v, external %v", names, got)
			}
			for _, table := range names {
				part := func(out, run string) string {
					return fmt.Sprintf("SELECT COLUMNS(c -> c NOT IN ('run_id', 'train_seconds', 'seconds')) FROM read_parquet('%s', hive_partitioning=0)",
						filepath.Join(out, table, "run="+run, "*.parquet"))
				}
				l, r := part(local, "local"), part(remote, "external")
				n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM (%s)", l))
				diff := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s))", l, r, r, l))
				if n == 0 || diff != 0 {
					t.Errorf("%s: %d rows in process, %d rows differ on the external workers", table, n, diff)
				}
			}
			runs, err := tables.ReadRun[pipelines.RunRow](context.Background(), out, pipelines.RunsTable, "external")
			if err != nil || len(runs) != 1 || runs[0].Runner != "universal" {
				t.Errorf("runs table of the external run: %v, %+v", err, runs)
			}
			lcks, _ := filepath.Glob(filepath.Join(local, pipelines.CheckpointsFolder, "run=local", "*", "*.safetensors"))
			if len(lcks) != tc.checkpoints {
				t.Errorf("%d checkpoints published in process, want %d", len(lcks), tc.checkpoints)
			}
			for _, lp := range lcks {
				rel, _ := filepath.Rel(filepath.Join(local, pipelines.CheckpointsFolder, "run=local"), lp)
				l, err := checkpoints.ReadModel(context.Background(), lp)
				if err != nil {
					t.Fatal(err)
				}
				r, err := checkpoints.ReadModel(context.Background(), out+"/"+pipelines.CheckpointsFolder+"/run=external/"+filepath.ToSlash(rel))
				if err != nil {
					t.Errorf("checkpoint %s of the external run: %v", rel, err)
					continue
				}
				if l.Metadata["run_id"] != "local" || r.Metadata["run_id"] != "external" {
					t.Errorf("checkpoint %s: run_id %q in process, %q external", rel, l.Metadata["run_id"], r.Metadata["run_id"])
				}
				delete(l.Metadata, "run_id")
				delete(r.Metadata, "run_id")
				if !slices.Equal(l.Sizes, r.Sizes) || !slices.Equal(l.Theta, r.Theta) || !maps.Equal(l.Metadata, r.Metadata) {
					t.Errorf("checkpoint %s: external %v %v differs from in process %v %v", rel, r.Sizes, r.Metadata, l.Sizes, l.Metadata)
				}
			}
		})
	}
}
