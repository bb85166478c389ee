package matrix

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"

	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/safetensors"
)

const formats = "../../testdata/formats/"

func gzipFile(t *testing.T, src, name string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func toMemfs(t *testing.T, src string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := "memfs://formats/" + filepath.Base(src)
	memfs.Write(p, raw)
	return p
}

// checkRanges reads every row range [start, end) with a stride and checks it
// against the whole matrix want.
func checkRanges(t *testing.T, src Source, want []float64) {
	t.Helper()
	ctx := context.Background()
	n := src.Cols()
	for start := 0; start <= src.Rows(); start += 2 {
		for end := start; end <= src.Rows(); end += 3 {
			part, err := src.ReadRows(ctx, start, end)
			if err != nil {
				t.Fatal(err)
			}
			if i := equalBits(part, want[start*n:end*n]); i != -1 {
				t.Fatalf("%s rows [%d, %d): element %d = %v, want %v", src.Path(), start, end, i, part[i], want[start*n+i])
			}
		}
	}
}

// TestSameMatrixEveryFormat reads the 37×11 matrix M written by
// scripts/make_format_fixtures.py through every format, from local files
// (seeking), gzip files and memfs (streaming or read whole), whole and in row
// ranges. Float64 formats must give M bit for bit; float32 and bfloat16
// files must give M rounded as NumPy rounded it, which is checked against Go's
// own rounding and against the rounding error bound.
func TestSameMatrixEveryFormat(t *testing.T) {
	ref, m := readAll(t, formats+"m.csv", Options{})
	if ref.Rows() != 37 || ref.Cols() != 11 {
		t.Fatalf("m.csv is %d×%d", ref.Rows(), ref.Cols())
	}
	f32 := make([]float64, len(m))
	bf16 := make([]float64, len(m))
	for i, v := range m {
		f32[i] = float64(float32(v))
		bf16[i] = float64(math.Float32frombits(uint32(safetensors.ToBFloat16(float32(v))) << 16))
		if d := math.Abs(bf16[i] - f32[i]); d > math.Abs(f32[i])/256 && d > 1e-40 {
			t.Fatalf("bfloat16 rounding of %v gives %v: error beyond 2^-8", v, bf16[i])
		}
	}
	type tc struct {
		path  string
		opts  Options
		dtype string
		want  []float64
	}
	cases := []tc{
		{formats + "m_c.npy", Options{}, "float64", m},
		{formats + "m_f.npy", Options{}, "float64", m},
		{formats + "m.npz", Options{Tensor: "m"}, "float64", m},
		{formats + "m.npz", Options{}, "float64", m}, // the only readable 2-D array
		{formats + "m_deflate.npz", Options{Tensor: "m*"}, "float64", m},
		{formats + "m_f64.safetensors", Options{}, "float64", m},
		{formats + "m_f32.safetensors", Options{}, "float32", f32},
		{formats + "m_bf16.safetensors", Options{}, "bfloat16", bf16},
		{formats + "multi.safetensors", Options{Tensor: "emb"}, "float32", f32}, // shape (37, 11, 1)
		{formats + "m.idx", Options{}, "float64", m},
		{formats + "m_list.parquet", Options{Column: "x"}, "float64", m},
		{formats + "m_wide.parquet", Options{DropColumns: []string{"label"}}, "mixed", m},
		{formats + "m_wide.parquet", Options{Columns: []string{"c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10"}}, "float64", m},
		{gzipFile(t, formats+"m_f64.safetensors", "m.safetensors.gz"), Options{}, "float64", m},
		{gzipFile(t, formats+"m.idx", "m.idx.gz"), Options{}, "float64", m},
	}
	for _, name := range []string{"m.npz", "m_deflate.npz", "m_bf16.safetensors", "m.idx", "m_list.parquet"} {
		c := cases[0]
		for _, k := range cases {
			if strings.HasSuffix(k.path, "/"+name) {
				c = k
				break
			}
		}
		c.path = toMemfs(t, formats+name)
		cases = append(cases, c)
	}
	for _, c := range cases {
		src, got := readAll(t, c.path, c.opts)
		if src.Rows() != 37 || src.Cols() != 11 || src.DType() != c.dtype {
			t.Errorf("%s %+v: %d×%d %s, want 37×11 %s", c.path, c.opts, src.Rows(), src.Cols(), src.DType(), c.dtype)
			continue
		}
		if i := equalBits(got, c.want); i != -1 {
			t.Errorf("%s %+v: element %d = %v, want %v", c.path, c.opts, i, got[i], c.want[i])
			continue
		}
		checkRanges(t, src, c.want)
	}
}

// TestFloat16Tensor checks the F16 tensor against M within half-precision
// rounding: relative error ≤ 2^-11 for normal values, absolute ≤ 2^-25 for
// subnormal ones, ±Inf beyond the largest half 65504.
func TestFloat16Tensor(t *testing.T) {
	_, m := readAll(t, formats+"m.csv", Options{})
	src, got := readAll(t, formats+"multi.safetensors", Options{Tensor: "layers.*.weight"})
	if src.DType() != "float16" {
		t.Fatalf("dtype %s", src.DType())
	}
	for i, v := range m {
		x := got[i]
		switch {
		case math.Abs(v) >= 65520:
			if !math.IsInf(x, int(math.Copysign(1, v))) {
				t.Fatalf("element %d: %v for %v, want ±Inf", i, x, v)
			}
		case math.Abs(x-v) > math.Max(math.Abs(v)/2048, 1.0/(1<<25)):
			t.Fatalf("element %d: %v for %v, beyond half-precision rounding", i, x, v)
		}
	}
}

func TestIDXImages(t *testing.T) {
	_, want := readAll(t, formats+"img.csv", Options{})
	_, wantLab := readAll(t, formats+"labels.csv", Options{})
	for _, p := range []string{formats + "img-idx3-ubyte", formats + "img-idx3-ubyte.gz", toMemfs(t, formats+"img-idx3-ubyte.gz")} {
		src, got := readAll(t, p, Options{})
		if src.Rows() != 6 || src.Cols() != 20 || src.DType() != "uint8" {
			t.Fatalf("%s: %d×%d %s, want 6×20 uint8", p, src.Rows(), src.Cols(), src.DType())
		}
		if i := equalBits(got, want); i != -1 {
			t.Fatalf("%s: element %d = %v, want %v", p, i, got[i], want[i])
		}
		checkRanges(t, src, want)
	}
	src, got := readAll(t, formats+"labels.idx1-ubyte", Options{})
	if src.Rows() != 6 || src.Cols() != 1 || equalBits(got, wantLab) != -1 {
		t.Errorf("labels: %d×%d %v, want %v", src.Rows(), src.Cols(), got, wantLab)
	}
	// Dropping a column works for every format.
	src, got = readAll(t, formats+"img-idx3-ubyte", Options{DropColumns: []string{"0", "-1"}})
	if src.Cols() != 18 || got[0] != want[1] || got[18] != want[21] {
		t.Errorf("drop columns: %d cols, %v", src.Cols(), got[:2])
	}
}

// TestFormatByName checks the extension rules, and that a renamed file of each
// format opens under a name of that format.
func TestFormatByName(t *testing.T) {
	for name, want := range map[string]string{
		"w.safetensors": "safetensors", "w.SAFETENSORS.gz": "safetensors",
		"a.npz": "npz", "t.parquet": "parquet",
		"x.idx": "idx", "x.idx.gz": "idx", "x.idx3": "idx",
		"train-images-idx3-ubyte": "idx", "t10k-labels-idx1-ubyte.gz": "idx",
		"train-images.idx3-ubyte": "idx", "train-images.idx3-ubyte.gz": "idx",
		"m.npy": "npy", "m.tsv.gz": "csv",
	} {
		got, _, err := formatOf(name, Options{})
		if err != nil || got != want {
			t.Errorf("formatOf(%s) = %s, %v; want %s", name, got, err, want)
		}
	}
	for _, name := range []string{"a.npz.gz", "t.parquet.gz"} {
		if _, _, err := formatOf(name, Options{}); err == nil || !strings.Contains(err.Error(), "is not supported; decompress it") {
			t.Errorf("formatOf(%s): %v", name, err)
		}
	}
	dir := t.TempDir()
	for src, name := range map[string]string{
		"img-idx3-ubyte": "train-images.idx3-ubyte", "img-idx3-ubyte.gz": "t10k-images-idx3-ubyte.gz",
		"m.idx": "m.idx1", "m_f32.safetensors": "model.safetensors",
		"m_deflate.npz": "arrays.npz", "m_list.parquet": "emb.parquet",
	} {
		raw, _ := os.ReadFile(formats + src)
		p := filepath.Join(dir, name)
		os.WriteFile(p, raw, 0o644)
		opts := Options{}
		if strings.HasSuffix(name, ".parquet") {
			opts.Column = "x"
		}
		if strings.HasSuffix(name, ".npz") {
			opts.Tensor = "m"
		}
		if _, err := Open(context.Background(), p, opts); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An explicit format overrides the name.
	p := filepath.Join(dir, "weights.bin")
	raw, _ := os.ReadFile(formats + "m_f64.safetensors")
	os.WriteFile(p, raw, 0o644)
	if src, err := Open(context.Background(), p, Options{Format: "safetensors"}); err != nil || src.Rows() != 37 {
		t.Errorf("format override: %v", err)
	}
}

func TestTensors(t *testing.T) {
	ts, err := Tensors(context.Background(), formats+"multi.safetensors", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ts {
		got = append(got, fmt.Sprintf("%s %s %v %d %v", x.Name, x.DType, x.Shape, x.End-x.Begin, x.Err == nil))
	}
	want := []string{
		"emb F32 [37 11 1] 1628 true",
		"layers.0.weight F16 [37 11] 814 true",
		"layers.0.bias F32 [11] 44 false",
		"counts I64 [37] 296 false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tensors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ts[1].Begin != ts[0].End {
		t.Errorf("offsets %d..%d then %d: not contiguous", ts[0].Begin, ts[0].End, ts[1].Begin)
	}
	zs, err := Tensors(context.Background(), formats+"m.npz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 3 || zs[0].Name != "m" || zs[0].DType != "<f8" || zs[1].Name != "labels" || zs[1].Err == nil || zs[2].Err != nil {
		t.Errorf("npz arrays: %+v", zs)
	}
	if _, err := Tensors(context.Background(), formats+"m.idx", Options{}); err == nil {
		t.Error("Tensors on an IDX file: no error")
	}
	// A .npy file is one unnamed array: its header's dtype and shape, and
	// the span of its data.
	ys, err := Tensors(context.Background(), formats+"m_f.npy", Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := Open(context.Background(), formats+"m_f.npy", Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(formats + "m_f.npy")
	if len(ys) != 1 {
		t.Fatalf("npy: %d arrays", len(ys))
	}
	y := ys[0]
	itemSize := int64(y.DType[2] - '0') // "<f8": 8 bytes
	if y.Name != "" || y.Err != nil || len(y.Shape) != 2 || y.Shape[0] != src.Rows() || y.Shape[1] != src.Cols() ||
		y.End != st.Size() || y.End-y.Begin != int64(src.Rows()*src.Cols())*itemSize {
		t.Errorf("npy array: %+v (matrix %d×%d, file %d bytes)", y, src.Rows(), src.Cols(), st.Size())
	}
}

func truncated(t *testing.T, src, name string, cut int) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	os.WriteFile(p, raw[:len(raw)-cut], 0o644)
	return p
}

func TestFormatErrors(t *testing.T) {
	stTrunc := truncated(t, formats+"m_f64.safetensors", "cut.safetensors", 100)
	idxTrunc := truncated(t, formats+"m.idx", "cut.idx", 8)
	pqTrunc := truncated(t, formats+"m_wide.parquet", "cut.parquet", 3)
	npzTrunc := truncated(t, formats+"m.npz", "cut.npz", 30)
	for _, c := range []struct {
		path string
		opts Options
		want string
	}{
		{formats + "multi.safetensors", Options{}, formats + "multi.safetensors: safetensors: 2 of the 4 tensors are matrices; name one (set the tensor option to a name or a pattern); tensors: emb, layers.0.weight, layers.0.bias, counts"},
		{formats + "multi.safetensors", Options{Tensor: "layers.*"}, `safetensors: tensor pattern "layers.*" matches 2 tensors (layers.0.weight, layers.0.bias); it must match one`},
		{formats + "multi.safetensors", Options{Tensor: "nope"}, `safetensors: no tensor matches "nope"; tensors: emb, layers.0.weight, layers.0.bias, counts`},
		{formats + "multi.safetensors", Options{Tensor: "counts"}, `safetensors: tensor "counts" has shape [37], want rank ≥ 2`},
		{formats + "multi.safetensors", Options{Tensor: "[x"}, `safetensors: tensor pattern "[x": syntax error in pattern`},
		{stTrunc, Options{}, stTrunc + ": safetensors: byte 8: tensor \"m\": data_offsets [0, 3256] end past the 3156-byte buffer (file truncated?)"},
		{idxTrunc, Options{}, idxTrunc + ": idx: byte 3260: file ends after 3260 bytes, shape (37, 11) of float64 needs 3268 (file truncated?)"},
		{pqTrunc, Options{}, pqTrunc + `: parquet: byte `},
		{npzTrunc, Options{}, npzTrunc + ": npz: zip: not a valid zip file"},
		{formats + "m.npz", Options{Tensor: "labels"}, formats + `m.npz: npz: array "labels": member labels.npy: npy: header at byte 20: unsupported dtype "<i8"`},
		{formats + "m_list.parquet", Options{Column: "x", DropColumns: []string{"x"}}, `drop column "x": .npy files have no column names`},
		{formats + "m_wide.parquet", Options{DropColumns: []string{"nope"}}, `m_wide.parquet: drop column "nope": no such column; columns: c00, c01`},
		{formats + "m_c.npy", Options{Format: "idx"}, formats + "m_c.npy: idx: byte 0: bad magic 0x934e554d: the first two bytes must be zero (not an IDX file?)"},
	} {
		_, err := Open(context.Background(), c.path, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s, %+v):\n got %v\nwant %s", c.path, c.opts, err, c.want)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s): error spans lines: %q", c.path, err)
		}
	}
}

// TestShrunkFiles: a file truncated after Open fails in ReadRows with the
// byte offset, for the streaming (gzip) and seeking paths.
func TestShrunkFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, c := range []struct {
		src, name string
		keep      int
		want      string
	}{
		{"m_f64.safetensors", "s.safetensors", 1000, `: safetensors: byte 2712: unexpected EOF: tensor "m" needs data up to byte 3328 (file truncated?)`},
		{"m.idx", "s.idx", 2000, ": idx: byte 2652: unexpected EOF: shape (37, 11) of float64 needs data up to byte 3268 (file truncated?)"},
		{"m_c.npy", "s.npy", 2000, ": npy: byte 2768: unexpected EOF: the rows need data up to byte 3384 (file truncated?)"},
		{"m_list.parquet", "s.parquet", 3000, ": parquet: byte 2996: bad footer magic"},
	} {
		raw, _ := os.ReadFile(formats + c.src)
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, raw, 0o644)
		opts := Options{Column: "x"}
		if c.src != "m_list.parquet" {
			opts = Options{}
		}
		src, err := Open(ctx, p, opts)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, raw[:c.keep], 0o644)
		_, err = src.ReadRows(ctx, 30, 37)
		if err == nil || !strings.HasPrefix(err.Error(), p+c.want) {
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, p+c.want)
		}
	}
	// gzip stream cut short.
	var b bytes.Buffer
	raw, _ := os.ReadFile(formats + "m.idx")
	zw := gzip.NewWriter(&b)
	zw.Write(raw[:2000])
	zw.Close()
	p := filepath.Join(dir, "short.idx.gz")
	os.WriteFile(p, b.Bytes(), 0o644)
	src, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.ReadRows(ctx, 0, 37); err == nil || err.Error() != p+": idx: byte 2000: unexpected EOF: shape (37, 11) of float64 needs data up to byte 3268 (file truncated?)" {
		t.Errorf("short gzip: %v", err)
	}
}

// TestGzipBomb: a gzip file whose header claims more data than deflate can
// produce from it is refused at Open, before any allocation is sized from it.
func TestGzipBomb(t *testing.T) {
	hdr := []byte{0, 0, 0x0E, 2, 0x10, 0, 0, 0, 0x10, 0, 0, 0} // double, 2^28 × 2^28
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(hdr)
	zw.Close()
	p := filepath.Join(t.TempDir(), "bomb.idx.gz")
	os.WriteFile(p, b.Bytes(), 0o644)
	_, err := Open(context.Background(), p, Options{})
	if err == nil || !strings.Contains(err.Error(), "more than the 34-byte gzip file can hold") {
		t.Errorf("bomb: %v", err)
	}
}

// TestMappedFloat32: a local float32 .npy is read in place from its mapping
// (ViewRowsFloat32) and decoded from it (ReadRows), with the values the
// file holds; once the file has shrunk, both fail with the byte offset
// instead of faulting on the mapping. A float64 file is not viewed.
func TestMappedFloat32(t *testing.T) {
	ctx := context.Background()
	const rows, cols = 50, 7
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = float64(float32(float64(i)*0.37 - 20))
	}
	var b bytes.Buffer
	if err := npy.Write(&b, rows, cols, data, "<f4", false); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	p := filepath.Join(t.TempDir(), "m32.npy")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	view, ok, err := ViewRowsFloat32(ctx, src, 10, 30)
	if !ok || err != nil || len(view) != 20*cols {
		t.Fatalf("ViewRowsFloat32: %d values, ok %t, %v", len(view), ok, err)
	}
	read, ok, err := ReadRowsFloat32Into(ctx, src, 10, 30, nil)
	if !ok || err != nil {
		t.Fatalf("ReadRowsFloat32Into: ok %t, %v", ok, err)
	}
	decoded, err := src.ReadRows(ctx, 10, 30)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range view {
		if want := data[10*cols+i]; float64(v) != want || float64(read[i]) != want || decoded[i] != want {
			t.Fatalf("value %d: view %g, read %g, decoded %g, want %g", i, v, read[i], decoded[i], want)
		}
	}
	if err := os.WriteFile(p, raw[:len(raw)-cols*4*5], 0o644); err != nil { // the last 5 rows gone
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s: npy: byte %d: unexpected EOF: the rows need data up to byte %d (file truncated?)", p, len(raw)-cols*4*5, len(raw))
	if _, _, err := ViewRowsFloat32(ctx, src, 40, 50); err == nil || err.Error() != want {
		t.Errorf("ViewRowsFloat32 after truncation:\n got %v\nwant %s", err, want)
	}
	if _, err := src.ReadRows(ctx, 40, 50); err == nil || err.Error() != want {
		t.Errorf("ReadRows after truncation:\n got %v\nwant %s", err, want)
	}
	if _, err := src.ReadRows(ctx, 0, 40); err != nil {
		t.Errorf("ReadRows of the rows left: %v", err)
	}
	src64, err := Open(ctx, formats+"m_c.npy", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ViewRowsFloat32(ctx, src64, 0, 5); ok || err != nil {
		t.Errorf("ViewRowsFloat32 of a float64 file: ok %t, %v", ok, err)
	}
}

// TestMappingShared: two sources of one file share its mapping, and once
// neither is reachable the mapping is unmapped and its entry forgotten.
func TestMappingShared(t *testing.T) {
	ctx := context.Background()
	var b bytes.Buffer
	if err := npy.Write(&b, 4, 3, make([]float64, 12), "<f4", false); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "shared.npy")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	view := func() *npySource {
		src, err := Open(ctx, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := ViewRowsFloat32(ctx, src, 0, 4); !ok || err != nil {
			t.Fatalf("view: ok %t, %v", ok, err)
		}
		return src.(*npySource)
	}
	a, c := view(), view()
	if a.mapped == nil || a.mapped != c.mapped {
		t.Fatal("two sources of one file hold different mappings")
	}
	a, c = nil, nil
	for range 20 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		mappings.Lock()
		_, held := mappings.byPath[p]
		mappings.Unlock()
		if !held {
			return
		}
	}
	t.Error("the mapping of an unreachable file is still listed")
}
