package experiments

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src, file string) *Spec {
	t.Helper()
	s, err := Parse([]byte(src), file)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return s
}

func TestParseQuickstart(t *testing.T) {
	s, err := ParseFile("quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Input{
		Path:        "testdata/digits.csv.gz",
		Format:      "csv",
		ShardRows:   300,
		OnBadRows:   "error",
		LabelColumn: "64",
	}
	if s.Study != "spectrum" || s.Name != "quickstart" || s.Seed != 1 || s.Output != "out/quickstart" || s.File != "quickstart.yaml" {
		t.Errorf("got study %q name %q seed %d output %q file %q", s.Study, s.Name, s.Seed, s.Output, s.File)
	}
	if !reflect.DeepEqual(s.Input, want) {
		t.Errorf("Input = %+v, want %+v", s.Input, want)
	}
	if got := (1797 + s.Input.ShardRows - 1) / s.Input.ShardRows; got != 6 {
		t.Errorf("1797 rows make %d shards, want 6", got)
	}
	p, err := s.SpectrumParams()
	if err != nil {
		t.Fatal(err)
	}
	wantP := DefaultSpectrumParams()
	wantP.K, wantP.Center = 48, true
	if p != wantP {
		t.Errorf("SpectrumParams = %+v, want %+v", p, wantP)
	}
	if s.NumCells() != 1 || s.Grid() != nil {
		t.Errorf("NumCells = %d, Grid = %v; want 1 cell and no grid", s.NumCells(), s.Grid())
	}
}

func TestParseDefaults(t *testing.T) {
	s := mustParse(t, "study: spectrum\ninput:\n  path: gs://b/x/m.npy\n", "specs/min.yaml")
	want := Spec{
		Study: "spectrum",
		Name:  "min",
		Input: Input{Path: "gs://b/x/m.npy", Format: "npy", ShardRows: DefaultShardRows, OnBadRows: "error"},
		File:  "specs/min.yaml",
	}
	if got := exported(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	p, err := s.SpectrumParams()
	if err != nil || p != DefaultSpectrumParams() {
		t.Errorf("SpectrumParams = %+v, %v; want defaults", p, err)
	}

	// A data set instead of a path; no format to infer; a study without
	// registered params keeps them raw.
	s = mustParse(t, "study: test_freeform\nname: x\ninput: {dataset: swiss_roll}\nparams: {anything: [1, 2]}\n", "d.yaml")
	if s.Input.Dataset != "swiss_roll" || s.Input.Path != "" || s.Input.Format != "" || s.Name != "x" {
		t.Errorf("got %+v", s)
	}
	if got := s.Params.Keys(); !reflect.DeepEqual(got, []string{"anything"}) {
		t.Errorf("Params.Keys = %v", got)
	}
}

// exported returns the exported fields of s, with Params cleared.
func exported(s *Spec) Spec {
	return Spec{Study: s.Study, Name: s.Name, Seed: s.Seed, Output: s.Output, Input: s.Input, File: s.File}
}

func TestParseErrors(t *testing.T) {
	const head = "study: spectrum\ninput:\n  path: a.csv\n"
	const gridHead = "study: test_gridded\ninput:\n  path: a.csv\n"
	for _, tc := range []struct {
		name, src string
		want      []string // every line of the error, in order
	}{
		{"top-level typo", "studdy: spectrum\ninput: {path: a.csv}\n",
			[]string{`t.yaml:1:1: unknown key "studdy" (did you mean study?)`}},
		{"unknown top-level key", head + "verbose: true\n",
			[]string{`t.yaml:4:1: unknown key "verbose"`}},
		{"input typo", head + "  shard_row: 10\n",
			[]string{`t.yaml:4:3: unknown key "shard_row" in input (did you mean shard_rows?)`}},
		{"input transposition", head + "  shard_rwos: 10\n",
			[]string{`t.yaml:4:3: unknown key "shard_rwos" in input (did you mean shard_rows?)`}},
		{"params typo", head + "params:\n  kk: 3\n",
			[]string{`t.yaml:5:3: unknown key "kk" in params (did you mean k?)`}},
		{"grid axis typo", gridHead + "params:\n  grid:\n    powr_iters: [1, 2]\n",
			[]string{`t.yaml:6:5: unknown key "powr_iters" in params.grid (did you mean power_iters?)`}},
		{"unknown study", "study: spectra\ninput: {path: a.csv}\n",
			[]string{`t.yaml:1:8: unknown study "spectra": expected one of ` + strings.Join(Studies(), ", ") + ` (did you mean spectrum?)`}},
		{"missing study", "input: {path: a.csv}\n",
			[]string{`t.yaml: missing study: one of ` + strings.Join(Studies(), ", ")}},
		{"missing input", "study: spectrum\n",
			[]string{`t.yaml: missing input.path (a file, directory or glob; or set input.dataset)`}},
		{"missing input.path", "study: spectrum\ninput:\n  shard_rows: 5\n",
			[]string{`t.yaml:3:3: missing input.path (a file, directory or glob; or set input.dataset)`}},
		{"path and dataset", head + "  dataset: digits\n",
			[]string{`t.yaml:4:12: input.path and input.dataset are exclusive; set one`}},
		{"shard_rows zero", head + "  shard_rows: 0\n",
			[]string{`t.yaml:4:15: input.shard_rows must be > 0, got 0`}},
		{"shard_rows negative", head + "  shard_rows: -5\n",
			[]string{`t.yaml:4:15: input.shard_rows must be > 0, got -5`}},
		{"shard_rows not a number", head + "  shard_rows: lots\n",
			[]string{`t.yaml:4:15: input.shard_rows: expected an integer, got the string "lots"`}},
		{"shard_rows fractional", head + "  shard_rows: 1.5\n",
			[]string{`t.yaml:4:15: input.shard_rows: expected an integer, got 1.5`}},
		{"on_bad_rows", head + "  on_bad_rows: skpi\n",
			[]string{`t.yaml:4:16: input.on_bad_rows must be error or skip, got "skpi" (did you mean skip?)`}},
		{"format", head + "  format: parket\n",
			[]string{`t.yaml:4:11: unknown input.format "parket": expected one of csv, npy, npz, safetensors, parquet, idx (did you mean parquet?)`}},
		{"delimiter", head + "  delimiter: ab\n",
			[]string{`t.yaml:4:14: input.delimiter must be one character other than a quote or newline, got "ab"`}},
		{"column and columns", head + "  column: x\n  columns: [a]\n",
			[]string{`t.yaml:4:11: input.column and input.columns are exclusive; set one`}},
		{"group_by other study", head + "  group_by: g\n",
			[]string{`t.yaml:4:13: input.group_by splits a table into point clouds; only the landscape study reads it, not spectrum`}},
		{"group_by and column", "study: landscape\ninput:\n  path: a.parquet\n  group_by: g\n  column: v\n",
			[]string{`t.yaml:4:13: input.group_by and input.column are exclusive: the coordinates of a grouped table are its numeric scalar columns`}},
		{"group_by npy", "study: landscape\ninput:\n  path: a.npy\n  group_by: g\n",
			[]string{`t.yaml:4:13: input.group_by needs a table with named columns (csv with a header, or parquet), not npy`}},
		{"columns not a list", head + "  columns: a\n",
			[]string{`t.yaml:4:12: input.columns: expected a list, got the string "a"`}},
		{"output bucket", head + "output: gs://\n",
			[]string{`t.yaml:4:9: output "gs://" names no bucket: expected gs://bucket/prefix`}},
		{"seed negative", head + "seed: -1\n",
			[]string{`t.yaml:4:7: seed: must not be negative, got -1`}},
		{"seed fractional", head + "seed: 1.5\n",
			[]string{`t.yaml:4:7: seed: expected a non-negative integer, got 1.5`}},
		{"seed too large", head + "seed: 18446744073709551616\n",
			[]string{`t.yaml:4:7: seed: expected a non-negative integer, got 18446744073709551616`}},
		{"input not a mapping", "study: spectrum\ninput: a.csv\n",
			[]string{`t.yaml:2:8: input: expected a mapping, got the string "a.csv"`}},
		{"params not a mapping", head + "params: [1]\n",
			[]string{`t.yaml:4:9: params: expected a mapping, got a list`}},
		{"k fractional", head + "params: {k: 1.5}\n",
			[]string{`t.yaml:4:13: params.k: expected an integer, got 1.5`}},
		{"k zero", head + "params:\n  k: 0\n",
			[]string{`t.yaml:5:6: params.k must be > 0, got 0`}},
		{"several params", head + "params:\n  k: 4\n  oversample: -1\n  power_iters: -2\n  coding_rate_eps: 0\n  alpha_range: [1, 30]\n",
			[]string{
				`t.yaml:6:15: params.oversample must be ≥ 0, got -1`,
				`t.yaml:7:16: params.power_iters must be ≥ 0, or -1 for auto; got -2`,
				`t.yaml:8:20: params.coding_rate_eps must be a finite number > 0, got 0`,
				`t.yaml:9:16: params.alpha_range ends at 30, beyond k = 4`,
			}},
		{"alpha_range length", head + "params:\n  alpha_range: [1, 2, 3]\n",
			[]string{`t.yaml:5:16: params.alpha_range: expected a list of 2 values, got a list`}},
		{"grid value invalid", gridHead + "params:\n  grid:\n    k: [5, 0]\n",
			[]string{`t.yaml:6:12: params.grid.k must be > 0, got 0`}},
		{"grid value wrong type", gridHead + "params:\n  grid:\n    center: [1, 2]\n",
			[]string{`t.yaml:6:14: params.grid.center: expected true or false, got 1`,
				`t.yaml:6:17: params.grid.center: expected true or false, got 2`}},
		{"grid cross-field", gridHead + "params:\n  alpha_range: [1, 15]\n  grid:\n    k: [10, 20]\n",
			[]string{`t.yaml:5:16: params.alpha_range ends at 15, beyond k = 10 (in grid cell k=10)`}},
		{"grid cross-field, many cells", gridHead + "params:\n  alpha_range: [1, 15]\n  grid:\n    k: [10, 12, 20]\n    oversample: [1, 2, 3]\n",
			[]string{
				`t.yaml:5:16: params.alpha_range ends at 15, beyond k = 10 (in grid cell k=10, oversample=1, and 2 more cells)`,
				`t.yaml:5:16: params.alpha_range ends at 15, beyond k = 12 (in grid cell k=12, oversample=1, and 2 more cells)`,
			}},
		{"alpha_range empty", head + "params:\n  k: 5\n  alpha_range: [3, 3]\n",
			[]string{`t.yaml:6:16: params.alpha_range must select at least 2 indices, got [3, 3]`}},
		{"grid not a mapping", gridHead + "params:\n  grid: [1, 2]\n",
			[]string{`t.yaml:5:9: params.grid must be a mapping from parameter name to a list of values, got a list`}},
		{"grid empty", gridHead + "params:\n  grid: {}\n",
			[]string{`t.yaml:5:3: params.grid is empty: list values for at least one parameter, or remove it`}},
		{"grid value not a list", gridHead + "params:\n  grid:\n    k: 5\n",
			[]string{`t.yaml:6:8: params.grid.k must be a list of values, got 5`}},
		{"grid empty list", gridHead + "params:\n  grid:\n    k: []\n",
			[]string{`t.yaml:6:8: params.grid.k is an empty list`}},
		{"grid null value", gridHead + "params:\n  grid:\n    k: [1, ~]\n",
			[]string{`t.yaml:6:12: params.grid.k: a value is null`}},
		{"grid mixed types", gridHead + "params:\n  grid:\n    k: [1, two]\n",
			[]string{`t.yaml:6:12: params.grid.k mixes integer and string values; a grid column has one type`}},
		{"grid duplicate", gridHead + "params:\n  grid:\n    k: [1, 2, 1.0]\n",
			[]string{`t.yaml:6:15: params.grid.k: duplicate value 1 (also at line 6)`}},
		{"grid and base", gridHead + "params:\n  k: 3\n  grid:\n    k: [1, 2]\n",
			[]string{`t.yaml:7:5: params.grid.k is also set as params.k at line 5: keep one`}},
		{"grid too large", "study: test_freeform\ninput: {path: a.csv}\nparams:\n  grid:\n" +
			"    a: [0,1,2,3,4,5,6,7,8,9]\n    b: [0,1,2,3,4,5,6,7,8,9]\n    c: [0,1,2,3,4,5,6,7,8,9]\n" +
			"    d: [0,1,2,3,4,5,6,7,8,9]\n    e: [0,1,2,3,4,5,6,7,8,9]\n    f: [0,1,2,3,4,5,6,7,8,9]\n    g: [0,1]\n",
			[]string{`t.yaml:4:3: params.grid expands to more than 1000000 cells (a: 10 × b: 10 × c: 10 × d: 10 × e: 10 × f: 10 × g: 2); split the study or shorten the lists`}},
		{"duplicate key", head + "study: test_freeform\n",
			[]string{`t.yaml:4:1: duplicate key "study" (first at line 1)`}},
		{"anchor", head + "params:\n  k: &n 3\n  oversample: *n\n",
			[]string{`t.yaml:5:6: anchors and aliases (&, *) are not supported in spec files`,
				`t.yaml:6:15: anchors and aliases (&, *) are not supported in spec files`}},
		{"merge key", head + "params:\n  <<: {k: 3}\n",
			[]string{`t.yaml:5:3: merge keys (<<) are not supported in spec files`}},
		{"custom tag", head + "params:\n  k: !big 3\n",
			[]string{`t.yaml:5:6: unsupported YAML tag !big`}},
		{"second document", head + "---\nstudy: test_freeform\n",
			[]string{`t.yaml:5:1: a second YAML document: a spec file holds exactly one study`}},
		{"syntax", "study: spectrum\ninput:\n\t- a\n",
			[]string{`t.yaml:3: invalid YAML: found character that cannot start any token`}},
		{"empty", "# nothing\n",
			[]string{`t.yaml: empty spec: expected a mapping with keys study, input and params`}},
		{"not a mapping", "- study\n",
			[]string{`t.yaml:1:1: a spec is a mapping with keys study, name, seed, output, input and params; got a list`}},
		{"several problems", "study: spectrum\ninput:\n  shard_rows: 0\n  on_bad_rows: maybe\n",
			[]string{
				`t.yaml:3:3: missing input.path (a file, directory or glob; or set input.dataset)`,
				`t.yaml:3:15: input.shard_rows must be > 0, got 0`,
				`t.yaml:4:16: input.on_bad_rows must be error or skip, got "maybe"`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.src), "t.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) != len(tc.want) {
				t.Errorf("error is %T with %d entries, want ErrorList with %d", err, len(list), len(tc.want))
			}
		})
	}
}

func TestGridExpansion(t *testing.T) {
	s, err := ParseFile("testdata/grid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := s.Grid()
	wantGrid := []Axis{
		{"oversample", []any{5, 10}},
		{"power_iters", []any{0, 1, 2}},
		{"center", []any{false, true}},
	}
	if !reflect.DeepEqual(g, wantGrid) {
		t.Fatalf("Grid = %v, want %v", g, wantGrid)
	}
	if n := s.NumCells(); n != 12 {
		t.Fatalf("NumCells = %d, want 12", n)
	}
	cells := s.Cells()
	if len(cells) != 12 {
		t.Fatalf("len(Cells) = %d, want 12", len(cells))
	}
	seen := map[string]bool{}
	for i, c := range cells {
		// Last axis fastest: i = 6·o + 2·q + c.
		want := []int{i / 6, i / 2 % 3, i % 2}
		if c.Index != i || !reflect.DeepEqual(c.Coords, want) {
			t.Errorf("cell %d: Index %d Coords %v, want %v", i, c.Index, c.Coords, want)
		}
		for a, ax := range wantGrid {
			if c.Values[ax.Name] != ax.Values[want[a]] {
				t.Errorf("cell %d: %s = %v, want %v", i, ax.Name, c.Values[ax.Name], ax.Values[want[a]])
			}
		}
		label := c.Label(s)
		if seen[label] {
			t.Errorf("cell %d repeats %s", i, label)
		}
		seen[label] = true

		p, err := griddedParams(s, &c)
		if err != nil {
			t.Fatal(err)
		}
		wantP := DefaultSpectrumParams()
		wantP.K, wantP.AlphaRange = 8, [2]int{2, 0}
		wantP.Oversample = []int{5, 10}[want[0]]
		wantP.PowerIters = want[1]
		wantP.Center = want[2] == 1
		if p != wantP {
			t.Errorf("cell %d: params %+v, want %+v", i, p, wantP)
		}
	}
	if got := cells[7].Label(s); got != "oversample=10, power_iters=0, center=true" {
		t.Errorf("cells[7].Label = %q", got)
	}
	// The base params leave the axes at their defaults.
	if p, err := griddedParams(s, nil); err != nil || p.Oversample != 10 || p.PowerIters != -1 || p.K != 8 {
		t.Errorf("SpectrumParams = %+v, %v", p, err)
	}
}

func TestGridAxisOrderAndPromotion(t *testing.T) {
	s := mustParse(t, "study: test_freeform\ninput: {path: x}\nparams:\n  grid:\n    z: [1, 2.5]\n    a: [b, c]\n    m: [[1, 2], [3]]\n", "g.yaml")
	want := []Axis{
		{"z", []any{1.0, 2.5}}, // ints and floats together become float64
		{"a", []any{"b", "c"}},
		{"m", []any{[]any{1, 2}, []any{3}}},
	}
	if g := s.Grid(); !reflect.DeepEqual(g, want) {
		t.Errorf("Grid = %#v, want %#v", g, want)
	}
	if c := s.Cell(s.NumCells() - 1); !reflect.DeepEqual(c.Coords, []int{1, 1, 1}) {
		t.Errorf("last cell %v", c)
	}
	defer func() {
		if recover() == nil {
			t.Error("Cell(NumCells()) did not panic")
		}
	}()
	s.Cell(s.NumCells())
}

func TestGridHugeIsRejected(t *testing.T) {
	// 40 axes of 10 values: 10⁴⁰ cells overflow int64 many times over.
	var b strings.Builder
	b.WriteString("study: test_freeform\ninput: {path: x}\nparams:\n  grid:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "    a%d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n", i)
	}
	_, err := Parse([]byte(b.String()), "huge.yaml")
	if err == nil || !strings.Contains(err.Error(), "params.grid expands to more than 1000000 cells (a0: 10 × a1: 10 ×") {
		t.Fatalf("err = %v", err)
	}
	// Exactly at the limit is fine.
	b.Reset()
	b.WriteString("study: test_freeform\ninput: {path: x}\nparams:\n  grid:\n")
	for i := range 6 {
		fmt.Fprintf(&b, "    a%d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n", i)
	}
	s := mustParse(t, b.String(), "max.yaml")
	if s.NumCells() != MaxCells {
		t.Errorf("NumCells = %d, want %d", s.NumCells(), MaxCells)
	}
	if c := s.Cell(123456); !reflect.DeepEqual(c.Coords, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("Cell(123456).Coords = %v", c.Coords)
	}
}

type landscapeParams struct {
	Threshold float64        `yaml:"threshold"`
	Dims      []int          `yaml:"homology_dims"`
	Label     string         `yaml:"label"`
	When      string         `yaml:"when"`
	Note      string         `yaml:"note"`
	Nested    nested         `yaml:"nested"`
	Points    float64        `yaml:"points"`
	Metric    string         `yaml:"metric"`
	Extra     map[string]int `yaml:"extra"`
}

type nested struct {
	A int      `yaml:"a"`
	B []string `yaml:"b"`
}

func TestDecodeParams(t *testing.T) {
	s, err := ParseFile("testdata/landscape.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Input.OnBadRows != "skip" || s.Name != "landscape" {
		t.Errorf("Input = %+v, Name %q", s.Input, s.Name)
	}
	p := landscapeParams{Points: 50, Metric: "default"}
	if err := s.DecodeParams(&p); err != nil {
		t.Fatal(err)
	}
	want := landscapeParams{
		Threshold: 1.5, Dims: []int{0, 1}, Label: "123", When: "2024-01-01", Note: "two\nlines\n",
		Nested: nested{A: 1, B: []string{"x", "y z"}}, Points: 50, Metric: "default",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("DecodeParams:\n got %+v\nwant %+v", p, want)
	}
	if err := s.DecodeCellParams(&p, s.Cell(5)); err != nil {
		t.Fatal(err)
	}
	if p.Points != 200.5 || p.Metric != "null" {
		t.Errorf("cell 5: points %v metric %q, want 200.5 null", p.Points, p.Metric)
	}
	if err := s.DecodeCellParams(&p, Cell{Coords: []int{0}}); err == nil {
		t.Error("DecodeCellParams accepted a foreign cell")
	}
	if err := s.DecodeParams(p); err == nil || !strings.Contains(err.Error(), "non-nil pointer") {
		t.Errorf("DecodeParams(non-pointer) = %v", err)
	}

	// Unknown keys, nested and in the grid, with positions; a map accepts any key.
	s = mustParse(t, "study: test_freeform\ninput: {path: x}\nparams:\n  nested: {a: 1, bb: 2}\n  extra: {anything: 3}\n  grid:\n    metrik: [l2]\n", "l.yaml")
	err = s.DecodeParams(&landscapeParams{})
	want2 := "l.yaml:4:18: unknown key \"bb\" in params.nested (did you mean b?)\n" +
		"l.yaml:7:5: unknown key \"metrik\" in params.grid (did you mean metric?)"
	if err == nil || err.Error() != want2 {
		t.Errorf("err =\n%v\nwant\n%s", err, want2)
	}
	// Into a map, every key is known.
	var m map[string]any
	if err := s.DecodeParams(&m); err != nil || m["extra"].(map[string]any)["anything"] != 3 {
		t.Errorf("DecodeParams(map) = %v, %v", m, err)
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	sources := map[string]string{
		"min.yaml": "study: spectrum\ninput: {path: a.csv}\n",
		"odd.yaml": "study: test_freeform\nname: \"007\"\nseed: 18446744073709551615\noutput: 'yes'\n" +
			"input: {path: \"x: y.parquet\", columns: [\"1\", a, \"true\"], delimiter: \"\\t\", label_column: 64}\n" +
			"params: {s: \"multi\\nline\", i: 0x1F, f: .inf, n: ~, e: \"\", t: !!str 5, l: [[1], {a: b}], 12: twelve}\n",
	}
	for _, f := range []string{"quickstart.yaml", "testdata/grid.yaml", "testdata/landscape.yaml"} {
		sources[f] = ""
	}
	for file, src := range sources {
		t.Run(file, func(t *testing.T) {
			var s *Spec
			var err error
			if src == "" {
				s, err = ParseFile(file)
			} else {
				s, err = Parse([]byte(src), file)
			}
			if err != nil {
				t.Fatal(err)
			}
			canon, err := s.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			s2, err := Parse(canon, file)
			if err != nil {
				t.Fatalf("Parse(Canonical()): %v\n%s", err, canon)
			}
			assertSameSpec(t, s, s2)
			canon2, err := s2.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			if stripComments(string(canon)) != stripComments(string(canon2)) {
				t.Errorf("Canonical is not a fixed point:\n%s\n---\n%s", canon, canon2)
			}
		})
	}
}

func assertSameSpec(t *testing.T, a, b *Spec) {
	t.Helper()
	if !reflect.DeepEqual(exported(a), exported(b)) {
		t.Errorf("specs differ:\n%+v\n%+v", exported(a), exported(b))
	}
	if ga, gb := fmt.Sprintf("%#v", a.Grid()), fmt.Sprintf("%#v", b.Grid()); ga != gb {
		t.Errorf("grids differ:\n%s\n%s", ga, gb)
	}
	ja, errA := a.JSON()
	jb, errB := b.JSON()
	if errA != nil || errB != nil || string(ja) != string(jb) {
		t.Errorf("JSON differs:\n%s (%v)\n%s (%v)", ja, errA, jb, errB)
	}
}

// stripComments drops "#" comments outside quotes, good enough for the
// output of Canonical.
func stripComments(y string) string {
	var out []string
	for _, line := range strings.Split(y, "\n") {
		if i := strings.Index(line, " #"); i >= 0 && !strings.ContainsAny(line[:i], `"'`) {
			line = line[:i]
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestCanonicalText(t *testing.T) {
	s := mustParse(t, "study: spectrum\ninput:\n  path: data/x.csv.gz\nparams:\n  k: 5\n", "specs/c.yaml")
	got, err := s.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := `# lowdim spec specs/c.yaml with defaults filled in;
# "# default" marks values not written in the spec.

study: spectrum
name: c # default: the file name
seed: 0 # default: no seed in the spec
output: "" # empty: pass --out
input:
  path: data/x.csv.gz
  format: csv # default: by extension
  shard_rows: 4096 # default
  on_bad_rows: error # default
params:
  method: auto # default; auto | exact | randomized | one_pass
  k: 5
  oversample: 10 # default; test matrix has k + oversample columns
  power_iters: -1 # default; -1 = auto: 7 if k < 0.1·min(m, n), else 4
  center: false # default
  coding_rate_eps: 0.5 # default
  alpha_range: [1, 0] # default; [lo, hi], 1-based inclusive; hi 0 = k
  normalize_rows: false # default; unit-norm rows for the class geometry only
  class_rank: 0 # default; 0 = each class's 90% energy rank, at most 20
`
	if string(got) != want {
		t.Errorf("Canonical:\n%s\nwant:\n%s", got, want)
	}
	j, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"study":"spectrum","name":"c","seed":0,"output":"","input":{"path":"data/x.csv.gz","format":"csv","shard_rows":4096,"on_bad_rows":"error"},` +
		`"params":{"method":"auto","k":5,"oversample":10,"power_iters":-1,"center":false,"coding_rate_eps":0.5,"alpha_range":[1,0],"normalize_rows":false,"class_rank":0}}`
	if string(j) != wantJSON {
		t.Errorf("JSON:\n%s\nwant\n%s", j, wantJSON)
	}
}

func TestValidateProgrammatic(t *testing.T) {
	s := &Spec{Study: "spectrum", Input: Input{Path: "x.npy", ShardRows: 10, OnBadRows: "error"}}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if s.NumCells() != 1 || len(s.Cell(0).Values) != 0 {
		t.Errorf("a spec without a grid has one empty cell")
	}
	s.Input.ShardRows = 0
	s.File = "mem"
	if err := s.Validate(); err == nil || err.Error() != "mem: input.shard_rows must be > 0, got 0" {
		t.Errorf("Validate = %v", err)
	}
	if _, err := (&Spec{Study: "landscape"}).SpectrumParams(); err == nil {
		t.Error("SpectrumParams of a landscape spec succeeded")
	}
}

func TestSpectrumParamsHelpers(t *testing.T) {
	p := DefaultSpectrumParams()
	if lo, hi := p.AlphaIndices(); lo != 1 || hi != 20 {
		t.Errorf("AlphaIndices = %d, %d; want 1, 20", lo, hi)
	}
	for _, tc := range []struct{ m, n, want int }{
		{1797, 64, 4},    // k = 20 ≥ 6.4
		{1797, 201, 7},   // 20 < 20.1
		{1797, 200, 4},   // 20 = 20: not below
		{100000, 512, 7}, // 20 < 51.2
	} {
		if got := p.PowerItersFor(tc.m, tc.n); got != tc.want {
			t.Errorf("PowerItersFor(%d, %d) = %d, want %d", tc.m, tc.n, got, tc.want)
		}
	}
	p.PowerIters = 2
	if p.PowerItersFor(10, 10) != 2 {
		t.Error("explicit power_iters ignored")
	}
	// With hi = 0 (k), a k too small for the fit is not an error: α is skipped.
	if err := (SpectrumParams{K: 1, CodingRateEps: 0.5, AlphaRange: [2]int{1, 0}}).Validate(); err != nil {
		t.Errorf("k = 1 with the default alpha_range: %v", err)
	}
	bad := SpectrumParams{K: 3, PowerIters: -1, CodingRateEps: 0.5, AlphaRange: [2]int{3, 3}}
	var fe FieldErrors
	if err := bad.Validate(); !errors.As(err, &fe) || len(fe) != 1 || fe[0].Key != "alpha_range" {
		t.Errorf("Validate = %v", err)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"path", "format", "shard_rows", "on_bad_rows", "label_column", "columns", "column"}
	for _, tc := range []struct{ got, want string }{
		{"shard_row", "shard_rows"},
		{"shardrows", "shard_rows"},
		{"shard_rwos", "shard_rows"},
		{"colums", "columns"},
		{"colum", "column"},
		{"fromat", "format"},
		{"pth", "path"},
		{"xyz", ""},
		{"shards", ""},
		{"p", ""}, // distance 3 and 1 ≥ len: no suggestion for tiny keys
	} {
		want := ""
		if tc.want != "" {
			want = " (did you mean " + tc.want + "?)"
		}
		if got := suggest(tc.got, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", tc.got, got, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"ab", "ba", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3}, {"σk", "σκ", 1}} {
		if got := osaDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("osaDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

func TestInferFormat(t *testing.T) {
	for path, want := range map[string]string{
		"testdata/digits.csv.gz":           "csv",
		"gs://bucket/a/B.CSV":              "csv",
		"x.npy":                            "npy",
		"model.safetensors":                "safetensors",
		"data/*.parquet":                   "parquet",
		"mnist/train-images-idx3-ubyte.gz": "idx",
		"t10k-labels.idx1":                 "idx",
		"data/":                            "",
		"data":                             "",
		"notes.txt":                        "",
		"csv":                              "",
		`C:\data\m.npy`:                    "npy",
	} {
		if got := InferFormat(path); got != want {
			t.Errorf("InferFormat(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestRegisterPanics(t *testing.T) {
	for _, study := range []string{"spectrum", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", study)
				}
			}()
			Register(Study{Name: study, Params: func() any { return new(SpectrumParams) }})
		}()
	}
}

func TestStudyWithoutInput(t *testing.T) {
	s := mustParse(t, "study: phase_transition\nname: p\n", "p.yaml")
	if s.Input.Path != "" || s.Input.Dataset != "" {
		t.Errorf("input = %+v, want none", s.Input)
	}
	_, err := Parse([]byte("study: phase_transition\ninput: {path: a.npy}\n"), "p.yaml")
	if err == nil || !strings.Contains(err.Error(), "the phase_transition study generates its own data: remove input.path") {
		t.Errorf("input.path on a generating study: %v", err)
	}
	if _, err := Parse([]byte("study: spectrum\n"), "s.yaml"); err == nil || !strings.Contains(err.Error(), "missing input.path") {
		t.Errorf("spectrum without input: %v", err)
	}
}

func intList(lo, hi int) string {
	parts := make([]string, 0, hi-lo)
	for i := lo; i < hi; i++ {
		parts = append(parts, fmt.Sprint(i))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func TestValidateLargeGrid(t *testing.T) {
	// 100 × 100 × 2 = 20,000 cells: more than validateCellLimit, so each axis
	// value is checked on its own; k = 0 is still found, at its position.
	src := "study: test_gridded\ninput: {path: a.npy}\nparams:\n  grid:\n    k: " + intList(0, 100) +
		"\n    oversample: " + intList(0, 100) + "\n    power_iters: [-2, 1]\n"
	_, err := Parse([]byte(src), "big.yaml")
	want := "big.yaml:5:9: params.grid.k must be > 0, got 0\nbig.yaml:7:19: params.grid.power_iters must be ≥ 0, or -1 for auto; got -2"
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
	// The same grid at or below the limit is checked cell by cell.
	src = "study: test_gridded\ninput: {path: a.npy}\nparams:\n  grid:\n    k: " + intList(0, 100) +
		"\n    oversample: " + intList(0, 50) + "\n    power_iters: [-2, 1]\n"
	if _, err := Parse([]byte(src), "big.yaml"); err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func BenchmarkParseGrid(b *testing.B) {
	for _, n := range []int{50, 100} {
		src := "study: test_gridded\ninput: {path: a.npy}\nparams:\n  grid:\n    k: " + intList(1, 101) +
			"\n    oversample: " + intList(0, n) + "\n"
		b.Run(fmt.Sprintf("cells=%d", 100*n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse([]byte(src), "b.yaml"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
