// Package blocks reads a matrix source as a Beam PCollection of row blocks:
// one element per shard, each holding only its own rows, so a worker's memory
// is bounded by shard_rows × cols whatever the size of the file.
package blocks

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/io/internal/decode"
	"github.com/lowdim/lowdim/io/matrix"
)

func init() {
	beam.RegisterDoFn(&readFn{})
	register.Emitter1[Block]()
	beam.RegisterType(reflectTypeOf[Range]())
	beam.RegisterType(reflectTypeOf[Block]())
}

// Range is the half-open row range [Start, End) of shard Index of Total.
type Range struct {
	Index, Total int
	Start, End   int
	// At, for uncompressed delimited text, is where a row at or before
	// Start begins in the file (At.Row ≤ Start), as found by the planner's
	// scan, so the shard's reader parses from there instead of from the
	// start of the file and needs no scan of its own. The zero At (Line 0)
	// means unknown.
	At matrix.TextPos
}

// Block is the rows of one shard, row-major, with the rows that were dropped
// as bad when the source was read with skipping: BadRows in all, of which
// BadUnparsable had a value that is not a number and BadFieldCount the wrong
// number of fields (delimited text); the others held NaN or ±Inf.
type Block struct {
	Path          string
	Index         int
	Start         int // row index of the shard's first row in the source
	Rows          int // rows kept
	Cols          int
	Data          []float64 // Rows × Cols row-major; valid until the reader's next Block
	BadRows       int
	BadUnparsable int
	BadFieldCount int
	RowsInput     int // rows read from the source, kept or not
	// Labels are the kept rows' labels (Config.LabelColumn), nil without one.
	Labels []string
}

// Plan splits rows into consecutive ranges of at most shardRows rows.
func Plan(rows, shardRows int) []Range {
	if shardRows < 1 {
		shardRows = rows
	}
	n := (rows + shardRows - 1) / shardRows
	ranges := make([]Range, 0, n)
	for i := 0; i < n; i++ {
		end := min((i+1)*shardRows, rows)
		ranges = append(ranges, Range{Index: i, Total: n, Start: i * shardRows, End: end})
	}
	return ranges
}

// PlanSource is Plan(src.Rows(), shardRows) with each range's At set where
// src can tell it (matrix.TextPosOf: uncompressed delimited text).
func PlanSource(src matrix.Source, shardRows int) []Range {
	ranges := Plan(src.Rows(), shardRows)
	for i := range ranges {
		ranges[i].At, _ = matrix.TextPosOf(src, ranges[i].Start)
	}
	return ranges
}

// Config says what to read and how to treat bad rows.
type Config struct {
	Path    string
	Options matrix.Options
	// SkipBadRows drops rows that cannot become finite numeric rows
	// (counted by reason): NaN or ±Inf values and, in delimited text, a
	// value that is not a number or the wrong number of fields. Otherwise
	// such a row is an error naming the file and its 1-based position.
	SkipBadRows bool
	// LabelColumn, when set, is read into Block.Labels by matrix.ReadLabels
	// (it should also be in Options.DropColumns, to keep it out of Data).
	LabelColumn string
}

// ShardsCounter counts (namespace lowdim) the Blocks Read has read: the
// shards of the spectrum and intrinsic_dim studies' progress.
const ShardsCounter = "shards"

// MatrixOptions returns c.Options with SkipBadRows set from c: the options
// to open the source with.
func (c Config) MatrixOptions() matrix.Options {
	opts := c.Options
	opts.SkipBadRows = opts.SkipBadRows || c.SkipBadRows
	return opts
}

// Open opens the source as the workers of Read do, so that a planner sees
// the rows they will read (with SkipBadRows, unparsable text rows count).
func (c Config) Open(ctx context.Context) (matrix.Source, error) {
	return matrix.Open(ctx, c.Path, c.MatrixOptions())
}

// Read reads the given row ranges of the source as Blocks. Workers decode
// every Block into one reused buffer (ShardReader), so a consumer must be
// done with a Block's Data when its ProcessElement returns, and copy what
// it keeps.
func Read(s beam.Scope, cfg Config, ranges []Range) beam.PCollection {
	s = s.Scope("blocks.Read")
	imp := beam.CreateList(s, ranges)
	return beam.ParDo(s, &readFn{Path: cfg.Path, Options: cfg.Options, SkipBadRows: cfg.SkipBadRows, LabelColumn: cfg.LabelColumn}, imp)
}

type readFn struct {
	Path        string
	Options     matrix.Options
	SkipBadRows bool
	LabelColumn string

	reader *ShardReader
}

func (f *readFn) ProcessElement(ctx context.Context, r Range, emit func(Block)) error {
	if f.reader == nil {
		f.reader = &ShardReader{Config: Config{Path: f.Path, Options: f.Options, SkipBadRows: f.SkipBadRows, LabelColumn: f.LabelColumn}}
	}
	b, err := f.reader.Read(ctx, r)
	if err != nil {
		return err
	}
	CountRead(ctx, b)
	emit(b)
	return nil
}

// ReadCounters are the names of the counters CountRead increments, for a
// DoFn that must create them before calling it from other goroutines.
func ReadCounters() []string {
	return []string{"rows_read", "bad_rows", "bad_rows_" + matrix.ReasonUnparsable, "bad_rows_" + matrix.ReasonFieldCount, "bad_rows_" + matrix.ReasonNonFinite, ShardsCounter}
}

// CountRead counts a Block read by a worker: the rows_read, bad_rows and
// shards counters and the run's progress. Every reader of shards calls it.
func CountRead(ctx context.Context, b Block) {
	CountRows(ctx, b)
	beam.NewCounter("lowdim", ShardsCounter).Inc(ctx, 1)
}

// CountRows is CountRead for part of a shard: its rows, not the shard.
func CountRows(ctx context.Context, b Block) {
	// The names are ReadCounters.
	beam.NewCounter("lowdim", "rows_read").Inc(ctx, int64(b.RowsInput))
	beam.NewCounter("lowdim", "bad_rows").Inc(ctx, int64(b.BadRows))
	beam.NewCounter("lowdim", "bad_rows_"+matrix.ReasonUnparsable).Inc(ctx, int64(b.BadUnparsable))
	beam.NewCounter("lowdim", "bad_rows_"+matrix.ReasonFieldCount).Inc(ctx, int64(b.BadFieldCount))
	beam.NewCounter("lowdim", "bad_rows_"+matrix.ReasonNonFinite).Inc(ctx, int64(b.BadRows-b.BadUnparsable-b.BadFieldCount))
}

// ShardReader reads row ranges of one matrix as Blocks, as the workers of
// Read do: the file is opened (its header parsed) once, and every Block
// decodes into the same buffer, so a Block's Data is valid only until the
// next Read. Read's consumers (fused into the reading stage, or encoding
// the Block as it is emitted) are done with it by then.
//
// A range of delimited text with a known start (Range.At, from PlanSource)
// is read with matrix.OpenText and parsed from that start only: no scan of
// the file to count its rows, no parse of the rows before the shard's.
type ShardReader struct {
	Config Config
	// Checked declares that the rows were read and found finite before (an
	// earlier pass of a multi-pass method, without SkipBadRows), so Read
	// does not scan them for NaN and ±Inf again.
	Checked bool

	src   matrix.Source
	text  matrix.TextSource
	buf   []float64
	buf32 []float32 // ReadEachFloat32's pieces
}

// Read returns the Block of rows r.Start to r.End.
func (sr *ShardReader) Read(ctx context.Context, r Range) (Block, error) {
	var (
		data []float64
		cols int
		err  error
		bad  []matrix.BadRow
		src  matrix.Source
	)
	opts := sr.Config.MatrixOptions()
	if r.At.Line > 0 {
		if sr.text == nil {
			if sr.text, err = matrix.OpenText(ctx, sr.Config.Path, opts); err != nil {
				return Block{}, err
			}
		}
		data, err = sr.text.ReadRowsAt(ctx, r.At, r.Start, r.End, sr.buf)
		cols, bad = sr.text.Cols(), matrix.BadRows(sr.text)
	} else {
		if sr.src == nil {
			if sr.src, err = matrix.Open(ctx, sr.Config.Path, opts); err != nil {
				return Block{}, err
			}
		}
		data, err = sr.src.ReadRowsInto(ctx, r.Start, r.End, sr.buf)
		cols, bad, src = sr.src.Cols(), matrix.BadRows(sr.src), sr.src
	}
	if err != nil {
		return Block{}, err
	}
	if cap(data) > cap(sr.buf) {
		sr.buf = data
	}
	var labels []string
	if c := sr.Config; c.LabelColumn != "" {
		if r.At.Line > 0 {
			labels, err = matrix.ReadLabelsAt(ctx, c.Path, opts, c.LabelColumn, r.At, r.Start, r.End)
		} else {
			labels, err = matrix.ReadLabels(ctx, c.Path, opts, c.LabelColumn, r.Start, r.End)
		}
		if err != nil {
			return Block{}, err
		}
	}
	if sr.Checked && !sr.Config.SkipBadRows && len(bad) == 0 {
		rows := r.End - r.Start
		return Block{Path: sr.Config.Path, Index: r.Index, Start: r.Start, Cols: cols, Rows: rows, RowsInput: rows, Data: data[:rows*cols], Labels: labels}, nil
	}
	return keepFiniteRows(sr.Config.Path, src, r, cols, data, labels, bad, sr.Config.SkipBadRows)
}

// PieceBytes is the piece size of the multi-pass spectrum's reads
// (ReadEach): a piece is decoded and multiplied twice (C·X, then Cᵀ·(C·X))
// while it is still in the last-level cache, instead of a shard that does
// not fit being written to memory and read back twice, and a worker holds
// one piece, not a shard (a 4,000 × 4,096 shard is 131 MB as float64).
const PieceBytes = 16 << 20

// ReadEach reads the rows of r in consecutive pieces of whole rows, each
// at most maxBytes of float64 values (at least one row), and calls each with
// every piece's Block in row order; a piece's Data is valid until each
// returns. It returns the shard's totals (rows read, kept and dropped by
// reason; no Data) for CountRead. Reading in pieces keeps a consumer's
// working set in cache, whatever the shard's size. A range of delimited text
// with a known start (Range.At) is read whole, since a later piece would
// need a start of its own.
func (sr *ShardReader) ReadEach(ctx context.Context, r Range, maxBytes int, each func(Block) error) (Block, error) {
	pieceRows := max(1, r.End-r.Start)
	if r.At.Line == 0 {
		if sr.src == nil {
			var err error
			if sr.src, err = matrix.Open(ctx, sr.Config.Path, sr.Config.MatrixOptions()); err != nil {
				return Block{}, err
			}
		}
		pieceRows = max(1, maxBytes/(8*max(1, sr.src.Cols())))
	}
	total := Block{Path: sr.Config.Path, Index: r.Index, Start: r.Start}
	for start := r.Start; ; start += pieceRows {
		piece := r
		piece.Start, piece.End = start, min(r.End, start+pieceRows)
		b, err := sr.Read(ctx, piece)
		if err != nil {
			return Block{}, err
		}
		total.Cols = b.Cols
		total.Rows += b.Rows
		total.RowsInput += b.RowsInput
		total.BadRows += b.BadRows
		total.BadUnparsable += b.BadUnparsable
		total.BadFieldCount += b.BadFieldCount
		if err := each(b); err != nil {
			return Block{}, err
		}
		if piece.End >= r.End {
			return total, nil
		}
	}
}

// ReadEachFloat32 is ReadEach for a consumer of float32 values: the pieces
// hold the file's float32 values unconverted, in place in the file's
// mapping where it can be mapped (matrix.ViewRowsFloat32: each must not
// write to them) or else read into a buffer (matrix.ReadRowsFloat32Into).
// Unless sr.Checked, every value is checked first, and a NaN or ±Inf is
// the error Read gives (file, row and column). ok is false, and nothing is
// read, when the source does not hold float32 values that can be read this
// way, or with SkipBadRows or a label column; the caller then uses ReadEach.
func (sr *ShardReader) ReadEachFloat32(ctx context.Context, r Range, maxBytes int, each func(rows, cols int, data []float32) error) (total Block, ok bool, err error) {
	if r.At.Line > 0 || sr.Config.SkipBadRows || sr.Config.LabelColumn != "" {
		return Block{}, false, nil
	}
	if sr.src == nil {
		if sr.src, err = matrix.Open(ctx, sr.Config.Path, sr.Config.MatrixOptions()); err != nil {
			return Block{}, true, err
		}
	}
	cols := sr.src.Cols()
	pieceRows := max(1, maxBytes/(8*max(1, cols)))
	total = Block{Path: sr.Config.Path, Index: r.Index, Start: r.Start, Cols: cols}
	for start := r.Start; ; start += pieceRows {
		end := min(r.End, start+pieceRows)
		data, ok, err := matrix.ViewRowsFloat32(ctx, sr.src, start, end)
		if !ok {
			data, ok, err = matrix.ReadRowsFloat32Into(ctx, sr.src, start, end, sr.buf32)
			sr.buf32 = data
		}
		if !ok || err != nil {
			return Block{}, ok, err
		}
		if !sr.Checked && !decode.AllFinite32(data) {
			piece := r
			piece.Start, piece.End = start, end
			if _, err := sr.Read(ctx, piece); err != nil {
				return Block{}, true, err
			}
			return Block{}, true, fmt.Errorf("%s: rows %d–%d: a value is NaN or infinite", sr.Config.Path, start+1, end)
		}
		total.Rows += end - start
		total.RowsInput += end - start
		if err := each(end-start, cols, data); err != nil {
			return Block{}, true, err
		}
		if end >= r.End {
			return total, true, nil
		}
	}
}

// FirstNonFinite returns the index of the first NaN or ±Inf in data, or -1
// when every value is finite (one vectorised pass in the common case).
func FirstNonFinite(data []float64) int { return decode.FirstNonFinite(data) }

// keepFiniteRows checks every value; a row with NaN or ±Inf is dropped (with
// its label, when labels is not nil) when skip is set and is an error naming
// the file, row and column (1-based, as editors show) otherwise. bad lists
// the rows the source could not parse (read as NaN), so that they are
// counted by reason. src, when not nil, names the file of a row of a source
// of several files (matrix.Locate).
func keepFiniteRows(path string, src matrix.Source, r Range, cols int, data []float64, labels []string, bad []matrix.BadRow, skip bool) (Block, error) {
	rows := r.End - r.Start
	b := Block{Path: path, Index: r.Index, Start: r.Start, Cols: cols, RowsInput: rows, Labels: labels}
	if decode.AllFinite(data[:rows*cols]) {
		b.Rows, b.Data = rows, data[:rows*cols]
		return b, nil
	}
	kept := 0
	for i := 0; i < rows; i++ {
		row := data[i*cols : (i+1)*cols]
		at := -1
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				at = j
				break
			}
		}
		if at >= 0 {
			if len(bad) > 0 && bad[0].Row == r.Start+i {
				switch bad[0].Reason {
				case matrix.ReasonFieldCount:
					b.BadFieldCount++
				default:
					b.BadUnparsable++
				}
				bad = bad[1:]
			} else if !skip {
				file, n := path, r.Start+i
				if src != nil {
					file, n = matrix.Locate(src, n)
				}
				return Block{}, fmt.Errorf("%s: row %d, column %d: value %v is not finite (set input.on_bad_rows: skip to drop such rows)", file, n+1, at+1, row[at])
			}
			b.BadRows++
			continue
		}
		copy(data[kept*cols:], row)
		if labels != nil {
			labels[kept] = labels[i]
		}
		kept++
	}
	b.Rows = kept
	b.Data = data[:kept*cols]
	if labels != nil {
		b.Labels = labels[:kept]
	}
	return b, nil
}
