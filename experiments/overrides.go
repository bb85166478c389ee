package experiments

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// overrideKey is a dotted key: params.k, input.shard_rows, params.grid.d.
var overrideKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$`)

// IsOverride reports whether a command-line argument is a KEY=VALUE override
// rather than a file name.
func IsOverride(arg string) bool {
	key, _, ok := strings.Cut(arg, "=")
	return ok && overrideKey.MatchString(key)
}

// ParseFileWithOverrides is ParseFile with command-line overrides applied:
// each "dotted.key=value" sets that key (creating the mappings it needs) to
// value read as YAML (params.k=5, params.alpha_range=[1,10],
// input.dataset=digits), before the spec is validated exactly as a file is.
// Errors name the file and the overrides; a typo in an override's key is an
// unknown key, with a suggestion, like a typo in the file.
func ParseFileWithOverrides(path string, overrides []string) (*Spec, error) {
	if len(overrides) == 0 {
		return ParseFile(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, err = ApplyOverrides(data, overrides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(data, fmt.Sprintf("%s (with %s)", path, strings.Join(overrides, " ")))
}

// ApplyOverrides returns the spec text data with the KEY=VALUE overrides set.
func ApplyOverrides(data []byte, overrides []string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: tagMap}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the spec is not a mapping")
	}
	for _, o := range overrides {
		key, text, ok := strings.Cut(o, "=")
		if !ok || !overrideKey.MatchString(key) {
			return nil, fmt.Errorf("override %q: want dotted.key=value, e.g. params.k=5", o)
		}
		var value yaml.Node
		if err := yaml.Unmarshal([]byte(text), &value); err != nil {
			return nil, fmt.Errorf("override %s: value %q is not YAML: %v", key, text, err)
		}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		if value.Kind == yaml.DocumentNode && len(value.Content) == 1 {
			v = value.Content[0]
		}
		if err := setPath(root, strings.Split(key, "."), v); err != nil {
			return nil, fmt.Errorf("override %s: %w", key, err)
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// setPath sets m[path[0]][path[1]]… = v, creating mappings on the way.
func setPath(m *yaml.Node, path []string, v *yaml.Node) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			m.Content[i+1] = v
			return nil
		}
		next := m.Content[i+1]
		if next.Kind != yaml.MappingNode {
			return fmt.Errorf("%s is not a mapping", path[0])
		}
		return setPath(next, path[1:], v)
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: path[0]}
	if len(path) == 1 {
		m.Content = append(m.Content, k, v)
		return nil
	}
	next := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
	m.Content = append(m.Content, k, next)
	return setPath(next, path[1:], v)
}

// MaxSweepRuns bounds the runs a sweep of overrides may expand to.
const MaxSweepRuns = 1000

// ExpandSweeps expands the sweep form of overrides: a params key (not under
// params.grid) whose value is a plain, unquoted YAML scalar with commas,
// params.k=5,10,20, takes each of the comma-separated values in turn, one
// run per value. Several sweeps give one run per combination, the last
// sweep varying fastest. It returns the overrides of each run, every sweep
// replaced by one of its values (params.k=5); without a sweep, the
// overrides as given (one run). A literal comma is quoted:
// params.x='"a,b"'. Keys outside params (input.dataset=manifold:a,b) never
// sweep.
func ExpandSweeps(overrides []string) ([][]string, error) {
	runs := [][]string{nil}
	for _, o := range overrides {
		values, err := sweepValues(o)
		if err != nil {
			return nil, err
		}
		if len(runs)*len(values) > MaxSweepRuns {
			return nil, fmt.Errorf("the sweeps expand to more than %d runs", MaxSweepRuns)
		}
		next := make([][]string, 0, len(runs)*len(values))
		for _, r := range runs {
			for _, v := range values {
				next = append(next, append(slices.Clone(r), v))
			}
		}
		runs = next
	}
	return runs, nil
}

// sweepValues returns the single-value overrides o stands for: o itself
// unless it is a sweep.
func sweepValues(o string) ([]string, error) {
	key, text, ok := strings.Cut(o, "=")
	if !ok || !strings.HasPrefix(key, "params.") || strings.HasPrefix(key, "params.grid.") || !strings.Contains(text, ",") {
		return []string{o}, nil
	}
	var value yaml.Node
	if err := yaml.Unmarshal([]byte(text), &value); err != nil || len(value.Content) != 1 {
		return []string{o}, nil // ApplyOverrides reports it
	}
	if n := value.Content[0]; n.Kind != yaml.ScalarNode || n.Style != 0 || n.Tag != "!!str" {
		return []string{o}, nil // a list, a mapping or a quoted string
	}
	var out []string
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("override %s: empty value in the sweep %q", key, text)
		}
		out = append(out, key+"="+part)
	}
	return out, nil
}
