package csvmat

import "strings"

// ColumnIndex resolves a column given as a 0-based index ("64"; a negative
// index counts from the end) or as a header name to its 0-based field number
// in the file, as DropColumns does.
func (cr *Reader) ColumnIndex(column string) (int, error) {
	j, err := cr.columnIndex(strings.TrimSpace(column))
	if err != nil {
		return 0, &ParseError{File: cr.name, Err: err}
	}
	return j, nil
}

// ReadField returns field j (0-based, of the file's fields, dropped or not)
// of the next row as text with surrounding blanks trimmed, checking only the
// row's field count: the way to read a non-numeric column such as a class
// label. It returns io.EOF after the last row. ReadField panics if j is
// outside [0, FileColumns()).
func (cr *Reader) ReadField(j int) (string, error) {
	fields, err := cr.next()
	if err != nil {
		return "", err
	}
	return strings.Clone(strings.TrimSpace(fields[j])), nil
}

// ReadFields returns every field of the next row as text (the dropped
// columns too), split as for Read (leading blanks trimmed unless the
// delimiter is a tab, trailing blanks kept), checking only the row's field
// count: the way to read a row of several non-numeric columns, such as a
// manifest of paths. It returns io.EOF after the last row. The slice is
// valid until the next call.
func (cr *Reader) ReadFields() ([]string, error) { return cr.next() }
