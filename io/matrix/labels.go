package matrix

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/lowdim/lowdim/io/csvmat"
	"github.com/lowdim/lowdim/io/files"
)

// ReadLabelsAt is ReadLabels for uncompressed delimited text read from at,
// a position of a row at or before start (as ShardReader's ranges carry from
// PlanSource): it reads the header, seeks to at and parses only the rows
// from at.Row to end, so a shard's labels cost O(its rows), not O(start).
func ReadLabelsAt(ctx context.Context, path string, opts Options, column string, at TextPos, start, end int) ([]string, error) {
	if at.Line < 1 || at.Offset < 0 || at.Row < 0 || at.Row > start || start > end {
		return nil, fmt.Errorf("%s: labels of rows [%d, %d) cannot be read from row %d at line %d, byte %d", path, start, end, at.Row, at.Line, at.Offset)
	}
	opts.DropColumns = nil
	ts, err := OpenText(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	s := ts.(*csvSource)
	f, err := openFile(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkUnchanged(ctx, f, path, at); err != nil {
		return nil, err
	}
	rc := f.rc
	if sk, ok := rc.(io.Seeker); ok {
		if _, err := sk.Seek(at.Offset, io.SeekStart); err != nil {
			return nil, fmt.Errorf("%s: seeking to byte %d (line %d): %v", path, at.Offset, at.Line, err)
		}
	} else if n, err := io.CopyN(io.Discard, rc, at.Offset); err != nil {
		return nil, fmt.Errorf("%s: skipping to byte %d (line %d): at byte %d: %v", path, at.Offset, at.Line, n, err)
	}
	cr := csvmat.NewReaderAt(rc, path, s.layout, csvmat.Pos{Row: at.Row, Offset: at.Offset, Line: at.Line})
	return readFieldRows(ctx, cr, path, column, at.Row, start, end, opts.SkipBadRows)
}

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
	if files.IsMany(path) {
		return readManyLabels(ctx, path, opts, column, start, end)
	}
	kind, delim, err := formatOf(path, opts)
	if err != nil {
		return nil, err
	}
	if start < 0 || start > end {
		return nil, fmt.Errorf("%s: row range [%d, %d) is not a range", path, start, end)
	}
	if kind == "csv" {
		return readTextLabels(ctx, path, delim, column, start, end, opts.SkipBadRows)
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
		labels[i] = formatLabel(data[i*n+label])
	}
	return labels, nil
}

// readManyLabels is ReadLabels of a folder or glob: each file's labels of
// its part of the rows.
func readManyLabels(ctx context.Context, path string, opts Options, column string, start, end int) ([]string, error) {
	opts.DropColumns = []string{column}
	src, err := Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	m := src.(*multiSource)
	if err := checkRange(path, m.rows, start, end); err != nil {
		return nil, err
	}
	labels := make([]string, 0, end-start)
	for k, s := range m.srcs {
		lo, hi := max(start, m.starts[k]), min(end, m.starts[k]+s.Rows())
		if lo >= hi {
			continue
		}
		part, err := ReadLabels(ctx, s.Path(), opts, column, lo-m.starts[k], hi-m.starts[k])
		if err != nil {
			return nil, err
		}
		labels = append(labels, part...)
	}
	return labels, nil
}

// formatLabel is the text of a numeric label: the shortest decimal that
// reads back as v ("3" for 3.0).
func formatLabel(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// readTextLabels reads field column of data rows [start, end) of delimited text.
func readTextLabels(ctx context.Context, path, delim, column string, start, end int, skip bool) ([]string, error) {
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
	return readFieldRows(ctx, cr, path, column, 0, start, end, skip)
}

// readFieldRows reads field column of data rows [start, end) from cr, whose
// next row is row. With skip (Options.SkipBadRows) a row with the wrong
// number of fields has the label "": its values read as NaN, so it is
// dropped with its label.
func readFieldRows(ctx context.Context, cr *csvmat.Reader, path, column string, row, start, end int, skip bool) ([]string, error) {
	j, err := cr.ColumnIndex(column)
	if err != nil {
		return nil, err
	}
	for ; row < start; row++ {
		if row%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		if err := cr.Skip(); err == io.EOF {
			return nil, fmt.Errorf("%s: row range [%d, %d) outside the %d rows", path, start, end, row)
		} else if err != nil && !(skip && csvmat.IsRowError(err)) {
			return nil, err
		}
	}
	labels := make([]string, 0, end-start)
	for ; row < end; row++ {
		l, err := cr.ReadField(j)
		if err == io.EOF {
			return nil, fmt.Errorf("%s: row range [%d, %d) outside the %d rows", path, start, end, row)
		}
		if err != nil && !(skip && csvmat.IsRowError(err)) {
			return nil, err
		}
		labels = append(labels, l)
	}
	return labels, nil
}
