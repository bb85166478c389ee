// Package datasets holds the data sets lowdim bundles, embedded in the
// binary so that every worker reads them without a file system: the
// scikit-learn digits and MNIST (see data/README.md for their sources and
// licences).
//
// The bundled files are read through Beam's filesystem interface under the
// scheme bundled:// (registered by this package's init), so every reader
// that opens a path with filesystem.New — package matrix and everything
// built on it — reads them like local or gs:// files:
//
//	bundled://digits.csv.gz                      1,797 × 65, label in column 64
//	bundled://mnist/train-images-idx3-ubyte.gz   60,000 × 28 × 28 (IDX)
//	bundled://mnist/train-labels-idx1-ubyte.gz
//	bundled://mnist/t10k-images-idx3-ubyte.gz    10,000 × 28 × 28
//	bundled://mnist/t10k-labels-idx1-ubyte.gz
//
// $LOWDIM_DATA (a folder holding digits.csv.gz) and $LOWDIM_MNIST_DIR (a
// folder holding MNIST's four files) replace the bundled copies by files of
// this machine, for local runs only.
package datasets

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
)

// Scheme is the filesystem scheme of the bundled files: bundled://NAME.
const Scheme = "bundled"

// prefix starts every bundled path.
const prefix = Scheme + "://"

// MNISTPixels is the number of pixels of an MNIST image, 28×28.
const MNISTPixels = 28 * 28

//go:embed data/digits.csv.gz data/mnist/*.gz
var bundled embed.FS

// root is the embedded folder that bundled:// names.
const root = "data"

func init() {
	filesystem.Register(Scheme, func(context.Context) filesystem.Interface { return bundledFS{} })
}

// DigitsPath returns the path of the digits: the file digits.csv.gz in
// $LOWDIM_DATA when that is set, else bundled://digits.csv.gz.
func DigitsPath() (string, error) {
	if d := os.Getenv("LOWDIM_DATA"); d != "" {
		p := filepath.Join(d, "digits.csv.gz")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("data set digits: LOWDIM_DATA=%s: %v (unset LOWDIM_DATA to read the bundled copy)", d, err)
		}
		return p, nil
	}
	return prefix + "digits.csv.gz", nil
}

// MNISTFiles are the paths of MNIST's four IDX files.
type MNISTFiles struct {
	TrainImages, TrainLabels, TestImages, TestLabels string
}

// MNIST returns the paths of MNIST's files: in $LOWDIM_MNIST_DIR when that
// is set (each must exist), else the bundled copies under bundled://mnist/.
func MNIST() (MNISTFiles, error) {
	join := func(name string) string { return prefix + "mnist/" + name }
	d := os.Getenv("LOWDIM_MNIST_DIR")
	if d != "" {
		join = func(name string) string { return filepath.Join(d, name) }
	}
	f := MNISTFiles{
		TrainImages: join("train-images-idx3-ubyte.gz"), TrainLabels: join("train-labels-idx1-ubyte.gz"),
		TestImages: join("t10k-images-idx3-ubyte.gz"), TestLabels: join("t10k-labels-idx1-ubyte.gz"),
	}
	if d != "" {
		for _, p := range []string{f.TrainImages, f.TrainLabels, f.TestImages, f.TestLabels} {
			if _, err := os.Stat(p); err != nil {
				return MNISTFiles{}, fmt.Errorf("data set mnist: LOWDIM_MNIST_DIR=%s: %v (unset LOWDIM_MNIST_DIR to read the bundled copy)", d, err)
			}
		}
	}
	return f, nil
}

// bundledFS is Beam's filesystem.Interface over the embedded files,
// read-only.
type bundledFS struct{}

// name turns bundled://a/b into the embedded file's name data/a/b.
func name(p string) (string, error) {
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return "", fmt.Errorf("%s is not a %s path", p, prefix)
	}
	n := path.Join(root, rest)
	if !fs.ValidPath(n) || !strings.HasPrefix(n, root+"/") {
		return "", &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return n, nil
}

// List returns the bundled files matching glob (path.Match patterns).
func (bundledFS) List(_ context.Context, glob string) ([]string, error) {
	n, err := name(glob)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(bundled, n)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range names {
		if st, err := fs.Stat(bundled, m); err == nil && !st.IsDir() {
			out = append(out, prefix+strings.TrimPrefix(m, root+"/"))
		}
	}
	return out, nil
}

// OpenRead opens a bundled file. The reader reads the binary's embedded
// bytes in place (no copy) and implements io.Seeker and io.ReaderAt too.
func (bundledFS) OpenRead(_ context.Context, p string) (io.ReadCloser, error) {
	n, err := name(p)
	if err != nil {
		return nil, err
	}
	f, err := bundled.Open(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return f, nil
}

// OpenWrite refuses: bundled files are read-only.
func (bundledFS) OpenWrite(_ context.Context, p string) (io.WriteCloser, error) {
	return nil, &fs.PathError{Op: "write", Path: p, Err: fs.ErrPermission}
}

// Size returns a bundled file's size in bytes.
func (bundledFS) Size(_ context.Context, p string) (int64, error) {
	n, err := name(p)
	if err != nil {
		return 0, err
	}
	st, err := fs.Stat(bundled, n)
	if err != nil || st.IsDir() {
		return 0, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	return st.Size(), nil
}

func (bundledFS) Close() error { return nil }
