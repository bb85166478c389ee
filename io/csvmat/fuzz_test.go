package csvmat

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzCSVHeader feeds arbitrary text, delimiters and dropped columns to the
// header detection and row parser. Properties: no panic; every error is a
// *ParseError naming the file; a header, when found, names exactly the
// columns returned; every row fills exactly Cols values; the number of rows
// is bounded by the input's lines.
func FuzzCSVHeader(f *testing.F) {
	f.Add([]byte("x,y,label\n1,2,0\n3,4,1\n"), ",", "label")
	f.Add([]byte(",0,1\n0,1.5,2.5\n"), ",", "0")
	f.Add([]byte("1 2 3\n4 5 6\n"), "whitespace", "-1")
	f.Add([]byte("\"a\nb\",c\n1,2\n"), ",", "")
	f.Add([]byte("1\t2\n3\n"), `\t`, "")
	f.Add(gz(f, "a,b\n1,nan\n"), ",", "b")
	f.Fuzz(func(t *testing.T, in []byte, delim, drop string) {
		opts := Options{Delimiter: delim}
		if drop != "" {
			opts.DropColumns = []string{drop}
		}
		cr, err := NewReader(bytes.NewReader(in), "f.csv", opts)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f.csv" {
				t.Fatalf("error %T does not name the file: %v", err, err)
			}
			return
		}
		defer cr.Close()
		cols := cr.Cols()
		if cols < 1 || cols > cr.FileColumns() {
			t.Fatalf("Cols() = %d of %d file columns", cols, cr.FileColumns())
		}
		if h := cr.Header(); h != nil && len(h) != cols {
			t.Fatalf("header has %d names for %d columns", len(h), cols)
		}
		row := make([]float64, cols+1)
		row[cols] = 42 // sentinel: Read must not write past Cols
		// gzip can expand its input, so bound the loop generously but finitely.
		for n := 0; n < 1<<20; n++ {
			err := cr.Read(row)
			if err == io.EOF {
				return
			}
			if row[cols] != 42 {
				t.Fatalf("Read wrote past Cols")
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line < 1 {
					t.Fatalf("row error without a line: %v", err)
				}
				return
			}
		}
	})
}
