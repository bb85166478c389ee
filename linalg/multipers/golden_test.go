package multipers

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

const goldenDir = "../../testdata/multipers"

// golden is one file written by scripts/make_multipers_goldens.py.
type golden struct {
	Name      string `json:"name"`
	Points    string `json:"points"`
	N         int    `json:"n"`
	Dim       int    `json:"dim"`
	MaxDim    int    `json:"max_dim"`
	Codensity string `json:"codensity"`
	FKNN      struct {
		K      int       `json:"k"`
		Values []float64 `json:"values"`
	} `json:"f_knn"`
	FGaussian struct {
		Bandwidth float64   `json:"bandwidth"`
		Values    []float64 `json:"values"`
	} `json:"f_gaussian"`
	QuantileGrid struct {
		NT             int       `json:"nt"`
		NR             int       `json:"nr"`
		RadiusQuantile float64   `json:"radius_quantile"`
		T              []float64 `json:"t"`
		R              []float64 `json:"r"`
	} `json:"quantile_grid"`
	Grid          Grid      `json:"grid"`
	Hilbert       [][][]int `json:"hilbert"`
	SignedMeasure [][4]int  `json:"signed_measure"`
	Slices        struct {
		Levels     int `json:"levels"`
		Resolution int `json:"resolution"`
		Lines      []struct {
			T0         float64              `json:"t0"`
			R0         float64              `json:"r0"`
			A          float64              `json:"a"`
			B          float64              `json:"b"`
			Length     float64              `json:"length"`
			Landscapes map[string][]float64 `json:"landscapes"`
		} `json:"lines"`
	} `json:"slices"`
	OneParameterH1 []float64 `json:"one_parameter_h1"`

	points []float64 // row-major coordinates from the CSV
	f      []float64 // its last column
}

// readGolden reads testdata/multipers/<name>.json and its CSV.
func readGolden(t testing.TB, name string) *golden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(goldenDir, name+".json"))
	if err != nil {
		t.Fatalf("%v: run scripts/make_multipers_goldens.py", err)
	}
	g := new(golden)
	if err := json.Unmarshal(raw, g); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(filepath.Join(goldenDir, g.Points))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rows, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != g.N+1 || len(rows[0]) != g.Dim+1 {
		t.Fatalf("%s: %d rows of %d fields, want a header and %d rows of %d", g.Points, len(rows), len(rows[0]), g.N, g.Dim+1)
	}
	for _, row := range rows[1:] {
		for c, s := range row {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			if c < g.Dim {
				g.points = append(g.points, x)
			} else {
				g.f = append(g.f, x)
			}
		}
	}
	return g
}

var goldenNames = []string{"hidden_circle", "two_circles", "torus"}

func relErr(a, b float64) float64 {
	return math.Abs(a-b) / max(1, math.Abs(b))
}
