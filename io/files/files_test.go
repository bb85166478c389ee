package files

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestListAndIsLocalDir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.csv", "a.csv", "c.npy"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	got, err := List(context.Background(), filepath.Join(dir, "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	if got, err := List(context.Background(), filepath.Join(dir, "*.parquet")); err != nil || len(got) != 0 {
		t.Errorf("no match: %v, %v", got, err)
	}
	for p, want := range map[string]bool{dir: true, filepath.Join(dir, "sub"): true, filepath.Join(dir, "a.csv"): false, filepath.Join(dir, "none"): false, "gs://bucket/dir": false} {
		if IsLocalDir(p) != want {
			t.Errorf("IsLocalDir(%s) = %v", p, !want)
		}
	}
	for p, want := range map[string]bool{"a/*.csv": true, "a/b?.npy": true, "a/[ab].csv": true, "a/b.csv": false, "gs://b/dir/": false} {
		if IsGlob(p) != want {
			t.Errorf("IsGlob(%s) = %v", p, !want)
		}
	}
}
