package ranged

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/lowdim/lowdim/internal/fakegcs"
)

// object serves a 3 MiB + 123 byte random object at gs://b/o from an
// in-process fake GCS and returns its bytes.
func object(t *testing.T) []byte {
	t.Helper()
	data := make([]byte, 3<<20+123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	fakegcs.Put(fakegcs.Start(t, "b"), "b", "o", data)
	return data
}

// TestReadAt: 4 KiB reads across the object (as Parquet's reader makes
// them) cost one request per MiB; a large read is one request of its own
// bytes; the last bytes come with io.EOF; concurrent reads agree.
func TestReadAt(t *testing.T) {
	data := object(t)
	r, err := Open(context.Background(), "gs://b/o")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d", r.Size(), len(data))
	}
	req := Requests()
	buf := make([]byte, 4096)
	for off := 0; off < len(data); off += len(buf) {
		n, err := r.ReadAt(buf, int64(off))
		if off+len(buf) <= len(data) && err != nil || off+len(buf) > len(data) && !errors.Is(err, io.EOF) {
			t.Fatalf("ReadAt(%d): %d, %v", off, n, err)
		}
		if !bytes.Equal(buf[:n], data[off:min(off+len(buf), len(data))]) {
			t.Fatalf("ReadAt(%d): bytes differ", off)
		}
	}
	if got := Requests() - req; got != 4 {
		t.Errorf("%d range reads for 4 KiB reads over 3 MiB, want 4", got)
	}
	req, fetchedBefore := Requests(), Fetched()
	big := make([]byte, 2<<20)
	if _, err := r.ReadAt(big, 1000); err != nil || !bytes.Equal(big, data[1000:1000+len(big)]) {
		t.Fatalf("2 MiB ReadAt: %v", err)
	}
	if Requests()-req != 1 || Fetched()-fetchedBefore != int64(len(big)) {
		t.Errorf("2 MiB ReadAt: %d requests, %d bytes", Requests()-req, Fetched()-fetchedBefore)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			p := make([]byte, 777)
			for range 50 {
				off := rng.IntN(len(data) - len(p))
				if _, err := r.ReadAt(p, int64(off)); err != nil || !bytes.Equal(p, data[off:off+len(p)]) {
					t.Errorf("concurrent ReadAt(%d): %v", off, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestReadSeek: after a seek a Read streams from the new offset and fetches
// only what is read from there.
func TestReadSeek(t *testing.T) {
	data := object(t)
	r, err := Open(context.Background(), "gs://b/o")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, off := range []int64{2<<20 + 5, 17, int64(len(data)) - 100} {
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		before := Fetched()
		p := make([]byte, 100)
		if _, err := io.ReadFull(r, p); err != nil || !bytes.Equal(p, data[off:off+100]) {
			t.Fatalf("read at %d: %v", off, err)
		}
		if got := Fetched() - before; got != 100 {
			t.Errorf("read 100 bytes at %d, fetched %d", off, got)
		}
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("read at the end: %d, %v", n, err)
	}
	if _, err := Open(context.Background(), "gs://b/missing"); err == nil {
		t.Error("opened a missing object")
	}
}

// TestReplacedObject: a Reader reads the version of the object it opened;
// once that version is replaced, reads fail rather than mixing versions.
func TestReplacedObject(t *testing.T) {
	data := object(t)
	r, err := Open(context.Background(), "gs://b/o")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := make([]byte, 100)
	if _, err := r.ReadAt(p, 0); err != nil || !bytes.Equal(p, data[:100]) {
		t.Fatalf("first read: %v", err)
	}
	host := os.Getenv("STORAGE_EMULATOR_HOST")
	c, err := sharedClient(context.Background())
	if err != nil || host == "" {
		t.Fatal(err)
	}
	w := c.Bucket("b").Object("o").NewWriter(context.Background())
	w.Write(bytes.Repeat([]byte{7}, len(data))) // same size, other bytes
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := r.ReadAt(p, 2<<20); err == nil {
		t.Errorf("read %d bytes of a replaced object without an error (%v)", n, p[:4])
	}
}
