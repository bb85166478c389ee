package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	beam.RegisterDoFn(&keyByShardFn{})
	beam.RegisterDoFn(&writePartFn{})
	register.Iter1[beam.T]()
}

// Write stages rows (a PCollection of one Parquet-tagged struct type) as
// table `table` of run runID under out, in `shards` files. Rows are assigned
// to shards by a hash of their content, so the assignment does not depend on
// bundling, and a retried bundle rewrites the same file. Commit publishes the
// files once the pipeline has succeeded.
func Write(s beam.Scope, out, runID, table string, shards int, rows beam.PCollection) {
	s = s.Scope("tables.Write." + table)
	if shards < 1 {
		shards = 1
	}
	keyed := beam.ParDo(s, &keyByShardFn{Shards: shards}, rows)
	grouped := beam.GroupByKey(s, keyed)
	beam.ParDo0(s, &writePartFn{Out: out, RunID: runID, Table: table, Shards: shards}, grouped)
}

type keyByShardFn struct {
	Shards int
}

func (f *keyByShardFn) ProcessElement(row beam.T) (int, beam.T) {
	if f.Shards == 1 {
		return 0, row
	}
	// JSON follows pointers (nullable columns), so the hash depends on the
	// row's values only, never on addresses.
	b, err := json.Marshal(row)
	if err != nil {
		panic(fmt.Sprintf("tables: row of %T: %v", row, err))
	}
	h := fnv.New64a()
	h.Write(b)
	return int(h.Sum64() % uint64(f.Shards)), row
}

type writePartFn struct {
	Out, RunID, Table string
	Shards            int
}

func (f *writePartFn) ProcessElement(ctx context.Context, shard int, iter func(*beam.T) bool) error {
	var rows []any
	var row beam.T
	for iter(&row) {
		rows = append(rows, row)
	}
	name := Join(StagingFolder(f.Out, f.Table, f.RunID), PartName(shard, f.Shards))
	if err := WriteFile(ctx, name, rows); err != nil {
		return err
	}
	beam.NewCounter("lowdim", "rows_written_"+f.Table).Inc(ctx, int64(len(rows)))
	return nil
}
