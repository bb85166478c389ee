package csvmat

import (
	"io"
	"strings"
	"testing"
)

// TestReadOnAfterRowErrors: a row with the wrong field count or a value
// that is not a number is an error at its line (IsRowError), after which
// reading goes on with the next row; a quoting error is not a row error.
func TestReadOnAfterRowErrors(t *testing.T) {
	for _, delim := range []string{",", "whitespace"} {
		sep := ","
		if delim == "whitespace" {
			sep = " "
		}
		text := strings.ReplaceAll("1,2\n3,x\n5\n1e999,1\n7,8\n", ",", sep)
		cr, err := NewReader(strings.NewReader(text), "t.csv", Options{Delimiter: delim})
		if err != nil {
			t.Fatal(err)
		}
		var got []float64
		var lines []int
		row := make([]float64, 2)
		for {
			err := cr.Read(row)
			if err == io.EOF {
				break
			}
			if err != nil {
				if !IsRowError(err) {
					t.Fatalf("%s: %v is not a row error", delim, err)
				}
				lines = append(lines, err.(*ParseError).Line)
				continue
			}
			got = append(got, row...)
		}
		if len(got) != 4 || got[0] != 1 || got[3] != 8 || len(lines) != 3 || lines[0] != 2 || lines[1] != 3 || lines[2] != 4 {
			t.Errorf("%s: rows %v, bad lines %v; want [1 2 7 8], [2 3 4]", delim, got, lines)
		}
		if p := cr.Pos(); p.Row != 5 {
			t.Errorf("%s: Pos().Row = %d after 5 rows, 3 bad", delim, p.Row)
		}
	}
	cr, err := NewReader(strings.NewReader("1,2\n3,\"4\"x\n5,6\n"), "q.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float64, 2)
	cr.Read(row)
	if err := cr.Read(row); err == nil || IsRowError(err) {
		t.Errorf("quoting error %v counted as a row error", err)
	}
}
