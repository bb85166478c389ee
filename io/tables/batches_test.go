package tables

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func init() {
	beam.RegisterType(reflect.TypeFor[row]())
}

// TestWriteBatchesWritesWhatWriteWrites: rows written as batches of 7 land
// in the same parts, with the same rows, as the rows written one by one, for
// one part and for three.
func TestWriteBatchesWritesWhatWriteWrites(t *testing.T) {
	ctx := context.Background()
	var rows []row
	var batches [][]row
	for i := range 100 {
		rows = append(rows, row{RunID: "r", I: int64(i), V: float64(i) / 3})
		if i%7 == 0 {
			batches = append(batches, nil)
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], rows[i])
	}
	for _, shards := range []int{1, 3} {
		out := t.TempDir()
		p, s := beam.NewPipelineWithRoot()
		Write(s, out, "rows", "t", shards, beam.CreateList(s, rows))
		WriteBatches(s, out, "batches", "t", shards, beam.CreateList(s, batches))
		if err := ptest.Run(p); err != nil {
			t.Fatal(err)
		}
		for part := range shards {
			read := func(runID string) []string {
				got, err := ReadFile[row](ctx, Join(StagingFolder(out, "t", runID), PartName(part, shards)))
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, r := range got {
					keys = append(keys, fmt.Sprintf("%+v", r))
				}
				slices.Sort(keys)
				return keys
			}
			one, batched := read("rows"), read("batches")
			if len(one) == 0 || !slices.Equal(one, batched) {
				t.Errorf("%d parts: part %d holds %d rows written one by one and %d written in batches, or they differ", shards, part, len(one), len(batched))
			}
		}
	}
}

func TestMain(m *testing.M) { ptest.Main(m) }
