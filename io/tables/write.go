package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	beam.RegisterDoFn(&keyByShardFn{})
	beam.RegisterDoFn(&writePartFn{})
	beam.RegisterDoFn(&writtenFn{})
	beam.RegisterDoFn(&keyBatchByShardFn{})
	register.Emitter2[int, beam.T]()
	register.Iter1[beam.T]()
	register.Emitter1[string]()
}

// Write stages rows (a PCollection of one Parquet-tagged struct type) as
// table `table` of run runID under out, in `shards` files. Rows are assigned
// to shards by a hash of their content, so the assignment does not depend on
// bundling, and a retried bundle rewrites the same file. Commit publishes the
// files once the pipeline has succeeded.
func Write(s beam.Scope, out, runID, table string, shards int, rows beam.PCollection) {
	s = s.Scope("tables.Write." + table)
	shards = max(1, shards)
	writeParts(s, out, runID, table, shards, beam.ParDo(s, &keyByShardFn{Shards: shards}, rows))
}

// WriteBatches is Write for a PCollection whose elements are slices of rows
// (a DoFn's rows for one element, emitted together): the same table, the
// same files. A runner then moves one element per batch instead of one per
// row (Prism spends microseconds on every element it persists).
func WriteBatches(s beam.Scope, out, runID, table string, shards int, batches beam.PCollection) {
	s = s.Scope("tables.WriteBatches." + table)
	shards = max(1, shards)
	writeParts(s, out, runID, table, shards, beam.ParDo(s, &keyBatchByShardFn{Shards: shards}, batches))
}

// writeParts groups rows (or batches) keyed by their part and writes each
// part. The writer emits the parts it wrote across a Reshuffle: Prism 2.77
// spins a core in its scheduler (stage.Execute's select on a closed channel)
// for as long as a stage without outputs runs, and the writer would be such
// a stage for as long as it encodes and writes its part.
func writeParts(s beam.Scope, out, runID, table string, shards int, keyed beam.PCollection) {
	written := beam.ParDo(s, &writePartFn{Out: out, RunID: runID, Table: table, Shards: shards}, beam.GroupByKey(s, keyed))
	beam.ParDo0(s, &writtenFn{}, beam.Reshuffle(s, written))
}

// keyBatchByShardFn splits a batch of rows by the shard keyByShardFn gives
// each row, and keys each part by its shard.
type keyBatchByShardFn struct {
	Shards int
}

func (f *keyBatchByShardFn) ProcessElement(batch beam.T, emit func(int, beam.T)) {
	v := reflect.ValueOf(batch)
	if f.Shards == 1 {
		emit(0, batch)
		return
	}
	rowsOf := keyByShardFn{Shards: f.Shards}
	parts := make([]reflect.Value, f.Shards)
	for i := range v.Len() {
		shard, _ := rowsOf.ProcessElement(v.Index(i).Interface())
		if !parts[shard].IsValid() {
			parts[shard] = reflect.MakeSlice(v.Type(), 0, v.Len())
		}
		parts[shard] = reflect.Append(parts[shard], v.Index(i))
	}
	for shard, part := range parts {
		if part.IsValid() {
			emit(shard, part.Interface())
		}
	}
}

// writtenFn ends the pipeline branch of the written parts (a sink stage
// that returns at once).
type writtenFn struct{}

func (*writtenFn) ProcessElement(string) {}

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

func (f *writePartFn) ProcessElement(ctx context.Context, shard int, iter func(*beam.T) bool, emit func(string)) error {
	var rows []any
	var row beam.T
	for iter(&row) {
		if v := reflect.ValueOf(row); v.Kind() == reflect.Slice { // a batch (WriteBatches)
			for i := range v.Len() {
				rows = append(rows, v.Index(i).Interface())
			}
			continue
		}
		rows = append(rows, row)
	}
	name := Join(StagingFolder(f.Out, f.Table, f.RunID), PartName(shard, f.Shards))
	if err := WriteFile(ctx, name, rows); err != nil {
		return err
	}
	beam.NewCounter("lowdim", "rows_written_"+f.Table).Inc(ctx, int64(len(rows)))
	emit(name)
	return nil
}
