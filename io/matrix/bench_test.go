package matrix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lowdim/lowdim/io/npy"
	"github.com/lowdim/lowdim/io/parquetmat"
	"github.com/lowdim/lowdim/io/safetensors"
)

// benchFiles writes a rows×cols matrix as C- and Fortran-order .npy and as CSV.
func benchFiles(b *testing.B, rows, cols int) (c, f, csv string) {
	dir := b.TempDir()
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = float64(i%1000) * 0.001
	}
	var buf bytes.Buffer
	for _, fortran := range []bool{false, true} {
		buf.Reset()
		if err := npy.Write(&buf, rows, cols, data, "<f8", fortran); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("m%v.npy", fortran))
		os.WriteFile(p, buf.Bytes(), 0o644)
		if fortran {
			f = p
		} else {
			c = p
		}
	}
	buf.Reset()
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(strconv.FormatFloat(data[i*cols+j], 'g', -1, 64))
		}
		buf.WriteByte('\n')
	}
	csv = filepath.Join(dir, "m.csv")
	os.WriteFile(csv, buf.Bytes(), 0o644)
	return c, f, csv
}

// BenchmarkReadRows reads a 1000-row shard from the middle of a 20000×256
// float64 matrix (40 MB as .npy).
func BenchmarkReadRows(b *testing.B) {
	const rows, cols = 20000, 256
	c, f, csv := benchFiles(b, rows, cols)
	ctx := context.Background()
	for _, bc := range []struct{ name, path string }{{"npy-C", c}, {"npy-Fortran", f}, {"csv", csv}} {
		src, err := Open(ctx, bc.path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(1000 * cols * 8)
			for b.Loop() {
				if _, err := src.ReadRows(ctx, 10000, 11000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("csv-open-scan", func(b *testing.B) {
		st, _ := os.Stat(csv)
		b.SetBytes(st.Size())
		for b.Loop() {
			csvIndexes.Clear()
			if _, err := Open(ctx, csv, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkThroughput reads a 51200×256 float64 matrix (105 MB of values)
// stored as .npy, .safetensors (F64) and Parquet (a list<double> column and
// 256 DOUBLE columns, row groups of 4096 rows, uncompressed), in shards of
// 4096 rows as the spectrum study's workers do. MB/s counts 8-byte values
// delivered. Writing the files takes a few seconds; skipped with -short.
func BenchmarkThroughput(b *testing.B) {
	if testing.Short() {
		b.Skip("writes ~500 MB of files")
	}
	const rows, cols, shard = 51200, 256, 4096
	dir := b.TempDir()
	data := make([]float64, rows*cols)
	for i := range data {
		data[i] = float64(i%1000)*0.001 - float64(i%7)
	}
	write := func(name string, fn func(f *os.File) error) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := fn(f); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		return p
	}
	names := make([]string, cols)
	for j := range names {
		names[j] = fmt.Sprintf("c%03d", j)
	}
	files := []struct {
		name, path string
		opts       Options
	}{
		{"npy", write("m.npy", func(f *os.File) error { return npy.Write(f, rows, cols, data, "<f8", false) }), Options{}},
		{"safetensors", write("m.safetensors", func(f *os.File) error {
			return safetensors.Write(f, nil, safetensors.Matrix{Name: "m", Rows: rows, Cols: cols, Data: data, DType: "F64"})
		}), Options{}},
		{"parquet-list", write("list.parquet", func(f *os.File) error {
			return parquetmat.Write(f, rows, cols, data, parquetmat.WriteOptions{List: true, Names: []string{"x"}, GroupRows: shard})
		}), Options{Column: "x"}},
		{"parquet-columns", write("wide.parquet", func(f *os.File) error {
			return parquetmat.Write(f, rows, cols, data, parquetmat.WriteOptions{Names: names, GroupRows: shard})
		}), Options{}},
	}
	ctx := context.Background()
	for _, f := range files {
		src, err := Open(ctx, f.path, f.opts)
		if err != nil {
			b.Fatal(err)
		}
		if src.Rows() != rows || src.Cols() != cols {
			b.Fatalf("%s: %d×%d", f.name, src.Rows(), src.Cols())
		}
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(rows * cols * 8)
			for b.Loop() {
				for start := 0; start < rows; start += shard {
					if _, err := src.ReadRows(ctx, start, min(start+shard, rows)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
