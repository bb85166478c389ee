// Package tables writes lowdim's result tables: Parquet files laid out as
//
//	OUT/<table>/run=<run_id>/part-<shard>-of-<n>.parquet
//
// (design §3). A pipeline writes every table of a run into a staging folder,
// OUT/_staging/run=<run_id>/<table>/, and the launcher commits the staging
// folder when the whole run has succeeded, or aborts it when it failed, so a
// failed run never leaves a file under OUT/<table>/run=<run_id>/.
//
// Rows are Go structs tagged for github.com/parquet-go/parquet-go; a pointer
// field tagged `parquet:",optional"` is a nullable column.
//
// Any other output of a run staged as OUT/_staging/run=<run_id>/<name>/…, at
// any depth (model checkpoints, say), is committed to
// OUT/<name>/run=<run_id>/… the same way, keeping its relative paths.
package tables

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"

	"github.com/parquet-go/parquet-go"

	"github.com/lowdim/lowdim/io/files"
)

// StagingDir is the folder under OUT that holds a run's tables until Commit.
const StagingDir = "_staging"

// Join joins path elements of a local path or a URL-style path such as gs://b/p.
func Join(base string, elem ...string) string {
	if strings.Contains(base, "://") {
		return strings.TrimRight(base, "/") + "/" + path.Join(elem...)
	}
	return filepath.Join(append([]string{base}, elem...)...)
}

// RunFolder is the folder of one table of one run, OUT/<table>/run=<runID>.
func RunFolder(out, table, runID string) string {
	return Join(out, table, "run="+runID)
}

// StagingFolder is the staging folder of one table of one run.
func StagingFolder(out, table, runID string) string {
	return Join(out, StagingDir, "run="+runID, table)
}

// PartName names shard i of n.
func PartName(i, n int) string {
	return fmt.Sprintf("part-%05d-of-%05d.parquet", i, n)
}

// Encode writes rows (a slice of one struct type) as a zstd-compressed Parquet file.
// Row groups hold at most rowGroupRows rows so DuckDB can skip and parallelise scans.
func Encode(w io.Writer, rows []any) error {
	if len(rows) == 0 {
		return fmt.Errorf("tables: no rows to encode")
	}
	const rowGroupRows = 128 * 1024
	pw := parquet.NewWriter(w, parquet.SchemaOf(rows[0]), parquet.Compression(&parquet.Zstd))
	for i, r := range rows {
		if err := pw.Write(r); err != nil {
			return fmt.Errorf("tables: row %d: %w", i+1, err)
		}
		if (i+1)%rowGroupRows == 0 {
			if err := pw.Flush(); err != nil {
				return err
			}
		}
	}
	return pw.Close()
}

// WriteFile encodes rows into the file name (local or gs://), replacing it.
// The write is idempotent: a retried bundle rewrites the same bytes.
func WriteFile(ctx context.Context, name string, rows []any) error {
	var buf bytes.Buffer
	if err := Encode(&buf, rows); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return WriteBytes(ctx, name, buf.Bytes())
}

// WriteBytes writes data to the file name (local, creating its folder, or
// gs://), replacing it.
func WriteBytes(ctx context.Context, name string, data []byte) error {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return err
	}
	defer fs.Close()
	if !strings.Contains(name, "://") {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
	}
	if err := filesystem.Write(ctx, fs, name, data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// ReadFile decodes all rows of a Parquet file written by WriteFile into []T.
func ReadFile[T any](ctx context.Context, name string) ([]T, error) {
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	data, err := filesystem.Read(ctx, fs, name)
	if err != nil {
		return nil, err
	}
	rows, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rows, nil
}

// ReadRun reads every part of one committed table of one run.
func ReadRun[T any](ctx context.Context, out, table, runID string) ([]T, error) {
	files, err := list(ctx, Join(RunFolder(out, table, runID), "*.parquet"))
	if err != nil {
		return nil, err
	}
	var all []T
	for _, f := range files {
		rows, err := ReadFile[T](ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}

// ReadTable reads every part of every run of a table under out into []T.
func ReadTable[T any](ctx context.Context, out, table string) ([]T, error) {
	files, err := list(ctx, Join(out, table, "run=*", "*.parquet"))
	if err != nil {
		return nil, err
	}
	var all []T
	for _, f := range files {
		rows, err := ReadFile[T](ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}

// list returns the files matching glob (local or gs://), sorted.
var list = files.List

// Exists reports whether any file lies under the folder dir, at any depth.
func Exists(ctx context.Context, dir string) (bool, error) {
	files, err := listTree(ctx, dir, true)
	if err != nil {
		return false, err
	}
	return len(files) > 0, nil
}

// ListTree returns the files under the folder dir at any depth (local or
// gs://), sorted; none when dir does not exist. On an object store it lists
// the glob dir/** (every object whose name starts with dir/).
func ListTree(ctx context.Context, dir string) ([]string, error) {
	return listTree(ctx, dir, false)
}

func listTree(ctx context.Context, dir string, first bool) ([]string, error) {
	if strings.Contains(dir, "://") {
		return list(ctx, strings.TrimRight(dir, "/")+"/**")
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
			if first {
				return fs.SkipAll
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// Commit publishes the staged tables of runID named in want as
// OUT/<table>/run=<runID>/, in the order given (put the runs table last: it
// marks a complete run), and drops anything else staged. A staged table is
// a folder OUT/_staging/run=<runID>/<table>/ holding at least one file;
// every file in it moves, at any depth, keeping its path below the folder.
// It refuses to replace a run folder that already holds files unless
// overwrite is set; then the old run moves to the trash, whole, first.
// A nil want commits every staged table, in name order.
//
// The moves are journalled (see Recover): a crash at any instant leaves the
// new run and the old one each whole or absent, and the next Recover
// completes the commit. The caller holds the run's Lock.
func Commit(ctx context.Context, out, runID string, overwrite bool, want []string) ([]string, error) {
	staging := Join(out, StagingDir, "run="+runID)
	files, err := ListTree(ctx, staging)
	if err != nil {
		return nil, err
	}
	prefix := filepath.ToSlash(staging) + "/"
	byTable := map[string][]string{}
	for _, f := range files {
		rel, ok := strings.CutPrefix(filepath.ToSlash(f), prefix)
		table, _, nested := strings.Cut(rel, "/")
		if !ok || !nested {
			continue // a file beside the table folders belongs to no table
		}
		byTable[table] = append(byTable[table], f)
	}
	if want == nil {
		for t := range byTable {
			want = append(want, t)
		}
		sort.Strings(want)
	}
	var tableNames, replaced []string
	for _, t := range want {
		if len(byTable[t]) > 0 {
			tableNames = append(tableNames, t)
		}
	}
	// Every folder the old run has, among the tables committed now or not:
	// the old run is replaced whole.
	old, err := runTables(ctx, out, runID)
	if err != nil {
		return nil, err
	}
	for _, t := range old {
		if !overwrite {
			return nil, fmt.Errorf("%s already holds a run %q: pass --overwrite to replace it, or pick another --run_id", RunFolder(out, t, runID), runID)
		}
		replaced = append(replaced, t)
	}
	j := journal{RunID: runID, Moves: commitMoves(out, runID, tableNames, replaced)}
	if err := step("journal"); err != nil {
		return nil, err
	}
	if err := writeJournal(ctx, out, j); err != nil {
		return nil, err
	}
	return tableNames, apply(ctx, out, j)
}

// runTables lists the tables (folders under out) that hold files of runID,
// the runs table last.
func runTables(ctx context.Context, out, runID string) ([]string, error) {
	pattern := Join(out, "*", "run="+runID)
	remote := strings.Contains(out, "://")
	if remote {
		pattern = Join(pattern, "**") // objects, not folders
	}
	found, err := list(ctx, pattern)
	if err != nil {
		return nil, err
	}
	var names []string
	hasRuns := false
	root := filepath.ToSlash(out) + "/"
	for _, f := range found {
		t, _, _ := strings.Cut(strings.TrimPrefix(filepath.ToSlash(f), root), "/")
		if strings.HasPrefix(t, "_") {
			continue
		}
		if !remote {
			if ok, err := Exists(ctx, f); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		if t == runsTable {
			hasRuns = true
			continue
		}
		names = append(names, t)
	}
	sort.Strings(names)
	names = slices.Compact(names)
	if hasRuns {
		names = append(names, runsTable)
	}
	return names, nil
}

// runsTable is the name of the table of runs, whose row marks a run whole.
const runsTable = "runs"

// Abort removes the staging folder of runID and everything in it.
func Abort(ctx context.Context, out, runID string) error {
	staging := Join(out, StagingDir, "run="+runID)
	if !strings.Contains(out, "://") {
		if err := os.RemoveAll(staging); err != nil {
			return err
		}
		os.Remove(Join(out, StagingDir)) // only when empty
		return nil
	}
	files, err := list(ctx, Join(staging, "**"))
	if err != nil {
		return err
	}
	return removeAll(ctx, files)
}

func removeAll(ctx context.Context, files []string) error {
	for _, f := range files {
		fs, err := filesystem.New(ctx, f)
		if err != nil {
			return err
		}
		rm, ok := fs.(filesystem.Remover)
		if !ok {
			fs.Close()
			return fmt.Errorf("%s: file system cannot remove files", f)
		}
		err = rm.Remove(ctx, f)
		fs.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
