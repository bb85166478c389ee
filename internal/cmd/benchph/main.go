// Command benchph reads a point cloud CSV (one point per line, comma or
// whitespace separated, like Ripser's point-cloud format), computes its
// Vietoris–Rips persistence diagram with lowdim's linalg/ph and prints the
// kernel time. With -print it prints the intervals in Ripser's format, so
// the two outputs can be compared.
//
//	benchph -in torus.csv -maxdim 1 -threshold 1.0
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lowdim/lowdim/linalg/ph"
)

func main() {
	in := flag.String("in", "", "point cloud CSV")
	maxDim := flag.Int("maxdim", 1, "largest homological dimension")
	threshold := flag.Float64("threshold", math.Inf(1), "Rips threshold (default: full complex)")
	print := flag.Bool("print", false, "print the intervals in Ripser's format")
	flag.Parse()
	if *in == "" {
		log.Fatal("benchph: -in is required")
	}
	points, n, dim, err := readCloud(*in)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	d, err := ph.VietorisRips(points, n, dim, ph.Options{MaxDim: *maxDim, Threshold: *threshold})
	if err != nil {
		log.Fatal(err)
	}
	elapsed := time.Since(start)
	counts := make([]int, *maxDim+1)
	for _, p := range d.Pairs {
		counts[p.Dim]++
	}
	fmt.Fprintf(os.Stderr, "benchph: %d points in R^%d, threshold %g (enclosing radius %g), %d edges, sparse=%v, pairs per dim %v, kernel %.3f s\n",
		n, dim, d.Threshold, d.EnclosingRadius, d.Edges, d.Sparse, counts, elapsed.Seconds())
	if *print {
		w := bufio.NewWriter(os.Stdout)
		defer w.Flush()
		for k := 0; k <= *maxDim; k++ {
			fmt.Fprintf(w, "persistence intervals in dim %d:\n", k)
			for _, p := range d.Dim(k) {
				if math.IsInf(p.Death, 1) {
					fmt.Fprintf(w, " [%g, )\n", p.Birth)
				} else {
					fmt.Fprintf(w, " [%g,%g)\n", p.Birth, p.Death)
				}
			}
		}
	}
}

func readCloud(path string) (points []float64, n, dim int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.FieldsFunc(sc.Text(), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(fields) == 0 {
			continue
		}
		if dim == 0 {
			dim = len(fields)
		} else if len(fields) != dim {
			return nil, 0, 0, fmt.Errorf("%s:%d: %d coordinates, want %d", path, line, len(fields), dim)
		}
		for _, s := range fields {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			points = append(points, x)
		}
		n++
	}
	return points, n, dim, sc.Err()
}
