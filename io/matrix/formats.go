package matrix

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/lowdim/lowdim/io/idx"
	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/npz"
	"github.com/lowdim/lowdim/io/parquetmat"
	"github.com/lowdim/lowdim/io/ranged"
	"github.com/lowdim/lowdim/io/safetensors"
)

// maxInflate bounds how many bytes a gzip file of n bytes can decompress to:
// deflate emits at most 258 bytes per 2 bits, about 1032:1. A header of a
// gzipped file that claims more data than that is refused before any
// allocation is sized from it.
const maxInflate = 1032

// file is an open file of the filesystem: its reader, its size and whether
// it is gzip-compressed (sniffed from the magic bytes 1f 8b).
type file struct {
	rc   io.ReadCloser
	r    io.Reader // rc, a gzip reader on it, or a bufio.Reader after sniffing
	size int64     // size in the filesystem (compressed size for gzip)
	gz   bool
	fsys filesystem.Interface
}

func (f *file) Close() error {
	f.rc.Close()
	return f.fsys.Close()
}

// openFile opens p; with sniff set a gzip file is decompressed transparently
// and f.r is then a stream (not an io.Seeker).
func openFile(ctx context.Context, p string, sniff bool) (*file, error) {
	fsys, err := filesystem.New(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", p, firstLine(err))
	}
	rc, err := openRead(ctx, fsys, p)
	if err != nil {
		fsys.Close()
		return nil, openErr(p, err)
	}
	var size int64
	if r, ok := rc.(*ranged.Reader); ok {
		size = r.Size() // one metadata request, not two
	} else if size, err = fsys.Size(ctx, p); err != nil {
		rc.Close()
		fsys.Close()
		return nil, openErr(p, err)
	}
	f := &file{rc: rc, r: rc, size: size, fsys: fsys}
	if !sniff {
		return f, nil
	}
	var magic [2]byte
	if rs, ok := rc.(io.ReadSeeker); ok {
		n, _ := io.ReadFull(rs, magic[:])
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, openErr(p, err)
		}
		f.gz = n == 2 && magic == [2]byte{0x1f, 0x8b}
	} else {
		br := bufio.NewReader(rc)
		b, _ := br.Peek(2)
		f.gz = bytes.Equal(b, []byte{0x1f, 0x8b})
		f.r = br
	}
	if f.gz {
		zr, err := gzip.NewReader(f.r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: gzip: %v", p, err)
		}
		f.r = zr
	}
	return f, nil
}

// readerAt returns f's contents as an io.ReaderAt. Local files (*os.File)
// and gs:// objects (package ranged) are read in place; a reader of another
// filesystem that cannot read at offsets (memfs, s3) is read whole into
// memory, so .npz and .parquet files there cost their full size in memory
// per ReadRows call.
func (f *file) readerAt(p string) (io.ReaderAt, int64, error) {
	if ra, ok := f.rc.(io.ReaderAt); ok {
		return ra, f.size, nil
	}
	b, err := io.ReadAll(f.r)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: reading at byte %d: %v", p, len(b), err)
	}
	return bytes.NewReader(b), int64(len(b)), nil
}

// other is a Source of the formats opened by openOther. It keeps only what
// it learnt from the header; each ReadRows opens the file again, so a Source
// may be shared by goroutines and is cheap to send to workers.
type other struct {
	path, format string
	rows, cols   int
	dtype        string
	opts         Options
	keep         []int // kept columns; nil keeps all
	tensor       safetensors.Tensor
	idx          idx.Header
	scratch      []byte // readDecodedAt's chunk buffer
}

func (s *other) Path() string  { return s.path }
func (s *other) Rows() int     { return s.rows }
func (s *other) DType() string { return s.dtype }
func (s *other) Cols() int {
	if s.keep != nil {
		return len(s.keep)
	}
	return s.cols
}

func openOther(ctx context.Context, _ filesystem.Interface, format, p string, _ int64, opts Options) (Source, error) {
	s := &other{path: p, format: format, opts: opts}
	var names []string // column names, when the format has them
	f, err := openFile(ctx, p, format == "safetensors" || format == "idx")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := f.size
	if f.gz {
		size = -1
	}
	switch format {
	case "safetensors":
		h, err := safetensors.ReadHeader(f.r, size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		t, err := h.Select(opts.Tensor)
		if err == nil {
			err = t.CheckMatrix()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: safetensors: %v", p, err)
		}
		if f.gz && t.End > maxInflate*f.size+(1<<20) {
			return nil, fmt.Errorf("%s: safetensors: tensor %q ends at byte %d, more than the %d-byte gzip file can hold", p, t.Name, t.End, f.size)
		}
		s.tensor, s.rows, s.cols, s.dtype = t, t.Rows(), t.Cols(), t.NumPyDType()
	case "idx":
		h, err := idx.ReadHeader(f.r, size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if f.gz && h.DataOffset+h.DataSize() > maxInflate*f.size+(1<<20) {
			return nil, fmt.Errorf("%s: idx: shape %v needs %d bytes, more than the %d-byte gzip file can hold", p, h.Dims, h.DataOffset+h.DataSize(), f.size)
		}
		s.idx, s.rows, s.cols, s.dtype = h, h.Rows, h.Cols, h.DType()
	case "npz":
		ra, n, err := f.readerAt(p)
		if err != nil {
			return nil, err
		}
		a, err := npz.Open(ra, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		arr, err := a.Select(opts.Tensor)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		s.opts.Tensor = arr.Name // pin the selection
		s.rows, s.cols, s.dtype = arr.Header.Rows, arr.Header.Cols, arr.Header.DType()
	case "parquet":
		ra, n, err := f.readerAt(p)
		if err != nil {
			return nil, err
		}
		pf, err := parquetmat.Open(ra, n, parquetmat.Options{Column: opts.Column, Columns: opts.Columns})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		s.rows, s.cols, s.dtype = pf.Rows, pf.Cols, pf.DType()
		if opts.Column == "" {
			names = pf.Names
		}
	}
	if s.rows == 0 || s.cols == 0 {
		return nil, fmt.Errorf("%s: %s matrix is %d×%d, which is empty; want at least one row and one column", p, format, s.rows, s.cols)
	}
	if len(opts.DropColumns) > 0 {
		if s.keep, err = keepNamed(p, s.cols, names, opts.DropColumns); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// keepNamed resolves columns to drop, by name when names is not nil or by
// index, and returns the kept ones.
func keepNamed(p string, n int, names, drop []string) ([]int, error) {
	if names == nil {
		return keepColumns(p, n, drop)
	}
	idx := make([]string, 0, len(drop))
	for _, d := range drop {
		j := -1
		for k, name := range names {
			if name == d {
				j = k
				break
			}
		}
		if j < 0 {
			if _, err := strconv.Atoi(strings.TrimSpace(d)); err != nil {
				return nil, fmt.Errorf("%s: drop column %q: no such column; columns: %s", p, d, strings.Join(names, ", "))
			}
			idx = append(idx, d)
			continue
		}
		idx = append(idx, strconv.Itoa(j))
	}
	return keepColumns(p, n, idx)
}

// ReadRows implements Source.
func (s *other) ReadRows(ctx context.Context, start, end int) ([]float64, error) {
	return s.ReadRowsInto(ctx, start, end, nil)
}

// ReadRowsInto implements Source.
func (s *other) ReadRowsInto(ctx context.Context, start, end int, dst []float64) ([]float64, error) {
	if err := checkRange(s.path, s.rows, start, end); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	f, err := openFile(ctx, s.path, s.format == "safetensors" || s.format == "idx")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := resize(dst, (end-start)*s.cols)
	switch s.format {
	case "safetensors":
		err = s.readSafetensors(f, start, end, data)
	case "idx":
		err = idx.ReadRows(f.r, 0, s.idx, start, end, data)
	case "npz":
		err = s.readNpz(f, start, end, data)
	case "parquet":
		err = s.readParquet(f, start, end, data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	if s.keep == nil {
		return data, nil
	}
	// Compact in place: output index i·k+c never passes input index i·n+keep[c].
	k, n := len(s.keep), s.cols
	for i := 0; i < end-start; i++ {
		for c, j := range s.keep {
			data[i*k+c] = data[i*n+j]
		}
	}
	return data[:(end-start)*k], nil
}

// readSafetensors reads the rows at their offset in cache-sized chunks
// (readDecodedAt) when the file is local and not compressed, and otherwise
// reads them through f.
func (s *other) readSafetensors(f *file, start, end int, data []float64) error {
	if osf, ok := f.rc.(*os.File); ok && !f.gz {
		t := s.tensor
		rowBytes := int64(t.Cols()) * int64(t.ItemSize())
		err := readDecodedAt(osf, t.Begin+int64(start)*rowBytes, int64(end-start)*rowBytes, t.ItemSize(), data, &s.scratch, func(b []byte, dst []float64) error {
			safetensors.DecodeRows(t, b, dst)
			return nil
		})
		var short truncatedError
		if errors.As(err, &short) {
			return fmt.Errorf("safetensors: byte %d: unexpected EOF: tensor %q needs data up to byte %d (file truncated?)", short.at, t.Name, short.end)
		}
		return err
	}
	// A stream (gzip, or a filesystem that cannot seek) is at byte 0.
	return safetensors.ReadRows(f.r, 0, s.tensor, start, end, data)
}

func (s *other) readNpz(f *file, start, end int, data []float64) error {
	ra, n, err := f.readerAt(s.path)
	if err != nil {
		return err
	}
	a, err := npz.Open(ra, n)
	if err != nil {
		return err
	}
	arr, err := a.Select(s.opts.Tensor)
	if err != nil {
		return err
	}
	if arr.Header.Rows != s.rows || arr.Header.Cols != s.cols {
		return fmt.Errorf("file changed since it was opened: array %q is %d×%d, was %d×%d", arr.Name, arr.Header.Rows, arr.Header.Cols, s.rows, s.cols)
	}
	return a.ReadRows(arr, start, end, data)
}

func (s *other) readParquet(f *file, start, end int, data []float64) error {
	ra, n, err := f.readerAt(s.path)
	if err != nil {
		return err
	}
	pf, err := parquetmat.Open(ra, n, parquetmat.Options{Column: s.opts.Column, Columns: s.opts.Columns})
	if err != nil {
		return err
	}
	if pf.Rows != s.rows || pf.Cols != s.cols {
		return fmt.Errorf("file changed since it was opened: %d×%d, was %d×%d", pf.Rows, pf.Cols, s.rows, s.cols)
	}
	return pf.ReadRows(start, end, data)
}

// Tensor describes one tensor of a .safetensors file, one array of an
// .npz file, or the array of a .npy file (Name ""), as listed by Tensors.
type Tensor struct {
	Name  string
	DType string // as stored: "F64", "BF16", "I64", … (safetensors); "<f8", … (npz, npy)
	Shape []int
	// Begin and End are the byte offsets of the tensor's data in the file
	// (safetensors, npy), or of the member's stored bytes in the zip file (npz).
	Begin, End int64
	// Err says why Open cannot read the tensor as a matrix (safetensors:
	// rank < 2 or a dtype other than F64, F32, F16, BF16; npz: not a float
	// .npy member), or is nil. Rank-1 .npz arrays read as n×1.
	Err error
}

// Tensors lists the tensors of a .safetensors file, the arrays of an .npz
// file, or the array of a .npy file, in file order, reading only the
// headers. The format is picked as by Open. Tensors of any dtype and rank
// are listed; Err marks those that Open cannot read as a matrix (a .npy
// header of a dtype Open cannot read is an error).
func Tensors(ctx context.Context, p string, opts Options) ([]Tensor, error) {
	format, _, err := formatOf(p, opts)
	if err != nil {
		return nil, err
	}
	if format != "safetensors" && format != "npz" && format != "npy" {
		return nil, fmt.Errorf("%s: %s files have no named tensors; want safetensors, npz or npy", p, format)
	}
	f, err := openFile(ctx, p, format == "safetensors")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if format == "npy" {
		h, err := npy.ReadHeader(f.r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return []Tensor{{DType: h.Descr, Shape: h.Shape, Begin: h.DataOffset, End: h.DataOffset + h.DataSize()}}, nil
	}
	var ts []Tensor
	if format == "safetensors" {
		size := f.size
		if f.gz {
			size = -1
		}
		h, err := safetensors.ReadHeader(f.r, size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, t := range h.Tensors {
			ts = append(ts, Tensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Begin: t.Begin, End: t.End, Err: t.CheckMatrix()})
		}
		return ts, nil
	}
	ra, n, err := f.readerAt(p)
	if err != nil {
		return nil, err
	}
	a, err := npz.Open(ra, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	for _, arr := range a.Arrays {
		t := Tensor{Name: arr.Name, DType: arr.Header.Descr, Shape: arr.Header.Shape, Err: arr.Err}
		t.Begin, t.End = arr.Span()
		ts = append(ts, t)
	}
	return ts, nil
}
