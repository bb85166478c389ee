// Package csvmat reads a numeric matrix from delimited text: CSV, TSV or
// whitespace-separated columns as written by np.savetxt, optionally gzipped.
//
// A Reader streams one row at a time, like encoding/csv, and every error it
// returns is a *ParseError naming the file, the 1-based line and, for a bad
// value, the 1-based column (field number in the file, before any columns
// are dropped):
//
//	digits.csv: line 3, column 5: parse "abc": invalid number
//	digits.csv: line 7: row has 64 fields, want 65
//
// Lines starting with '#' and empty lines are skipped. The first row is taken
// as a header of column names when one of its fields is non-empty and not a
// number, or when its first field is empty (so "x,y,label" and pandas'
// ",0,1,label" are headers, "1,2,3" is data); Options.Header overrides the
// guess. A UTF-8 byte order mark is skipped.
//
// Reading can resume in the middle of a file: Pos says where the next row's
// line starts (byte offset and line number), Layout holds what NewReader
// learnt from the first row, and NewReaderAt reads on from a Pos, so a shard
// of a large file is parsed without the rows before it. Positions count
// decompressed bytes in gzipped text, which cannot be resumed that way.
package csvmat

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseError is a positioned error in a delimited text file.
type ParseError struct {
	File   string // file name as given
	Line   int    // 1-based line; 0 if the error has no line
	Column int    // 1-based field number; 0 if the error is about the whole row
	Err    error
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s: line %d, column %d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s: line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

var (
	// ErrInvalidNumber is wrapped by errors for fields that are not numbers.
	ErrInvalidNumber = errors.New("invalid number")
	// ErrOutOfRange is wrapped by errors for numbers beyond ±math.MaxFloat64.
	ErrOutOfRange = errors.New("out of float64 range")
	// ErrFieldCount is wrapped by errors for ragged rows.
	ErrFieldCount = errors.New("wrong number of fields")
)

// IsRowError reports whether err is about the content of one row: a row
// with the wrong number of fields (ErrFieldCount) or a value that is not a
// float64 (ErrInvalidNumber, ErrOutOfRange). After such an error the row is
// consumed (it counts as a row for Pos) and the next Read, Skip or
// ReadFields goes on with the next row, so a caller may skip bad rows.
// Every other error (quoting, I/O, gzip) ends the reading.
func IsRowError(err error) bool {
	return errors.Is(err, ErrFieldCount) || errors.Is(err, ErrInvalidNumber) || errors.Is(err, ErrOutOfRange)
}

// HeaderMode says whether the first row holds column names.
type HeaderMode int

const (
	HeaderAuto    HeaderMode = iota // guess from the first row; see the package doc
	HeaderPresent                   // the first row is a header
	HeaderAbsent                    // the first row is data
)

// Options configures a Reader.
type Options struct {
	// Delimiter separates fields: "" or "," (default), any single character
	// such as ";" or "\t" (also written `\t` or "tab"), or " ", "space" or
	// "whitespace" for fields separated by runs of blanks as np.loadtxt
	// reads them (no quoting in that mode).
	Delimiter string
	// DropColumns removes columns, each given as a 0-based index ("64"; a
	// negative index counts from the end, "-1" is the last column) or as a
	// header name. A string that parses as an integer is always an index.
	DropColumns []string
	Header      HeaderMode
}

// Pos is a place in the text where a line starts: the byte offset from the
// start of the file (a byte order mark included; decompressed bytes for
// gzipped text), the 1-based number of that line and the 0-based index of
// the first data row at or after it. Comment and blank lines between Pos and
// that row are allowed; a quoted field spanning lines is not split.
type Pos struct {
	Row    int
	Offset int64
	Line   int
}

// recordReader yields the fields of each record and its starting line.
type recordReader interface {
	read() (fields []string, line int, err error)
	// next is where the record after the last one read may start: the byte
	// offset and line number just past the last record's line end.
	next() (offset int64, line int)
}

// Reader reads rows of numbers from delimited text.
type Reader struct {
	name    string
	rr      recordReader
	gz      *gzip.Reader
	header  []string // names of all file columns; nil without a header
	nfields int      // fields per row in the file
	keep    []int    // file field index of each output column
	pending []string // first data row, read while looking for a header
	pline   int
	ppos    Pos // position of the pending row
	line    int // line of the last record returned
	row     int // index of the next data row
	done    bool
	delim   rune
}

// Layout is what NewReader learns from the first row of a text: the
// delimiter, the number of fields per row, the header names and the columns
// kept. It is what NewReaderAt needs to read the same text from a Pos.
type Layout struct {
	delim   rune
	nfields int
	header  []string
	keep    []int
}

// NewReader returns a Reader of the text in r, gunzipping it when it starts
// with the gzip magic bytes. name labels errors and, if it ends in ".gz",
// requires gzip. NewReader reads the first row to find the header and the
// number of columns; a file with no rows is an error.
func NewReader(r io.Reader, name string, opts Options) (*Reader, error) {
	cr := &Reader{name: name}
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(2)
	var text io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Err: fmt.Errorf("gzip: %v", err)}
		}
		cr.gz = gz
		text = bufio.NewReaderSize(gz, 1<<16)
	} else if strings.HasSuffix(strings.ToLower(name), ".gz") {
		return nil, &ParseError{File: name, Err: errors.New("name ends in .gz but the file is not gzip (no gzip magic bytes)")}
	}
	start := Pos{Line: 1}
	if bom, _ := text.(*bufio.Reader).Peek(3); string(bom) == "\ufeff" {
		text.(*bufio.Reader).Discard(3) // UTF-8 byte order mark
		start.Offset = 3
	}
	delim, err := parseDelimiter(opts.Delimiter)
	if err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	cr.delim = delim
	cr.rr = newRecordReader(text.(*bufio.Reader), delim, start)
	first, line, err := cr.rr.read()
	if err == io.EOF {
		return nil, &ParseError{File: name, Err: errors.New("no rows")}
	}
	if err != nil {
		return nil, cr.wrap(line, err)
	}
	cr.nfields = len(first)
	isHeader := opts.Header == HeaderPresent || opts.Header == HeaderAuto && looksLikeHeader(first)
	if isHeader {
		cr.header = make([]string, len(first))
		for i, f := range first {
			cr.header[i] = strings.TrimSpace(f)
		}
	} else {
		cr.pending = append([]string(nil), first...)
		cr.pline = line
		cr.ppos = start
	}
	if err := cr.setKeep(opts.DropColumns); err != nil {
		return nil, err
	}
	return cr, nil
}

// newRecordReader reads records of text that starts at line at.Line, byte
// at.Offset of the file.
func newRecordReader(text *bufio.Reader, delim rune, at Pos) recordReader {
	if delim == 0 {
		return &blankReader{r: text, line: at.Line - 1, offset: at.Offset}
	}
	c := csv.NewReader(text)
	c.Comma = delim
	c.Comment = '#'
	c.FieldsPerRecord = -1 // checked here, with a better message
	c.ReuseRecord = true
	c.TrimLeadingSpace = delim != '\t' && delim != ' '
	return &csvReader{c: c, base: at.Line - 1, offset: at.Offset, last: at.Line - 1, end: at.Line - 1}
}

// Layout returns what the Reader learnt from the first row, for NewReaderAt.
func (cr *Reader) Layout() Layout {
	return Layout{delim: cr.delim, nfields: cr.nfields, header: cr.header, keep: cr.keep}
}

// NewReaderAt returns a Reader of a text laid out as l (the Layout of a
// Reader of the same text) whose rows start at pos (a Pos of that Reader,
// possibly taken in another process): r must yield the text's bytes from
// pos.Offset on, uncompressed. NewReaderAt reads nothing: no header, no byte
// order mark, no gzip magic; errors name the file as name and count lines
// and rows from pos. It panics if l is the zero Layout or pos.Line < 1.
func NewReaderAt(r io.Reader, name string, l Layout, pos Pos) *Reader {
	if l.nfields == 0 || pos.Line < 1 {
		panic("csvmat: NewReaderAt needs a Layout from a Reader and a Pos with Line ≥ 1")
	}
	return &Reader{
		name: name, rr: newRecordReader(bufio.NewReaderSize(r, 1<<16), l.delim, pos),
		header: l.header, nfields: l.nfields, keep: l.keep, delim: l.delim,
		row: pos.Row,
	}
}

// Pos returns where the line of the row the next Read or Skip returns
// starts (or, at the end, where the text after the last row starts): any
// comment and blank lines before that row are included, so NewReaderAt can
// resume there. After an error Pos is meaningless, unless IsRowError is
// true of it: the bad row then counts as read.
func (cr *Reader) Pos() Pos {
	if cr.pending != nil {
		return cr.ppos
	}
	off, line := cr.rr.next()
	return Pos{Row: cr.row, Offset: off, Line: line}
}

// Compressed reports whether the text is gzipped, so that its Pos offsets
// count decompressed bytes and cannot be sought to.
func (cr *Reader) Compressed() bool { return cr.gz != nil }

// looksLikeHeader reports whether a field is non-empty and not a number, or
// the first field is empty as in pandas' header for an unnamed index column.
func looksLikeHeader(fields []string) bool {
	if len(fields) > 1 && strings.TrimSpace(fields[0]) == "" {
		return true
	}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := strconv.ParseFloat(f, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return true
		}
	}
	return false
}

func parseDelimiter(d string) (rune, error) {
	switch d {
	case "", ",":
		return ',', nil
	case `\t`, "tab", "\t":
		return '\t', nil
	case " ", "space", "whitespace":
		return 0, nil
	}
	r, n := utf8.DecodeRuneInString(d)
	if n != len(d) || r == utf8.RuneError || r == '"' || r == '#' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("delimiter %q: want a single character other than '\"', '#' or a newline, or \"whitespace\"", d)
	}
	return r, nil
}

func (cr *Reader) setKeep(drop []string) error {
	dropped := make([]bool, cr.nfields)
	for _, d := range drop {
		j, err := cr.columnIndex(strings.TrimSpace(d))
		if err != nil {
			return &ParseError{File: cr.name, Err: err}
		}
		dropped[j] = true
	}
	for j, x := range dropped {
		if !x {
			cr.keep = append(cr.keep, j)
		}
	}
	if len(cr.keep) == 0 {
		return &ParseError{File: cr.name, Err: fmt.Errorf("no columns left after dropping %q from %d", drop, cr.nfields)}
	}
	return nil
}

func (cr *Reader) columnIndex(d string) (int, error) {
	if j, err := strconv.Atoi(d); err == nil {
		if j < 0 {
			j += cr.nfields
		}
		if j < 0 || j >= cr.nfields {
			return 0, fmt.Errorf("drop column %s: file has %d columns (indices 0 to %d)", d, cr.nfields, cr.nfields-1)
		}
		return j, nil
	}
	if cr.header == nil {
		return 0, fmt.Errorf("drop column %q: file has no header row; give a 0-based column index", d)
	}
	for j, h := range cr.header {
		if h == d {
			return j, nil
		}
	}
	names := cr.header
	more := ""
	if len(names) > 8 {
		names, more = names[:8], fmt.Sprintf(", … (%d in all)", len(cr.header))
	}
	return 0, fmt.Errorf("drop column %q: no such header name (have %s%s)", d, strings.Join(names, ", "), more)
}

// Header returns the names of the columns Read returns, or nil when the file
// has no header row.
func (cr *Reader) Header() []string {
	if cr.header == nil {
		return nil
	}
	names := make([]string, len(cr.keep))
	for i, j := range cr.keep {
		names[i] = cr.header[j]
	}
	return names
}

// FileColumns returns the number of fields in each row of the file.
func (cr *Reader) FileColumns() int { return cr.nfields }

// Cols returns the number of values Read stores per row: the file's columns
// less the dropped ones.
func (cr *Reader) Cols() int { return len(cr.keep) }

// Line returns the line on which the last row read or skipped starts.
func (cr *Reader) Line() int { return cr.line }

// next returns the fields of the next data row, checking their count.
func (cr *Reader) next() ([]string, error) {
	if cr.done {
		return nil, io.EOF
	}
	var fields []string
	if cr.pending != nil {
		fields, cr.line = cr.pending, cr.pline
		cr.pending = nil
	} else {
		var err error
		var line int
		fields, line, err = cr.rr.read()
		if err == io.EOF {
			cr.done = true
			return nil, io.EOF
		}
		if err != nil {
			cr.done = true
			return nil, cr.wrap(line, err)
		}
		cr.line = line
	}
	cr.row++
	if len(fields) != cr.nfields {
		return nil, &ParseError{File: cr.name, Line: cr.line, Err: fmt.Errorf("row has %d fields, want %d: %w", len(fields), cr.nfields, ErrFieldCount)}
	}
	return fields, nil
}

// Read parses the next row into dst[:Cols()]. It returns io.EOF after the
// last row. After an error for which IsRowError is true, dst holds garbage
// and reading can go on with the next row. Read panics if len(dst) < Cols().
func (cr *Reader) Read(dst []float64) error {
	fields, err := cr.next()
	if err != nil {
		return err
	}
	_ = dst[len(cr.keep)-1]
	for i, j := range cr.keep {
		s := strings.TrimSpace(fields[j])
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			msg := ErrInvalidNumber
			if errors.Is(err, strconv.ErrRange) {
				msg = ErrOutOfRange
			}
			line := cr.line
			if c, ok := cr.rr.(*csvReader); ok {
				line, _ = c.c.FieldPos(j)
				line += c.base
			}
			return &ParseError{File: cr.name, Line: line, Column: j + 1, Err: fmt.Errorf("parse %q: %w", s, msg)}
		}
		dst[i] = v
	}
	return nil
}

// Skip passes over the next row without parsing its values, checking only
// its field count. It returns io.EOF after the last row.
func (cr *Reader) Skip() error {
	_, err := cr.next()
	return err
}

// Close releases the gzip decompressor, if any. It does not close the
// underlying reader.
func (cr *Reader) Close() error {
	if cr.gz != nil {
		return cr.gz.Close()
	}
	return nil
}

func (cr *Reader) wrap(line int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: cr.name, Line: pe.Line, Err: fmt.Errorf("%v (byte %d of the line)", pe.Err, pe.Column)}
	}
	if err == io.ErrUnexpectedEOF || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		err = fmt.Errorf("%v (file truncated or corrupt?)", err)
	}
	return &ParseError{File: cr.name, Line: line, Err: err}
}

// ReadAll reads every row of r into a row-major slice.
func ReadAll(r io.Reader, name string, opts Options) (rows, cols int, data []float64, err error) {
	cr, err := NewReader(r, name, opts)
	if err != nil {
		return 0, 0, nil, err
	}
	defer cr.Close()
	cols = cr.Cols()
	row := make([]float64, cols)
	for {
		err := cr.Read(row)
		if err == io.EOF {
			return rows, cols, data, nil
		}
		if err != nil {
			return 0, 0, nil, err
		}
		data = append(data, row...)
		rows++
	}
}

// csvReader adapts encoding/csv, whose lines and offsets count from where
// it started: base lines and offset bytes into the file.
type csvReader struct {
	c      *csv.Reader
	base   int   // lines before the first line c reads
	offset int64 // byte offset of the first byte c reads
	last   int   // line of the last field of the last record read
	end    int   // line on which the last record read ends
}

func (r *csvReader) read() ([]string, int, error) {
	rec, err := r.c.Read()
	if err != nil {
		line := r.last + 1 // best guess for an I/O error past the last record
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += r.base
			pe.Line += r.base
			line = pe.Line
		}
		return nil, line, err
	}
	last := rec[len(rec)-1]
	r.last, _ = r.c.FieldPos(len(rec) - 1)
	r.last += r.base
	// A quoted field may span lines; encoding/csv turns each line end in it
	// (CRLF too) into one '\n', and only the last field can end the record
	// on a later line than it starts.
	r.end = r.last + strings.Count(last, "\n")
	line, _ := r.c.FieldPos(0)
	return rec, line + r.base, nil
}

func (r *csvReader) next() (int64, int) { return r.offset + r.c.InputOffset(), r.end + 1 }

// blankReader splits lines on runs of blanks, as str.split() does.
type blankReader struct {
	r      *bufio.Reader
	line   int   // lines read
	offset int64 // byte offset after the lines read
	fields []string
}

func (b *blankReader) next() (int64, int) { return b.offset, b.line + 1 }

func (b *blankReader) read() ([]string, int, error) {
	for {
		s, err := b.r.ReadString('\n')
		b.offset += int64(len(s))
		if s == "" && err != nil {
			if err == io.EOF {
				return nil, b.line, io.EOF
			}
			return nil, b.line + 1, err
		}
		b.line++
		if err != nil && err != io.EOF {
			return nil, b.line, err
		}
		s = strings.TrimSpace(s)
		if s == "" || s[0] == '#' {
			continue
		}
		b.fields = b.fields[:0]
		for f := range strings.FieldsSeq(s) {
			b.fields = append(b.fields, f)
		}
		return b.fields, b.line, nil
	}
}
