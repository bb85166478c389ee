package blocks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/io/matrix"
)

func init() {
	register.Function1x1(blockSum)
}

// blockSum is the sum of a Block's values, which are integers.
func blockSum(b Block) int {
	s := 0
	for _, v := range b.Data {
		s += int(v)
	}
	return s
}

// writeCSV writes rows×2 integers (i, 2i) as CSV with a header and returns
// the path, the text and the byte offset of each row's line.
func writeCSV(t *testing.T, rows int) (string, []byte, []int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("a,b\n")
	starts := make([]int, rows)
	for i := range rows {
		starts[i] = b.Len()
		fmt.Fprintf(&b, "%d,%d\n", i, 2*i)
	}
	p := filepath.Join(t.TempDir(), "m.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, []byte(b.String()), starts
}

// garble overwrites the rows before row end with '#' (comment lines), so a
// reader that parses them reads no rows there and miscounts the rest.
func garble(t *testing.T, p string, text []byte, starts []int, end int) {
	t.Helper()
	bad := slices.Clone(text)
	for i := starts[0]; i < starts[end]; i++ {
		if bad[i] != '\n' {
			bad[i] = '#'
		}
	}
	// Same size and modification time: readers cannot tell the file changed
	// since it was indexed, so what a shard reads shows what it parses.
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// TestShardReaderCSV: PlanSource gives every range of a CSV its start in
// the file; a ShardReader of another "process" (not the one that opened
// the file) reads each range into one buffer from that start only: after
// the rows before row 50 are turned into comment lines, the ranges after
// them still hold their rows.
func TestShardReaderCSV(t *testing.T) {
	const rows, cols, shard = 103, 2, 25
	p, text, starts := writeCSV(t, rows)
	ctx := context.Background()
	src, err := matrix.Open(ctx, p, matrix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ranges := PlanSource(src, shard)
	if len(ranges) != 5 {
		t.Fatalf("%d ranges", len(ranges))
	}
	for _, r := range ranges {
		if r.At.Row != r.Start || r.At.Offset != int64(starts[r.Start]) || r.At.Line != r.Start+2 {
			t.Fatalf("range %+v: want its row %d at byte %d, line %d", r, r.Start, starts[r.Start], r.Start+2)
		}
	}
	garble(t, p, text, starts, 50)
	sr := ShardReader{Config: Config{Path: p}}
	var first *float64
	for _, r := range ranges[2:] {
		b, err := sr.Read(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if b.Rows != r.End-r.Start || b.Cols != cols {
			t.Fatalf("range %d: %d×%d", r.Index, b.Rows, b.Cols)
		}
		for i := range b.Rows {
			if b.Data[2*i] != float64(r.Start+i) || b.Data[2*i+1] != float64(2*(r.Start+i)) {
				t.Fatalf("range %d: row %d = %v", r.Index, r.Start+i, b.Data[2*i:2*i+2])
			}
		}
		if first == nil {
			first = &b.Data[0]
		} else if &b.Data[0] != first {
			t.Errorf("range %d decoded into a new buffer", r.Index)
		}
	}
	// Without a start the reader opens the file and, as its modification
	// time is not the indexed one, scans it again and finds that it
	// changed.
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil {
		t.Fatal(err)
	}
	_, err = (&ShardReader{Config: Config{Path: p}}).Read(ctx, planWithout(ranges)[3])
	if err == nil {
		t.Error("a range without a start read a garbled file")
	}
}

// planWithout is ranges with no starts.
func planWithout(ranges []Range) []Range {
	out := slices.Clone(ranges)
	for i := range out {
		out[i].At = matrix.TextPos{}
	}
	return out
}

// TestReadCSVPipeline: the ranges' starts reach the workers of a Prism
// pipeline (the Range coder carries At): the rows before the shards read
// are garbled after planning, so a worker that scanned the file itself
// would fail or read other rows.
func TestReadCSVPipeline(t *testing.T) {
	const rows, shard = 1000, 64
	p, text, starts := writeCSV(t, rows)
	src, err := matrix.Open(context.Background(), p, matrix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ranges := PlanSource(src, shard)[4:]
	garble(t, p, text, starts, 4*shard)
	want := 0
	for i := 4 * shard; i < rows; i++ {
		want += 3 * i
	}
	pipe, s := beam.NewPipelineWithRoot()
	sums := beam.ParDo(s, blockSum, Read(s, Config{Path: p}, ranges))
	passert.Sum(s, sums, "sum", len(ranges), want)
	if err := ptest.Run(pipe); err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) { ptest.Main(m) }
