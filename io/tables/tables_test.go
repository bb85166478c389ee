package tables

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

type row struct {
	RunID string  `parquet:"run_id"`
	I     int64   `parquet:"i"`
	V     float64 `parquet:"v"`
	Opt   *int64  `parquet:"opt,optional"`
}

func iterOf(rows []row) func(*beam.T) bool {
	i := 0
	return func(dst *beam.T) bool {
		if i == len(rows) {
			return false
		}
		*dst = rows[i]
		i++
		return true
	}
}

// TestRetriedWriteNeitherLosesNorDuplicates: a write attempt that dies half
// way leaves a torn staged file; the retry of the same bundle rewrites the
// same part name, so the committed table holds each row exactly once.
func TestRetriedWriteNeitherLosesNorDuplicates(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	fn := &writePartFn{Out: out, RunID: "r", Table: "t", Shards: 2}
	rows := []row{{"r", 1, 0.5, nil}, {"r", 2, 1.5, nil}, {"r", 3, 2.5, nil}}

	// First attempt: the worker dies after writing part of the file.
	torn := filepath.Join(StagingFolder(out, "t", "r"), PartName(1, 2))
	os.MkdirAll(filepath.Dir(torn), 0o755)
	if err := os.WriteFile(torn, []byte("PAR1 torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The retry, twice for good measure.
	for attempt := 0; attempt < 2; attempt++ {
		var written []string
		if err := fn.ProcessElement(ctx, 1, iterOf(rows), func(name string) { written = append(written, name) }); err != nil {
			t.Fatal(err)
		}
		if len(written) != 1 || written[0] != torn {
			t.Fatalf("the writer emitted %q, want the part it wrote, %s", written, torn)
		}
	}
	if _, err := Commit(ctx, out, "r", false, []string{"t"}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTable[row](ctx, out, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows committed, want %d: %+v", len(got), len(rows), got)
	}
	seen := map[int64]int{}
	for _, r := range got {
		seen[r.I]++
	}
	for _, r := range rows {
		if seen[r.I] != 1 {
			t.Errorf("row %d committed %d times", r.I, seen[r.I])
		}
	}
	if _, err := os.Stat(filepath.Join(out, StagingDir)); !os.IsNotExist(err) {
		t.Errorf("staging folder left after commit")
	}
}

func TestCommitRefusesExistingRunAndAbortCleans(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	stage := func() {
		name := filepath.Join(StagingFolder(out, "t", "r"), PartName(0, 1))
		if err := WriteFile(ctx, name, []any{row{"r", 1, 1, nil}}); err != nil {
			t.Fatal(err)
		}
	}
	stage()
	if _, err := Commit(ctx, out, "r", false, []string{"t"}); err != nil {
		t.Fatal(err)
	}
	stage()
	_, err := Commit(ctx, out, "r", false, []string{"t"})
	if err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second commit of run r: %v, want a refusal naming --overwrite", err)
	}
	if err := Abort(ctx, out, "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, StagingDir)); !os.IsNotExist(err) {
		t.Errorf("staging left after Abort")
	}
	got, err := ReadTable[row](ctx, out, "t")
	if err != nil || len(got) != 1 {
		t.Errorf("committed table after refused commit: %v rows, err %v", len(got), err)
	}
	stage()
	if _, err := Commit(ctx, out, "r", true, []string{"t"}); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if got, _ := ReadTable[row](ctx, out, "t"); len(got) != 1 {
		t.Errorf("after overwrite: %d rows, want 1", len(got))
	}
}

func TestNullableColumnRoundTrip(t *testing.T) {
	ctx := context.Background()
	name := filepath.Join(t.TempDir(), "x.parquet")
	v := int64(7)
	if err := WriteFile(ctx, name, []any{row{"r", 1, 1, &v}, row{"r", 2, 2, nil}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile[row](ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Opt == nil || *got[0].Opt != 7 || got[1].Opt != nil {
		t.Errorf("optional column: %+v", got)
	}
}
