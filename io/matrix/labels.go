package matrix

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/lowdim/lowdim/io/csvmat"
)

// ReadLabels returns the labels of rows [start, end) of the matrix file at
// path: the text of column (a 0-based index, negative from the end, or a
// header or Parquet column name) of each row, the column that
// Options.DropColumns removes from the matrix. The rows are numbered as
// Open's, so the labels line up with ReadRows(start, end).
//
// Delimited text (csv, tsv, txt, gzipped or not) yields the field's text with
// blanks trimmed, so labels may be words ("cat"); the rows before start are
// skipped without parsing their values (O(start) reading per call). The other
// formats store numbers: a label is the value formatted by
// strconv.FormatFloat(v, 'g', -1, 64) ("3" for 3.0). opts.DropColumns is
// ignored; the other options select the file's layout as in Open.
func ReadLabels(ctx context.Context, path string, opts Options, column string, start, end int) ([]string, error) {
	kind, delim, err := formatOf(path, opts)
	if err != nil {
		return nil, err
	}
	if start < 0 || start > end {
		return nil, fmt.Errorf("%s: row range [%d, %d) is not a range", path, start, end)
	}
	if kind == "csv" {
		return readTextLabels(ctx, path, delim, column, start, end)
	}
	opts.DropColumns = []string{column}
	src, err := Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	var (
		all  Source
		keep []int
	)
	switch s := src.(type) {
	case *npySource:
		full := *s
		full.keep, keep, all = nil, s.keep, &full
	case *other:
		full := *s
		full.keep, keep, all = nil, s.keep, &full
	default:
		return nil, fmt.Errorf("%s: labels cannot be read from format %s", path, kind)
	}
	label := -1
	for j := range all.Cols() {
		if !slices.Contains(keep, j) {
			label = j
			break
		}
	}
	data, err := all.ReadRows(ctx, start, end)
	if err != nil {
		return nil, err
	}
	n := all.Cols()
	labels := make([]string, end-start)
	for i := range labels {
		labels[i] = strconv.FormatFloat(data[i*n+label], 'g', -1, 64)
	}
	return labels, nil
}

// readTextLabels reads field column of data rows [start, end) of delimited text.
func readTextLabels(ctx context.Context, path, delim, column string, start, end int) ([]string, error) {
	f, err := openFile(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr, err := csvmat.NewReader(f.rc, path, csvmat.Options{Delimiter: delim})
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	j, err := cr.ColumnIndex(column)
	if err != nil {
		return nil, err
	}
	for row := 0; row < start; row++ {
		if row%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		if err := cr.Skip(); err == io.EOF {
			return nil, fmt.Errorf("%s: row range [%d, %d) outside the %d rows", path, start, end, row)
		} else if err != nil {
			return nil, err
		}
	}
	labels := make([]string, 0, end-start)
	for row := start; row < end; row++ {
		l, err := cr.ReadField(j)
		if err == io.EOF {
			return nil, fmt.Errorf("%s: row range [%d, %d) outside the %d rows", path, start, end, row)
		}
		if err != nil {
			return nil, err
		}
		labels = append(labels, l)
	}
	return labels, nil
}
