// Command benchscaling supports scripts/bench_scaling.sh:
//
//	benchscaling gen  -rows N -cols C -out FILE.npy   # float32 rank-20 signal + noise, streamed
//	benchscaling loop -in FILE.npy -shard_rows R -k K  # the spectrum study's kernels in a plain Go loop
//	benchscaling formats -in FILE.npy -dir DIR         # the same matrix as F32 safetensors and Parquet
//	benchscaling read -in FILE -shard_rows R           # read every shard through io/matrix, MB/s
//
// The loop reads the same shards and calls the same kernels as the Beam
// pipeline's randomized method (ShardReader.ReadEach, PassBasis.Process,
// PassPartial.Merge, MultiPass.Next and Finish, every pass), so its time is
// the floor against which the pipeline's overhead is measured.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/parquetmat"
	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/linalg"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchscaling gen|loop [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "loop":
		err = loop(os.Args[2:])
	case "formats":
		err = formats(os.Args[2:])
	case "read":
		err = read(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchscaling:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	rows := fs.Int("rows", 250000, "rows")
	cols := fs.Int("cols", 256, "columns")
	out := fs.String("out", "", "output .npy")
	fs.Parse(args)
	const rank = 20
	rng := rand.New(rand.NewPCG(1, 2))
	basis := make([]float64, rank**cols)
	for i := range basis {
		basis[i] = rng.NormFloat64() / math.Sqrt(float64(*cols))
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", *rows, *cols)
	pad := 64 - (10+len(header)+1)%64
	header += fmt.Sprintf("%*s\n", pad, "")
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(header)))
	w.WriteString(header)
	row := make([]float32, *cols)
	coef := make([]float64, rank)
	for i := 0; i < *rows; i++ {
		for r := range coef {
			coef[r] = rng.NormFloat64() * math.Pow(0.8, float64(r)) * 10
		}
		for j := range row {
			v := 0.1 * rng.NormFloat64()
			for r := range coef {
				v += coef[r] * basis[r**cols+j]
			}
			row[j] = float32(v)
		}
		if err := binary.Write(w, binary.LittleEndian, row); err != nil {
			return err
		}
	}
	return w.Flush()
}

func loop(args []string) error {
	fs := flag.NewFlagSet("loop", flag.ExitOnError)
	in := fs.String("in", "", "input .npy")
	shardRows := fs.Int("shard_rows", 4096, "rows per shard")
	k := fs.Int("k", 20, "top k")
	seed := fs.Uint64("seed", 1, "spec seed")
	fs.Parse(args)
	ctx := context.Background()
	start := time.Now()
	src, err := matrix.Open(ctx, *in, matrix.Options{})
	if err != nil {
		return err
	}
	mp, err := linalg.NewMultiPass(int64(src.Rows()), src.Cols(), linalg.MultiPassOptions{K: *k, PowerIters: -1, Seed: *seed})
	if err != nil {
		return err
	}
	ranges := blocks.PlanSource(src, *shardRows)
	reader := blocks.ShardReader{Config: blocks.Config{Path: *in}}
	basis := mp.FirstBasis()
	for {
		var merged linalg.PassPartial
		reader.Checked = basis.Pass > 0
		for _, r := range ranges {
			if _, err := reader.ReadEach(ctx, r, blocks.PieceBytes, func(b blocks.Block) error {
				p, err := basis.Process(mat.NewDense(b.Rows, b.Cols, b.Data))
				if err != nil {
					return err
				}
				return merged.Merge(p)
			}); err != nil {
				return err
			}
		}
		if basis.Final {
			res, err := mp.Finish(basis, &merged)
			if err != nil {
				return err
			}
			return json.NewEncoder(os.Stdout).Encode(map[string]any{
				"seconds": time.Since(start).Seconds(), "rows": src.Rows(), "reads": mp.Reads(), "sigma": res.Sigma[:mp.K],
			})
		}
		if basis, err = mp.Next(basis, &merged); err != nil {
			return err
		}
	}
}

func formats(args []string) error {
	fs := flag.NewFlagSet("formats", flag.ExitOnError)
	in := fs.String("in", "", "input .npy")
	dir := fs.String("dir", ".", "output folder")
	fs.Parse(args)
	ctx := context.Background()
	src, err := matrix.Open(ctx, *in, matrix.Options{})
	if err != nil {
		return err
	}
	data, err := src.ReadRows(ctx, 0, src.Rows())
	if err != nil {
		return err
	}
	st, err := os.Create(filepath.Join(*dir, "m.safetensors"))
	if err != nil {
		return err
	}
	if err := safetensors.Write(st, nil, safetensors.Matrix{Name: "m", Rows: src.Rows(), Cols: src.Cols(), Data: data, DType: "F32"}); err != nil {
		return err
	}
	st.Close()
	pq, err := os.Create(filepath.Join(*dir, "m.parquet"))
	if err != nil {
		return err
	}
	if err := parquetmat.Write(pq, src.Rows(), src.Cols(), data, parquetmat.WriteOptions{List: true, Names: []string{"x"}, GroupRows: 4096}); err != nil {
		return err
	}
	return pq.Close()
}

func read(args []string) error {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	in := fs.String("in", "", "input matrix file")
	column := fs.String("column", "", "Parquet list column")
	shardRows := fs.Int("shard_rows", 4096, "rows per shard")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the read to this file")
	fs.Parse(args)
	ctx := context.Background()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	info, err := os.Stat(*in)
	if err != nil {
		return err
	}
	start := time.Now()
	opts := matrix.Options{Column: *column}
	src, err := matrix.Open(ctx, *in, opts)
	if err != nil {
		return err
	}
	opened := time.Now()
	var sum float64
	reader := blocks.ShardReader{Config: blocks.Config{Path: *in, Options: opts}}
	for _, r := range blocks.PlanSource(src, *shardRows) {
		b, err := reader.Read(ctx, r)
		if err != nil {
			return err
		}
		sum += b.Data[0]
	}
	sec := time.Since(start).Seconds()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"seconds": sec, "open_seconds": opened.Sub(start).Seconds(), "bytes": info.Size(), "mb_per_s": float64(info.Size()) / 1e6 / sec, "check": sum,
	})
}
