package csvmat

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadAll(t *testing.T) {
	for _, c := range []struct {
		name, in   string
		opts       Options
		rows, cols int
		data       []float64
		header     []string
	}{
		{"plain", "1,2,3\n4,5,6\n", Options{}, 2, 3, []float64{1, 2, 3, 4, 5, 6}, nil},
		{"no final newline, CRLF", "1,2\r\n3,4", Options{}, 2, 2, []float64{1, 2, 3, 4}, nil},
		{"header", "x,y,label\n1,2,0\n3,4,1\n", Options{}, 2, 3, []float64{1, 2, 0, 3, 4, 1}, []string{"x", "y", "label"}},
		{"drop by name", "x,y,label\n1,2,0\n3,4,1\n", Options{DropColumns: []string{"label"}}, 2, 2, []float64{1, 2, 3, 4}, []string{"x", "y"}},
		{"drop by index", "1,2,0\n3,4,1\n", Options{DropColumns: []string{"2"}}, 2, 2, []float64{1, 2, 3, 4}, nil},
		{"drop negative", "1,2,0\n3,4,1\n", Options{DropColumns: []string{"-1", "0"}}, 2, 1, []float64{2, 4}, nil},
		{"pandas index header", ",0,1\n0,1.5,2.5\n1,3.5,4.5\n", Options{DropColumns: []string{"0"}}, 2, 2, []float64{1.5, 2.5, 3.5, 4.5}, []string{"0", "1"}},
		{"quoted header, spaces", "\ufeff\"a, b\", c\n 1 , 2 \n", Options{}, 1, 2, []float64{1, 2}, []string{"a, b", "c"}},
		{"comments and blank lines", "# made by np.savetxt\n\n1e-3,-2E+2\n\n# x\nnan,-Inf\n", Options{}, 2, 2, []float64{1e-3, -200, math.NaN(), math.Inf(-1)}, nil},
		{"header only", "a,b\n", Options{}, 0, 2, nil, []string{"a", "b"}},
		{"forced header", "1,2\n3,4\n", Options{Header: HeaderPresent}, 1, 2, []float64{3, 4}, []string{"1", "2"}},
		{"forced no header", "a,b\n", Options{Header: HeaderAbsent}, 0, 0, nil, nil}, // error case, see below
		{"tab", "a\tb\n1\t2\n", Options{Delimiter: `\t`}, 1, 2, []float64{1, 2}, []string{"a", "b"}},
		{"semicolon", "1;2\n3;2,5\n", Options{Delimiter: ";"}, 1, 2, nil, nil}, // "2,5" is not a number: error below
		{"whitespace", "# x y\n  1   2\t3\n4 5 6  \r\n", Options{Delimiter: "whitespace"}, 2, 3, []float64{1, 2, 3, 4, 5, 6}, nil},
		{"empty field is data", "1,,3\n", Options{}, 0, 0, nil, nil}, // error: empty field in data
	} {
		for _, zip := range []bool{false, true} {
			in := []byte(c.in)
			if zip {
				in = gz(t, c.in)
			}
			rows, cols, data, err := ReadAll(bytes.NewReader(in), "t.csv", c.opts)
			switch c.name {
			case "forced no header":
				if err == nil || err.Error() != `t.csv: line 1, column 1: parse "a": invalid number` {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			case "semicolon":
				if err == nil || err.Error() != `t.csv: line 2, column 2: parse "2,5": invalid number` {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			case "empty field is data":
				if err == nil || err.Error() != `t.csv: line 1, column 2: parse "": invalid number` {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (gzip %v): %v", c.name, zip, err)
				continue
			}
			if rows != c.rows || cols != c.cols || !sameFloats(data, c.data) {
				t.Errorf("%s (gzip %v): got %d×%d %v, want %d×%d %v", c.name, zip, rows, cols, data, c.rows, c.cols, c.data)
			}
			cr, err := NewReader(bytes.NewReader(in), "t.csv", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if h := cr.Header(); !reflect.DeepEqual(h, c.header) {
				t.Errorf("%s: header %q, want %q", c.name, h, c.header)
			}
		}
	}
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, file, in string
		opts           Options
		want           string
		is             error
	}{
		{"invalid number", "d.csv", "1,2,3\n4,5,6\n7,abc,9\n", Options{}, `d.csv: line 3, column 2: parse "abc": invalid number`, ErrInvalidNumber},
		{"invalid after comment", "d.csv", "# c\n1,2\n\n3,4x\n", Options{}, `d.csv: line 4, column 2: parse "4x": invalid number`, ErrInvalidNumber},
		{"out of range", "d.csv", "1,1e999\n", Options{}, `d.csv: line 1, column 2: parse "1e999": out of float64 range`, nil},
		{"ragged short", "d.csv", "a,b,c\n1,2,3\n4,5\n", Options{}, "d.csv: line 3: row has 2 fields, want 3: wrong number of fields", ErrFieldCount},
		{"ragged long", "d.txt", "1 2\n3 4 5\n", Options{Delimiter: " "}, "d.txt: line 2: row has 3 fields, want 2", ErrFieldCount},
		{"ragged after multiline quote", "d.csv", "a,b\n\"1\n\",2\n3\n", Options{Header: HeaderPresent}, "d.csv: line 4: row has 1 fields, want 2", ErrFieldCount},
		{"empty", "d.csv", "", Options{}, "d.csv: no rows", nil},
		{"only comments", "d.csv", "# nothing\n\n", Options{}, "d.csv: no rows", nil},
		{"bare quote", "d.csv", "1,2\n3,4\"5\n", Options{}, `d.csv: line 2: bare " in non-quoted-field (byte 4 of the line)`, nil},
		{"gz name, not gzip", "d.csv.gz", "1,2\n", Options{}, "d.csv.gz: name ends in .gz but the file is not gzip (no gzip magic bytes)", nil},
		{"drop past end", "d.csv", "1,2\n", Options{DropColumns: []string{"2"}}, "d.csv: drop column 2: file has 2 columns (indices 0 to 1)", nil},
		{"drop name without header", "d.csv", "1,2\n", Options{DropColumns: []string{"label"}}, `d.csv: drop column "label": file has no header row; give a 0-based column index`, nil},
		{"drop unknown name", "d.csv", "x,y\n1,2\n", Options{DropColumns: []string{"label"}}, `d.csv: drop column "label": no such header name (have x, y)`, nil},
		{"drop all", "d.csv", "1,2\n", Options{DropColumns: []string{"0", "1"}}, `d.csv: no columns left after dropping ["0" "1"] from 2`, nil},
		{"delimiter", "d.csv", "1,2\n", Options{Delimiter: "::"}, `d.csv: delimiter "::": want a single character`, nil},
	} {
		_, _, _, err := ReadAll(strings.NewReader(c.in), c.file, c.opts)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != c.file {
			t.Errorf("%s: error %T does not name the file", c.name, err)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error is not %v", c.name, c.is)
		}
	}
}

func TestTruncatedGzip(t *testing.T) {
	var s strings.Builder
	for i := 0; i < 2000; i++ {
		s.WriteString("1.25,2.5,3.75,4\n")
	}
	z := gz(t, s.String())
	_, _, _, err := ReadAll(bytes.NewReader(z[:len(z)/2]), "t.csv.gz", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "t.csv.gz: line ") || !strings.Contains(err.Error(), "unexpected EOF (file truncated or corrupt?)") {
		t.Errorf("got %v", err)
	}
	_, _, _, err = ReadAll(bytes.NewReader(z[:5]), "t.csv.gz", Options{})
	if err == nil || err.Error() != "t.csv.gz: gzip: unexpected EOF" {
		t.Errorf("got %v", err)
	}
}

// TestSkipThenRead checks that skipping rows and reading the rest gives the
// rows of a full read.
func TestSkipThenRead(t *testing.T) {
	in := "h1,h2,h3\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n"
	_, cols, all, err := ReadAll(strings.NewReader(in), "t.csv", Options{DropColumns: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start <= 4; start++ {
		cr, err := NewReader(strings.NewReader(in), "t.csv", Options{DropColumns: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < start; i++ {
			if err := cr.Skip(); err != nil {
				t.Fatal(err)
			}
		}
		var got []float64
		row := make([]float64, cols)
		for {
			err := cr.Read(row)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, row...)
		}
		if !sameFloats(got, all[start*cols:]) {
			t.Errorf("start %d: got %v, want %v", start, got, all[start*cols:])
		}
		if start < 4 && cr.Line() != 5 {
			t.Errorf("start %d: Line() = %d after the last row, want 5", start, cr.Line())
		}
	}
}

// TestReadFields: text rows come from the same sequence as numbers, with
// every field of the file (dropped columns too), trailing blanks kept,
// comments and blank lines skipped, and ragged rows refused with their line;
// a header row is not a row; gzip and whitespace-delimited text read alike.
func TestReadFields(t *testing.T) {
	in := "\ufeffx, label ,y\n# comment\n1, a ,2\n\n3,b,4\n5,c\n"
	for _, c := range []struct {
		name string
		data []byte
		opts Options
	}{
		{"csv", []byte(in), Options{DropColumns: []string{"label"}}},
		{"gzip", gz(t, in), Options{DropColumns: []string{"1"}}},
	} {
		cr, err := NewReader(bytes.NewReader(c.data), "t.csv", c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if h := cr.Header(); !reflect.DeepEqual(h, []string{"x", "y"}) {
			t.Errorf("%s: header %q", c.name, h)
		}
		f, err := cr.ReadFields()
		if err != nil || !reflect.DeepEqual(f, []string{"1", "a ", "2"}) || cr.Line() != 3 {
			t.Fatalf("%s: first row %q, line %d, %v", c.name, f, cr.Line(), err)
		}
		row := make([]float64, 2)
		if err := cr.Read(row); err != nil || row[0] != 3 || row[1] != 4 || cr.Line() != 5 {
			t.Fatalf("%s: second row %v, line %d, %v", c.name, row, cr.Line(), err)
		}
		_, err = cr.ReadFields()
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 6 || !errors.Is(err, ErrFieldCount) {
			t.Errorf("%s: ragged row: %v", c.name, err)
		}
	}
	cr, err := NewReader(strings.NewReader("# c\na  b\n c d \n"), "t.txt", Options{Delimiter: "whitespace", Header: HeaderAbsent})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for {
		f, err := cr.ReadFields()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]string(nil), f...))
	}
	if !reflect.DeepEqual(got, [][]string{{"a", "b"}, {"c", "d"}}) {
		t.Errorf("whitespace rows %q", got)
	}
}
