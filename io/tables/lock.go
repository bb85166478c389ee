package tables

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// LockDir is the folder under OUT of the runs' locks.
const LockDir = "_locks"

// Lock is a run's exclusive lock: at most one lowdim process writes a run
// id into an output at a time. Locally it is an flock(2) on
// OUT/_locks/run=<id>.lock, which the kernel releases when the holder exits,
// crashed or not. Object stores have no such lock: on gs:// Lock is a no-op
// and Recover acts only on the run being started (see Recover).
type Lock struct{ f *os.File }

// ErrLocked is wrapped by TryLock's error when another process holds the lock.
var ErrLocked = errors.New("run is locked by another lowdim process")

// TryLock takes the lock of runID in out without waiting. Creating the lock
// file also proves that out is writable, before any work starts.
func TryLock(ctx context.Context, out, runID string) (*Lock, error) {
	if strings.Contains(out, "://") {
		return &Lock{}, nil
	}
	name := Join(out, LockDir, "run="+runID+".lock")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, fmt.Errorf("output %s is not writable: %w", out, err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output %s is not writable: %w", out, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: run %q: %w; wait for it or pick another --run_id", out, runID, ErrLocked)
		}
		return nil, fmt.Errorf("%s: locking run %q: %w", out, runID, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The lock file stays: removing it could let two
// processes hold locks on two different files of the same name.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
