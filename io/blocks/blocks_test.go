package blocks

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/npy"
)

// writeNpy writes a rows×cols float32 .npy whose element (i, j) is i·cols+j,
// except that row bad (if ≥ 0) holds a NaN in column 1.
func writeNpy(t *testing.T, rows, cols, bad int) (string, []float64) {
	t.Helper()
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = float64(i)
	}
	if bad >= 0 {
		data[bad*cols+1] = math.NaN()
	}
	p := filepath.Join(t.TempDir(), "m.npy")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, rows, cols, data, "<f4", false); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// TestShardReaderReusesOneBuffer: every Block of a plan (the last one
// shorter) holds exactly its rows, although all decode into one buffer.
func TestShardReaderReusesOneBuffer(t *testing.T) {
	const rows, cols = 103, 7
	p, want := writeNpy(t, rows, cols, -1)
	sr := ShardReader{Config: Config{Path: p}}
	var first *float64
	for _, r := range Plan(rows, 25) {
		b, err := sr.Read(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if b.Rows != r.End-r.Start || b.RowsInput != b.Rows || b.Cols != cols || b.Start != r.Start {
			t.Fatalf("shard %d: %+v", r.Index, b)
		}
		if !slices.Equal(b.Data, want[r.Start*cols:r.End*cols]) {
			t.Fatalf("shard %d: rows differ from the file", r.Index)
		}
		if first == nil {
			first = &b.Data[0]
		} else if &b.Data[0] != first {
			t.Errorf("shard %d decoded into a new buffer", r.Index)
		}
	}
}

// TestShardReaderBadRows: a NaN is an error naming the file, row and column
// (1-based: the NaN is at 0-based row 27, column 1), or, with SkipBadRows,
// drops its row and only its row.
func TestShardReaderBadRows(t *testing.T) {
	const rows, cols, bad = 40, 3, 27
	p, want := writeNpy(t, rows, cols, bad)
	ctx := context.Background()
	sr := ShardReader{Config: Config{Path: p}}
	_, err := sr.Read(ctx, Range{Start: 20, End: 40})
	if err == nil || !strings.Contains(err.Error(), p+": row 28, column 2: value NaN is not finite") {
		t.Fatalf("error %v", err)
	}
	sr = ShardReader{Config: Config{Path: p, SkipBadRows: true}}
	b, err := sr.Read(ctx, Range{Start: 20, End: 40})
	if err != nil {
		t.Fatal(err)
	}
	keep := slices.Concat(want[20*cols:bad*cols], want[(bad+1)*cols:40*cols])
	if b.Rows != 19 || b.BadRows != 1 || b.RowsInput != 20 || !slices.Equal(b.Data, keep) {
		t.Fatalf("skip: rows %d, bad %d, input %d, data equal %v", b.Rows, b.BadRows, b.RowsInput, slices.Equal(b.Data, keep))
	}
	if b.BadUnparsable != 0 || b.BadFieldCount != 0 {
		t.Errorf("a NaN counted as unparsable (%d) or ragged (%d)", b.BadUnparsable, b.BadFieldCount)
	}
}

// TestShardReaderReadEach: the pieces of a range hold its rows in order,
// each at most the byte budget (and at least one row); the totals count the
// range once; a NaN in a later piece names its 1-based row; with SkipBadRows
// it drops its row only; Checked skips the scan.
func TestShardReaderReadEach(t *testing.T) {
	const rows, cols, bad = 40, 3, 27
	p, want := writeNpy(t, rows, cols, bad)
	ctx := context.Background()
	r := Range{Index: 2, Start: 3, End: 26}
	for _, maxBytes := range []int{1, 8 * cols * 5, 8 * cols * 100} {
		sr := ShardReader{Config: Config{Path: p}}
		var got []float64
		var starts []int
		total, err := sr.ReadEach(ctx, r, maxBytes, func(b Block) error {
			if b.Rows*cols*8 > max(maxBytes, 8*cols) {
				t.Errorf("budget %d: a piece of %d rows", maxBytes, b.Rows)
			}
			starts = append(starts, b.Start)
			got = append(got, b.Data...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[3*cols:26*cols]) || starts[0] != 3 {
			t.Errorf("budget %d: pieces at %v do not hold rows 4–26", maxBytes, starts)
		}
		if total.Rows != 23 || total.RowsInput != 23 || total.Index != 2 || total.Start != 3 || total.Cols != cols || total.Data != nil {
			t.Errorf("budget %d: totals %+v", maxBytes, total)
		}
	}
	sr := ShardReader{Config: Config{Path: p}}
	_, err := sr.ReadEach(ctx, Range{Start: 20, End: 40}, 8*cols*4, func(Block) error { return nil })
	if err == nil || !strings.Contains(err.Error(), p+": row 28, column 2: value NaN is not finite") {
		t.Fatalf("error %v", err)
	}
	sr = ShardReader{Config: Config{Path: p, SkipBadRows: true}, Checked: true}
	total, err := sr.ReadEach(ctx, Range{Start: 20, End: 40}, 8*cols*4, func(Block) error { return nil })
	if err != nil || total.Rows != 19 || total.BadRows != 1 || total.RowsInput != 20 {
		t.Fatalf("skip: %+v, %v", total, err)
	}
	sr = ShardReader{Config: Config{Path: p}, Checked: true}
	var nan bool
	if _, err := sr.ReadEach(ctx, Range{Start: 20, End: 40}, 1<<20, func(b Block) error {
		nan = FirstNonFinite(b.Data) >= 0
		return nil
	}); err != nil || !nan {
		t.Errorf("Checked: error %v, NaN passed through %t", err, nan)
	}
}

func TestFirstNonFinite(t *testing.T) {
	x := make([]float64, 100)
	if i := FirstNonFinite(x); i != -1 {
		t.Errorf("all finite: %d", i)
	}
	x[70], x[37] = math.Inf(-1), math.NaN()
	if i := FirstNonFinite(x); i != 37 {
		t.Errorf("first non-finite at %d, want 37", i)
	}
}

// TestReadEachFloat32ChecksFirstRead: without Checked, a NaN in a float32
// .npy read in place is the error ReadEach gives (file, 1-based row and
// column), before the piece that holds it reaches the consumer; with
// Checked, the values pass through as stored.
func TestReadEachFloat32ChecksFirstRead(t *testing.T) {
	const rows, cols, bad = 40, 3, 27
	p, want := writeNpy(t, rows, cols, bad)
	ctx := context.Background()
	sr := ShardReader{Config: Config{Path: p}}
	var seen int
	_, ok, err := sr.ReadEachFloat32(ctx, Range{Start: 20, End: 40}, 8*cols*4, func(r, _ int, _ []float32) error {
		seen += r
		return nil
	})
	if !ok || err == nil || !strings.Contains(err.Error(), p+": row 28, column 2: value NaN is not finite") {
		t.Fatalf("ok %t, error %v", ok, err)
	}
	if seen != 4 { // the pieces of rows 21–24 only
		t.Errorf("the consumer saw %d rows before the NaN, want 4", seen)
	}
	var read []float64
	total, ok, err := sr.ReadEachFloat32(ctx, Range{Start: 0, End: 20}, 8*cols*4, func(_, _ int, data []float32) error {
		for _, v := range data {
			read = append(read, float64(v))
		}
		return nil
	})
	if !slices.Equal(read, want[:20*cols]) {
		t.Errorf("finite rows: the pieces do not hold rows 1–20")
	}
	if !ok || err != nil || total.Rows != 20 {
		t.Fatalf("finite rows: ok %t, %+v, %v", ok, total, err)
	}
	sr.Checked = true
	var nan bool
	if _, ok, err := sr.ReadEachFloat32(ctx, Range{Start: 20, End: 40}, 1<<20, func(_, _ int, data []float32) error {
		for _, v := range data {
			nan = nan || v != v
		}
		return nil
	}); !ok || err != nil || !nan {
		t.Errorf("Checked: ok %t, error %v, NaN passed through %t", ok, err, nan)
	}
}
