// Command benchrankdyn writes the synthetic checkpoint series of the
// rank_dynamics scale benchmark (scripts/bench_rankdyn.sh):
//
//	benchrankdyn gen -dir D -steps 20 -tensors 48 -rows 1024 -cols 4096 [-seed 1]
//
// writes D/step-000100.safetensors, D/step-000200.safetensors, … , each
// holding the F16 tensors layers.NN.weight (rows × cols). Tensor t at step s
// is
//
//	W = Σᵢ σᵢ(s) uᵢ vᵢᵀ + E,   i = 1 … 16,  σᵢ(s) = 8·exp(−(i−1)·λ(s)),
//
// with fixed random directions uᵢ, vᵢ per tensor (entries uniform in
// [−1, 1)/√rows and [−1, 1)·√rows/64, not orthogonalised), a decay rate λ(s)
// rising linearly from 0.05 at the first step to 0.8 at the last, and noise
// E with entries uniform in [−0.05, 0.05). For 1,024 × 4,096 the signal's
// singular values are then about 85·exp(−(i−1)·λ(s)) against a noise edge
// near 2.8: 16 of them stand out at the first step, about 4 at the last, so
// the effective rank falls over steps. Every draw derives
// from -seed, the step index, the tensor and the row, so the output does not
// depend on scheduling. Tensors are computed and written one at a time (two
// goroutines split the rows), so memory stays at a few tensors' worth
// whatever the series' size.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
)

const components = 16

func main() {
	if len(os.Args) < 2 || os.Args[1] != "gen" {
		fmt.Fprintln(os.Stderr, "usage: benchrankdyn gen -dir D -steps 20 -tensors 48 -rows 1024 -cols 4096 [-seed 1]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dir := fs.String("dir", "", "output folder")
	steps := fs.Int("steps", 20, "checkpoints")
	tensors := fs.Int("tensors", 48, "matrices per checkpoint")
	rows := fs.Int("rows", 1024, "rows per matrix")
	cols := fs.Int("cols", 4096, "columns per matrix")
	seed := fs.Uint64("seed", 1, "seed of every random draw")
	fs.Parse(os.Args[2:])
	if *dir == "" || *steps < 1 || *tensors < 1 || *rows < 1 || *cols < 1 {
		fs.Usage()
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fatal(err)
	}
	var total int64
	for s := 0; s < *steps; s++ {
		name := filepath.Join(*dir, fmt.Sprintf("step-%06d.safetensors", 100*(s+1)))
		n, err := writeCheckpoint(name, s, *steps, *tensors, *rows, *cols, *seed)
		if err != nil {
			fatal(err)
		}
		total += n
	}
	fmt.Printf("wrote %d checkpoints × %d tensors of %d × %d F16 to %s: %d bytes\n", *steps, *tensors, *rows, *cols, *dir, total)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchrankdyn:", err)
	os.Exit(1)
}

type entry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// writeCheckpoint streams one safetensors file: the 8-byte little-endian
// header length, the JSON header padded with spaces to a multiple of 8, then
// the F16 data of each tensor in header order. It returns the file size.
func writeCheckpoint(name string, step, steps, tensors, rows, cols int, seed uint64) (int64, error) {
	header := map[string]any{"__metadata__": map[string]string{"format": "pt", "step": fmt.Sprint(step)}}
	size := int64(rows) * int64(cols) * 2
	for t := 0; t < tensors; t++ {
		header[tensorName(t)] = entry{"F16", []int64{int64(rows), int64(cols)}, []int64{int64(t) * size, int64(t+1) * size}}
	}
	text, err := json.Marshal(header)
	if err != nil {
		return 0, err
	}
	for len(text)%8 != 0 {
		text = append(text, ' ')
	}
	f, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(text)))
	bw.Write(b[:])
	bw.Write(text)
	buf := make([]byte, size)
	lambda := 0.05
	if steps > 1 {
		lambda += 0.75 * float64(step) / float64(steps-1)
	}
	var sigma [components]float64
	for i := range sigma {
		sigma[i] = 8 * math.Exp(-float64(i)*lambda)
	}
	for t := 0; t < tensors; t++ {
		fillTensor(buf, t, step, rows, cols, seed, sigma[:])
		if _, err := bw.Write(buf); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return 8 + int64(len(text)) + int64(tensors)*size, f.Close()
}

func tensorName(t int) string { return fmt.Sprintf("layers.%02d.weight", t) }

// fillTensor writes tensor t of step into buf as little-endian F16,
// row-major. The directions u, v depend on (seed, t) only; the noise of row
// r on (seed, step, t, r).
func fillTensor(buf []byte, t, step, rows, cols int, seed uint64, sigma []float64) {
	dirs := rand.New(rand.NewPCG(seed, uint64(t)<<32|0xd1))
	u := make([]float64, rows*components) // u[r·c + i] = σᵢ·uᵢ[r]
	for r := 0; r < rows; r++ {
		for i := range components {
			u[r*components+i] = sigma[i] * (2*dirs.Float64() - 1) / math.Sqrt(float64(rows))
		}
	}
	v := make([]float64, components*cols) // v[i·cols + j] = vᵢ[j]
	for j := range v {
		v[j] = (2*dirs.Float64() - 1) / math.Sqrt(float64(cols)) * math.Sqrt(float64(rows)*float64(cols)) / 64 // = (2U−1)·√rows/64
	}
	var wg sync.WaitGroup
	const workers = 2
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := make([]float64, cols)
			for r := w; r < rows; r += workers {
				noise := rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(step)<<40|uint64(t)<<24|uint64(r))
				for j := 0; j < cols; j += 4 {
					x := noise.Uint64()
					for k := 0; k < 4 && j+k < cols; k++ {
						row[j+k] = (float64(uint16(x>>(16*k)))/65536 - 0.5) * 0.1
					}
				}
				ur := u[r*components : (r+1)*components]
				for i, ui := range ur {
					vi := v[i*cols : (i+1)*cols]
					for j, x := range vi {
						row[j] += ui * x
					}
				}
				out := buf[2*r*cols : 2*(r+1)*cols]
				for j, x := range row {
					binary.LittleEndian.PutUint16(out[2*j:], toHalf(float32(x)))
				}
			}
		}()
	}
	wg.Wait()
}

// toHalf rounds x to the nearest IEEE 754 binary16, ties to even, and
// returns its bits: overflow gives ±Inf, NaN a quiet NaN, and values below
// 2⁻¹⁴ in magnitude the nearest subnormal (or zero).
func toHalf(x float32) uint16 {
	b := math.Float32bits(x)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127
	mant := b & 0x7fffff
	switch {
	case exp == 128: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 15:
		return sign | 0x7c00
	case exp >= -14: // normal: keep 10 of 23 mantissa bits
		h := uint32(exp+15)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, up to Inf: still correct
		}
		return sign | uint16(h)
	case exp >= -25: // subnormal half: h · 2⁻²⁴
		// x = m · 2^(exp−23) with the 24-bit significand m, so
		// h = m · 2^(exp+1), rounded.
		m := mant | 0x800000
		shift := uint(-exp - 1)
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}
