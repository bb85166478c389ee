package blocks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/matrix"
)

// badText is a csv with a header, a comment, one row of each bad kind and
// good rows between: line 4 has an unparsable value, line 6 too few
// fields, line 8 a NaN, line 9 a value beyond float64, line 10 too many.
const badText = "x,y,label\n" + // line 1
	"1,2,a\n" + // 2: row 0
	"# note\n" + // 3
	"3,abc,b\n" + // 4: row 1, unparsable
	"5,6,c\n" + // 5: row 2
	"7,8\n" + // 6: row 3, field count
	"9,10,d\n" + // 7: row 4
	"NaN,12,e\n" + // 8: row 5, non-finite
	"1e999,14,f\n" + // 9: row 6, out of range
	"15,16,g,h\n" + // 10: row 7, field count
	"17,18,i\n" // 11: row 8

// TestShardReaderSkipsBadTextRows: by default the first bad row is an error
// naming the file and its 1-based line and column; with SkipBadRows every
// row that cannot become a finite numeric row is dropped (with its label)
// and counted by reason, however the rows are split into shards and
// whether the shard is read from an indexed position or not.
func TestShardReaderSkipsBadTextRows(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(p, []byte(badText), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := matrix.Options{DropColumns: []string{"label"}}
	if _, err := (Config{Path: p, Options: opts}).Open(ctx); err == nil || !strings.Contains(err.Error(), p+`: line 4, column 2: parse "abc": invalid number`) {
		t.Errorf("default: error %v, want line 4, column 2", err)
	}
	cfg := Config{Path: p, Options: opts, SkipBadRows: true, LabelColumn: "label"}
	src, err := cfg.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if src.Rows() != 9 || src.Cols() != 2 {
		t.Fatalf("shape %d x %d, want 9 x 2 (bad rows count as rows)", src.Rows(), src.Cols())
	}
	for _, shard := range []int{9, 4, 1} {
		for _, positioned := range []bool{true, false} {
			ranges := PlanSource(src, shard)
			var data []float64
			var labels []string
			var b Block
			sr := ShardReader{Config: cfg}
			for _, r := range ranges {
				if !positioned {
					r.At = matrix.TextPos{}
				}
				got, err := sr.Read(ctx, r)
				if err != nil {
					t.Fatalf("shard %d: %v", shard, err)
				}
				data = append(data, got.Data...)
				labels = append(labels, got.Labels...)
				b.BadRows += got.BadRows
				b.BadUnparsable += got.BadUnparsable
				b.BadFieldCount += got.BadFieldCount
				b.RowsInput += got.RowsInput
			}
			if want := []float64{1, 2, 5, 6, 9, 10, 17, 18}; !slices.Equal(data, want) {
				t.Errorf("shard %d positioned %v: data %v, want %v", shard, positioned, data, want)
			}
			if want := []string{"a", "c", "d", "i"}; !slices.Equal(labels, want) {
				t.Errorf("shard %d positioned %v: labels %v, want %v", shard, positioned, labels, want)
			}
			if b.BadRows != 5 || b.BadUnparsable != 2 || b.BadFieldCount != 2 || b.RowsInput != 9 {
				t.Errorf("shard %d positioned %v: bad %d (unparsable %d, field count %d), input %d; want 5 (2, 2), 9",
					shard, positioned, b.BadRows, b.BadUnparsable, b.BadFieldCount, b.RowsInput)
			}
		}
	}
}

// TestShardReaderManyFiles: a glob reads its files' rows one after the
// other; a non-finite value is reported with its own file and 1-based row.
func TestShardReaderManyFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, text := range map[string]string{"a.csv": "1,2\n3,4\n", "b.csv": "5,6\n7,NaN\n9,10\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Path: filepath.Join(dir, "*.csv")}
	src, err := cfg.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sr := ShardReader{Config: cfg}
	_, err = sr.Read(ctx, PlanSource(src, 10)[0])
	if want := filepath.Join(dir, "b.csv") + ": row 2, column 2: value NaN is not finite"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
	cfg.SkipBadRows = true
	sr = ShardReader{Config: cfg}
	var data []float64
	for _, r := range PlanSource(src, 2) {
		b, err := sr.Read(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b.Data...)
	}
	if want := []float64{1, 2, 3, 4, 5, 6, 9, 10}; !slices.Equal(data, want) {
		t.Errorf("data %v, want %v", data, want)
	}
}
