// Package matrix opens a numeric matrix file of any supported format as a
// Source of row ranges, through Beam's filesystem abstraction, so the same
// code reads local paths and, once their filesystems are imported, gs://
// and s3:// objects.
//
// Formats, picked by extension unless Options.Format names one:
//
//	.npy                      NumPy array, float16/32/64, C or Fortran order (package npy)
//	.csv .tsv .txt [.gz]      delimited text (package csvmat)
//	.safetensors [.gz]        one F64/F32/F16/BF16 tensor of rank ≥ 2 (package safetensors)
//	.npz                      one array of a NumPy archive (package npz)
//	.parquet                  a list column or numeric scalar columns (package parquetmat)
//	.idx .idxN -ubyte [.gz]   IDX (MNIST) arrays of any IDX type (package idx)
//
// Tensors of rank > 2 are read as shape[0] × (product of the other axes).
//
// A folder or glob (files.IsMany) opens as the rows of its files one after
// the other, in sorted order; every file must have the same column count.
//
// Every error is one line naming the file as given and, where there is one,
// the line, row or byte offset:
//
//	open data/x.npy: no such file or directory
//	data/x.npy: npy: header at byte 10: expected '{', found '['
//	data/x.csv: line 3, column 5: parse "abc": invalid number
package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"

	"github.com/lowdim/lowdim/io/csvmat"
	_ "github.com/lowdim/lowdim/io/datasets" // bundled://: the data sets in the binary
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/format"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/ranged"
)

// Options says how to read a file.
type Options struct {
	// Format is "npy", "csv" ("tsv" and "txt" are csv with a tab or
	// whitespace delimiter), "safetensors", "npz", "parquet" or "idx"; ""
	// picks it by extension (see the package doc).
	Format string
	// Tensor selects the tensor of a .safetensors file or the array of an
	// .npz file: a name, or a path.Match pattern ("layers.*.weight") that
	// must match exactly one name. "" selects the only tensor of rank ≥ 2
	// (for .npz: the only array). Anything else is an error listing the
	// names; Tensors lists them too.
	Tensor string
	// Column names the Parquet list column (list<double>, list<float>, …)
	// whose lists are the matrix rows. Exclusive with Columns.
	Column string
	// Columns are the Parquet numeric scalar columns forming the matrix
	// columns, by name or 0-based field index; empty means every numeric
	// top-level column (when Column is empty too).
	Columns []string
	// Delimiter of csv fields; "" means ',' for .csv, tab for .tsv and runs
	// of whitespace for .txt. See csvmat.Options.
	Delimiter string
	// DropColumns are column indices ("64"; "-1" is the last column) or,
	// for csv files with a header row and Parquet scalar columns, names.
	DropColumns []string
	// SkipBadRows, for delimited text, reads a row that has the wrong
	// number of fields or a value that is not a number as a row of NaN
	// instead of failing, and lists it in BadRows, so that a reader
	// dropping non-finite rows drops it too and can say why. Other formats
	// have no such rows. Quoting errors stay errors: a stray quote can
	// swallow the rest of the file.
	SkipBadRows bool
}

// Reasons a row is bad, as BadRow.Reason and in the bad-row counters.
const (
	ReasonUnparsable = "unparsable"  // a value is not a number or is out of float64 range
	ReasonFieldCount = "field_count" // the row has the wrong number of fields
	ReasonNonFinite  = "non_finite"  // a value is NaN or ±Inf (found by the caller, not by a Source)
)

// BadRow is a row of delimited text read as NaN under Options.SkipBadRows.
type BadRow struct {
	Row    int    // 0-based index of the row among the source's rows
	Reason string // ReasonUnparsable or ReasonFieldCount
	Err    error  // the positioned error the row would have been
}

// BadRows returns the rows that the last ReadRows, ReadRowsInto or
// ReadRowsAt call on src read as NaN because they could not be parsed
// (Options.SkipBadRows), in row order; nil for sources that have none.
func BadRows(src any) []BadRow {
	if b, ok := src.(interface{ badRows() []BadRow }); ok {
		return b.badRows()
	}
	return nil
}

// Source is a matrix whose rows can be read in ranges.
type Source interface {
	Path() string
	Rows() int
	Cols() int
	// DType is the element type in the file as a NumPy name: "float64",
	// "float32", "float16", "bfloat16", "uint8", "int8", "int16", "int32",
	// "int64", "uint32", "uint64", or "mixed" for Parquet columns of
	// different types. Values are converted to float64 exactly except
	// integers beyond ±2^53.
	DType() string
	// ReadRows returns rows [start, end) as row-major float64 (len (end-start)*Cols).
	ReadRows(ctx context.Context, start, end int) ([]float64, error)
	// ReadRowsInto is ReadRows decoding into dst's memory when its capacity
	// suffices (the result then aliases dst) and into a new slice
	// otherwise, so a reader of many shards allocates once.
	ReadRowsInto(ctx context.Context, start, end int, dst []float64) ([]float64, error)
}

// resize returns dst[:n] when dst has the capacity, else a new slice.
func resize(dst []float64, n int) []float64 {
	if cap(dst) >= n {
		return dst[:n]
	}
	return make([]float64, n)
}

// Open opens the matrix at path and checks its header (npy) or all of its
// rows (csv: the row count needs a full scan, which also indexes where rows
// start in uncompressed text, so that ReadRows parses only from the indexed
// row nearest to its range, and TextPosOf hands positions to OpenText in
// other processes; the count and index are cached in the process per path,
// size, modification time and options, so opening the same unchanged file
// again costs no scan). Gzipped text cannot be indexed: each ReadRows of it
// decompresses and parses the file from its start.
func Open(ctx context.Context, path string, opts Options) (Source, error) {
	if files.IsMany(path) {
		return openMany(ctx, path, opts)
	}
	format, delim, err := formatOf(path, opts)
	if err != nil {
		return nil, err
	}
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", path, firstLine(err))
	}
	defer fsys.Close()
	size, err := fsys.Size(ctx, path)
	if err != nil {
		return nil, openErr(path, err)
	}
	switch format {
	case "npy":
		return openNpy(ctx, fsys, path, size, opts.DropColumns)
	case "safetensors", "npz", "parquet", "idx":
		return openOther(ctx, fsys, format, path, size, opts)
	default:
		return openCSV(ctx, fsys, path, size, csvmat.Options{Delimiter: delim, DropColumns: opts.DropColumns}, opts.SkipBadRows)
	}
}

// formatNames are the values of Options.Format.
var formatNames = []string{"npy", "csv", "tsv", "txt", "safetensors", "npz", "parquet", "idx"}

// formatOf returns the format (one of formatNames, with tsv and txt mapped
// to csv) and the csv delimiter.
func formatOf(p string, opts Options) (kind, delim string, err error) {
	kind = strings.ToLower(opts.Format)
	if kind == "" {
		name := format.Parse(p)
		if name.Format == "" || (name.Compression != "" && name.Compression != ".gz") {
			return "", "", fmt.Errorf("open %s: cannot tell the format from the name; set the format (%s)", p, strings.Join(formatNames, ", "))
		}
		kind = name.Format
		switch kind {
		case "npy", "npz", "parquet":
			if name.Compression != "" {
				return "", "", fmt.Errorf("open %s: gzipped .%s is not supported; decompress it", p, kind)
			}
		}
	}
	delim = opts.Delimiter
	switch kind {
	case "npy", "safetensors", "npz", "parquet", "idx":
		return kind, "", nil
	case "csv":
		if delim == "" {
			delim = format.Delimiter(p)
		}
	case "tsv":
		if delim == "" {
			delim = "\t"
		}
	case "txt":
		if delim == "" {
			delim = "whitespace"
		}
	default:
		return "", "", fmt.Errorf("open %s: unknown format %q; want %s", p, opts.Format, strings.Join(formatNames, ", "))
	}
	return "csv", delim, nil
}

// openRead opens p for reading: gs:// objects through package ranged, so
// that readers seek and read at offsets instead of streaming from byte 0
// (Beam's filesystem cannot), everything else through fsys.
func openRead(ctx context.Context, fsys filesystem.Interface, p string) (io.ReadCloser, error) {
	if ranged.Supported(p) {
		return ranged.Open(ctx, p)
	}
	return fsys.OpenRead(ctx, p)
}

// openErr formats a filesystem error as "open PATH: reason", with the path
// as given rather than as the filesystem spelt it.
func openErr(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("open %s: %v", p, firstLine(err))
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func checkRange(p string, rows, start, end int) error {
	if start < 0 || end > rows || start > end {
		return fmt.Errorf("%s: row range [%d, %d) outside the %d rows", p, start, end, rows)
	}
	return nil
}

// npySource reads a .npy file.
type npySource struct {
	path    string
	h       npy.Header
	keep    []int  // kept columns of the file; nil keeps all
	scratch []byte // readDecodedAt's chunk buffer

	mapped    *fileMapping // the local file's mapping (sharedMapping), once a read found it local
	mapFailed bool         // the file cannot be mapped: ReadAt
}

// mapping returns the local file f (s's file) mapped read-only, or nil
// where it cannot be mapped. The passes of the multi-pass spectrum then
// read the page cache in place: a read with ReadAt copies every byte once
// more (on the 20,000 × 4,096 float32 benchmark, 1.0 of 8.2 CPU seconds).
// A file truncated since it was mapped would fault on access, so every read
// first checks that the file (its size now, from the open) and the mapping
// still hold the rows (mappedBytes).
func (s *npySource) mapping(f *os.File) []byte {
	if s.mapped == nil && !s.mapFailed {
		s.mapped = sharedMapping(s.path, f)
		s.mapFailed = s.mapped == nil
	}
	if s.mapped == nil {
		return nil
	}
	return s.mapped.b
}

// mappedBytes returns bytes [off, off+n) of the mapping of the local file
// f, whose size is now size, or ok = false when the file is not mapped. A
// file shorter than off+n is a truncatedError.
func (s *npySource) mappedBytes(f *os.File, size, off, n int64) (b []byte, ok bool, err error) {
	m := s.mapping(f)
	if m == nil {
		return nil, false, nil
	}
	if end := off + n; end > size || end > int64(len(m)) {
		return nil, true, truncatedError{at: min(size, int64(len(m))), end: end}
	}
	return m[off : off+n], true, nil
}

func openNpy(ctx context.Context, fsys filesystem.Interface, p string, size int64, drop []string) (Source, error) {
	rc, err := openRead(ctx, fsys, p)
	if err != nil {
		return nil, openErr(p, err)
	}
	defer rc.Close()
	h, err := npy.ReadHeader(rc)
	if err == nil {
		err = h.CheckSize(size)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if h.Rows == 0 || h.Cols == 0 {
		return nil, fmt.Errorf("%s: shape %v is empty; want at least one row and one column", p, h.Shape)
	}
	s := &npySource{path: p, h: h}
	if len(drop) > 0 {
		if s.keep, err = keepColumns(p, h.Cols, drop); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// keepColumns resolves column indices to drop from n columns.
func keepColumns(p string, n int, drop []string) ([]int, error) {
	dropped := make([]bool, n)
	for _, d := range drop {
		j, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			return nil, fmt.Errorf("%s: drop column %q: .npy files have no column names; give a 0-based index", p, d)
		}
		if j < 0 {
			j += n
		}
		if j < 0 || j >= n {
			return nil, fmt.Errorf("%s: drop column %s: file has %d columns (indices 0 to %d)", p, d, n, n-1)
		}
		dropped[j] = true
	}
	var keep []int
	for j, x := range dropped {
		if !x {
			keep = append(keep, j)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%s: no columns left after dropping %q from %d", p, drop, n)
	}
	return keep, nil
}

func (s *npySource) Path() string  { return s.path }
func (s *npySource) Rows() int     { return s.h.Rows }
func (s *npySource) DType() string { return s.h.DType() }
func (s *npySource) Cols() int {
	if s.keep != nil {
		return len(s.keep)
	}
	return s.h.Cols
}

// ReadRows implements Source.
func (s *npySource) ReadRows(ctx context.Context, start, end int) ([]float64, error) {
	return s.ReadRowsInto(ctx, start, end, nil)
}

// ReadRowsInto implements Source. It seeks when the filesystem's reader can
// (local files) and otherwise reads and discards the bytes before the rows.
func (s *npySource) ReadRowsInto(ctx context.Context, start, end int, dst []float64) ([]float64, error) {
	if err := checkRange(s.path, s.h.Rows, start, end); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	f, err := openFile(ctx, s.path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rc := f.rc
	n := s.h.Cols
	data := resize(dst, (end-start)*n)
	if osf, ok := rc.(*os.File); ok && (!s.h.Fortran || n == 1) {
		rowBytes := int64(n) * int64(s.h.ItemSize)
		off := s.h.DataOffset + int64(start)*rowBytes
		if s.h.Descr == "<f8" && nativeLittleEndian {
			// The file holds the rows as they are in memory: one read
			// straight into data, no decoding copy.
			err = readFloat64sAt(osf, data, off)
		} else if b, ok, merr := s.mappedBytes(osf, f.size, off, int64(end-start)*rowBytes); ok {
			// Decoded from the page cache in place.
			err = merr
			if err == nil {
				err = npy.DecodeRows(s.h, b, data)
			}
		} else {
			err = readDecodedAt(osf, off, int64(end-start)*rowBytes, s.h.ItemSize, data, &s.scratch, func(b []byte, dst []float64) error {
				return npy.DecodeRows(s.h, b, dst)
			})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: npy: %w", s.path, err)
		}
		return s.keepColumns(data, end-start), nil
	}
	if _, ok := rc.(io.Seeker); !ok {
		if _, err := io.CopyN(io.Discard, rc, s.h.DataOffset); err != nil {
			return nil, fmt.Errorf("%s: npy: data at byte 0: skipping the header: %v", s.path, err)
		}
	}
	if err := npy.ReadRows(rc, s.h, start, end, data); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return s.keepColumns(data, end-start), nil
}

// ViewRowsFloat32 returns rows [start, end) of src as the float32 values
// the file holds, in place: a view of the file's read-only mapping, valid
// while src is reachable, that must not be written to. ok is false, and
// nothing is read, unless src is a local little-endian C-order float32
// .npy with no dropped columns that could be mapped; the caller then reads
// with ReadRowsFloat32Into or ReadRowsInto. The values are not checked for
// NaN or ±Inf.
func ViewRowsFloat32(ctx context.Context, src Source, start, end int) (data []float32, ok bool, err error) {
	return float32Rows(ctx, src, start, end, nil, true)
}

// ReadRowsFloat32Into reads rows [start, end) of src as the float32 values
// the file holds, with no conversion, into dst's memory when its capacity
// suffices (the result then aliases dst): for a consumer that computes in
// float32. ok is false, and nothing is read, unless src is a local
// little-endian C-order float32 .npy with no dropped columns; the caller
// then reads float64 with ReadRowsInto. The values are not checked for NaN
// or ±Inf.
func ReadRowsFloat32Into(ctx context.Context, src Source, start, end int, dst []float32) (data []float32, ok bool, err error) {
	return float32Rows(ctx, src, start, end, dst, false)
}

// float32Rows is ViewRowsFloat32 (view) or ReadRowsFloat32Into.
func float32Rows(ctx context.Context, src Source, start, end int, dst []float32, view bool) (data []float32, ok bool, err error) {
	s, isNpy := src.(*npySource)
	if !isNpy || s.h.Descr != "<f4" || s.h.Fortran || s.keep != nil || !nativeLittleEndian {
		return nil, false, nil
	}
	if err := checkRange(s.path, s.h.Rows, start, end); err != nil {
		return nil, true, err
	}
	f, err := openFile(ctx, s.path, false)
	if err != nil {
		return nil, true, err
	}
	defer f.Close()
	osf, local := f.rc.(*os.File)
	if !local {
		return nil, false, nil
	}
	n := (end - start) * s.h.Cols
	off := s.h.DataOffset + int64(start)*int64(s.h.Cols)*4
	if view {
		b, ok, err := s.mappedBytes(osf, f.size, off, 4*int64(n))
		switch {
		case !ok:
			return nil, false, nil
		case err != nil:
			return nil, true, fmt.Errorf("%s: npy: %w", s.path, err)
		case n == 0:
			return []float32{}, true, nil
		}
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), n), true, nil
	}
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	data = dst[:n]
	if n == 0 {
		return data, true, nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), 4*n)
	if got, err := osf.ReadAt(b, off); got < len(b) {
		if err == nil || err == io.EOF {
			err = truncatedError{at: off + int64(got), end: off + int64(len(b))}
		}
		return nil, true, fmt.Errorf("%s: npy: %w", s.path, err)
	}
	return data, true, nil
}

// keepColumns compacts rows of all columns to the kept ones, in place:
// output index i·k+c never passes input index i·n+keep[c].
func (s *npySource) keepColumns(data []float64, rows int) []float64 {
	if s.keep == nil {
		return data
	}
	n, k := s.h.Cols, len(s.keep)
	for i := 0; i < rows; i++ {
		for c, j := range s.keep {
			data[i*k+c] = data[i*n+j]
		}
	}
	return data[:rows*k]
}

// decodeChunkBytes is the size of readDecodedAt's chunks: small enough to
// stay in a core's L2 cache between the read and the decode.
const decodeChunkBytes = 256 << 10

// readDecodedAt reads the n bytes at off of f, itemSize bytes per value, in
// chunks of about decodeChunkBytes through *scratch and decodes each chunk
// into the next values of dst: one copy from the page cache into a buffer
// that stays in cache, then a decode from it. A file that can be mapped
// (npySource.mapping) is decoded from its mapping instead.
func readDecodedAt(f *os.File, off, n int64, itemSize int, dst []float64, scratch *[]byte, decode func(b []byte, dst []float64) error) error {
	chunk := max(int64(itemSize), decodeChunkBytes/int64(itemSize)*int64(itemSize))
	if int64(cap(*scratch)) < min(chunk, n) {
		*scratch = make([]byte, min(chunk, n))
	}
	for done := int64(0); done < n; {
		b := (*scratch)[:min(chunk, n-done)]
		if got, err := f.ReadAt(b, off+done); got < len(b) {
			if err == nil || err == io.EOF {
				return truncatedError{at: off + done + int64(got), end: off + n}
			}
			return fmt.Errorf("bytes %d to %d: %w", off+done, off+done+int64(len(b)), err)
		}
		if err := decode(b, dst[done/int64(itemSize):]); err != nil {
			return err
		}
		done += int64(len(b))
	}
	return nil
}

// nativeLittleEndian is whether float64s are stored little-endian in memory.
var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// readFloat64sAt reads len(dst) little-endian float64s at byte off of f
// straight into dst's memory (the caller checks the byte order matches).
// A short read is a truncatedError.
func readFloat64sAt(f *os.File, dst []float64, off int64) error {
	if len(dst) == 0 {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 8*len(dst))
	if n, err := f.ReadAt(b, off); n < len(b) {
		if err == nil || err == io.EOF {
			return truncatedError{at: off + int64(n), end: off + int64(len(b))}
		}
		return fmt.Errorf("bytes %d to %d: %w", off, off+int64(len(b)), err)
	}
	return nil
}

// truncatedError is a read of a local file that ended at byte at, before
// the byte end its rows need: the file shrank after it was opened.
type truncatedError struct{ at, end int64 }

func (e truncatedError) Error() string {
	return fmt.Sprintf("byte %d: unexpected EOF: the rows need data up to byte %d (file truncated?)", e.at, e.end)
}

// csvSource reads delimited text. Opened by Open it knows its row count and,
// for uncompressed text, an index of where rows start; opened by OpenText it
// knows neither (rows is -1) and reads only from positions it is given.
type csvSource struct {
	path   string
	opts   csvmat.Options
	layout csvmat.Layout
	cols   int
	size   int64      // file size when opened
	mtime  int64      // modification time when opened, Unix ns; 0 unknown
	rows   int        // -1 when unknown (OpenText)
	index  *textIndex // nil when unknown (OpenText)
	skip   bool       // Options.SkipBadRows
	bad    []BadRow   // bad rows of the last read
}

func (s *csvSource) badRows() []BadRow { return s.bad }

// maxTextIndex bounds the entries of a text file's row index: 1.5 MB.
const maxTextIndex = 1 << 16

// textIndex is what Open's scan of a delimited text file learns: its row
// count and, unless it is gzipped, where every stride-th row starts
// (pos[i] is row i·stride). The stride starts at 1 and doubles, dropping
// every other entry, whenever the index would exceed maxTextIndex entries,
// so it is the smallest power of two that keeps a file's index within the
// bound: a file of up to 65536 rows has every row indexed, one of 10⁷ rows
// every 256th.
type textIndex struct {
	rows   int
	stride int
	pos    []csvmat.Pos
}

// add records p, the start of row p.Row, a multiple of x.stride.
func (x *textIndex) add(p csvmat.Pos) {
	x.pos = append(x.pos, p)
	if len(x.pos) < maxTextIndex {
		return
	}
	for i := 0; 2*i < len(x.pos); i++ {
		x.pos[i] = x.pos[2*i]
	}
	x.pos = x.pos[:(len(x.pos)+1)/2]
	x.stride *= 2
}

// csvIndexes caches the textIndex of scanned files by csvKey.
var csvIndexes sync.Map

type csvKey struct {
	path, delim, drop string
	skip              bool
	size              int64
	mtime             time.Time
}

func openCSV(ctx context.Context, fsys filesystem.Interface, p string, size int64, opts csvmat.Options, skip bool) (Source, error) {
	key := csvKey{path: p, delim: opts.Delimiter, drop: strings.Join(opts.DropColumns, "\x00"), size: size, skip: skip}
	if lm, ok := fsys.(filesystem.LastModifiedGetter); ok {
		t, err := lm.LastModified(ctx, p)
		if err != nil {
			return nil, openErr(p, err)
		}
		key.mtime = t
	} else {
		key.size = -1 // cannot tell an unchanged file: never cache
	}
	rc, err := openRead(ctx, fsys, p)
	if err != nil {
		return nil, openErr(p, err)
	}
	defer rc.Close()
	cr, err := csvmat.NewReader(rc, p, opts)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	s := &csvSource{path: p, opts: opts, layout: cr.Layout(), cols: cr.Cols(), size: size, skip: skip}
	if !key.mtime.IsZero() {
		s.mtime = key.mtime.UnixNano()
	}
	if v, ok := csvIndexes.Load(key); ok && key.size >= 0 {
		s.index = v.(*textIndex)
		s.rows = s.index.rows
		return s, nil
	}
	x := &textIndex{stride: 1}
	compressed := cr.Compressed()
	row := make([]float64, s.cols)
	for {
		if x.rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		if !compressed && x.rows%x.stride == 0 {
			x.add(cr.Pos())
		}
		err := cr.Read(row)
		if err == io.EOF {
			break
		}
		if err != nil && !(skip && csvmat.IsRowError(err)) {
			return nil, err
		}
		x.rows++
	}
	if x.rows == 0 {
		return nil, fmt.Errorf("%s: no data rows", p)
	}
	if n := len(x.pos); n > 0 && x.pos[n-1].Row == x.rows {
		x.pos = x.pos[:n-1] // the end of the text is no row
	}
	s.index, s.rows = x, x.rows
	if key.size >= 0 {
		csvIndexes.Store(key, x)
	}
	return s, nil
}

func (s *csvSource) Path() string  { return s.path }
func (s *csvSource) Rows() int     { return s.rows }
func (s *csvSource) Cols() int     { return s.cols }
func (s *csvSource) DType() string { return "float64" }

// ReadRows implements Source.
func (s *csvSource) ReadRows(ctx context.Context, start, end int) ([]float64, error) {
	return s.ReadRowsInto(ctx, start, end, nil)
}

// ReadRowsInto implements Source. Uncompressed text is parsed from the
// indexed row nearest to start, at most the index's stride − 1 rows before
// it (see ReadRowsAt); gzipped text from its start, skipping the rows before
// start without converting their values.
func (s *csvSource) ReadRowsInto(ctx context.Context, start, end int, dst []float64) ([]float64, error) {
	if err := checkRange(s.path, s.rows, start, end); err != nil {
		return nil, err
	}
	if at, ok := s.textPos(start); ok {
		return s.ReadRowsAt(ctx, at, start, end, dst)
	}
	f, err := openFile(ctx, s.path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rc := f.rc
	cr, err := csvmat.NewReader(rc, s.path, s.opts)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	if cr.Cols() != s.cols {
		return nil, fmt.Errorf("%s: file changed since it was opened: %d columns, was %d", s.path, cr.Cols(), s.cols)
	}
	return s.readRows(ctx, cr, 0, start, end, dst)
}

// readRows reads rows [start, end) from cr, whose next row is row. With
// s.skip, a row that cannot be parsed reads as NaN and is listed in s.bad.
func (s *csvSource) readRows(ctx context.Context, cr *csvmat.Reader, row, start, end int, dst []float64) ([]float64, error) {
	s.bad = s.bad[:0]
	data := resize(dst, (end-start)*s.cols)
	for i := row; i < end; i++ {
		if (i-row)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", s.path, err)
			}
		}
		var err error
		if i < start {
			err = cr.Skip()
		} else {
			err = cr.Read(data[(i-start)*s.cols:])
		}
		if err == io.EOF {
			if s.rows < 0 {
				return nil, fmt.Errorf("%s: file changed since it was planned: it ends after %d rows, want at least %d", s.path, i, end)
			}
			return nil, fmt.Errorf("%s: file changed since it was opened: it ends after %d rows, was %d", s.path, i, s.rows)
		}
		if err != nil && s.skip && csvmat.IsRowError(err) {
			if i >= start {
				reason := ReasonUnparsable
				if errors.Is(err, csvmat.ErrFieldCount) {
					reason = ReasonFieldCount
				}
				vals := data[(i-start)*s.cols : (i-start+1)*s.cols]
				for j := range vals {
					vals[j] = math.NaN()
				}
				s.bad = append(s.bad, BadRow{Row: i, Reason: reason, Err: err})
			}
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// textPos returns the indexed row nearest to row at or before it.
func (s *csvSource) textPos(row int) (TextPos, bool) {
	x := s.index
	if x == nil || len(x.pos) == 0 || row < 0 || row >= x.rows {
		return TextPos{}, false
	}
	p := x.pos[row/x.stride]
	return TextPos{Row: p.Row, Offset: p.Offset, Line: p.Line, Size: s.size, ModTime: s.mtime}, true
}

// TextPos is where a row of an uncompressed delimited text file starts: the
// byte offset and 1-based number of the line after the previous row (so
// comment and blank lines before the row may lie between), the row's 0-based
// index, and the size and modification time (Unix ns; 0 unknown) of the
// file it was taken from. The zero TextPos (Line 0) is no position.
type TextPos struct {
	Row     int
	Offset  int64
	Line    int
	Size    int64
	ModTime int64
}

// TextPosOf returns where a row at or before row starts in src, when src is
// uncompressed delimited text opened by Open: the nearest row of the index
// Open's scan kept, at most that index's stride − 1 rows before row (the
// stride is 1 for files of up to 65536 rows; see ReadRowsAt). ok is false
// for other sources and rows outside [0, Rows()).
func TextPosOf(src Source, row int) (at TextPos, ok bool) {
	s, isText := src.(*csvSource)
	if !isText {
		return TextPos{}, false
	}
	return s.textPos(row)
}

// checkUnchanged returns an error when the file f of path p is not the one
// at was taken from: another size, or another modification time where both
// are known. Offsets into a changed file would parse the wrong rows.
func checkUnchanged(ctx context.Context, f *file, p string, at TextPos) error {
	if f.size != at.Size {
		return fmt.Errorf("%s: file changed since its rows were indexed: %d bytes, was %d", p, f.size, at.Size)
	}
	lm, ok := f.fsys.(filesystem.LastModifiedGetter)
	if at.ModTime == 0 || !ok {
		return nil
	}
	t, err := lm.LastModified(ctx, p)
	if err != nil {
		return openErr(p, err)
	}
	if t.UnixNano() != at.ModTime {
		return fmt.Errorf("%s: file changed since its rows were indexed: modified %s, was %s", p,
			t.UTC().Format(time.RFC3339Nano), time.Unix(0, at.ModTime).UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// TextSource reads the rows of an uncompressed delimited text file from
// positions that Open found (TextPosOf), possibly in another process.
type TextSource interface {
	Path() string
	Cols() int
	// ReadRowsAt reads rows [start, end) into dst's memory when its
	// capacity suffices (else a new slice), parsing the file from at,
	// where at.Row ≤ start: it skips the rows from at.Row to start without
	// converting their values and never reads the bytes before at.Offset
	// when the filesystem's reader can seek (local files). Readers of
	// other filesystems (gs://, s3://, memfs: Beam's filesystem interface
	// has no ranged read) read and discard those bytes without parsing
	// them. Errors name the file and the line, counted from the start of
	// the file; a file whose size or modification time differs from at's
	// is an error.
	ReadRowsAt(ctx context.Context, at TextPos, start, end int, dst []float64) ([]float64, error)
}

// OpenText opens the delimited text file at path (as Open would with the
// same options: the format must be csv, tsv or txt) to read rows from
// positions found by Open, without Open's scan of the whole file: it reads
// only the first row or header. Gzipped text is an error, as its positions
// cannot be sought to.
func OpenText(ctx context.Context, path string, opts Options) (TextSource, error) {
	format, delim, err := formatOf(path, opts)
	if err != nil {
		return nil, err
	}
	if format != "csv" {
		return nil, fmt.Errorf("open %s: format %s is not delimited text", path, format)
	}
	f, err := openFile(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	copts := csvmat.Options{Delimiter: delim, DropColumns: opts.DropColumns}
	cr, err := csvmat.NewReader(f.rc, path, copts)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	if cr.Compressed() {
		return nil, fmt.Errorf("%s: gzipped text cannot be read from a byte offset; read it with Open", path)
	}
	return &csvSource{path: path, opts: copts, layout: cr.Layout(), cols: cr.Cols(), size: f.size, rows: -1, skip: opts.SkipBadRows}, nil
}

// ReadRowsAt implements TextSource.
func (s *csvSource) ReadRowsAt(ctx context.Context, at TextPos, start, end int, dst []float64) ([]float64, error) {
	if s.rows >= 0 {
		if err := checkRange(s.path, s.rows, start, end); err != nil {
			return nil, err
		}
	}
	if at.Line < 1 || at.Offset < 0 || at.Row < 0 || at.Row > start || start > end {
		return nil, fmt.Errorf("%s: rows [%d, %d) cannot be read from row %d at line %d, byte %d", s.path, start, end, at.Row, at.Line, at.Offset)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	f, err := openFile(ctx, s.path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkUnchanged(ctx, f, s.path, at); err != nil {
		return nil, err
	}
	rc := f.rc
	if sk, ok := rc.(io.Seeker); ok {
		if _, err := sk.Seek(at.Offset, io.SeekStart); err != nil {
			return nil, fmt.Errorf("%s: seeking to byte %d (line %d): %v", s.path, at.Offset, at.Line, err)
		}
	} else if n, err := io.CopyN(io.Discard, rc, at.Offset); err != nil {
		return nil, fmt.Errorf("%s: skipping to byte %d (line %d): at byte %d: %v", s.path, at.Offset, at.Line, n, err)
	}
	cr := csvmat.NewReaderAt(rc, s.path, s.layout, csvmat.Pos{Row: at.Row, Offset: at.Offset, Line: at.Line})
	return s.readRows(ctx, cr, at.Row, start, end, dst)
}
