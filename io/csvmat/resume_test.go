package csvmat

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// step is what one Read returned: the values, the line of the row and the
// error text.
type step struct {
	vals []float64
	line int
	err  string
}

// readSteps reads cr to its end or first error, recording each row's Pos
// before it is read.
func readSteps(cr *Reader) (steps []step, pos []Pos) {
	row := make([]float64, cr.Cols())
	for n := 0; n < 1<<16; n++ {
		pos = append(pos, cr.Pos())
		err := cr.Read(row)
		if err == io.EOF {
			return steps, pos
		}
		var s step
		if err != nil {
			s.err = err.Error() // Line() is the previous row's: not compared
		} else {
			s.vals, s.line = append([]float64(nil), row...), cr.Line()
		}
		steps = append(steps, s)
		if err != nil {
			return steps, pos
		}
	}
	return steps, pos
}

func sameSteps(a, b []step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].line != b[i].line || a[i].err != b[i].err || len(a[i].vals) != len(b[i].vals) {
			return false
		}
		for j, x := range a[i].vals {
			if math.Float64bits(x) != math.Float64bits(b[i].vals[j]) {
				return false
			}
		}
	}
	return true
}

// checkResume checks the property NewReaderAt promises: from every Pos a
// Reader of in recorded before a row, a Reader started at that byte offset
// returns the same rows, lines and errors as the rest of the full read.
// It returns the full read.
func checkResume(t *testing.T, in []byte, opts Options) []step {
	t.Helper()
	cr, err := NewReader(bytes.NewReader(in), "r.csv", opts)
	if err != nil {
		return nil
	}
	if cr.Compressed() {
		return nil
	}
	all, pos := readSteps(cr)
	for k, p := range pos {
		if p.Row != k || p.Line < 1 || p.Offset < 0 || p.Offset > int64(len(in)) {
			t.Fatalf("Pos before row %d = %+v", k, p)
		}
		if k > 0 && (p.Offset < pos[k-1].Offset || p.Line <= all[k-1].line-1) {
			t.Fatalf("Pos before row %d = %+v goes back from %+v", k, p, pos[k-1])
		}
		// At the end of a text without a final newline the line is moot.
		if p.Offset < int64(len(in)) {
			if p.Offset > 0 && in[p.Offset-1] != '\n' {
				t.Fatalf("Pos before row %d = %+v is not at a line start", k, p)
			}
			if want := 1 + bytes.Count(in[:p.Offset], []byte("\n")); p.Line != want {
				t.Fatalf("Pos before row %d = %+v: the line at that offset is %d", k, p, want)
			}
		}
		rest, _ := readSteps(NewReaderAt(bytes.NewReader(in[p.Offset:]), "r.csv", cr.Layout(), p))
		if !sameSteps(rest, all[k:]) {
			t.Fatalf("resumed at %+v:\n got %v\nwant %v", p, rest, all[k:])
		}
	}
	return all
}

// TestResume: a header after a byte order mark and a comment, CRLF line
// ends, blank and comment lines between rows, quoted fields (one spanning
// three lines), a dropped column, and a bad value and a ragged row at the
// end, read from every row's Pos.
func TestResume(t *testing.T) {
	in := "\ufeff# made by hand\r\nx,\"y, quoted\",label\r\n" +
		"1,2,0\r\n\r\n# between\r\n\"3\",\"\r\n4\r\n\",1\r\n" +
		"5,6,0\r\n7,8,1\r\n\r\n9,10,0\r\n11,x,1\r\n12\r\n"
	all := checkResume(t, []byte(in), Options{DropColumns: []string{"label"}})
	want := []step{
		{[]float64{1, 2}, 3, ""},
		{[]float64{3, 4}, 6, ""},
		{[]float64{5, 6}, 9, ""},
		{[]float64{7, 8}, 10, ""},
		{[]float64{9, 10}, 12, ""},
		{nil, 0, `r.csv: line 13, column 2: parse "x": invalid number`},
	}
	if !sameSteps(all, want) {
		t.Fatalf("full read:\n got %v\nwant %v", all, want)
	}
	// The ragged last row, from the Pos after row 11 of a fixed file.
	fixed := strings.Replace(in, "11,x,1", "11,12,1", 1)
	steps := checkResume(t, []byte(fixed), Options{})
	if last := steps[len(steps)-1]; last.err != "r.csv: line 14: row has 1 fields, want 3: wrong number of fields" {
		t.Errorf("ragged row: %q", last.err)
	}
	// A field quoted across lines that never ends: the error names the
	// line where encoding/csv gave up, counted from the start of the file.
	open := "a,b\n1,2\n3,\"4\n5,6\n"
	steps = checkResume(t, []byte(open), Options{})
	if last := steps[len(steps)-1]; !strings.HasPrefix(last.err, "r.csv: line 4: extraneous or missing \" in quoted-field") {
		t.Errorf("open quote: %q", last.err)
	}
	// Whitespace-separated text, with its comments and blank lines.
	ws := "# np.savetxt\n1 2 3\n\n  4\t5 6\r\n# x\n7 8 9\n10 11\n"
	steps = checkResume(t, []byte(ws), Options{Delimiter: "whitespace"})
	if len(steps) != 4 || steps[2].line != 6 || steps[3].err != "r.csv: line 7: row has 2 fields, want 3: wrong number of fields" {
		t.Errorf("whitespace: %v", steps)
	}
}

// TestResumeGzip: positions of gzipped text count decompressed bytes, and
// the Reader says they cannot be sought to.
func TestResumeGzip(t *testing.T) {
	cr, err := NewReader(bytes.NewReader(gz(t, "a,b\n1,2\n3,4\n")), "t.csv.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !cr.Compressed() {
		t.Fatal("gzip not reported")
	}
	if err := cr.Skip(); err != nil {
		t.Fatal(err)
	}
	if p := cr.Pos(); p != (Pos{Row: 1, Offset: 8, Line: 3}) {
		t.Errorf("Pos = %+v", p)
	}
}

// FuzzResume checks the resume property of checkResume on arbitrary text.
func FuzzResume(f *testing.F) {
	f.Add([]byte("x,y\r\n1,2\r\n\r\n#c\r\n3,\"4\n\"\r\n5,6"), ",")
	f.Add([]byte("\ufeff\"a\nb\",c\n1,2\n\"3\",\"4\"\"\"\n"), ",")
	f.Add([]byte("1 2\n\n 3 4 \r\n#\n5 6"), "whitespace")
	f.Add([]byte("a;b\n1;2\n3;\n"), ";")
	f.Fuzz(func(t *testing.T, in []byte, delim string) {
		checkResume(t, in, Options{Delimiter: delim})
	})
}

func (s step) String() string { return fmt.Sprintf("{%v line %d %q}", s.vals, s.line, s.err) }
