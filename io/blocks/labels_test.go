package blocks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/matrix"
)

// TestShardReaderLabels: with a label column every Block carries its kept
// rows' labels, a row dropped as bad loses its label too, whether the shard
// is read from its text position or (gzip) from the start.
func TestShardReaderLabels(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("x,y,label\n")
	var want []string
	for i := range 50 {
		v := fmt.Sprint(i)
		if i == 23 {
			v = "nan"
		} else {
			want = append(want, fmt.Sprintf("c%d", i%4))
		}
		fmt.Fprintf(&b, "%s,%d,c%d\n", v, -i, i%4)
	}
	p := filepath.Join(t.TempDir(), "l.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Path: p, Options: matrix.Options{DropColumns: []string{"label"}}, SkipBadRows: true, LabelColumn: "label"}
	src, err := matrix.Open(ctx, p, cfg.Options)
	if err != nil {
		t.Fatal(err)
	}
	for _, ranges := range [][]Range{PlanSource(src, 7), Plan(50, 11)} {
		sr := &ShardReader{Config: cfg}
		var labels []string
		var x []float64
		for _, r := range ranges {
			blk, err := sr.Read(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if len(blk.Labels) != blk.Rows {
				t.Fatalf("rows %d–%d: %d labels for %d rows", r.Start, r.End, len(blk.Labels), blk.Rows)
			}
			labels = append(labels, blk.Labels...)
			for i := range blk.Rows {
				x = append(x, blk.Data[i*blk.Cols])
			}
		}
		if !slices.Equal(labels, want) {
			t.Errorf("labels %v, want %v", labels, want)
		}
		for i, v := range x { // row i of the file is x = i, label c(i mod 4)
			if fmt.Sprintf("c%d", int(v)%4) != labels[i] {
				t.Errorf("row with x = %v labelled %s", v, labels[i])
			}
		}
	}
	// Without a label column, Blocks carry none.
	sr := &ShardReader{Config: Config{Path: p, Options: cfg.Options, SkipBadRows: true}}
	if blk, err := sr.Read(ctx, Plan(50, 50)[0]); err != nil || blk.Labels != nil {
		t.Errorf("labels %v, %v; want none", blk.Labels, err)
	}
}
