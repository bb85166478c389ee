package tables

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// The commit protocol. Publishing a run is several renames (one per table,
// then the runs table), so it is journalled: Commit first writes
// OUT/_journal/run=<id>.json (atomically: a temporary file renamed into
// place) listing every move, then carries the moves out in order:
//
//  1. with --overwrite, the old run's folders move to OUT/_trash/run=<id>/,
//     its runs row first, so the old run disappears whole;
//  2. each staged table moves to OUT/<table>/run=<id>/, the runs table last,
//     so the new run appears whole;
//  3. the trash, the staging folder and the journal are removed.
//
// A crash at any instant leaves either no journal (nothing was published:
// the staging folder is abandoned and Recover removes it) or a journal whose
// moves Recover completes from the last one recorded done (redoing that
// one move is harmless: it is skipped when its source is gone). A run is therefore visible
// whole (all its tables and its runs row) or not at all, and the old run of
// an --overwrite stays whole until the new one is complete.
//
// Recover runs before any command touches OUT. It acts only on runs whose
// lock it can take (see Lock), so a live run's staging is never touched.

// JournalDir and TrashDir are the folders under OUT of the commit protocol.
const (
	JournalDir = "_journal"
	TrashDir   = "_trash"
)

// journal is the record of one commit.
type journal struct {
	RunID string `json:"run_id"`
	// Moves are carried out in order; Src and Dst are folders.
	Moves []move `json:"moves"`
	// Done counts the moves carried out, recorded after each one: a move's
	// destination may be a later move's source (the old run's folder, then
	// the new run's), so recovery resumes at Done, never earlier. Redoing
	// move Done itself is harmless: its source is gone once it is done.
	Done int `json:"done"`
}

type move struct {
	Src, Dst string
}

// crashHook, when set by a test, is called before each step of Commit and
// Recover with the step's name; a non-nil error stops the commit there, as
// a crash would (no cleanup runs).
var crashHook func(step string) error

func step(name string) error {
	if crashHook == nil {
		return nil
	}
	return crashHook(name)
}

// errCrash marks an error of crashHook, which Commit passes through without
// cleaning up.
var errCrash = errors.New("tables: simulated crash")

func journalFile(out, runID string) string { return Join(out, JournalDir, "run="+runID+".json") }

func trashFolder(out, table, runID string) string { return Join(out, TrashDir, "run="+runID, table) }

// plan lists the moves of a commit of tables (in order; runs last) of runID.
func commitMoves(out, runID string, tables, replaced []string) []move {
	var moves []move
	// The old run disappears whole: its runs row first (it is last in
	// tables, so walk replaced backwards).
	for i := len(replaced) - 1; i >= 0; i-- {
		t := replaced[i]
		moves = append(moves, move{Src: RunFolder(out, t, runID), Dst: trashFolder(out, t, runID)})
	}
	for _, t := range tables {
		moves = append(moves, move{Src: StagingFolder(out, t, runID), Dst: RunFolder(out, t, runID)})
	}
	return moves
}

func writeJournal(ctx context.Context, out string, j journal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	name := journalFile(out, j.RunID)
	if strings.Contains(out, "://") {
		// Object stores write an object whole or not at all.
		return WriteBytes(ctx, name, b)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

func readBytes(ctx context.Context, name string) ([]byte, error) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	return filesystem.Read(ctx, fs, name)
}

func readJournal(ctx context.Context, name string) (journal, error) {
	var j journal
	b, err := readBytes(ctx, name)
	if err != nil {
		return j, err
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return j, fmt.Errorf("%s: %w", name, err)
	}
	return j, nil
}

// apply carries out the moves of j that are not done yet, then removes the
// trash, the staging folder and the journal.
func apply(ctx context.Context, out string, j journal) error {
	for i := j.Done; i < len(j.Moves); i++ {
		m := j.Moves[i]
		if err := step("move " + m.Src); err != nil {
			return err
		}
		if err := moveFolder(ctx, out, m.Src, m.Dst); err != nil {
			return err
		}
		if err := step("record " + m.Src); err != nil {
			return err
		}
		j.Done = i + 1
		if err := writeJournal(ctx, out, j); err != nil {
			return err
		}
	}
	if err := step("cleanup"); err != nil {
		return err
	}
	if err := removeTree(ctx, out, Join(out, TrashDir, "run="+j.RunID)); err != nil {
		return err
	}
	if err := Abort(ctx, out, j.RunID); err != nil {
		return err
	}
	if err := step("journal"); err != nil {
		return err
	}
	return removeFile(ctx, journalFile(out, j.RunID))
}

// moveFolder moves every file under src to the same relative path under
// dst. A move whose source is gone is done; a destination that already
// holds files (a retried move) is replaced file by file.
func moveFolder(ctx context.Context, out, src, dst string) error {
	if !strings.Contains(out, "://") {
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			return nil // done before a crash
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.RemoveAll(dst); err != nil { // a partial earlier move cannot exist locally: renames are atomic
			return err
		}
		return os.Rename(src, dst)
	}
	files, err := ListTree(ctx, src)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return nil
	}
	fs, err := filesystem.New(ctx, dst)
	if err != nil {
		return err
	}
	defer fs.Close()
	prefix := strings.TrimSuffix(src, "/") + "/"
	for _, f := range files {
		if err := filesystem.Rename(ctx, fs, f, Join(dst, strings.TrimPrefix(f, prefix))); err != nil {
			return err
		}
	}
	return nil
}

func removeTree(ctx context.Context, out, dir string) error {
	if !strings.Contains(out, "://") {
		return os.RemoveAll(dir)
	}
	files, err := ListTree(ctx, dir)
	if err != nil {
		return err
	}
	return removeAll(ctx, files)
}

func removeFile(ctx context.Context, name string) error {
	if !strings.Contains(name, "://") {
		err := os.Remove(name)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		os.Remove(filepath.Dir(name)) // only when empty
		return err
	}
	found, err := list(ctx, name)
	if err != nil || len(found) == 0 {
		return err
	}
	return removeAll(ctx, found)
}

// Recover completes every journalled commit under out and removes the
// staging of runs that crashed before their commit, skipping runs whose lock
// another process holds. On an object store (gs://), which has no locks, it
// acts only on the run id only (the run about to start, whose id the caller
// holds); locally only = "" means every run. It returns the run ids it
// completed and removed.
func Recover(ctx context.Context, out, only string) (completed, removed []string, err error) {
	pattern := "run=*"
	if strings.Contains(out, "://") || only != "" {
		if only == "" {
			return nil, nil, nil
		}
		pattern = "run=" + only
	}
	journals, err := list(ctx, Join(out, JournalDir, pattern+".json"))
	if err != nil {
		return nil, nil, err
	}
	for _, name := range journals {
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "run="), ".json")
		lock, err := TryLock(ctx, out, id)
		if err != nil {
			continue // a live commit
		}
		j, err := readJournal(ctx, name)
		if err == nil {
			err = apply(ctx, out, j)
		}
		lock.Unlock()
		if err != nil {
			return completed, removed, fmt.Errorf("completing the commit of run %s: %w", id, err)
		}
		completed = append(completed, id)
	}
	// A journal whose writing crashed before its rename published nothing.
	temps, err := list(ctx, Join(out, JournalDir, pattern+".json.tmp"))
	if err != nil {
		return completed, removed, err
	}
	for _, name := range temps {
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "run="), ".json.tmp")
		if lock, err := TryLock(ctx, out, id); err == nil {
			err = removeFile(ctx, name)
			lock.Unlock()
			if err != nil {
				return completed, removed, err
			}
		}
	}
	staged, err := ListTree(ctx, Join(out, StagingDir))
	if err != nil {
		return completed, removed, err
	}
	ids := map[string]bool{}
	root := filepath.ToSlash(Join(out, StagingDir)) + "/"
	for _, s := range staged {
		dir, _, _ := strings.Cut(strings.TrimPrefix(filepath.ToSlash(s), root), "/")
		if id, ok := strings.CutPrefix(dir, "run="); ok && (only == "" || id == only) {
			ids[id] = true
		}
	}
	var sorted []string
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		lock, err := TryLock(ctx, out, id)
		if err != nil {
			continue // a live run
		}
		err = Abort(ctx, out, id)
		lock.Unlock()
		if err != nil {
			return completed, removed, err
		}
		removed = append(removed, id)
	}
	return completed, removed, nil
}
