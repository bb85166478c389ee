package matrix

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"

	"github.com/lowdim/lowdim/io/csvmat"
)

// textFile is a csv file written by writeText: its text, its values and
// where each row's line is.
type textFile struct {
	path  string
	text  []byte
	cols  int       // after dropping the label column
	want  []float64 // row-major, without the label column
	line  []int     // 1-based line of each row
	start []int     // byte offset of each row's line
}

// writeText writes rows×cols values plus a label column named "label" as
// CSV with a header after a comment, CRLF line ends, a blank line and a
// comment every 13th row, a quoted value every 5th row and, every 97th
// row, a quoted last field spanning two lines (its value "v\r\n" parses as
// v). The values have 1 to 17 significant digits, so parsing them is not
// trivially the same for every row.
func writeText(t *testing.T, name string, rows, cols int) textFile {
	t.Helper()
	f := textFile{cols: cols}
	var b bytes.Buffer
	b.WriteString("# written by writeText\r\n")
	for j := 0; j < cols; j++ {
		fmt.Fprintf(&b, "c%d,", j)
	}
	b.WriteString("label\r\n")
	line := 3
	for i := 0; i < rows; i++ {
		if i%13 == 5 {
			b.WriteString("\r\n# between rows\r\n")
			line += 2
		}
		f.line = append(f.line, line)
		f.start = append(f.start, b.Len())
		for j := 0; j < cols; j++ {
			v := float64(i*cols+j)/7 - 100
			s := strconv.FormatFloat(v, 'g', 1+(i+j)%17, 64)
			v, _ = strconv.ParseFloat(s, 64)
			f.want = append(f.want, v)
			if (i+j)%5 == 0 {
				s = `"` + s + `"`
			}
			b.WriteString(s)
			b.WriteByte(',')
		}
		if i%97 == 3 {
			fmt.Fprintf(&b, "\"%d\r\n\"\r\n", i%10)
			line += 2
		} else {
			fmt.Fprintf(&b, "%d\r\n", i%10)
			line++
		}
	}
	f.text = b.Bytes()
	f.path = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f.path, f.text, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

var dropLabel = Options{DropColumns: []string{"label"}}

// readShards reads rows [0, rows) in shards of shardRows rows with read and
// compares each with want.
func readShards(t *testing.T, what string, rows, cols, shardRows int, want []float64, read func(start, end int, dst []float64) ([]float64, error)) {
	t.Helper()
	var buf []float64
	for start := 0; start < rows; start += shardRows {
		end := min(start+shardRows, rows)
		got, err := read(start, end, buf)
		if err != nil {
			t.Fatalf("%s, shards of %d: rows [%d, %d): %v", what, shardRows, start, end, err)
		}
		if i := equalBits(got, want[start*cols:end*cols]); i != -1 {
			t.Fatalf("%s, shards of %d: rows [%d, %d): element %d differs", what, shardRows, start, end, i)
		}
		buf = got
	}
}

// TestCSVShards: every shard of several shard sizes, read by the Source of
// Open (from its index), by OpenText from the positions Open found (as a
// worker in another process does), from memfs (no seeking: the bytes
// before a shard are read and discarded) and from the gzipped file (parsed
// from its start), equals the same rows read whole and the values written.
func TestCSVShards(t *testing.T) {
	const rows, cols = 3001, 5
	ctx := context.Background()
	f := writeText(t, "shards.csv", rows, cols)
	src, whole := readAll(t, f.path, dropLabel)
	if src.Rows() != rows || src.Cols() != cols {
		t.Fatalf("%d×%d, want %d×%d", src.Rows(), src.Cols(), rows, cols)
	}
	if i := equalBits(whole, f.want); i != -1 {
		t.Fatalf("whole read: element %d = %v, want %v", i, whole[i], f.want[i])
	}
	// The parse from the start of the file, as ReadRows did before the index.
	_, _, all, err := csvmat.ReadAll(bytes.NewReader(f.text), f.path, csvmat.Options{DropColumns: dropLabel.DropColumns})
	if err != nil || equalBits(all, whole) != -1 {
		t.Fatalf("csvmat.ReadAll differs from ReadRows: %v", err)
	}
	for i := range rows {
		at, ok := TextPosOf(src, i)
		// Blank and comment lines may lie between the position and the row.
		if !ok || at.Row != i || at.Offset > int64(f.start[i]) || at.Size != int64(len(f.text)) ||
			at.Line+bytes.Count(f.text[at.Offset:f.start[i]], []byte("\n")) != f.line[i] {
			t.Fatalf("TextPosOf(%d) = %+v, %v; the row is on line %d at byte %d", i, at, ok, f.line[i], f.start[i])
		}
	}
	text, err := OpenText(ctx, f.path, dropLabel)
	if err != nil {
		t.Fatal(err)
	}
	mem := "memfs://text/shards.csv"
	memfs.Write(mem, f.text)
	memText, err := OpenText(ctx, mem, dropLabel)
	if err != nil {
		t.Fatal(err)
	}
	memSrc, err := Open(ctx, mem, dropLabel) // the launcher's index of that file
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(f.text)
	zw.Close()
	gzPath := f.path + ".gz"
	os.WriteFile(gzPath, z.Bytes(), 0o644)
	gz, err := Open(ctx, gzPath, dropLabel)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := TextPosOf(gz, 10); ok {
		t.Error("TextPosOf found a position in gzipped text")
	}
	if _, err := OpenText(ctx, gzPath, dropLabel); err == nil || err.Error() != gzPath+": gzipped text cannot be read from a byte offset; read it with Open" {
		t.Errorf("OpenText of gzip: %v", err)
	}
	for _, shardRows := range []int{1, 7, 1000, 4096} {
		readShards(t, "Open", rows, cols, shardRows, whole, func(start, end int, dst []float64) ([]float64, error) {
			return src.ReadRowsInto(ctx, start, end, dst)
		})
		readShards(t, "OpenText", rows, cols, shardRows, whole, func(start, end int, dst []float64) ([]float64, error) {
			at, _ := TextPosOf(src, start)
			return text.ReadRowsAt(ctx, at, start, end, dst)
		})
		readShards(t, "memfs", rows, cols, shardRows, whole, func(start, end int, dst []float64) ([]float64, error) {
			at, _ := TextPosOf(memSrc, start)
			return memText.ReadRowsAt(ctx, at, start, end, dst)
		})
		if shardRows >= 1000 {
			readShards(t, "gzip", rows, cols, shardRows, whole, func(start, end int, dst []float64) ([]float64, error) {
				return gz.ReadRowsInto(ctx, start, end, dst)
			})
		}
	}
	// A shard may start from an earlier position and skip to its rows.
	at, _ := TextPosOf(src, 100)
	got, err := text.ReadRowsAt(ctx, at, 150, 160, nil)
	if err != nil || equalBits(got, whole[150*cols:160*cols]) != -1 {
		t.Errorf("rows [150, 160) from row 100: %v", err)
	}
	for _, c := range []struct {
		at         TextPos
		start, end int
		want       string
	}{
		{TextPos{}, 0, 1, f.path + ": rows [0, 1) cannot be read from row 0 at line 0, byte 0"},
		{at, 99, 101, f.path + ": rows [99, 101) cannot be read from row 100 at line " + strconv.Itoa(at.Line) + ", byte " + strconv.FormatInt(at.Offset, 10)},
		{TextPos{Row: at.Row, Offset: at.Offset, Line: at.Line, Size: at.Size + 1}, 100, 101, fmt.Sprintf("%s: file changed since its rows were indexed: %d bytes, was %d", f.path, at.Size, at.Size+1)},
	} {
		if _, err := text.ReadRowsAt(ctx, c.at, c.start, c.end, nil); err == nil || err.Error() != c.want {
			t.Errorf("ReadRowsAt(%+v, %d, %d):\n got %v\nwant %s", c.at, c.start, c.end, err, c.want)
		}
	}
}

// TestCSVShardsParseOnlyTheirRows: after Open has indexed the file, every
// byte of the rows before row 2000 is overwritten with 'x' (the size and
// the header kept). Shards after row 2000 still read their rows, so neither
// Open's Source nor OpenText parses (or scans) the rows before a shard;
// a shard over the garbage fails naming its first line.
func TestCSVShardsParseOnlyTheirRows(t *testing.T) {
	const rows, cols, cut = 3000, 4, 2000
	ctx := context.Background()
	f := writeText(t, "prefix.csv", rows, cols)
	src, whole := readAll(t, f.path, dropLabel)
	bad := bytes.Clone(f.text)
	for i := f.start[0]; i < f.start[cut]; i++ {
		if bad[i] != '\n' && bad[i] != '\r' {
			bad[i] = 'x'
		}
	}
	if err := rewriteKeepingTime(f.path, bad); err != nil {
		t.Fatal(err)
	}
	text, err := OpenText(ctx, f.path, dropLabel)
	if err != nil {
		t.Fatal(err)
	}
	for _, shardRows := range []int{1, 100, 1000} {
		for start := cut; start < rows; start += shardRows {
			end := min(start+shardRows, rows)
			got, err := src.ReadRows(ctx, start, end)
			if err != nil || equalBits(got, whole[start*cols:end*cols]) != -1 {
				t.Fatalf("Open: rows [%d, %d): %v", start, end, err)
			}
			at, _ := TextPosOf(src, start)
			got, err = text.ReadRowsAt(ctx, at, start, end, nil)
			if err != nil || equalBits(got, whole[start*cols:end*cols]) != -1 {
				t.Fatalf("OpenText: rows [%d, %d): %v", start, end, err)
			}
		}
	}
	_, err = src.ReadRows(ctx, 1000, 1001)
	want := fmt.Sprintf("%s: line %d: row has 1 fields, want 5", f.path, f.line[1000])
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("row 1000 of garbage:\n got %v\nwant %s…", err, want)
	}
}

// TestCSVShardErrorLine: a value of row bad made unparsable after Open (its
// first byte replaced, the size kept) fails the shard holding it, for every
// shard size, naming the file, the row's line in the file and the column;
// every other shard reads its rows.
func TestCSVShardErrorLine(t *testing.T) {
	const rows, cols, bad = 2500, 3, 1234
	ctx := context.Background()
	f := writeText(t, "bad.csv", rows, cols)
	src, whole := readAll(t, f.path, dropLabel)
	text := bytes.Clone(f.text)
	i := f.start[bad]
	if text[i] == '"' {
		i++
	}
	text[i] = '?'
	if err := rewriteKeepingTime(f.path, text); err != nil {
		t.Fatal(err)
	}
	wantErr := fmt.Sprintf("%s: line %d, column 1: parse \"?", f.path, f.line[bad])
	worker, err := OpenText(ctx, f.path, dropLabel)
	if err != nil {
		t.Fatal(err)
	}
	for _, shardRows := range []int{1, 10, 999, 4096} {
		for start := 0; start < rows; start += shardRows {
			end := min(start+shardRows, rows)
			at, _ := TextPosOf(src, start)
			for name, read := range map[string]func() ([]float64, error){
				"Open":     func() ([]float64, error) { return src.ReadRows(ctx, start, end) },
				"OpenText": func() ([]float64, error) { return worker.ReadRowsAt(ctx, at, start, end, nil) },
			} {
				got, err := read()
				if start <= bad && bad < end {
					if err == nil || !strings.HasPrefix(err.Error(), wantErr) || !strings.HasSuffix(err.Error(), `": invalid number`) {
						t.Fatalf("%s, shards of %d: rows [%d, %d): got %v, want %s…", name, shardRows, start, end, err, wantErr)
					}
				} else if err != nil || equalBits(got, whole[start*cols:end*cols]) != -1 {
					t.Fatalf("%s, shards of %d: rows [%d, %d): %v", name, shardRows, start, end, err)
				}
			}
		}
	}
}

// TestCSVIndexStride: a file of more rows than the index holds is indexed
// every 2nd row; a shard starting between indexed rows skips to its rows.
func TestCSVIndexStride(t *testing.T) {
	rows := maxTextIndex + maxTextIndex/2
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d,%d\n", i, -i)
	}
	p := writeFile(t, "long.csv", b.String())
	ctx := context.Background()
	src, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := src.(*csvSource).index
	if x.stride != 2 || len(x.pos) != (rows+1)/2 {
		t.Fatalf("stride %d, %d entries for %d rows", x.stride, len(x.pos), rows)
	}
	for i, p := range x.pos {
		if p.Row != 2*i || p.Line != 2*i+2 {
			t.Fatalf("entry %d = %+v, want row %d, line %d", i, p, 2*i, 2*i+2)
		}
	}
	at, ok := TextPosOf(src, 70001)
	if !ok || at.Row != 70000 {
		t.Fatalf("TextPosOf(70001) = %+v, %v", at, ok)
	}
	got, err := src.ReadRows(ctx, 70001, 70003)
	if err != nil || equalBits(got, []float64{70001, -70001, 70002, -70002}) != -1 {
		t.Errorf("rows [70001, 70003) = %v, %v", got, err)
	}
}

// TestTextIndexAdd: the index keeps every stride-th row, the stride
// doubling as it fills, and never holds maxTextIndex entries.
func TestTextIndexAdd(t *testing.T) {
	x := &textIndex{stride: 1}
	for r := range 5*maxTextIndex + 3 {
		if r%x.stride == 0 {
			x.add(csvmat.Pos{Row: r})
		}
		if len(x.pos) >= maxTextIndex {
			t.Fatalf("row %d: %d entries", r, len(x.pos))
		}
	}
	if x.stride != 8 {
		t.Errorf("stride %d, want 8", x.stride)
	}
	for i, p := range x.pos {
		if p.Row != i*x.stride {
			t.Fatalf("entry %d is row %d, want %d", i, p.Row, i*x.stride)
		}
	}
}

// TestCSVChangedAfterIndexing: a file rewritten after Open indexed it is an
// error when a shard reads it by offset, whether its size changed or only
// its modification time (same size, other values), never the wrong rows.
func TestCSVChangedAfterIndexing(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "m.csv")
	write := func(text string, mtime time.Time) {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	write("1,2\n3,4\n5,6\n7,8\n", t0)
	src, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at, ok := TextPosOf(src, 2)
	if !ok {
		t.Fatal("no position for row 2")
	}
	for _, tc := range []struct {
		text  string
		mtime time.Time
		want  string
	}{
		{"10,20\n30,40\n50,60\n70,80\n", t0.Add(time.Second), "bytes, was 16"},
		{"9,2\n3,4\n5,6\n7,8\n", t0.Add(time.Second), "modified 2026-01-02T03:04:06Z, was 2026-01-02T03:04:05Z"},
	} {
		write(tc.text, tc.mtime)
		if got, err := src.ReadRows(ctx, 2, 4); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open's source after a rewrite: %v, %v; want an error containing %q", got, err, tc.want)
		}
		ts, err := OpenText(ctx, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ts.ReadRowsAt(ctx, at, 2, 4, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenText after a rewrite: %v, %v; want an error containing %q", got, err, tc.want)
		}
	}
}

// rewriteKeepingTime replaces the contents of the file at p with data of
// the same size and restores its modification time, so that readers that
// check a file is unchanged since indexing cannot tell: the tests that use
// it show what a shard parses, not that a change is caught.
func rewriteKeepingTime(p string, data []byte) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	return os.Chtimes(p, st.ModTime(), st.ModTime())
}
