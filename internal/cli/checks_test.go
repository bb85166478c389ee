package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// silentListener accepts TCP connections and never answers: a server that
// hangs. It returns its address.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestHangingGCSOutput: an output on a gs:// server that accepts
// connections and never answers is refused by the checks before the run,
// saying that nothing answered within --check_timeout (the test would
// hang, not fail, if a check ignored the deadline).
func TestHangingGCSOutput(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", silentListener(t))
	spec := writeSpec(t, t.TempDir(), "study: phase_transition\nname: short\nseed: 1\nparams:\n  trials: 1\n  grid:\n    ambient_dim: [6]\n    components: [1]\n    intrinsic_dim: [2]\n    samples_per_component: [2]\n")
	code, _, stderr := runLowdim(t, "run", spec, "--out", "gs://lowdim-test/hang", "--run_id", "h", "--quiet", "--check_timeout=1s")
	msg := strings.TrimSpace(stderr)
	if code != 1 || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "gs://lowdim-test/hang") || !strings.Contains(msg, "no answer within --check_timeout=1s") {
		t.Errorf("exit %d, stderr %q; want 1 and one line naming the output and --check_timeout=1s", code, msg)
	}
}

// TestUnreachableEndpoint: a job server address nothing listens on is
// refused by the checks before planning, in one line naming the flag, with
// no output folder made.
func TestUnreachableEndpoint(t *testing.T) {
	spec := writeSpec(t, t.TempDir(), "study: phase_transition\nname: short\nseed: 1\nparams:\n  trials: 1\n  grid:\n    ambient_dim: [6]\n    components: [1]\n    intrinsic_dim: [2]\n    samples_per_component: [2]\n")
	for _, runner := range []string{"flink", "universal"} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runLowdim(t, "run", spec, "--out", out, "--run_id", "e", "--quiet", "--runner="+runner, "--endpoint=127.0.0.1:1", "--environment_type=LOOPBACK")
		msg := strings.TrimSpace(stderr)
		if code != 1 || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "--endpoint=127.0.0.1:1: the "+runner+" job server is not reachable") || !strings.Contains(msg, "connection refused") {
			t.Errorf("%s: exit %d, stderr %q", runner, code, msg)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output folder made before the endpoint check (%v)", runner, err)
		}
	}
}
