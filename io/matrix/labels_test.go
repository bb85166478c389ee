package matrix

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadLabels: labels of delimited text (by header name or index,
// gzipped or not, words kept as text) and of a numeric .npy column line up
// with the rows Open reads, for any row range.
func TestReadLabels(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := "# comment\nx,y,kind\n1,2,cat\n\n3,4, dog \n5,6,cat\n7,8,owl\n"
	csv := filepath.Join(dir, "w.csv")
	if err := os.WriteFile(csv, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"kind", "2", "-1"} {
		got, err := ReadLabels(ctx, csv, Options{DropColumns: []string{col}}, col, 1, 4)
		if err != nil || !slices.Equal(got, []string{"dog", "cat", "owl"}) {
			t.Errorf("column %s: labels %q, %v; want dog, cat, owl", col, got, err)
		}
	}
	src, err := Open(ctx, csv, Options{DropColumns: []string{"kind"}})
	if err != nil {
		t.Fatal(err)
	}
	if rows, _ := src.ReadRows(ctx, 1, 2); !slices.Equal(rows, []float64{3, 4}) {
		t.Errorf("row 1 = %v, want the row labelled dog", rows)
	}

	digits := filepath.Join("..", "..", "testdata", "digits.csv.gz")
	got, err := ReadLabels(ctx, digits, Options{}, "64", 1795, 1797)
	if err != nil || !slices.Equal(got, []string{"9", "8"}) {
		t.Errorf("digits labels 1795–1796 = %q, %v; want 9, 8", got, err)
	}

	npyLabels, err := ReadLabels(ctx, filepath.Join("..", "..", "testdata", "formats", "m_c.npy"), Options{}, "0", 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Open(ctx, filepath.Join("..", "..", "testdata", "formats", "m_c.npy"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := full.ReadRows(ctx, 0, 3)
	for i, l := range npyLabels {
		if want := formatLabel(rows[i*full.Cols()]); l != want {
			t.Errorf("npy label %d = %q, want %q", i, l, want)
		}
	}

	for _, tc := range []struct {
		col        string
		start, end int
		want       string
	}{
		{"kinds", 0, 1, `"kinds": no such header name`},
		{"3", 0, 1, "drop column 3: file has 3 columns"},
		{"kind", 2, 5, "row range [2, 5) outside the 4 rows"},
		{"kind", 3, 2, "is not a range"},
	} {
		if _, err := ReadLabels(ctx, csv, Options{}, tc.col, tc.start, tc.end); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "w.csv") {
			t.Errorf("ReadLabels(%q, %d, %d): error %v, want it to name w.csv and say %q", tc.col, tc.start, tc.end, err, tc.want)
		}
	}
}

// TestReadLabelsAt: labels read from a shard's text position equal those
// read from the start, for every shard of a plan.
func TestReadLabelsAt(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("a,b,label\n")
	var want []string
	for i := range 1000 {
		l := []string{"red", "green", "blue"}[i*i%3]
		want = append(want, l)
		b.WriteString(strings.Repeat("1.5,", 2) + l + "\n")
		if i%97 == 0 {
			b.WriteString("# a comment\n")
		}
	}
	p := filepath.Join(t.TempDir(), "l.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{DropColumns: []string{"label"}}
	src, err := Open(ctx, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < 1000; start += 137 {
		end := min(start+137, 1000)
		at, ok := TextPosOf(src, start)
		if !ok {
			t.Fatalf("no text position for row %d", start)
		}
		got, err := ReadLabelsAt(ctx, p, opts, "label", at, start, end)
		if err != nil || !slices.Equal(got, want[start:end]) {
			t.Fatalf("rows [%d, %d): %v, labels differ from the file's", start, end, err)
		}
	}
}
