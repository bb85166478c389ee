package parquetmat

import (
	"fmt"
	"io"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// WriteOptions shapes a file written by Write.
type WriteOptions struct {
	// List writes one required list<double> column named Names[0] instead of
	// one required DOUBLE column per matrix column.
	List bool
	// Names are the column names: one for List, else one per matrix column.
	// Columns are stored in sorted name order (parquet-go orders the fields
	// of a group by name), so give names that sort in column order.
	Names []string
	// Labels, when not nil, adds a required INT64 column "label", one value
	// per row.
	Labels []int64
	// GroupRows is the number of rows per row group; 0 means one group.
	GroupRows int
	// PageBytes bounds the uncompressed page size; 0 keeps parquet-go's
	// default (256 KiB).
	PageBytes int
}

// Write writes the rows×cols matrix data (row-major) to w as an uncompressed
// Parquet file laid out as opts says. It is meant for fixtures and
// benchmarks.
func Write(w io.Writer, rows, cols int, data []float64, opts WriteOptions) error {
	if len(data) != rows*cols || (opts.Labels != nil && len(opts.Labels) != rows) {
		return fmt.Errorf("parquet: %d values and %d labels for %d×%d", len(data), len(opts.Labels), rows, cols)
	}
	if (opts.List && len(opts.Names) != 1) || (!opts.List && len(opts.Names) != cols) {
		return fmt.Errorf("parquet: %d names for %d columns (list %v)", len(opts.Names), cols, opts.List)
	}
	g := parquet.Group{}
	if opts.List {
		g[opts.Names[0]] = parquet.List(parquet.Leaf(parquet.DoubleType))
	} else {
		for _, n := range opts.Names {
			g[n] = parquet.Leaf(parquet.DoubleType)
		}
	}
	if opts.Labels != nil {
		g["label"] = parquet.Leaf(parquet.Int64Type)
	}
	schema := parquet.NewSchema("matrix", g)
	// Leaf column index of each written field.
	index := map[string]int{}
	for i, path := range schema.Columns() {
		index[path[0]] = i
	}
	wopts := []parquet.WriterOption{schema}
	if opts.GroupRows > 0 {
		wopts = append(wopts, parquet.MaxRowsPerRowGroup(int64(opts.GroupRows)))
	}
	if opts.PageBytes > 0 {
		wopts = append(wopts, parquet.PageBufferSize(opts.PageBytes))
	}
	pw := parquet.NewWriter(w, wopts...)
	batch := 256
	if opts.PageBytes > 0 {
		batch = 1 // the writer checks the page size once per WriteRows call
	}
	buf := make([]parquet.Row, 0, batch)
	for i := 0; i < rows; i++ {
		row := make(parquet.Row, 0, cols+1)
		x := data[i*cols : (i+1)*cols]
		if opts.Labels != nil {
			row = append(row, parquet.ValueOf(opts.Labels[i]).Level(0, 0, index["label"]))
		}
		if opts.List {
			c := index[opts.Names[0]]
			for j, v := range x {
				rep := 1
				if j == 0 {
					rep = 0
				}
				row = append(row, parquet.ValueOf(v).Level(rep, 1, c))
			}
		} else {
			for j, v := range x {
				row = append(row, parquet.ValueOf(v).Level(0, 0, index[opts.Names[j]]))
			}
		}
		// A row lists its values in leaf column order.
		sort.SliceStable(row, func(a, b int) bool { return row[a].Column() < row[b].Column() })
		buf = append(buf, row)
		if len(buf) == batch || i == rows-1 {
			if _, err := pw.WriteRows(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return pw.Close()
}
