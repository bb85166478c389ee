package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error line names the
// file, that a parsed grid stays within MaxCells, and that an accepted spec
// round-trips through Canonical. The seed corpus is in
// testdata/fuzz/FuzzParse plus the example specs.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("*.yaml")
	more, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		n := s.NumCells()
		if n < 1 || n > MaxCells {
			t.Fatalf("NumCells = %d", n)
		}
		first, last := s.Cell(0), s.Cell(n-1)
		for i, a := range s.Grid() {
			if first.Coords[i] != 0 || last.Coords[i] != len(a.Values)-1 {
				t.Fatalf("cells 0 and %d have coords %v and %v", n-1, first.Coords, last.Coords)
			}
		}
		if n <= 1000 {
			if cells := s.Cells(); len(cells) != n {
				t.Fatalf("len(Cells) = %d, want %d", len(cells), n)
			}
		}
		canon, err := s.Canonical()
		if err != nil {
			t.Fatalf("Canonical of a valid spec: %v", err)
		}
		s2, err := Parse(canon, "fuzz.yaml")
		if err != nil {
			t.Fatalf("Parse(Canonical()): %v\n%s", err, canon)
		}
		assertSameSpec(t, s, s2)
	})
}
