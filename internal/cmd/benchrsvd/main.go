// Command benchrsvd times lowdim's RandomizedSVD on a planted low-rank matrix,
// for the side-by-side comparison with scikit-learn in scripts/bench_rsvd.sh.
//
//	benchrsvd gen -m 20000 -n 1000 -seed 1 -out a.npy
//	benchrsvd run -npy a.npy -k 20 -p 10 -q 2 -runs 5
//
// gen writes an m×n float64 matrix A = U·diag(s)·Vᵀ + η·G as a .npy file
// (C order, little-endian '<f8'): U (m×r) and V (n×r) have orthonormal
// columns, s_i = decay^(i−1) for i ≤ r, G is standard Gaussian and
// η = noise/(√m + √n), so the spectral norm of the noise is about noise·s_1.
// Everything is drawn from PCG seeded with -seed.
//
// run loads the .npy, runs RandomizedSVD (with WantU) once to warm up and
// then -runs times, each after a runtime.GC outside the timed region, and
// prints one JSON object: the times, their median, and the top-k singular
// values of the last run.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrsvd:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchrsvd gen -m M -n N [-rank R -decay D -noise E -seed S] -out A.npy\n       benchrsvd run -npy A.npy [-k K -p P -q Q -runs R -seed S]")
	os.Exit(2)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	m := fs.Int("m", 20000, "rows")
	n := fs.Int("n", 1000, "columns")
	rank := fs.Int("rank", 20, "rank r of the planted signal")
	decay := fs.Float64("decay", 0.85, "planted singular values s_i = decay^(i-1)")
	noise := fs.Float64("noise", 0.01, "spectral norm of the noise relative to s_1 (about)")
	seed := fs.Uint64("seed", 1, "PCG seed")
	out := fs.String("out", "", "output .npy path (required)")
	fs.Parse(args)
	if *out == "" || *m <= 0 || *n <= 0 || *rank <= 0 || *rank > min(*m, *n) {
		return errors.New("gen: need -out and 0 < rank ≤ min(m, n)")
	}
	a := planted(*m, *n, *rank, *decay, *noise, *seed)
	return writeNpy(*out, a)
}

// planted returns U·diag(s)·Vᵀ + η·G as described in the package comment.
func planted(m, n, r int, decay, noise float64, seed uint64) *mat.Dense {
	rnd := rand.New(rand.NewPCG(seed, 0x62656e6368))
	gauss := func(rows, cols int) *mat.Dense {
		d := make([]float64, rows*cols)
		for i := range d {
			d[i] = rnd.NormFloat64()
		}
		return mat.NewDense(rows, cols, d)
	}
	u, v := gauss(m, r), gauss(n, r)
	linalg.Orthonormalize(u)
	linalg.Orthonormalize(v)
	for j := range r {
		s := math.Pow(decay, float64(j))
		for i := range m {
			u.Set(i, j, s*u.At(i, j))
		}
	}
	a := mat.NewDense(m, n, nil)
	a.Mul(u, v.T())
	eta := noise / (math.Sqrt(float64(m)) + math.Sqrt(float64(n)))
	raw := a.RawMatrix()
	for i := range raw.Data {
		raw.Data[i] += eta * rnd.NormFloat64()
	}
	return a
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	path := fs.String("npy", "", ".npy matrix (required)")
	k := fs.Int("k", 20, "components K")
	p := fs.Int("p", 10, "oversampling p")
	q := fs.Int("q", 2, "power iterations q")
	runs := fs.Int("runs", 5, "timed runs (after one warm-up run)")
	seed := fs.Uint64("seed", 0, "RandomizedSVD seed")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	fs.Parse(args)
	if *path == "" || *runs <= 0 {
		return errors.New("run: need -npy and -runs > 0")
	}
	a, err := readNpy(*path)
	if err != nil {
		return err
	}
	m, n := a.Dims()
	opts := linalg.RSVDOptions{K: *k, Oversample: *p, PowerIters: *q, Seed: *seed, WantU: true}
	var res *linalg.SVD
	times := make([]float64, *runs)
	for i := -1; i < *runs; i++ {
		if i == 0 && *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
		// Collect the previous run's garbage outside the timed region, so that
		// the peak RSS is the matrix plus what one call needs.
		runtime.GC()
		start := time.Now()
		res, err = linalg.RandomizedSVD(a, opts)
		if err != nil {
			return err
		}
		if i >= 0 {
			times[i] = time.Since(start).Seconds()
		}
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	out := map[string]any{
		"m": m, "n": n, "k": *k, "p": *p, "q": *q,
		"gomaxprocs": runtime.GOMAXPROCS(0),
		"times_s":    times,
		"median_s":   sorted[len(sorted)/2],
		"sigma":      res.Sigma[:min(*k, len(res.Sigma))],
		"go_version": runtime.Version(),
	}
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(out)
}

// writeNpy writes a as a version 1.0 .npy file: '<f8', C order.
func writeNpy(path string, a *mat.Dense) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	m, n := a.Dims()
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", m, n)
	// magic(6) + version(2) + header length(2) + header + '\n' is a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(header)))
	w.WriteString(header)
	raw := a.RawMatrix()
	buf := make([]byte, 8*n)
	for i := range m {
		for j, x := range raw.Data[i*raw.Stride : i*raw.Stride+n] {
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(x))
		}
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var shapeRE = regexp.MustCompile(`'shape':\s*\((\d+),\s*(\d+),?\s*\)`)

// readNpy reads a 2-d '<f8' C-order .npy file (versions 1.0–3.0).
func readNpy(path string) (*mat.Dense, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, err
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%s: not a .npy file", path)
	}
	var hlen int
	if pre[6] == 1 {
		var l uint16
		err = binary.Read(r, binary.LittleEndian, &l)
		hlen = int(l)
	} else {
		var l uint32
		err = binary.Read(r, binary.LittleEndian, &l)
		hlen = int(l)
	}
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	h := string(hdr)
	if !strings.Contains(h, "'<f8'") || !strings.Contains(h, "'fortran_order': False") {
		return nil, fmt.Errorf("%s: want '<f8' in C order, header %q", path, h)
	}
	sm := shapeRE.FindStringSubmatch(h)
	if sm == nil {
		return nil, fmt.Errorf("%s: want a 2-d array, header %q", path, h)
	}
	m, _ := strconv.Atoi(sm[1])
	n, _ := strconv.Atoi(sm[2])
	data := make([]float64, m*n)
	buf := make([]byte, 8*n)
	for i := range m {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", path, i, err)
		}
		for j := range n {
			data[i*n+j] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*j:]))
		}
	}
	return mat.NewDense(m, n, data), nil
}
