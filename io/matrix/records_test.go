package matrix

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/csvmat"
)

// TestOpenRecords: the delimiter comes from the name as for Open (a gzipped
// .tsv is tab-separated), the rows are those Open counts, and a file that
// is not delimited text is refused.
func TestOpenRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	io.WriteString(w, "x\tname\ty\n1\tone a\t2\n# skipped\n3\ttwo\t4\n")
	w.Close()
	p := filepath.Join(dir, "t.tsv.gz")
	if err := os.WriteFile(p, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRecords(ctx, p, Options{DropColumns: []string{"name"}}, csvmat.HeaderPresent)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); !reflect.DeepEqual(h, []string{"x", "y"}) {
		t.Errorf("header %q", h)
	}
	var names []string
	for {
		name, err := r.ReadField(1)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	src, err := Open(ctx, p, Options{DropColumns: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"one a", "two"}) || src.Rows() != len(names) {
		t.Errorf("names %q; Open counts %d rows", names, src.Rows())
	}
	if _, err := OpenRecords(ctx, filepath.Join(dir, "m.npy"), Options{}, csvmat.HeaderAuto); err == nil || !strings.Contains(err.Error(), "not delimited text") {
		t.Errorf("npy: %v", err)
	}
	if _, err := OpenRecords(ctx, filepath.Join(dir, "missing.csv"), Options{}, csvmat.HeaderAuto); err == nil || !strings.Contains(err.Error(), "open "+filepath.Join(dir, "missing.csv")) {
		t.Errorf("missing file: %v", err)
	}
}
