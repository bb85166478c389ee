package tables

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stageRun stages a run of runID holding tables (each one file whose
// content is tag) and its runs table.
func stageRun(t testing.TB, out, runID, tag string, tables ...string) {
	t.Helper()
	for _, tb := range append(tables, runsTable) {
		name := Join(StagingFolder(out, tb, runID), PartName(0, 1))
		if err := WriteBytes(context.Background(), name, []byte(tag)); err != nil {
			t.Fatal(err)
		}
	}
}

// runState describes run runID of out: the tag of each table that holds
// it ("" when the run is absent), and whatever the protocol left behind.
func runState(t testing.TB, out, runID string) (tables map[string]string, leftovers []string) {
	t.Helper()
	tables = map[string]string{}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "_") {
			if name == LockDir {
				continue
			}
			files, _ := ListTree(context.Background(), filepath.Join(out, name))
			leftovers = append(leftovers, files...)
			continue
		}
		b, err := os.ReadFile(filepath.Join(RunFolder(out, name, runID), PartName(0, 1)))
		if err == nil {
			tables[name] = string(b)
		}
	}
	return tables, leftovers
}

// checkWhole fails unless run runID is exactly one of the wanted states
// (table → tag) and nothing is left in staging, journal or trash.
func checkWhole(t testing.TB, out, runID string, want ...map[string]string) string {
	t.Helper()
	got, left := runState(t, out, runID)
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	for i, w := range want {
		if fmt.Sprint(got) == fmt.Sprint(w) {
			return fmt.Sprint(i)
		}
	}
	t.Errorf("run %s is %v: neither whole state %v", runID, got, want)
	return ""
}

var (
	oldRun = map[string]string{"a": "old", "b": "old", "runs": "old"}
	newRun = map[string]string{"a": "new", "c": "new", "runs": "new"}
)

// TestCommitCrashAtEveryStep stops a commit that replaces a run at each of
// its steps in turn, as a crash would, then recovers: the run is always the
// old one whole or the new one whole, and nothing is left behind.
func TestCommitCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	defer func() { crashHook = nil }()
	for k := 0; ; k++ {
		out := t.TempDir()
		stageRun(t, out, "r", "old", "a", "b")
		if _, err := Commit(ctx, out, "r", false, nil); err != nil {
			t.Fatal(err)
		}
		stageRun(t, out, "r", "new", "a", "c")
		steps := 0
		crashHook = func(name string) error {
			if steps++; steps > k {
				return fmt.Errorf("%w at %s", errCrash, name)
			}
			return nil
		}
		_, err := Commit(ctx, out, "r", true, []string{"a", "c", runsTable})
		crashHook = nil
		if err == nil {
			checkWhole(t, out, "r", newRun)
			if k < 3 {
				t.Fatalf("commit finished after %d steps", k)
			}
			return
		}
		if !errors.Is(err, errCrash) {
			t.Fatal(err)
		}
		if _, _, err := Recover(ctx, out, ""); err != nil {
			t.Fatal(err)
		}
		state := checkWhole(t, out, "r", oldRun, newRun)
		t.Logf("crash before step %d: recovered %s run", k+1, map[string]string{"0": "old", "1": "new"}[state])
	}
}

// TestCommitKilledAtRandom kills (SIGKILL) a process in the middle of a
// commit that replaces a run, 200 times at random instants, then recovers.
func TestCommitKilledAtRandom(t *testing.T) {
	if out := os.Getenv("LOWDIM_COMMIT_CHILD"); out != "" {
		// The child: commit slowly (a pause at every step) until killed.
		crashHook = func(string) error { time.Sleep(300 * time.Microsecond); return nil }
		lock, err := TryLock(context.Background(), out, "r")
		if err != nil {
			os.Exit(3)
		}
		defer lock.Unlock()
		stageRun(t, out, "r", "new", "a", "c")
		os.WriteFile(filepath.Join(out, "ready"), nil, 0o644)
		if _, err := Commit(context.Background(), out, "r", true, []string{"a", "c", runsTable}); err != nil {
			os.Exit(4)
		}
		os.Exit(0)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	states := map[string]int{}
	for i := 0; i < 200; i++ {
		out := t.TempDir()
		stageRun(t, out, "r", "old", "a", "b")
		if _, err := Commit(ctx, out, "r", false, nil); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCommitKilledAtRandom$")
		cmd.Env = append(os.Environ(), "LOWDIM_COMMIT_CHILD="+out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
			if _, err := os.Stat(filepath.Join(out, "ready")); err == nil {
				break
			}
		}
		os.Remove(filepath.Join(out, "ready"))
		// The commit then takes about 5 ms (a 0.3 ms pause at each step).
		time.Sleep(time.Duration(rng.IntN(6000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, _, err := Recover(ctx, out, ""); err != nil {
			t.Fatal(err)
		}
		states[checkWhole(t, out, "r", oldRun, newRun)]++
		if t.Failed() {
			t.Fatalf("after kill %d", i+1)
		}
	}
	t.Logf("200 kills: old run whole %d times, new run whole %d times", states["0"], states["1"])
}

// TestConcurrentCommits: 20 pairs of writers race to replace the same run
// (lock, stage, commit with overwrite). A writer that cannot take the lock
// is refused before it stages anything; the run is always whole.
func TestConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	for pair := 0; pair < 20; pair++ {
		out := t.TempDir()
		stageRun(t, out, "r", "old", "a", "b")
		if _, err := Commit(ctx, out, "r", false, nil); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lock, err := TryLock(ctx, out, "r")
				if err != nil {
					errs[w] = err
					return
				}
				defer lock.Unlock()
				stageRun(t, out, "r", "new"+strconv.Itoa(w), "a", "c")
				_, errs[w] = Commit(ctx, out, "r", true, []string{"a", "c", runsTable})
			}()
		}
		wg.Wait()
		var wins []string
		for w, err := range errs {
			switch {
			case err == nil:
				wins = append(wins, "new"+strconv.Itoa(w))
			case !errors.Is(err, ErrLocked):
				t.Fatalf("pair %d writer %d: %v", pair, w, err)
			}
		}
		if len(wins) == 0 {
			t.Fatalf("pair %d: both writers refused", pair)
		}
		var want []map[string]string
		for _, tag := range wins {
			want = append(want, map[string]string{"a": tag, "c": tag, "runs": tag})
		}
		checkWhole(t, out, "r", want...)
	}
}

// TestRecoverSparesLiveRuns: a run whose lock is held keeps its staging.
func TestRecoverSparesLiveRuns(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	lock, err := TryLock(ctx, out, "live")
	if err != nil {
		t.Fatal(err)
	}
	stageRun(t, out, "live", "x", "a")
	stageRun(t, out, "dead", "y", "a")
	_, removed, err := Recover(ctx, out, "")
	if err != nil || !slices.Equal(removed, []string{"dead"}) {
		t.Fatalf("removed %v, %v; want [dead]", removed, err)
	}
	if ok, _ := Exists(ctx, Join(out, StagingDir, "run=live")); !ok {
		t.Error("the live run's staging was removed")
	}
	lock.Unlock()
	if _, err := TryLock(ctx, out, "live"); err != nil {
		t.Errorf("lock not released: %v", err)
	}
}
