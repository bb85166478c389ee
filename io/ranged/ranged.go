// Package ranged opens gs:// objects for reading at offsets, which Beam's
// filesystem interface cannot do: its OpenRead streams an object from byte
// 0, so a shard in the middle of a large object would download (and, for
// formats that need io.ReaderAt, hold) everything before its rows.
//
// A Reader seeks by opening an HTTP range read at the new offset, lazily on
// the next Read, and serves ReadAt with range reads of the bytes asked for
// (at least 1 MiB, kept as a read-ahead window for the next small reads),
// so a worker fetches about the bytes of its own shard in few requests.
package ranged

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"cloud.google.com/go/storage"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/gcsx"
)

// Reader reads one object at any offset. It implements io.ReadSeekCloser
// and io.ReaderAt; Read and Seek must not be called concurrently, ReadAt may
// (concurrent small reads share one read-ahead window).
type Reader struct {
	ctx    context.Context
	obj    *storage.ObjectHandle
	size   int64
	pos    int64
	stream *storage.Reader // open range read at pos, or nil
	// window is the last readAhead bytes ReadAt fetched, from off.
	window struct {
		sync.Mutex
		off  int64
		data []byte
	}
}

// fetched and requests count the object bytes all Readers of the process
// received and the range reads they made.
var fetched, requests atomic.Int64

// Fetched returns how many object bytes Readers have received in this
// process, for tests and benchmarks that check a shard reads only its part.
func Fetched() int64 { return fetched.Load() }

// Requests returns how many range reads Readers have made in this process.
func Requests() int64 { return requests.Load() }

// Supported reports whether Open can open path: a gs:// URL.
func Supported(path string) bool { return strings.HasPrefix(path, "gs://") }

// Open opens the gs:// object at path, with a client made as Beam's gcs
// filesystem makes its own (application default credentials, or
// unauthenticated access; STORAGE_EMULATOR_HOST is honoured) and shared by
// the process. It reads the object's attributes for its size.
func Open(ctx context.Context, path string) (*Reader, error) {
	bucket, object, err := gcsx.ParseObject(path)
	if err != nil {
		return nil, err
	}
	client, err := sharedClient(ctx)
	if err != nil {
		return nil, err
	}
	obj := client.Bucket(bucket).Object(object)
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		return nil, err
	}
	// Pin the generation: every range read is of the object that was
	// sized, and one replaced meanwhile fails instead of mixing versions.
	return &Reader{ctx: ctx, obj: obj.Generation(attrs.Generation), size: attrs.Size}, nil
}

// clients holds one client per process and emulator address
// (STORAGE_EMULATOR_HOST, read when a client is made), so that a worker
// reading many shards authenticates once.
var clients struct {
	sync.Mutex
	byHost map[string]*storage.Client
}

func sharedClient(ctx context.Context) (*storage.Client, error) {
	clients.Lock()
	defer clients.Unlock()
	host := os.Getenv("STORAGE_EMULATOR_HOST")
	if c := clients.byHost[host]; c != nil {
		return c, nil
	}
	// The client outlives ctx, which may be one bundle's.
	bg := context.WithoutCancel(ctx)
	c, err := gcsx.NewClient(bg, storage.ScopeReadOnly)
	if err != nil {
		if c, err = gcsx.NewUnauthenticatedClient(bg); err != nil {
			return nil, fmt.Errorf("gcs client: %v", err)
		}
	}
	if clients.byHost == nil {
		clients.byHost = map[string]*storage.Client{}
	}
	clients.byHost[host] = c
	return c, nil
}

// Size returns the object's size in bytes.
func (r *Reader) Size() int64 { return r.size }

// Read reads from the current offset, opening a range read from there to
// the end of the object when none is open.
func (r *Reader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.stream == nil {
		s, err := r.obj.NewRangeReader(r.ctx, r.pos, -1)
		if err != nil {
			return 0, err
		}
		requests.Add(1)
		r.stream = s
	}
	n, err := r.stream.Read(p[:min(int64(len(p)), r.size-r.pos)])
	r.pos += int64(n)
	fetched.Add(int64(n))
	if errors.Is(err, io.EOF) && r.pos < r.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Seek moves the offset; the next Read opens a range read there.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	}
	if offset < 0 {
		return r.pos, fmt.Errorf("ranged: seek to negative offset %d", offset)
	}
	if offset != r.pos && r.stream != nil {
		r.stream.Close()
		r.stream = nil
	}
	r.pos = offset
	return offset, nil
}

// readAhead is the smallest range ReadAt fetches: readers such as
// Parquet's read a column chunk in 4 KiB pieces, and one request per piece
// would cost a round trip each.
const readAhead = 1 << 20

// ReadAt reads len(p) bytes at off. A read of at least readAhead bytes is
// one range read of exactly those bytes; a smaller one is served from the
// last window fetched, or fetches the readAhead bytes from off into it.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("ranged: read at negative offset %d", off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	var n int
	var err error
	if want >= readAhead {
		n, err = r.fetch(p[:want], off)
	} else {
		n, err = r.readWindow(p[:want], off)
	}
	if err == nil && want < int64(len(p)) {
		err = io.EOF
	}
	return n, err
}

// readWindow copies p from the read-ahead window, fetching the window at
// off when it does not hold all of p.
func (r *Reader) readWindow(p []byte, off int64) (int, error) {
	r.window.Lock()
	defer r.window.Unlock()
	w := &r.window
	if off < w.off || off+int64(len(p)) > w.off+int64(len(w.data)) {
		n := min(int64(readAhead), r.size-off)
		if int64(cap(w.data)) < n {
			w.data = make([]byte, n)
		}
		w.data = w.data[:n]
		got, err := r.fetch(w.data, off)
		w.off, w.data = off, w.data[:got]
		if err != nil {
			return copy(p, w.data), err
		}
	}
	return copy(p, w.data[off-w.off:]), nil
}

// fetch fills p from off with one range read.
func (r *Reader) fetch(p []byte, off int64) (int, error) {
	s, err := r.obj.NewRangeReader(r.ctx, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer s.Close()
	requests.Add(1)
	n, err := io.ReadFull(s, p)
	fetched.Add(int64(n))
	return n, err
}

// Close closes the open range read.
func (r *Reader) Close() error {
	if r.stream != nil {
		r.stream.Close()
		r.stream = nil
	}
	return nil
}
