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
			csvRows.Clear()
			if _, err := Open(ctx, csv, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
