package tables

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/lowdim/lowdim/internal/fakegcs"
)

// stageNested stages a Parquet table "t" and a folder "checkpoints" of
// nested non-Parquet files for run r under out, and returns the relative
// paths of the nested files with their contents.
func stageNested(t *testing.T, ctx context.Context, out, tag string) map[string]string {
	t.Helper()
	if err := WriteFile(ctx, Join(StagingFolder(out, "t", "r"), PartName(0, 1)), []any{row{"r", 1, 1, nil}}); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"mlp-full-seed0/step-00000000.safetensors":       "a" + tag,
		"mlp-full-seed0/step-00000010.safetensors":       "b" + tag,
		"mlp-sparse-d20-seed0/step-00000000.safetensors": "c" + tag,
		"mlp-sparse-d20-seed0/deeper/notes.txt":          "d" + tag,
		"mlp-sparse-d20-seed0/step-00000010.safetensors": "e" + tag,
	}
	for rel, body := range files {
		writeRaw(t, ctx, Join(StagingFolder(out, "checkpoints", "r"), rel), body)
	}
	return files
}

func writeRaw(t *testing.T, ctx context.Context, name, body string) {
	t.Helper()
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if !strings.Contains(name, "://") {
		mkdirAll(t, name)
	}
	if err := filesystem.Write(ctx, fs, name, []byte(body)); err != nil {
		t.Fatal(err)
	}
}

func readRaw(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	b, err := filesystem.Read(ctx, fs, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

// checkNestedCommit stages, commits, and checks that every nested file
// arrived under OUT/checkpoints/run=r/ with its relative path and bytes,
// that nothing is staged any more, that a second commit is refused and that
// --overwrite replaces the old files (a file of the first run that the
// second does not stage is gone).
func checkNestedCommit(t *testing.T, ctx context.Context, out string) {
	files := stageNested(t, ctx, out, "1")
	writeRaw(t, ctx, Join(StagingFolder(out, "checkpoints", "r"), "only-first/x.bin"), "x")
	got, err := Commit(ctx, out, "r", false, []string{"t", "checkpoints"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"t", "checkpoints"}) {
		t.Errorf("committed %v", got)
	}
	dst := RunFolder(out, "checkpoints", "r")
	all, err := ListTree(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(files)+1 {
		t.Errorf("%d files under %s, want %d: %v", len(all), dst, len(files)+1, all)
	}
	for rel, body := range files {
		if b := readRaw(t, ctx, Join(dst, rel)); b != body {
			t.Errorf("%s: %q, want %q", rel, b, body)
		}
	}
	if left, err := ListTree(ctx, Join(out, StagingDir)); err != nil || len(left) != 0 {
		t.Errorf("staged files left after commit: %v %v", left, err)
	}
	if ok, err := Exists(ctx, dst); err != nil || !ok {
		t.Errorf("Exists(%s) = %v, %v; want true (files are one level down only)", dst, ok, err)
	}

	stageNested(t, ctx, out, "2")
	if _, err := Commit(ctx, out, "r", false, []string{"t", "checkpoints"}); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second commit: %v, want a refusal naming --overwrite", err)
	}
	if b := readRaw(t, ctx, Join(dst, "mlp-full-seed0/step-00000010.safetensors")); b != "b1" {
		t.Errorf("refused commit changed a committed file: %q", b)
	}
	if _, err := Commit(ctx, out, "r", true, []string{"t", "checkpoints"}); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	all, _ = ListTree(ctx, dst)
	if len(all) != len(files) {
		t.Errorf("after overwrite %d files, want %d: %v", len(all), len(files), all)
	}
	for rel, body := range files {
		if b := readRaw(t, ctx, Join(dst, rel)); b != strings.Replace(body, "1", "2", 1) {
			t.Errorf("after overwrite %s: %q", rel, b)
		}
	}
}

// TestCommitNestedFilesLocal: a staged folder of nested non-Parquet files
// is committed like a table.
func TestCommitNestedFilesLocal(t *testing.T) {
	checkNestedCommit(t, context.Background(), t.TempDir())
}

// TestCommitNestedFilesGCS does the same on gs:// (a fake GCS server), where
// Commit renames object by object.
func TestCommitNestedFilesGCS(t *testing.T) {
	fakegcs.Start(t, "tables-test")
	checkNestedCommit(t, context.Background(), "gs://tables-test/results")
}

// TestCommitIgnoresStrayStagedFiles: a file directly in the run's staging
// folder is no table; it is dropped, not committed.
func TestCommitIgnoresStrayStagedFiles(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	writeRaw(t, ctx, Join(out, StagingDir, "run=r", "stray.txt"), "?")
	if err := WriteFile(ctx, Join(StagingFolder(out, "t", "r"), PartName(0, 1)), []any{row{"r", 1, 1, nil}}); err != nil {
		t.Fatal(err)
	}
	got, err := Commit(ctx, out, "r", false, nil)
	if err != nil || !slices.Equal(got, []string{"t"}) {
		t.Fatalf("commit: %v, %v", got, err)
	}
	if left, _ := ListTree(ctx, Join(out, StagingDir)); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
}

func mkdirAll(t *testing.T, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
}
