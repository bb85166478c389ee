// Package clouds reads point clouds, one point per row: a whole matrix
// file (any format of package matrix) per cloud, or one table split into
// clouds by the values of a group column. Non-finite points are refused or
// dropped and counted.
package clouds

import (
	"context"
	"fmt"
	"io"
	"math"
	pathpkg "path"
	"slices"
	"strconv"
	"strings"

	"github.com/lowdim/lowdim/io/csvmat"
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/format"
	"github.com/lowdim/lowdim/io/matrix"
)

// Reader says how to read a point cloud file: one row per point.
type Reader struct {
	Format    string   // "" picks it by extension
	Delimiter string   // csv
	Column    string   // Parquet list column, or the tensor of a .safetensors/.npz file
	Columns   []string // Parquet scalar columns
	Drop      []string // columns dropped (e.g. a label column)
	// SkipBadRows drops points with a NaN or ±Inf coordinate and, in
	// delimited text, rows with a value that is not a number or (except in
	// a grouped table) the wrong number of fields, counted by reason;
	// otherwise such a point is an error naming the file and 1-based row.
	SkipBadRows bool
	// GroupBy names the column whose values split a table into clouds
	// (ReadGroups); "" reads one cloud per file (Read).
	GroupBy string
}

// Cloud is a point cloud read by Reader.Read: N points of dimension Dim,
// row-major in Points.
type Cloud struct {
	Path    string
	Group   string // the cloud's value of Reader.GroupBy; "" for a whole file
	Points  []float64
	N, Dim  int
	BadRows int // points dropped: a non-finite or unparsable coordinate, or the wrong number of fields
	// BadUnparsable and BadFieldCount are the BadRows of delimited text
	// that had a value that is not a number or the wrong number of fields.
	BadUnparsable, BadFieldCount int
}

// Read reads every row of the file at path as a point. A file of 0 columns is an error.
func (r Reader) Read(ctx context.Context, path string) (Cloud, error) {
	opts := matrix.Options{Format: r.Format, Delimiter: r.Delimiter, Columns: r.Columns, DropColumns: r.Drop, SkipBadRows: r.SkipBadRows}
	if r.Column != "" {
		if r.Format == "parquet" || (r.Format == "" && strings.ToLower(pathpkg.Ext(path)) == ".parquet") {
			opts.Column = r.Column
		} else {
			opts.Tensor = r.Column
		}
	}
	src, err := matrix.Open(ctx, path, opts)
	if err != nil {
		return Cloud{}, err
	}
	n, dim := src.Rows(), src.Cols()
	if dim < 1 {
		return Cloud{}, fmt.Errorf("%s: %d columns: a point cloud needs at least one coordinate", path, dim)
	}
	data, err := src.ReadRows(ctx, 0, n)
	if err != nil {
		return Cloud{}, err
	}
	return r.finite(Cloud{Path: path, Dim: dim}, data, nil, matrix.BadRows(src))
}

// finite fills c.Points with the rows of the row-major data (c.Dim
// columns) listed in rows, or with every row when rows is nil, dropping
// (and counting) rows with a non-finite coordinate when r.SkipBadRows is
// set and refusing them otherwise. bad lists the rows the source could not
// parse (matrix.BadRows), counted by reason. It reuses data.
func (r Reader) finite(c Cloud, data []float64, rows []int, bad []matrix.BadRow) (Cloud, error) {
	reason := make(map[int]string, len(bad))
	for _, b := range bad {
		reason[b.Row] = b.Reason
	}
	dim := c.Dim
	n := len(data) / dim
	if rows != nil {
		n = len(rows)
	}
	out := data
	if rows != nil {
		out = make([]float64, 0, n*dim)
	}
	for k := 0; k < n; k++ {
		i := k
		if rows != nil {
			i = rows[k]
		}
		row := data[i*dim : (i+1)*dim]
		if j := slices.IndexFunc(row, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }); j >= 0 {
			if !r.SkipBadRows {
				return Cloud{}, fmt.Errorf("%s: row %d, column %d: coordinate %v is not finite (set input.on_bad_rows: skip to drop such points)", c.Path, i+1, j+1, row[j])
			}
			switch reason[i] {
			case matrix.ReasonUnparsable:
				c.BadUnparsable++
			case matrix.ReasonFieldCount:
				c.BadFieldCount++
			}
			c.BadRows++
			continue
		}
		if rows != nil {
			out = append(out, row...)
		} else {
			copy(out[c.N*dim:], row)
		}
		c.N++
	}
	c.Points = out[:c.N*dim]
	return c, nil
}

// ReadGroups reads the table at path, a csv file with a header row or a
// Parquet file of numeric scalar columns, and splits its rows into one
// cloud per distinct value of the column r.GroupBy, in the order the values
// first appear; each Cloud has Group set to its value and Path to path. The
// coordinates are the other columns: for csv every column but the group
// column and r.Drop; for Parquet r.Columns (or every numeric scalar column)
// less the group column and r.Drop. csv group values are compared as text
// (after trimming blanks), so "1" and "1.0" are two clouds; a Parquet group
// column must be numeric, and its values are named by
// strconv.FormatFloat(v, 'g', -1, 64). Row numbers in errors are 0-based
// data rows of the table. It returns an error for a missing group column,
// an empty or NaN group value, or a format other than csv or Parquet; r.Column
// must be empty.
func (r Reader) ReadGroups(ctx context.Context, path string) ([]Cloud, error) {
	if r.GroupBy == "" {
		return nil, fmt.Errorf("%s: no group column to split the table by", path)
	}
	if r.Column != "" {
		return nil, fmt.Errorf("%s: a grouped table has scalar coordinate columns; input.column %q does not apply", path, r.Column)
	}
	kind := tableFormat(path, r.Format)
	var labels []string
	opts := matrix.Options{Format: r.Format, Delimiter: r.Delimiter}
	switch kind {
	case format.CSV:
		var j int
		var err error
		labels, j, err = r.readTextColumn(ctx, path)
		if err != nil {
			return nil, err
		}
		// By index: a header name that parses as an integer would be taken as one.
		opts.DropColumns = append(slices.Clone(r.Drop), strconv.Itoa(j))
	case format.Parquet:
		src, err := matrix.Open(ctx, path, matrix.Options{Format: "parquet", Columns: []string{r.GroupBy}})
		if err != nil {
			return nil, fmt.Errorf("input.group_by %q: %w", r.GroupBy, err)
		}
		vals, err := src.ReadRows(ctx, 0, src.Rows())
		if err != nil {
			return nil, err
		}
		labels = make([]string, len(vals))
		for i, v := range vals {
			if math.IsNaN(v) {
				return nil, fmt.Errorf("%s: row %d: group column %q is NaN", path, i+1, r.GroupBy)
			}
			labels[i] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		opts.Format = "parquet"
		opts.Columns = r.Columns
		opts.DropColumns = slices.Clone(r.Drop)
		if len(r.Columns) == 0 || slices.Contains(r.Columns, r.GroupBy) {
			opts.DropColumns = append(opts.DropColumns, r.GroupBy)
		}
	default:
		return nil, fmt.Errorf("%s: input.group_by %q needs a table with named columns: csv with a header row, or parquet (format %q)", path, r.GroupBy, kind)
	}
	opts.SkipBadRows = r.SkipBadRows
	src, err := matrix.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	n, dim := src.Rows(), src.Cols()
	if n != len(labels) {
		return nil, fmt.Errorf("%s: %d values of group column %q for %d rows of coordinates (file changed while read?)", path, len(labels), r.GroupBy, n)
	}
	data, err := src.ReadRows(ctx, 0, n)
	if err != nil {
		return nil, err
	}
	var order []string
	rows := map[string][]int{}
	for i, g := range labels {
		if _, ok := rows[g]; !ok {
			order = append(order, g)
		}
		rows[g] = append(rows[g], i)
	}
	clouds := make([]Cloud, len(order))
	for k, g := range order {
		c, err := r.finite(Cloud{Path: path, Group: g, Dim: dim}, data, rows[g], matrix.BadRows(src))
		if err != nil {
			return nil, err
		}
		clouds[k] = c
	}
	return clouds, nil
}

// tableFormat returns the format of the table at path: kind in lower case
// when it is set, else the format its name implies, delimited text of any
// extension being csv.
func tableFormat(path, kind string) string {
	if kind != "" {
		return strings.ToLower(kind)
	}
	switch f := format.Of(path); f {
	case format.TSV, format.TXT:
		return format.CSV
	default:
		return f
	}
}

// readTextColumn returns the values (blanks trimmed) of the column
// r.GroupBy of the delimited text at path, one per data row as Read counts
// them (matrix.OpenRecords: the dialect of the coordinates), and the
// column's 0-based index. The first row must be a header naming the column.
func (r Reader) readTextColumn(ctx context.Context, path string) ([]string, int, error) {
	name := r.GroupBy
	rec, err := matrix.OpenRecords(ctx, path, matrix.Options{Format: r.Format, Delimiter: r.Delimiter}, csvmat.HeaderPresent)
	if err != nil {
		return nil, 0, err
	}
	defer rec.Close()
	header := rec.Header()
	j := slices.Index(header, name)
	numeric := !slices.ContainsFunc(header, func(h string) bool {
		_, err := strconv.ParseFloat(h, 64)
		return err != nil
	})
	switch {
	case j < 0 && numeric:
		return nil, 0, fmt.Errorf("%s: no header row, so no column %q to group the points by (input.group_by names a column of the header)", path, name)
	case j < 0:
		return nil, 0, fmt.Errorf("%s: no column %q to group the points by (input.group_by); the first row has %s", path, name, strings.Join(header, ", "))
	}
	var vals []string
	for {
		if len(vals)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, fmt.Errorf("%s: %w", path, err)
			}
		}
		v, err := rec.ReadField(j)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if v == "" {
			return nil, 0, fmt.Errorf("%s: row %d: empty value of group column %q", path, len(vals)+1, name)
		}
		vals = append(vals, v)
	}
	return vals, j, nil
}

// List expands an input path into cloud files, sorted: a glob's matches,
// a folder's files, or the file itself. In a folder or glob, names
// starting with "." or "_" are skipped, and so are files whose name implies
// no input format (format.Names), unless there are only such files and
// kind is set: then they are all read in that format (files.Expand).
func List(ctx context.Context, p, kind string) ([]string, error) {
	return files.Expand(ctx, p, kind, "point cloud files")
}
