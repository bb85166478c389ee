package matrix

import (
	"context"
	"fmt"
	"sort"

	"github.com/lowdim/lowdim/io/files"
)

// openMany opens every file that the folder or glob p names (files.Expand,
// in sorted order) and concatenates their rows: one Source whose row i is
// row i − offset of the file holding it. Every file must have the same
// column count (after Options.DropColumns); a file that differs is an
// error naming it and the first file.
func openMany(ctx context.Context, p string, opts Options) (Source, error) {
	paths, err := files.Expand(ctx, p, opts.Format, "matrix files")
	if err != nil {
		return nil, err
	}
	m := &multiSource{path: p}
	rows := 0
	for _, f := range paths {
		src, err := Open(ctx, f, opts)
		if err != nil {
			return nil, err
		}
		if len(m.srcs) > 0 && src.Cols() != m.srcs[0].Cols() {
			return nil, fmt.Errorf("%s: %d columns, but %s, the first file of input.path %s, has %d; every file must have the same column count",
				f, src.Cols(), m.srcs[0].Path(), p, m.srcs[0].Cols())
		}
		m.srcs = append(m.srcs, src)
		m.starts = append(m.starts, rows)
		rows += src.Rows()
	}
	m.rows = rows
	return m, nil
}

// multiSource is the rows of several files, one after the other.
type multiSource struct {
	path   string
	srcs   []Source
	starts []int // starts[k] is the index of srcs[k]'s first row
	rows   int
	bad    []BadRow
}

func (m *multiSource) Path() string { return m.path }
func (m *multiSource) Rows() int    { return m.rows }
func (m *multiSource) Cols() int    { return m.srcs[0].Cols() }

// DType is the files' element type, or "mixed" when they differ.
func (m *multiSource) DType() string {
	t := m.srcs[0].DType()
	for _, s := range m.srcs[1:] {
		if s.DType() != t {
			return "mixed"
		}
	}
	return t
}

func (m *multiSource) badRows() []BadRow { return m.bad }

// ReadRows implements Source.
func (m *multiSource) ReadRows(ctx context.Context, start, end int) ([]float64, error) {
	return m.ReadRowsInto(ctx, start, end, nil)
}

// ReadRowsInto implements Source: it reads each file's part of the range
// in turn; errors name the file.
func (m *multiSource) ReadRowsInto(ctx context.Context, start, end int, dst []float64) ([]float64, error) {
	if err := checkRange(m.path, m.rows, start, end); err != nil {
		return nil, err
	}
	m.bad = m.bad[:0]
	cols := m.Cols()
	data := resize(dst, (end-start)*cols)
	for k := m.file(start); k < len(m.srcs) && m.starts[k] < end; k++ {
		lo, hi := max(start, m.starts[k]), min(end, m.starts[k]+m.srcs[k].Rows())
		if lo >= hi {
			continue
		}
		part := data[(lo-start)*cols:]
		got, err := m.srcs[k].ReadRowsInto(ctx, lo-m.starts[k], hi-m.starts[k], part)
		if err != nil {
			return nil, err
		}
		copy(part, got)
		for _, b := range BadRows(m.srcs[k]) {
			b.Row += m.starts[k]
			m.bad = append(m.bad, b)
		}
	}
	return data, nil
}

// file returns the index of the file holding row i.
func (m *multiSource) file(i int) int {
	return sort.Search(len(m.starts), func(k int) bool { return m.starts[k] > i }) - 1
}

// Locate returns the file holding row (0-based) of src and the row's 0-based
// index in that file: src's own path and row unless src reads several files
// (Open of a folder or glob).
func Locate(src Source, row int) (path string, fileRow int) {
	m, ok := src.(*multiSource)
	if !ok || row < 0 || row >= m.rows {
		return src.Path(), row
	}
	k := m.file(row)
	return m.srcs[k].Path(), row - m.starts[k]
}

// Files returns the files src reads: the files of a folder or glob, in
// order, or src's own path.
func Files(src Source) []string {
	m, ok := src.(*multiSource)
	if !ok {
		return []string{src.Path()}
	}
	out := make([]string, len(m.srcs))
	for i, s := range m.srcs {
		out[i] = s.Path()
	}
	return out
}
