// Package experiments reads lowdim study specs: one YAML file per study with
// the common keys study, name, seed, output, input and params, where
// params.grid expands to the Cartesian product of its lists (design §2).
//
// Parsing is strict. A key the parser does not know is an error that names
// the file, line, column and key, and suggests the closest known key, because
// a typo must not silently run a default. Anchors, aliases, merge keys and
// non-core tags are rejected, as are duplicate keys and a second document.
//
// Relative paths in a spec (input.path, output) are not rewritten: they are
// resolved against the working directory of the process that runs the study.
package experiments

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/lowdim/lowdim/io/format"
)

const (
	// DefaultShardRows is input.shard_rows when the spec does not set it.
	DefaultShardRows = 4096
	// MaxSpecBytes bounds the size of a spec file.
	MaxSpecBytes = 16 << 20
)

var (
	formatNames = format.Names()
	onBadRows   = []string{"error", "skip"}
)

// Formats returns the input formats a spec may name in input.format.
func Formats() []string { return format.Names() }

// Spec is one parsed study spec. Parse fills the defaults: input.shard_rows
// (DefaultShardRows), input.on_bad_rows ("error"), input.format (from the
// extension of input.path, see InferFormat), name (the file name without its
// extension) and seed (0).
type Spec struct {
	Study  string // spectrum | landscape | phase_transition | rank_dynamics | intrinsic_dim
	Name   string
	Seed   uint64
	Output string // directory or gs://bucket/prefix; empty means the CLI's --out is required
	Input  Input
	Params Params // raw params, decoded per study with DecodeParams
	File   string // path the spec was read from (not a YAML key)

	keys  map[string]pos // positions of the keys written in the file, by dotted path
	vals  map[string]pos // positions of their values
	axes  []axis         // params.grid in file order
	cells int            // number of grid cells; 1 without a grid
}

// Input says where the rows of a study come from.
type Input struct {
	Path        string   `yaml:"path"`         // file, directory or glob; local or gs://
	Format      string   `yaml:"format"`       // csv | npy | npz | safetensors | parquet | idx; default by extension
	ShardRows   int      `yaml:"shard_rows"`   // rows per shard (default 4096)
	OnBadRows   string   `yaml:"on_bad_rows"`  // "error" (default) | "skip"
	LabelColumn string   `yaml:"label_column"` // column index or name dropped from the matrix (e.g. "64")
	Columns     []string `yaml:"columns"`      // columns kept, by name or index
	Column      string   `yaml:"column"`       // single list/tensor column or tensor name
	Delimiter   string   `yaml:"delimiter"`    // csv field delimiter, one character (default ",")
	Dataset     string   `yaml:"dataset"`      // built-in data set used instead of path
	// GroupBy names a column of the table at path (csv with a header, or
	// Parquet) whose distinct values split its rows into point clouds, one
	// cloud per value, named by it; the other numeric columns are the
	// coordinates. Only the landscape study reads it.
	GroupBy string `yaml:"group_by"`
}

// Params is the raw params mapping of a spec. Decode it with
// Spec.DecodeParams or Spec.DecodeCellParams.
type Params struct {
	node *yaml.Node // mapping node, or nil when the spec has no params
}

// IsZero reports whether the spec has no params.
func (p Params) IsZero() bool { return p.node == nil || len(p.node.Content) == 0 }

// Keys returns the keys written under params, in file order, "grid" included.
func (p Params) Keys() []string {
	if p.node == nil {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(p.node.Content); i += 2 {
		keys = append(keys, p.node.Content[i].Value)
	}
	return keys
}

// base returns params without the grid entry, or nil.
func (p Params) base() *yaml.Node {
	if p.node == nil {
		return nil
	}
	b := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap, Line: p.node.Line, Column: p.node.Column}
	for i := 0; i+1 < len(p.node.Content); i += 2 {
		if p.node.Content[i].Value != "grid" {
			b.Content = append(b.Content, p.node.Content[i], p.node.Content[i+1])
		}
	}
	return b
}

// lookup returns the key and value nodes of params.key, or nils.
func (p Params) lookup(key string) (k, v *yaml.Node) {
	if p.node == nil {
		return nil, nil
	}
	for i := 0; i+1 < len(p.node.Content); i += 2 {
		if p.node.Content[i].Value == key {
			return p.node.Content[i], p.node.Content[i+1]
		}
	}
	return nil, nil
}

// specDoc is the top level of a spec file.
type specDoc struct {
	Study  string     `yaml:"study"`
	Name   string     `yaml:"name"`
	Seed   uint64     `yaml:"seed"`
	Output string     `yaml:"output"`
	Input  Input      `yaml:"input"`
	Params *yaml.Node `yaml:"params"`
}

// ParseFile reads and parses the spec at path; see Parse.
func ParseFile(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecBytes+1))
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse parses and validates one spec; file names it in error messages and
// is stored in Spec.File. The error, when not nil, is an ErrorList: one
// problem per line, each prefixed with "file:line:col: " when the position
// is known. Structural problems (syntax, unknown keys, wrong kinds, a bad
// grid) are reported before, and instead of, the checks of Validate.
func Parse(data []byte, file string) (*Spec, error) {
	e := &errs{file: file}
	if len(data) > MaxSpecBytes {
		e.add(pos{}, "spec is larger than %d bytes", MaxSpecBytes)
		return nil, e.err()
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			e.add(pos{}, "empty spec: expected a mapping with keys study, input and params")
		} else {
			addYAMLError(e, err)
		}
		return nil, e.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p := nodePos(&extra)
		if len(extra.Content) > 0 {
			p = nodePos(extra.Content[0])
		}
		e.add(p, "a second YAML document: a spec file holds exactly one study")
	} else if !errors.Is(err, io.EOF) {
		addYAMLError(e, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].ShortTag() == tagNull {
		e.add(pos{}, "empty spec: expected a mapping with keys study, input and params")
		return nil, e.err()
	}
	root := doc.Content[0]
	checkTree(root, e)
	if e.err() != nil {
		return nil, e.err()
	}
	if root.Kind != yaml.MappingNode {
		e.add(nodePos(root), "a spec is a mapping with keys study, name, seed, output, input and params; got %s", describe(root))
		return nil, e.err()
	}

	s := &Spec{File: file, keys: make(map[string]pos), vals: make(map[string]pos), cells: 1}
	var sd specDoc
	d := &decoder{e: e, keys: s.keys}
	d.decode(root, reflect.ValueOf(&sd).Elem(), "")
	// Record value positions too, for messages about values.
	recordValues(root, "", s.vals, 2)

	s.Study, s.Name, s.Seed, s.Output, s.Input = sd.Study, sd.Name, sd.Seed, sd.Output, sd.Input
	if sd.Params != nil && sd.Params.ShortTag() != tagNull {
		if sd.Params.Kind != yaml.MappingNode {
			e.add(nodePos(sd.Params), "params: expected a mapping, got %s", describe(sd.Params))
		} else {
			s.Params.node = sd.Params
		}
	}
	if e.err() != nil {
		return nil, e.err()
	}
	s.fillDefaults()
	s.parseGrid(e)
	if e.err() != nil {
		return nil, e.err()
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// recordValues stores the positions of the values of mapping n, by dotted
// path, down to depth levels.
func recordValues(n *yaml.Node, path string, vals map[string]pos, depth int) {
	if depth == 0 || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := joinPath(path, n.Content[i].Value)
		vals[p] = nodePos(n.Content[i+1])
		recordValues(n.Content[i+1], p, vals, depth-1)
	}
}

func (s *Spec) written(path string) bool {
	_, ok := s.keys[path]
	return ok
}

func (s *Spec) fillDefaults() {
	if !s.written("name") && s.File != "" {
		base := path.Base(strings.ReplaceAll(s.File, `\`, "/"))
		for _, ext := range []string{".yaml", ".yml"} {
			base = strings.TrimSuffix(base, ext)
		}
		s.Name = base
	}
	if !s.written("input.shard_rows") {
		s.Input.ShardRows = DefaultShardRows
	}
	if !s.written("input.on_bad_rows") {
		s.Input.OnBadRows = "error"
	}
	if !s.written("input.format") {
		s.Input.Format = InferFormat(s.Input.Path)
	}
}

// at returns the position of the value at path, else of its key, else of
// the nearest enclosing key written in the file; zero when none is known.
func (s *Spec) at(path string) pos {
	for {
		if p, ok := s.vals[path]; ok {
			return p
		}
		if p, ok := s.keys[path]; ok {
			return p
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return pos{}
		}
		path = path[:i]
	}
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// addYAMLError reports a syntax error of the YAML parser on one line.
func addYAMLError(e *errs, err error) {
	msg := strings.TrimSpace(err.Error())
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		e.add(pos{line: line}, "invalid YAML: %s", m[2])
		return
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	e.add(pos{}, "invalid YAML: %s", strings.Join(strings.Fields(msg), " "))
}

// Validate checks the values of s, reporting every problem on its own line
// prefixed with the file name (and position when s came from Parse): an
// unknown study, a missing input.path (unless input.dataset is set),
// input.shard_rows ≤ 0, input.on_bad_rows not "error" or "skip", an unknown
// input.format, a delimiter that is not one character, and, for studies with
// registered params (see RegisterParams), unknown params keys and params
// values the study rejects. input.group_by needs input.path (not
// input.dataset), a csv or Parquet table (when input.format is known),
// no input.column, and the landscape study. Parse calls Validate; call it again after
// changing a Spec.
func (s *Spec) Validate() error {
	e := &errs{file: s.File}
	names := Studies()
	study, known := Lookup(s.Study)
	switch {
	case s.Study == "":
		e.add(pos{}, "missing study: one of %s", strings.Join(names, ", "))
	case !known:
		e.add(s.at("study"), "unknown study %q: expected one of %s%s", s.Study, strings.Join(names, ", "), suggest(s.Study, names))
	}
	in := s.Input
	switch {
	case known && !study.ReadsInput:
		if in.Path != "" {
			e.add(s.at("input.path"), "the %s study generates its own data: remove input.path", s.Study)
		}
	case in.Path == "" && in.Dataset == "":
		e.add(s.at("input"), "missing input.path (a file, directory or glob; or set input.dataset)")
	case in.Path != "" && in.Dataset != "":
		e.add(s.at("input.dataset"), "input.path and input.dataset are exclusive; set one")
	}
	if in.Format != "" && !slices.Contains(formatNames, in.Format) {
		e.add(s.at("input.format"), "unknown input.format %q: expected one of %s%s", in.Format, strings.Join(formatNames, ", "), suggest(in.Format, formatNames))
	}
	if in.ShardRows <= 0 {
		e.add(s.at("input.shard_rows"), "input.shard_rows must be > 0, got %d", in.ShardRows)
	}
	if !slices.Contains(onBadRows, in.OnBadRows) {
		e.add(s.at("input.on_bad_rows"), "input.on_bad_rows must be error or skip, got %q%s", in.OnBadRows, suggest(in.OnBadRows, onBadRows))
	}
	for i, c := range in.Columns {
		if c == "" {
			e.add(s.at("input.columns"), "input.columns[%d] is empty", i)
		}
	}
	if in.Column != "" && len(in.Columns) > 0 {
		e.add(s.at("input.column"), "input.column and input.columns are exclusive; set one")
	}
	if in.GroupBy != "" {
		switch {
		case known && !study.GroupBy:
			e.add(s.at("input.group_by"), "input.group_by splits a table into point clouds; only the %s study reads it, not %s", strings.Join(groupByStudies(), " and "), s.Study)
		case in.Dataset != "":
			e.add(s.at("input.group_by"), "input.group_by splits the table at input.path; it does not apply to input.dataset")
		case in.Format != "" && in.Format != "csv" && in.Format != "parquet":
			e.add(s.at("input.group_by"), "input.group_by needs a table with named columns (csv with a header, or parquet), not %s", in.Format)
		case in.Column != "":
			e.add(s.at("input.group_by"), "input.group_by and input.column are exclusive: the coordinates of a grouped table are its numeric scalar columns")
		case strings.TrimSpace(in.GroupBy) != in.GroupBy:
			e.add(s.at("input.group_by"), "input.group_by %q has leading or trailing blanks", in.GroupBy)
		}
	}
	if in.Delimiter != "" {
		r, size := utf8.DecodeRuneInString(in.Delimiter)
		if size != len(in.Delimiter) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
			e.add(s.at("input.delimiter"), "input.delimiter must be one character other than a quote or newline, got %q", in.Delimiter)
		}
	}
	if rest, ok := strings.CutPrefix(s.Output, "gs://"); ok {
		if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
			e.add(s.at("output"), "output %q names no bucket: expected gs://bucket/prefix", s.Output)
		}
	}
	if newParams := paramsOf(s.Study); newParams != nil {
		s.typedParams(newParams, nil, e)
	}
	return e.err()
}

// InferFormat returns the input format implied by the name of path
// (format.Of: a trailing .gz, .zst, .bz2 or .xz dropped, then .csv → csv,
// .npy → npy, .npz → npz, .safetensors → safetensors, .parquet → parquet,
// and .idx, .idxN or -ubyte (MNIST style) → idx) when it is one input.format
// names. It returns "" when the name says nothing, as for a directory, and
// for .tsv and .txt, which the readers tell from csv by the extension.
func InferFormat(path string) string {
	if f := format.Of(path); slices.Contains(formatNames, f) {
		return f
	}
	return ""
}
