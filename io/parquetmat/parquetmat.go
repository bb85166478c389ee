// Package parquetmat reads a numeric matrix from a Parquet file, one matrix
// row per table row, with github.com/parquet-go/parquet-go.
//
// The matrix is either
//   - one list column (list<double>, list<float> or a list of integers):
//     each row's list is a matrix row, and every list must have the same
//     length, which becomes the column count; or
//   - a set of numeric scalar columns (INT32, INT64, FLOAT, DOUBLE, without
//     a logical type other than an integer one), in the order given; by
//     default every such top-level column, in schema order.
//
// The row count comes from the footer. ReadRows reads only the row groups
// that overlap the requested rows and, within a row group, seeks to the first
// wanted row through the page index when the file has one. Null values, null
// or empty lists and lists of the wrong length are errors naming the row.
package parquetmat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Options selects the matrix in a file. Column and Columns are exclusive.
type Options struct {
	// Column names a list column whose lists are the matrix rows.
	Column string
	// Columns are numeric scalar columns, by name or by 0-based index among
	// the top-level fields. Empty (and Column empty) means every numeric
	// top-level column.
	Columns []string
}

// File is a Parquet file opened as a matrix.
type File struct {
	Rows, Cols int
	// Names are the selected scalar columns, or the single list column.
	Names []string
	// GroupStarts[g] is the first row of row group g; the last entry is Rows.
	GroupStarts []int64

	pf     *parquet.File
	leaves []int          // leaf column index per selected column
	kinds  []parquet.Kind // physical kind per selected column
	uns    []bool         // unsigned integer logical type per selected column
	list   bool
}

// DType returns the physical type of the selected columns as a NumPy name
// ("float64", "float32", "int32", "int64", "uint32" or "uint64"), or
// "mixed" when they differ.
func (f *File) DType() string {
	name := func(i int) string {
		switch f.kinds[i] {
		case parquet.Double:
			return "float64"
		case parquet.Float:
			return "float32"
		case parquet.Int32:
			if f.uns[i] {
				return "uint32"
			}
			return "int32"
		}
		if f.uns[i] {
			return "uint64"
		}
		return "int64"
	}
	d := name(0)
	for i := range f.kinds {
		if name(i) != d {
			return "mixed"
		}
	}
	return d
}

// Open reads the footer of the size-byte Parquet file r and selects the
// matrix columns. For a list column it also reads the first row, to learn the
// list length.
func Open(r io.ReaderAt, size int64, opts Options) (f *File, err error) {
	defer recoverErr(&err)
	if opts.Column != "" && len(opts.Columns) > 0 {
		return nil, errors.New("parquet: set a list column or scalar columns, not both")
	}
	// Check the footer length before parquet-go allocates a buffer of it.
	if size < 12 {
		return nil, fmt.Errorf("parquet: file has %d bytes; a Parquet file has at least 12 (file truncated?)", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("parquet: byte %d: reading the footer length: %v", size-8, err)
	}
	if string(tail[4:]) != "PAR1" {
		return nil, fmt.Errorf("parquet: byte %d: bad footer magic %q (not a Parquet file, or truncated?)", size-4, tail[4:])
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return nil, fmt.Errorf("parquet: byte %d: footer length %d exceeds the %d bytes before it (file truncated?)", size-8, n, size-12)
	}
	pf, err := parquet.OpenFile(r, size, parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("parquet: %v", err)
	}
	f = &File{pf: pf, Rows: int(pf.NumRows())}
	var n int64
	for _, rg := range pf.RowGroups() {
		f.GroupStarts = append(f.GroupStarts, n)
		n += rg.NumRows()
	}
	f.GroupStarts = append(f.GroupStarts, n)
	if n != pf.NumRows() {
		return nil, fmt.Errorf("parquet: footer says %d rows, its row groups hold %d", pf.NumRows(), n)
	}
	if opts.Column != "" {
		err = f.selectList(opts.Column)
	} else {
		err = f.selectScalars(opts.Columns)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// recoverErr turns a panic inside parquet-go on a malformed file into an error.
func recoverErr(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("parquet: malformed file: %v", p)
	}
}

// numeric reports whether a leaf holds plain numbers, and whether they are
// unsigned integers.
func numeric(c *parquet.Column) (ok, unsigned bool) {
	if !c.Leaf() {
		return false, false // Kind panics on groups such as LIST
	}
	t := c.Type()
	switch t.Kind() {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
	default:
		return false, false
	}
	lt := t.LogicalType()
	if lt == nil || lt.Value == nil {
		return true, false
	}
	if it, ok := lt.Value.(*format.IntType); ok {
		return true, !it.IsSigned
	}
	return false, false
}

func describe(c *parquet.Column) string {
	if !c.Leaf() {
		return "a group"
	}
	s := c.Type().String()
	if c.Repeated() {
		s = "repeated " + s
	}
	return s
}

func (f *File) fieldNames() string {
	var names []string
	for _, c := range f.pf.Root().Columns() {
		names = append(names, c.Name()+" ("+describe(c)+")")
	}
	return strings.Join(names, ", ")
}

func (f *File) field(name string) (*parquet.Column, error) {
	cols := f.pf.Root().Columns()
	for _, c := range cols {
		if c.Name() == name {
			return c, nil
		}
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(cols) {
		return cols[i], nil
	}
	return nil, fmt.Errorf("parquet: no column %q; columns: %s", name, f.fieldNames())
}

func (f *File) selectScalars(names []string) error {
	var cols []*parquet.Column
	if len(names) == 0 {
		for _, c := range f.pf.Root().Columns() {
			if ok, _ := numeric(c); ok && !c.Repeated() {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			return fmt.Errorf("parquet: no numeric scalar columns; name a list column; columns: %s", f.fieldNames())
		}
	}
	for _, name := range names {
		c, err := f.field(name)
		if err != nil {
			return err
		}
		if ok, _ := numeric(c); !ok || c.Repeated() {
			hint := ""
			if !c.Leaf() || c.Repeated() {
				hint = "; to read a list column, set the column option instead"
			}
			return fmt.Errorf("parquet: column %q is %s, not a numeric scalar%s", c.Name(), describe(c), hint)
		}
		cols = append(cols, c)
	}
	for _, c := range cols {
		_, uns := numeric(c)
		f.Names = append(f.Names, c.Name())
		f.leaves = append(f.leaves, c.Index())
		f.kinds = append(f.kinds, c.Type().Kind())
		f.uns = append(f.uns, uns)
	}
	f.Cols = len(cols)
	return nil
}

func (f *File) selectList(name string) error {
	top, err := f.field(name)
	if err != nil {
		return err
	}
	leaf := top
	for !leaf.Leaf() {
		kids := leaf.Columns()
		if len(kids) != 1 {
			return fmt.Errorf("parquet: column %q is a group of %d fields, not a list of numbers", top.Name(), len(kids))
		}
		leaf = kids[0]
	}
	ok, uns := numeric(leaf)
	if !ok || leaf.MaxRepetitionLevel() != 1 {
		return fmt.Errorf("parquet: column %q is %s, not a list of numbers", top.Name(), describe(leaf))
	}
	f.list = true
	f.Names = []string{top.Name()}
	f.leaves = []int{leaf.Index()}
	f.kinds = []parquet.Kind{leaf.Type().Kind()}
	f.uns = []bool{uns}
	// The list length of the first row is the column count.
	for g, rg := range f.pf.RowGroups() {
		if rg.NumRows() == 0 {
			continue
		}
		n, err := f.firstListLen(g, rg)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("parquet: column %q: row 0 is an empty or null list", top.Name())
		}
		f.Cols = n
		return nil
	}
	return nil // no rows
}

func (f *File) firstListLen(g int, rg parquet.RowGroup) (int, error) {
	pages := rg.ColumnChunks()[f.leaves[0]].Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if err != nil {
			return 0, fmt.Errorf("parquet: row group %d, column %q: %v", g, f.Names[0], noEOF(err))
		}
		if p.NumRows() == 0 {
			continue
		}
		p = p.Slice(0, 1)
		vals := make([]parquet.Value, p.NumValues())
		n, err := p.Values().ReadValues(vals)
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("parquet: row group %d, column %q: %v", g, f.Names[0], err)
		}
		for _, v := range vals[:n] {
			if v.IsNull() {
				return 0, nil
			}
		}
		return n, nil
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadRows reads rows [start, end) into dst, row-major: dst[(i-start)*Cols+j]
// is element (i, j). It reads only the row groups that overlap the range.
// Integers convert to the nearest float64 (exact below 2^53). ReadRows
// panics if dst is shorter than (end-start)·Cols.
func (f *File) ReadRows(start, end int, dst []float64) (err error) {
	defer recoverErr(&err)
	if start < 0 || end > f.Rows || start > end {
		return fmt.Errorf("parquet: row range [%d, %d) outside the %d rows", start, end, f.Rows)
	}
	dst = dst[:(end-start)*f.Cols]
	groups := f.pf.RowGroups()
	for g, rg := range groups {
		g0, g1 := f.GroupStarts[g], f.GroupStarts[g+1]
		lo, hi := max(int64(start), g0), min(int64(end), g1)
		if lo >= hi {
			continue
		}
		chunks := rg.ColumnChunks()
		for c, leaf := range f.leaves {
			out := dst[(lo-int64(start))*int64(f.Cols):]
			if err := f.readChunk(chunks[leaf], g, c, g0, lo-g0, hi-g0, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// readChunk reads rows [lo, hi) of row group g (first row g0) of selected
// column c into out, whose element 0 is row lo, column 0.
func (f *File) readChunk(chunk parquet.ColumnChunk, g, c int, g0, lo, hi int64, out []float64) error {
	pages := chunk.Pages()
	defer pages.Close()
	if lo > 0 {
		if err := pages.SeekToRow(lo); err != nil {
			return fmt.Errorf("parquet: row group %d, column %q: seeking to row %d: %v", g, f.Names[c], g0+lo+1, err)
		}
	}
	row := lo // next row to store, relative to the row group
	var vals []parquet.Value
	for row < hi {
		p, err := pages.ReadPage()
		if err != nil {
			return fmt.Errorf("parquet: row group %d, column %q: reading row %d: %v", g, f.Names[c], g0+row+1, noEOF(err))
		}
		n := p.NumRows()
		if n == 0 {
			continue
		}
		if n > hi-row {
			n = hi - row
			p = p.Slice(0, n)
		}
		o := out[(row-lo)*int64(f.Cols):]
		if f.list {
			err = f.decodeList(p, o, g0+row, &vals)
		} else {
			err = f.decodeScalar(p, c, o, g0+row, &vals)
		}
		if err != nil {
			return err
		}
		row += n
	}
	return nil
}

// decodeScalar stores the n values of page p at out[i*Cols+c]; row0 is the
// file row of the page's first value.
func (f *File) decodeScalar(p parquet.Page, c int, out []float64, row0 int64, vals *[]parquet.Value) error {
	n := int(p.NumRows())
	k := f.Cols
	if p.Dictionary() == nil && p.NumNulls() == 0 {
		d := p.Data()
		switch f.kinds[c] {
		case parquet.Double:
			if x := d.Double(); len(x) >= n {
				for i, v := range x[:n] {
					out[i*k+c] = v
				}
				return nil
			}
		case parquet.Float:
			if x := d.Float(); len(x) >= n {
				for i, v := range x[:n] {
					out[i*k+c] = float64(v)
				}
				return nil
			}
		case parquet.Int32:
			if x := d.Int32(); len(x) >= n {
				for i, v := range x[:n] {
					out[i*k+c] = f.int32(c, v)
				}
				return nil
			}
		case parquet.Int64:
			if x := d.Int64(); len(x) >= n {
				for i, v := range x[:n] {
					out[i*k+c] = f.int64(c, v)
				}
				return nil
			}
		}
	}
	// General path: dictionary pages and pages with nulls.
	if cap(*vals) < n {
		*vals = make([]parquet.Value, n)
	}
	vs := (*vals)[:n]
	got, err := p.Values().ReadValues(vs)
	if err != nil && err != io.EOF {
		return fmt.Errorf("parquet: column %q, row %d: %v", f.Names[c], row0+int64(got)+1, err)
	}
	if got != n {
		return fmt.Errorf("parquet: column %q, row %d: page holds %d values for %d rows", f.Names[c], row0+1, got, n)
	}
	for i, v := range vs {
		x, err := f.value(c, v)
		if err != nil {
			return fmt.Errorf("parquet: column %q, row %d: %v", f.Names[c], row0+int64(i)+1, err)
		}
		out[i*k+c] = x
	}
	return nil
}

// decodeList stores the lists of page p, one per row, at out; row0 is the
// file row of the page's first list.
func (f *File) decodeList(p parquet.Page, out []float64, row0 int64, vals *[]parquet.Value) error {
	n := int(p.NumRows())
	k := f.Cols
	rep := p.RepetitionLevels()
	if p.Dictionary() == nil && p.NumNulls() == 0 && len(rep) == n*k && f.kinds[0] == parquet.Double {
		d := p.Data()
		x := d.Double()
		if len(x) == n*k && listShapeOK(rep, k) {
			copy(out, x)
			return nil
		}
	}
	// General path: other types, dictionaries, nulls and ragged lists.
	m := int(p.NumValues())
	if cap(*vals) < m {
		*vals = make([]parquet.Value, m)
	}
	vs := (*vals)[:m]
	got, err := p.Values().ReadValues(vs)
	if err != nil && err != io.EOF {
		return fmt.Errorf("parquet: column %q, row %d: %v", f.Names[0], row0+1, err)
	}
	row, j := -1, 0 // current row in the page, element in the row
	for _, v := range vs[:got] {
		if v.RepetitionLevel() == 0 {
			if row >= 0 && j != k {
				return fmt.Errorf("parquet: column %q, row %d: list has %d elements, want %d like row 1", f.Names[0], row0+int64(row)+1, j, k)
			}
			row, j = row+1, 0
			if row >= n {
				return fmt.Errorf("parquet: column %q, row %d: page holds more lists than its %d rows", f.Names[0], row0+int64(row)+1, n)
			}
		}
		if v.IsNull() {
			return fmt.Errorf("parquet: column %q, row %d: null or empty list, or null element %d", f.Names[0], row0+int64(row)+1, j+1)
		}
		if j >= k {
			return fmt.Errorf("parquet: column %q, row %d: list has more than %d elements, want %d like row 1", f.Names[0], row0+int64(row)+1, k, k)
		}
		x, err := f.value(0, v)
		if err != nil {
			return fmt.Errorf("parquet: column %q, row %d: %v", f.Names[0], row0+int64(row)+1, err)
		}
		out[row*k+j] = x
		j++
	}
	if row != n-1 || j != k {
		return fmt.Errorf("parquet: column %q, row %d: list has %d elements, want %d like row 1", f.Names[0], row0+int64(max(row, 0)+1), j, k)
	}
	return nil
}

// listShapeOK reports whether repetition levels rep split into lists of
// exactly k elements: rep[i] == 0 exactly when i is a multiple of k.
func listShapeOK(rep []byte, k int) bool {
	for i, r := range rep {
		if (r == 0) != (i%k == 0) {
			return false
		}
	}
	return true
}

func (f *File) int32(c int, v int32) float64 {
	if f.uns[c] {
		return float64(uint32(v))
	}
	return float64(v)
}

func (f *File) int64(c int, v int64) float64 {
	if f.uns[c] {
		return float64(uint64(v))
	}
	return float64(v)
}

func (f *File) value(c int, v parquet.Value) (float64, error) {
	if v.IsNull() {
		return 0, errors.New("null value")
	}
	switch v.Kind() {
	case parquet.Double:
		return v.Double(), nil
	case parquet.Float:
		return float64(v.Float()), nil
	case parquet.Int32:
		return f.int32(c, v.Int32()), nil
	case parquet.Int64:
		return f.int64(c, v.Int64()), nil
	}
	return math.NaN(), fmt.Errorf("value of kind %v, want a number", v.Kind())
}
