package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// readBundled reads p through Beam's filesystem, as every lowdim reader does.
func readBundled(t *testing.T, p string) []byte {
	t.Helper()
	ctx := context.Background()
	fsys, err := filesystem.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	rc, err := fsys.OpenRead(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	size, err := fsys.Size(ctx, p)
	if err != nil || size != int64(len(b)) {
		t.Errorf("Size(%s) = %d, %v; read %d bytes", p, size, err, len(b))
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestBundledFromAnyDirectory: the data sets are read from the binary, from
// a working directory with no copy of the repository, byte for byte the
// files data/README.md lists (digits identical to testdata/digits.csv.gz).
func TestBundledFromAnyDirectory(t *testing.T) {
	want, err := os.ReadFile("../../testdata/digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOWDIM_DATA", "")
	t.Setenv("LOWDIM_MNIST_DIR", "")
	t.Chdir(t.TempDir())
	p, err := DigitsPath()
	if err != nil || p != "bundled://digits.csv.gz" {
		t.Fatalf("DigitsPath() = %s, %v", p, err)
	}
	if got := readBundled(t, p); !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes (sha256 %s), testdata/digits.csv.gz has %d", p, len(got), sha(got), len(want))
	}
	m, err := MNIST()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, sha string }{
		{m.TrainImages, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
		{m.TrainLabels, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
		{m.TestImages, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
		{m.TestLabels, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
	} {
		if !strings.HasPrefix(c.path, "bundled://mnist/") {
			t.Errorf("MNIST path %s", c.path)
		}
		if got := sha(readBundled(t, c.path)); got != c.sha {
			t.Errorf("%s: sha256 %s, want %s", c.path, got, c.sha)
		}
	}
	if MNISTPixels != 784 {
		t.Errorf("MNISTPixels = %d", MNISTPixels)
	}
}

// TestBundledFS: listing by glob, seeking and reading at offsets, and clear
// refusals for missing names, names outside the bundle and writes.
func TestBundledFS(t *testing.T) {
	ctx := context.Background()
	fsys := bundledFS{}
	got, err := fsys.List(ctx, "bundled://mnist/*-images-*")
	if err != nil || strings.Join(got, " ") != "bundled://mnist/t10k-images-idx3-ubyte.gz bundled://mnist/train-images-idx3-ubyte.gz" {
		t.Errorf("List(images) = %v, %v", got, err)
	}
	if got, err := fsys.List(ctx, "bundled://*"); err != nil || strings.Join(got, " ") != "bundled://digits.csv.gz" {
		t.Errorf("List(*) = %v, %v (folders are not files)", got, err)
	}
	rc, err := fsys.OpenRead(ctx, "bundled://digits.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		t.Fatalf("%T is not an io.ReaderAt", rc)
	}
	magic := make([]byte, 2)
	if _, err := ra.ReadAt(magic, 0); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		t.Errorf("ReadAt(0) = %x, %v; want the gzip magic 1f8b", magic, err)
	}
	if _, ok := rc.(io.Seeker); !ok {
		t.Errorf("%T is not an io.Seeker", rc)
	}
	rc.Close()
	for _, p := range []string{"bundled://nope.csv", "bundled://../datasets.go", "bundled://mnist", "bundled://"} {
		if _, err := fsys.OpenRead(ctx, p); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
			t.Errorf("OpenRead(%s): %v; want not-exist naming it", p, err)
		}
		if _, err := fsys.Size(ctx, p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Size(%s): %v", p, err)
		}
	}
	if _, err := fsys.OpenWrite(ctx, "bundled://x.csv"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("OpenWrite: %v; want a refusal", err)
	}
}

// TestOverrides: $LOWDIM_DATA and $LOWDIM_MNIST_DIR replace the bundled
// copies by local files, and a folder without them is an error naming it.
func TestOverrides(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LOWDIM_DATA", dir)
	if _, err := DigitsPath(); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("LOWDIM_DATA without digits.csv.gz: %v", err)
	}
	own := filepath.Join(dir, "digits.csv.gz")
	os.WriteFile(own, []byte("x"), 0o644)
	if p, err := DigitsPath(); err != nil || p != own {
		t.Errorf("with LOWDIM_DATA: %s, %v; want %s", p, err, own)
	}
	t.Setenv("LOWDIM_MNIST_DIR", dir)
	if _, err := MNIST(); err == nil || !strings.Contains(err.Error(), "LOWDIM_MNIST_DIR="+dir) {
		t.Errorf("LOWDIM_MNIST_DIR without the files: %v", err)
	}
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
	}
	if m, err := MNIST(); err != nil || m.TestLabels != filepath.Join(dir, "t10k-labels-idx1-ubyte.gz") {
		t.Errorf("with LOWDIM_MNIST_DIR: %+v, %v", m, err)
	}
}
