package matrix

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"

	"github.com/lowdim/lowdim/internal/fakegcs"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/ranged"
	"github.com/lowdim/lowdim/io/safetensors"
)

// TestShardFromGCSFetchesItsBytes: a shard near the end of a gs:// object
// reads the same values as from local disk and fetches about its own bytes
// (at most 64 KiB more), not the object up to its rows: npy and safetensors
// seek by range reads, csv shards resume at their planned position.
func TestShardFromGCSFetchesItsBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const rows, cols = 20000, 16
	vals := make([]float64, rows*cols)
	for i := range vals {
		vals[i] = float64(i%1000) / 8
	}
	npyPath := filepath.Join(dir, "m.npy")
	f, err := os.Create(npyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, rows, cols, vals, "<f4", false); err != nil {
		t.Fatal(err)
	}
	f.Close()
	stPath := filepath.Join(dir, "m.safetensors")
	f, err = os.Create(stPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := safetensors.Write(f, nil, safetensors.Matrix{Name: "w", Rows: rows, Cols: cols, Data: vals, DType: "F32"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	text := writeText(t, "m.csv", rows, 4)
	objects := map[string][]byte{}
	localPath := map[string]string{}
	for _, p := range []string{npyPath, stPath, text.path} {
		localPath[filepath.Base(p)] = p
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		objects[filepath.Base(p)] = b
	}
	server := fakegcs.Start(t, "b")
	for name, data := range objects {
		fakegcs.Put(server, "b", name, data)
	}

	const start, end = 17000, 18000
	for _, tc := range []struct {
		name       string
		opts       Options
		shardBytes int64
	}{
		{"m.npy", Options{}, (end - start) * cols * 4},
		{"m.safetensors", Options{}, (end - start) * cols * 4},
		{"m.csv", Options{DropColumns: []string{"label"}}, int64(text.start[end] - text.start[start])},
	} {
		local, err := Open(ctx, localPath[tc.name], tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := local.ReadRows(ctx, start, end)
		if err != nil {
			t.Fatal(err)
		}
		gs := "gs://b/" + tc.name
		var got []float64
		var fetched int64
		gsSrc, err := Open(ctx, gs, tc.opts) // the launcher's open: for csv, its index of the object
		if err != nil {
			t.Fatal(err)
		}
		if at, ok := TextPosOf(gsSrc, start); ok {
			ts, err := OpenText(ctx, gs, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			before := ranged.Fetched()
			got, err = ts.ReadRowsAt(ctx, at, start, end, nil)
			fetched = ranged.Fetched() - before
			if err != nil {
				t.Fatalf("%s: %v", gs, err)
			}
		} else {
			before := ranged.Fetched()
			got, err = gsSrc.ReadRows(ctx, start, end)
			fetched = ranged.Fetched() - before
			if err != nil {
				t.Fatalf("%s: %v", gs, err)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows [%d, %d) differ from the local file's", gs, start, end)
		}
		if fetched < tc.shardBytes || fetched > tc.shardBytes+64<<10 {
			t.Errorf("%s: fetched %d bytes for a shard of %d (object %d bytes)", gs, fetched, tc.shardBytes, len(objects[tc.name]))
		}
	}
}
