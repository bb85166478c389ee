// Package npz reads arrays from NumPy .npz archives (np.savez and
// np.savez_compressed) as matrices.
//
// An .npz file is a zip archive whose members are .npy files; the member
// "x.npy" holds the array np.load(f)["x"]. Each member is read with package
// npy, so the same dtypes and shapes are accepted. Members stored without
// compression (np.savez) are read by seeking straight to the wanted rows;
// deflated members (np.savez_compressed) are decompressed from their start
// up to the last wanted row.
//
// Header values never size an allocation before they are checked: each
// member's .npy header must describe no more data than the member's
// uncompressed size, and that size may not exceed what deflate can produce
// from the compressed bytes (1032:1).
package npz

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"

	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/safetensors"
)

// maxDeflateRatio bounds the expansion of deflate: a stream of n bytes
// inflates to at most about 1032·n bytes (RFC 1951 length 258 per 2 bits).
const maxDeflateRatio = 1032

// Array is one member of an archive.
type Array struct {
	Name   string     // array name: the member name without ".npy"
	Member string     // member name in the zip archive
	Stored bool       // stored without compression: reads seek
	Header npy.Header // the member's .npy header; offsets are within the member
	// Err is why the member cannot be read as a matrix (not a .npy file, a
	// dtype other than float16/32/64, …), or nil.
	Err error

	file *zip.File
}

// Archive is an opened .npz file.
type Archive struct {
	Arrays []Array // in archive order
	r      io.ReaderAt
}

// Open reads the zip directory of the size-byte file r and the .npy header
// of each member. A member that is not a readable float array is listed with
// its Err set; Open fails only when the archive itself is broken.
func Open(r io.ReaderAt, size int64) (*Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("npz: %v", err)
	}
	a := &Archive{r: r}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		arr := Array{Name: strings.TrimSuffix(f.Name, ".npy"), Member: f.Name, file: f}
		arr.Err = arr.readHeader(r)
		a.Arrays = append(a.Arrays, arr)
	}
	return a, nil
}

func (arr *Array) readHeader(r io.ReaderAt) error {
	f := arr.file
	switch f.Method {
	case zip.Store:
		arr.Stored = true
	case zip.Deflate:
		if f.UncompressedSize64 > maxDeflateRatio*f.CompressedSize64+1024 {
			return fmt.Errorf("member %s claims %d bytes inflated from %d (more than deflate can produce)", f.Name, f.UncompressedSize64, f.CompressedSize64)
		}
	default:
		return fmt.Errorf("member %s: compression method %d; want stored (0) or deflate (8)", f.Name, f.Method)
	}
	rc, err := arr.open(r)
	if err != nil {
		return err
	}
	defer rc.Close()
	h, err := npy.ReadHeader(rc)
	if err == nil {
		err = h.CheckSize(int64(min(f.UncompressedSize64, 1<<62)))
	}
	if err != nil {
		return fmt.Errorf("member %s: %w", f.Name, err)
	}
	arr.Header = h
	return nil
}

// open returns a reader of the member's uncompressed bytes: for a stored
// member an *io.SectionReader (seekable), otherwise a stream.
func (arr *Array) open(r io.ReaderAt) (io.ReadCloser, error) {
	f := arr.file
	if f.Method == zip.Store {
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("member %s: %v", f.Name, err)
		}
		return nopCloser{io.NewSectionReader(r, off, int64(f.UncompressedSize64))}, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("member %s: %v", f.Name, err)
	}
	return rc, nil
}

type nopCloser struct{ *io.SectionReader }

func (nopCloser) Close() error { return nil }

// Span returns the byte range of the member's stored (possibly compressed)
// bytes in the zip file, or (-1, -1) if the local header is unreadable.
func (arr *Array) Span() (begin, end int64) {
	off, err := arr.file.DataOffset()
	if err != nil {
		return -1, -1
	}
	return off, off + int64(arr.file.CompressedSize64)
}

// Names returns the array names in archive order.
func (a *Archive) Names() []string {
	names := make([]string, len(a.Arrays))
	for i, arr := range a.Arrays {
		names[i] = arr.Name
	}
	return names
}

// Select returns the array named pattern (or whose member is named pattern),
// else the only array whose name matches pattern as a path.Match pattern. An
// empty pattern selects the only array, or else the only readable array of
// rank ≥ 2. Anything else is an error listing the array names; so is
// selecting an array whose Err is set.
func (a *Archive) Select(pattern string) (*Array, error) {
	if len(a.Arrays) == 1 && pattern == "" {
		return a.check(&a.Arrays[0])
	}
	for i := range a.Arrays {
		if pattern != "" && a.Arrays[i].Member == pattern {
			return a.check(&a.Arrays[i])
		}
	}
	idx := make([]int, len(a.Arrays))
	for i := range idx {
		idx[i] = i
	}
	i, err := safetensors.SelectName(idx,
		func(i int) string { return a.Arrays[i].Name },
		func(i int) bool { return a.Arrays[i].Err == nil && len(a.Arrays[i].Header.Shape) >= 2 },
		pattern)
	if err != nil {
		return nil, fmt.Errorf("npz: %s", strings.Replace(err.Error(), "tensor", "array", -1))
	}
	return a.check(&a.Arrays[i])
}

func (a *Archive) check(arr *Array) (*Array, error) {
	if arr.Err != nil {
		return nil, fmt.Errorf("npz: array %q: %w", arr.Name, arr.Err)
	}
	if arr.Header.Rows == 0 || arr.Header.Cols == 0 {
		return nil, fmt.Errorf("npz: array %q has shape %v, which is empty; want at least one row and one column", arr.Name, arr.Header.Shape)
	}
	return arr, nil
}

// ReadRows reads rows [start, end) of arr into dst, row-major, as
// npy.ReadRows does. Errors name the member and the byte offset within it.
func (a *Archive) ReadRows(arr *Array, start, end int, dst []float64) error {
	if arr.Err != nil {
		return fmt.Errorf("npz: array %q: %w", arr.Name, arr.Err)
	}
	rc, err := arr.open(a.r)
	if err != nil {
		return fmt.Errorf("npz: %v", err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if _, ok := rc.(io.Seeker); !ok {
		if _, err := io.CopyN(io.Discard, rc, arr.Header.DataOffset); err != nil {
			return fmt.Errorf("npz: member %s: skipping the .npy header: %v", arr.Member, err)
		}
	} else {
		r = rc.(nopCloser).SectionReader
	}
	if err := npy.ReadRows(r, arr.Header, start, end, dst); err != nil {
		return fmt.Errorf("npz: member %s: %w", arr.Member, err)
	}
	return nil
}
