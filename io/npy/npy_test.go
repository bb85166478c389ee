package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const fixtures = "../../testdata/npy"

// readCSV parses a plain numeric CSV written by np.savetxt.
func readCSV(t *testing.T, name string) (rows, cols int, data []float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if rows == 0 {
			cols = len(fields)
		}
		for _, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, v)
		}
		rows++
	}
	return rows, cols, data
}

func openFixture(t *testing.T, name string) (*os.File, Header) {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	h, err := ReadHeader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f, h
}

var goodFixtures = []struct {
	name, csv, descr string
	version          byte
	fortran          bool
}{
	{"c_f8_v1.npy", "m.csv", "<f8", 1, false},
	{"f_f8_v1.npy", "m.csv", "<f8", 1, true},
	{"c_f4_v1.npy", "m_f4.csv", "<f4", 1, false},
	{"f_f4_v1.npy", "m_f4.csv", "<f4", 1, true},
	{"be_c_f8.npy", "m.csv", ">f8", 1, false},
	{"be_f_f4.npy", "m_f4.csv", ">f4", 1, true},
	{"c_f8_v2.npy", "m.csv", "<f8", 2, false},
	{"f_f8_v3.npy", "m.csv", "<f8", 3, true},
	{"c_f2_v1.npy", "m_f2.csv", "<f2", 1, false},
	{"vec_f8.npy", "vec.csv", "<f8", 1, false},
}

func equalBits(a, b []float64) int {
	if len(a) != len(b) {
		return -2
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestFixturesMatchCSV checks that arrays written by NumPy read back equal,
// bit for bit, to the same values written by np.savetxt with 17 digits.
func TestFixturesMatchCSV(t *testing.T) {
	for _, fx := range goodFixtures {
		f, h := openFixture(t, fx.name)
		rows, cols, want := readCSV(t, fx.csv)
		if h.Rows != rows || h.Cols != cols {
			t.Errorf("%s: shape %d×%d, want %d×%d", fx.name, h.Rows, h.Cols, rows, cols)
			continue
		}
		if h.Descr != fx.descr || h.Version != [2]byte{fx.version, 0} || h.Fortran != fx.fortran {
			t.Errorf("%s: header %+v, want descr %s version %d fortran %v", fx.name, h, fx.descr, fx.version, fx.fortran)
		}
		if h.DataOffset%64 != 0 {
			t.Errorf("%s: DataOffset %d is not a multiple of 64 as NumPy writes", fx.name, h.DataOffset)
		}
		got := make([]float64, rows*cols)
		if err := ReadRows(f, h, 0, rows, got); err != nil {
			t.Fatalf("%s: %v", fx.name, err)
		}
		if i := equalBits(got, want); i != -1 {
			t.Errorf("%s: element %d = %v, want %v", fx.name, i, got[i], want[i])
		}
	}
}

// nonSeeker hides the Seek method of its reader.
type nonSeeker struct{ r io.Reader }

func (n nonSeeker) Read(p []byte) (int, error) { return n.r.Read(p) }

// TestRowRangesMatchFullRead reads every row range of every fixture, with a
// seeking and a streaming reader and small chunk sizes, and compares it with
// the rows of the full read.
func TestRowRangesMatchFullRead(t *testing.T) {
	defer func(c int, s int64) { chunkBytes, seekThreshold = c, s }(chunkBytes, seekThreshold)
	for _, fx := range goodFixtures {
		raw, err := os.ReadFile(filepath.Join(fixtures, fx.name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		full := make([]float64, h.Rows*h.Cols)
		if err := ReadRows(bytes.NewReader(raw), h, 0, h.Rows, full); err != nil {
			t.Fatal(err)
		}
		for _, cfg := range []struct {
			chunk int
			seek  int64
		}{{24, 1}, {7, 1 << 20}, {1 << 16, 16}} {
			chunkBytes, seekThreshold = cfg.chunk, cfg.seek
			for start := 0; start <= h.Rows; start++ {
				for end := start; end <= h.Rows; end++ {
					want := full[start*h.Cols : end*h.Cols]
					got := make([]float64, len(want))
					if err := ReadRows(bytes.NewReader(raw), h, start, end, got); err != nil {
						t.Fatalf("%s [%d,%d) seeking: %v", fx.name, start, end, err)
					}
					if i := equalBits(got, want); i != -1 {
						t.Fatalf("%s [%d,%d) seeking, chunk %d: element %d = %v, want %v", fx.name, start, end, cfg.chunk, i, got[i], want[i])
					}
					stream := nonSeeker{bytes.NewReader(raw[h.DataOffset:])}
					clear(got)
					if err := ReadRows(stream, h, start, end, got); err != nil {
						t.Fatalf("%s [%d,%d) streaming: %v", fx.name, start, end, err)
					}
					if i := equalBits(got, want); i != -1 {
						t.Fatalf("%s [%d,%d) streaming, chunk %d: element %d = %v, want %v", fx.name, start, end, cfg.chunk, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestWriteMatchesNumPy checks that Write produces NumPy's own bytes.
func TestWriteMatchesNumPy(t *testing.T) {
	rows, cols, m := readCSV(t, "m.csv")
	for _, c := range []struct {
		name, dtype string
		fortran     bool
	}{
		{"c_f8_v1.npy", "<f8", false},
		{"f_f8_v1.npy", "<f8", true},
		{"c_f4_v1.npy", "<f4", false},
		{"f_f4_v1.npy", "<f4", true},
		{"be_c_f8.npy", ">f8", false},
		{"be_f_f4.npy", ">f4", true},
	} {
		want, err := os.ReadFile(filepath.Join(fixtures, c.name))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, rows, cols, m, c.dtype, c.fortran); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("Write(%s, fortran=%v) differs from NumPy's %s", c.dtype, c.fortran, c.name)
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, shape := range [][2]int{{0, 0}, {0, 3}, {3, 0}, {1, 1}, {4, 3}, {3, 70}} {
		rows, cols := shape[0], shape[1]
		data := make([]float64, rows*cols)
		for i := range data {
			data[i] = float64(i*i) - 0.5*float64(i) // exact in float32 for these sizes
		}
		for _, dtype := range []string{"<f8", ">f8", "<f4", ">f4"} {
			for _, fortran := range []bool{false, true} {
				var buf bytes.Buffer
				if err := Write(&buf, rows, cols, data, dtype, fortran); err != nil {
					t.Fatal(err)
				}
				r := bytes.NewReader(buf.Bytes())
				h, err := ReadHeader(r)
				if err != nil {
					t.Fatalf("%v %s %v: %v", shape, dtype, fortran, err)
				}
				if h.Rows != rows || h.Cols != cols || h.Fortran != fortran || h.Descr != dtype {
					t.Fatalf("%v %s %v: header %+v", shape, dtype, fortran, h)
				}
				if h.DataOffset%64 != 0 {
					t.Errorf("DataOffset %d not 64-aligned", h.DataOffset)
				}
				got := make([]float64, len(data))
				if err := ReadRows(r, h, 0, rows, got); err != nil {
					t.Fatal(err)
				}
				if i := equalBits(got, data); i != -1 {
					t.Errorf("%v %s fortran=%v: element %d = %v, want %v", shape, dtype, fortran, i, got[i], data[i])
				}
			}
		}
	}
}

func TestWriteErrors(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		n          int
		dtype      string
		want       string
	}{
		{2, 2, 3, "<f8", "data has length 3, want 2×2"},
		{-1, 2, 0, "<f8", "negative shape"},
		{1, 1, 1, "<f2", `cannot write dtype "<f2"`},
		{1, 1, 1, "float64", `cannot write dtype "float64"`},
	} {
		err := Write(io.Discard, c.rows, c.cols, make([]float64, c.n), c.dtype, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Write(%d, %d, len %d, %q) = %v, want %q", c.rows, c.cols, c.n, c.dtype, err, c.want)
		}
	}
}

// npyBytes builds a version-1.0 file with the given dict and data length.
func npyBytes(dict string, data int) []byte {
	b := []byte(Magic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	b = append(b, dict...)
	return append(b, make([]byte, data)...)
}

func TestReadHeaderErrors(t *testing.T) {
	v2 := func(hlen uint32) []byte {
		b := []byte(Magic + "\x02\x00")
		return binary.LittleEndian.AppendUint32(b, hlen)
	}
	dict := func(s string) string { return s + strings.Repeat(" ", 5) + "\n" }
	good := dict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }")
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "npy: header at byte 0: empty file"},
		{"magic", []byte("PK\x03\x04 not numpy"), `npy: header at byte 0: bad magic "PK\x03\x04 n"`},
		{"short magic", []byte("\x93NUM"), "npy: header at byte 4: unexpected EOF"},
		{"version", []byte(Magic + "\x04\x00\x10\x00"), "npy: header at byte 6: unsupported format version 4.0"},
		{"no length", []byte(Magic + "\x01\x00\x10"), "npy: header at byte 9: reading header length: unexpected EOF"},
		{"huge v2 length", v2(1 << 31), "npy: header at byte 8: header length 2147483648 exceeds the limit"},
		{"short header", npyBytes(good, 0)[:30], "npy: header at byte 30: header length is 65 bytes, file ends after 20"},
		{"not a dict", npyBytes(dict("['descr']"), 0), "npy: header at byte 10: expected '{', found '['"},
		{"missing shape", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, }"), 0), "npy: header at byte 51: missing key 'shape'"},
		{"extra key", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}"), 16), `npy: header at byte 66: unexpected key "x"`},
		{"duplicate", npyBytes(dict("{'descr': '<f8', 'descr': '<f8'}"), 0), "npy: header at byte 27: duplicate key 'descr'"},
		{"object", npyBytes(dict("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }"), 0), "npy: header at byte 20: object dtype '|O' refused"},
		{"int dtype", npyBytes(dict("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"), 24), `npy: header at byte 20: unsupported dtype "<i8"`},
		{"structured", npyBytes(dict("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }"), 24), "npy: header at byte 20: structured dtype"},
		{"bool", npyBytes(dict("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }"), 24), "npy: header at byte 44: fortran_order: expected True or False, found '0'"},
		{"scalar", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }"), 8), "npy: header at byte 60: shape (): a 0-d array"},
		{"not a tuple", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }"), 24), "npy: header at byte 62: shape: (3) is not a tuple"},
		{"negative", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }"), 24), "npy: header at byte 61: shape: expected a non-negative integer, found '-'"},
		{"overflow", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"), 0), "npy: header at byte 60: shape (4294967296, 4294967296): byte size overflows"},
		{"overflow 3-d", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4294967296, 4294967296, 2), }"), 0), "element count overflows"},
		{"huge dim", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"), 0), "npy: header at byte 61: shape: dimension 99999999999999999999 is too large"},
		{"larger than file", npyBytes(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"), 64), "npy: data at byte 151: file ends after 151 bytes, shape (1000000, 1000000) of <f8 needs 8000000000087 (file truncated?)"},
		{"trailing junk", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } x\n", 8), "npy: header at byte 68: unexpected 'x' after the header dict"},
		{"non-ascii", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\xe9\n", 8), "npy: header at byte 67: non-ASCII byte 0xe9"},
	} {
		_, err := ReadHeader(bytes.NewReader(c.in))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestBadFixtures(t *testing.T) {
	for _, c := range []struct {
		name, want string
		is         error
	}{
		{"object.npy", "npy: header at byte 20: object dtype '|O' refused: reading it would mean unpickling Python objects", ErrObjectDType},
		{"bad_header.npy", `npy: header at byte 51: unexpected key "shap"; want only 'descr', 'fortran_order' and 'shape'`, nil},
		{"truncated.npy", "npy: data at byte 1508: file ends after 1508 bytes, shape (37, 5) of <f8 needs 1608 (file truncated?)", nil},
	} {
		f, err := os.Open(filepath.Join(fixtures, c.name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ReadHeader(f)
		f.Close()
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %T is not an *Error", c.name, err)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error is not %v", c.name, c.is)
		}
	}
}

// TestTruncatedData checks the byte offset of a short read when the file size
// was not known to ReadHeader (a stream).
func TestTruncatedData(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtures, "truncated.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fortran := range []bool{false, true} {
		name := "C"
		in := raw
		if fortran {
			name = "Fortran"
			full, _ := os.ReadFile(filepath.Join(fixtures, "f_f8_v1.npy"))
			in = full[:len(full)-100]
		}
		h, err := ReadHeader(nonSeeker{bytes.NewReader(in)})
		if err != nil {
			t.Fatalf("%s: streaming ReadHeader cannot know the size, got %v", name, err)
		}
		dst := make([]float64, h.Rows*h.Cols)
		// The first rows are complete.
		if err := ReadRows(bytes.NewReader(in), h, 0, 2, dst); err != nil && !fortran {
			t.Errorf("%s: rows [0,2) are present: %v", name, err)
		}
		for _, r := range []io.Reader{bytes.NewReader(in), nonSeeker{bytes.NewReader(in[h.DataOffset:])}} {
			err = ReadRows(r, h, 0, h.Rows, dst)
			want := "npy: data at byte 1508: unexpected EOF: shape (37, 5) of <f8 needs data up to byte 1608 (file truncated?)"
			if err == nil || err.Error() != want {
				t.Errorf("%s: got %v\nwant %s", name, err, want)
			}
		}
	}
}

func TestReadRowsArgs(t *testing.T) {
	f, h := openFixture(t, "c_f8_v1.npy")
	if err := ReadRows(f, h, 3, 2, make([]float64, 10)); err == nil || !strings.Contains(err.Error(), "row range [3, 2) outside the 37 rows") {
		t.Errorf("reversed range: %v", err)
	}
	if err := ReadRows(f, h, 0, 38, make([]float64, 38*5)); err == nil || !strings.Contains(err.Error(), "row range [0, 38)") {
		t.Errorf("range past end: %v", err)
	}
	if err := ReadRows(f, h, 0, 2, make([]float64, 9)); err == nil || !strings.Contains(err.Error(), "dst has length 9, rows [0, 2) need 10") {
		t.Errorf("short dst: %v", err)
	}
}

// TestHigherRank checks that a 3-D array reads as shape[0] × (shape[1]·shape[2])
// with the trailing axes flattened in C order, in both storage orders.
func TestHigherRank(t *testing.T) {
	const n, a, b = 3, 2, 4
	// Element (i, j, k) has value 100i + 10j + k.
	val := func(i, j, k int) float64 { return float64(100*i + 10*j + k) }
	for _, fortran := range []bool{false, true} {
		order := "False"
		if fortran {
			order = "True"
		}
		var data []byte
		for x := 0; x < n*a*b; x++ {
			var i, j, k int
			if fortran { // first index fastest
				i, j, k = x%n, (x/n)%a, x/(n*a)
			} else {
				i, j, k = x/(a*b), (x/b)%a, x%b
			}
			data = binary.LittleEndian.AppendUint64(data, math.Float64bits(val(i, j, k)))
		}
		in := npyBytes("{'descr': '<f8', 'fortran_order': "+order+", 'shape': (3, 2, 4), }\n", 0)
		in = append(in, data...)
		h, err := ReadHeader(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if h.Rows != n || h.Cols != a*b {
			t.Fatalf("shape %v read as %d×%d", h.Shape, h.Rows, h.Cols)
		}
		got := make([]float64, n*a*b)
		if err := ReadRows(bytes.NewReader(in), h, 0, n, got); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			for j := 0; j < a; j++ {
				for k := 0; k < b; k++ {
					if g := got[i*a*b+j*b+k]; g != val(i, j, k) {
						t.Errorf("fortran=%v: (%d,%d,%d) = %v, want %v", fortran, i, j, k, g, val(i, j, k))
					}
				}
			}
		}
	}
}

// TestNoHugeAllocation checks that headers claiming huge sizes are refused
// without allocating from the claimed size.
func TestNoHugeAllocation(t *testing.T) {
	huge := [][]byte{
		append([]byte(Magic+"\x02\x00"), 0xff, 0xff, 0xff, 0x7f, '{'),
		npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 100000000), }\n", 64),
		npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (1000000000,), }\n", 64),
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, in := range huge {
		if _, err := ReadHeader(bytes.NewReader(in)); err == nil {
			t.Fatalf("accepted %q", in[:20])
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<18 {
		t.Errorf("refusing %d huge headers allocated %d bytes", len(huge), d)
	}
}
