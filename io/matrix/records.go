package matrix

import (
	"context"
	"fmt"

	"github.com/lowdim/lowdim/io/csvmat"
)

// Records is a delimited text file opened by OpenRecords: a csvmat.Reader
// of its rows, whose ReadField returns a column as text.
type Records struct {
	*csvmat.Reader
	f *file
}

// Close closes the file.
func (r *Records) Close() error {
	r.Reader.Close()
	return r.f.Close()
}

// OpenRecords opens the delimited text file at path, in the format and
// with the delimiter Open would pick for opts (csv, tsv or txt; gzip read
// transparently), to read its rows as text: the columns Open cannot read
// as numbers (a label, a path) in the same dialect as those it can. header
// says whether the first row names the columns; opts.DropColumns are
// resolved as by Open, so that Header names the other columns. The caller
// closes the Records.
func OpenRecords(ctx context.Context, path string, opts Options, header csvmat.HeaderMode) (*Records, error) {
	kind, delim, err := formatOf(path, opts)
	if err != nil {
		return nil, err
	}
	if kind != "csv" {
		return nil, fmt.Errorf("open %s: format %s is not delimited text", path, kind)
	}
	f, err := openFile(ctx, path, false)
	if err != nil {
		return nil, err
	}
	cr, err := csvmat.NewReader(f.rc, path, csvmat.Options{Delimiter: delim, DropColumns: opts.DropColumns, Header: header})
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Records{Reader: cr, f: f}, nil
}
