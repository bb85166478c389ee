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
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"

	"github.com/lowdim/lowdim/io/csvmat"
	"github.com/lowdim/lowdim/io/npy"
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
// rows (csv: the row count needs a full scan; it is cached in the process per
// path, size, modification time and options, so opening the same unchanged
// file again, as each worker's shard does, costs no scan).
func Open(ctx context.Context, path string, opts Options) (Source, error) {
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
		return openCSV(ctx, fsys, path, size, csvmat.Options{Delimiter: delim, DropColumns: opts.DropColumns})
	}
}

// formatNames are the values of Options.Format.
var formatNames = []string{"npy", "csv", "tsv", "txt", "safetensors", "npz", "parquet", "idx"}

// idxName matches IDX file names (after any .gz): x.idx, x.idx3, MNIST's
// train-images-idx3-ubyte and train-images.idx3-ubyte.
var idxName = regexp.MustCompile(`(\.idx\d*|-ubyte)$`)

// formatOf returns the format (one of formatNames, with tsv and txt mapped
// to csv) and the csv delimiter.
func formatOf(p string, opts Options) (format, delim string, err error) {
	base := strings.ToLower(path.Base(p))
	stem := strings.TrimSuffix(base, ".gz")
	ext := path.Ext(stem)
	format = strings.ToLower(opts.Format)
	if format == "" {
		switch {
		case ext == ".npy" || ext == ".csv" || ext == ".tsv" || ext == ".txt" ||
			ext == ".safetensors" || ext == ".npz" || ext == ".parquet":
			format = ext[1:]
		case idxName.MatchString(stem):
			format = "idx"
		default:
			return "", "", fmt.Errorf("open %s: cannot tell the format from the name; set the format (%s)", p, strings.Join(formatNames, ", "))
		}
		switch format {
		case "npy", "npz", "parquet":
			if stem != base {
				return "", "", fmt.Errorf("open %s: gzipped .%s is not supported; decompress it", p, format)
			}
		}
	}
	delim = opts.Delimiter
	switch format {
	case "npy", "safetensors", "npz", "parquet", "idx":
		return format, "", nil
	case "csv":
		if delim == "" {
			switch ext {
			case ".tsv":
				delim = "\t"
			case ".txt":
				delim = "whitespace"
			}
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
	path string
	h    npy.Header
	keep []int // kept columns of the file; nil keeps all
}

func openNpy(ctx context.Context, fsys filesystem.Interface, p string, size int64, drop []string) (Source, error) {
	rc, err := fsys.OpenRead(ctx, p)
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
	fsys, err := filesystem.New(ctx, s.path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", s.path, firstLine(err))
	}
	defer fsys.Close()
	rc, err := fsys.OpenRead(ctx, s.path)
	if err != nil {
		return nil, openErr(s.path, err)
	}
	defer rc.Close()
	n := s.h.Cols
	data := resize(dst, (end-start)*n)
	mapped := false
	if f, ok := rc.(*os.File); ok && (!s.h.Fortran || n == 1) {
		rowBytes := int64(n) * int64(s.h.ItemSize)
		mapped, err = withMapped(f, s.h.DataOffset+int64(start)*rowBytes, int64(end-start)*rowBytes, func(b []byte) error {
			return npy.DecodeRows(s.h, b, data)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.path, err)
		}
	}
	if !mapped {
		var r io.Reader = rc
		if _, ok := rc.(io.Seeker); !ok {
			if _, err := io.CopyN(io.Discard, rc, s.h.DataOffset); err != nil {
				return nil, fmt.Errorf("%s: npy: data at byte 0: skipping the header: %v", s.path, err)
			}
		}
		if err := npy.ReadRows(r, s.h, start, end, data); err != nil {
			return nil, fmt.Errorf("%s: %w", s.path, err)
		}
	}
	if s.keep == nil {
		return data, nil
	}
	// Compact in place: output index i·k+c never passes input index i·n+keep[c].
	k := len(s.keep)
	for i := 0; i < end-start; i++ {
		for c, j := range s.keep {
			data[i*k+c] = data[i*n+j]
		}
	}
	return data[:(end-start)*k], nil
}

// csvSource reads delimited text.
type csvSource struct {
	path       string
	opts       csvmat.Options
	rows, cols int
}

// csvRows caches row counts of scanned files by csvKey.
var csvRows sync.Map

type csvKey struct {
	path, delim, drop string
	size              int64
	mtime             time.Time
}

func openCSV(ctx context.Context, fsys filesystem.Interface, p string, size int64, opts csvmat.Options) (Source, error) {
	key := csvKey{path: p, delim: opts.Delimiter, drop: strings.Join(opts.DropColumns, "\x00"), size: size}
	if lm, ok := fsys.(filesystem.LastModifiedGetter); ok {
		t, err := lm.LastModified(ctx, p)
		if err != nil {
			return nil, openErr(p, err)
		}
		key.mtime = t
	} else {
		key.size = -1 // cannot tell an unchanged file: never cache
	}
	rc, err := fsys.OpenRead(ctx, p)
	if err != nil {
		return nil, openErr(p, err)
	}
	defer rc.Close()
	cr, err := csvmat.NewReader(rc, p, opts)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	s := &csvSource{path: p, opts: opts, cols: cr.Cols()}
	if v, ok := csvRows.Load(key); ok && key.size >= 0 {
		s.rows = v.(int)
		return s, nil
	}
	row := make([]float64, s.cols)
	for {
		if s.rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		err := cr.Read(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		s.rows++
	}
	if s.rows == 0 {
		return nil, fmt.Errorf("%s: no data rows", p)
	}
	if key.size >= 0 {
		csvRows.Store(key, s.rows)
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

// ReadRowsInto implements Source. It parses the file from its start,
// skipping the rows before start without converting their values.
func (s *csvSource) ReadRowsInto(ctx context.Context, start, end int, dst []float64) ([]float64, error) {
	if err := checkRange(s.path, s.rows, start, end); err != nil {
		return nil, err
	}
	fsys, err := filesystem.New(ctx, s.path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", s.path, firstLine(err))
	}
	defer fsys.Close()
	rc, err := fsys.OpenRead(ctx, s.path)
	if err != nil {
		return nil, openErr(s.path, err)
	}
	defer rc.Close()
	cr, err := csvmat.NewReader(rc, s.path, s.opts)
	if err != nil {
		return nil, err
	}
	defer cr.Close()
	if cr.Cols() != s.cols {
		return nil, fmt.Errorf("%s: file changed since it was opened: %d columns, was %d", s.path, cr.Cols(), s.cols)
	}
	data := resize(dst, (end-start)*s.cols)
	for i := 0; i < end; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", s.path, err)
			}
		}
		if i < start {
			err = cr.Skip()
		} else {
			err = cr.Read(data[(i-start)*s.cols:])
		}
		if err == io.EOF {
			return nil, fmt.Errorf("%s: file changed since it was opened: it ends after %d rows, was %d", s.path, i, s.rows)
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}
