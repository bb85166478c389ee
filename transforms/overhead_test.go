package transforms

import (
	"reflect"
	"testing"

	"github.com/lowdim/lowdim/io/blocks"
)

// The DoFns are registered by reflection (beam.RegisterDoFn), so a runner
// calls ProcessElement through reflect.Value.Call. These benchmarks put that
// per-element cost (measured on the element's work function, which has the
// same argument shape) beside the work of one element: a 4,096 × 64 shard.

func shardBlock(rows, cols int) blocks.Block {
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = float64((i*7919)%1000) / 1000
	}
	return blocks.Block{Path: "bench", Rows: rows, Cols: cols, RowsInput: rows, Data: data}
}

// BenchmarkReflectCallOverhead is the cost of a reflective call of
// ProcessElement minus nothing: the element is empty, so the call is all.
func BenchmarkReflectCallOverhead(b *testing.B) {
	fn := &SketchBlockFn{Cols: 64, K: 8, Oversample: 4, PowerIters: 1, Keep: 64}
	call := reflect.ValueOf(fn.sketch)
	args := []reflect.Value{reflect.ValueOf(blocks.Block{Cols: 64})}
	for b.Loop() {
		call.Call(args)
	}
}

// BenchmarkShardElement is the work of one typical element.
func BenchmarkShardElement(b *testing.B) {
	fn := &SketchBlockFn{Cols: 64, K: 8, Oversample: 4, PowerIters: 1, Keep: 64}
	blk := shardBlock(4096, 64)
	for b.Loop() {
		if _, err := fn.sketch(blk); err != nil {
			b.Fatal(err)
		}
	}
}
