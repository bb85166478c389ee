package experiments

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Canonical returns s as YAML with every default filled in, in a fixed key
// order (study, name, seed, output, input, params), for `lowdim validate`.
// Values not written in the spec carry a "# default" comment; for a study
// with registered params (RegisterParams) every param is listed. Parsing
// the result yields a Spec equal to s.
func (s *Spec) Canonical() ([]byte, error) {
	root, err := s.filled()
	if err != nil {
		return nil, err
	}
	head := "lowdim spec with defaults filled in; \"# default\" marks values not written in the spec."
	if s.File != "" {
		head = "lowdim spec " + s.File + " with defaults filled in;\n\"# default\" marks values not written in the spec."
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: head, Content: []*yaml.Node{root}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// JSON returns s with its defaults filled in (the content of Canonical) as
// one line of JSON for the runs table. Keys keep the order of Canonical.
// Non-finite numbers, which JSON lacks, are written as the strings "NaN",
// "+Inf" and "-Inf".
func (s *Spec) JSON() ([]byte, error) {
	root, err := s.filled()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeJSON(&b, root)
	return b.Bytes(), nil
}

func mappingNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap} }

func strNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: v}
}

func intNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagInt, Value: v}
}

func appendPair(m *yaml.Node, key string, v *yaml.Node, comment string) {
	v.LineComment = comment
	m.Content = append(m.Content, strNode(key), v)
}

// filled builds the YAML tree of s with the defaults filled in.
func (s *Spec) filled() (*yaml.Node, error) {
	def := func(path, why string) string {
		if s.written(path) {
			return ""
		}
		if why != "" {
			return "default: " + why
		}
		return "default"
	}
	root := mappingNode()
	appendPair(root, "study", strNode(s.Study), "")
	appendPair(root, "name", strNode(s.Name), def("name", "the file name"))
	appendPair(root, "seed", intNode(strconv.FormatUint(s.Seed, 10)), def("seed", "no seed in the spec"))
	outComment := ""
	if s.Output == "" {
		outComment = "empty: pass --out"
	}
	appendPair(root, "output", strNode(s.Output), outComment)

	in := mappingNode()
	if s.Input.Path != "" {
		appendPair(in, "path", strNode(s.Input.Path), "")
	}
	if s.Input.Dataset != "" {
		appendPair(in, "dataset", strNode(s.Input.Dataset), "")
	}
	if s.Input.Format != "" {
		appendPair(in, "format", strNode(s.Input.Format), def("input.format", "by extension"))
	}
	appendPair(in, "shard_rows", intNode(strconv.Itoa(s.Input.ShardRows)), def("input.shard_rows", ""))
	appendPair(in, "on_bad_rows", strNode(s.Input.OnBadRows), def("input.on_bad_rows", ""))
	if s.Input.LabelColumn != "" {
		appendPair(in, "label_column", strNode(s.Input.LabelColumn), "")
	}
	if len(s.Input.Columns) > 0 {
		cols := &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq, Style: yaml.FlowStyle}
		for _, c := range s.Input.Columns {
			cols.Content = append(cols.Content, strNode(c))
		}
		appendPair(in, "columns", cols, "")
	}
	if s.Input.Column != "" {
		appendPair(in, "column", strNode(s.Input.Column), "")
	}
	if s.Input.Delimiter != "" {
		appendPair(in, "delimiter", strNode(s.Input.Delimiter), "")
	}
	if s.Input.GroupBy != "" {
		appendPair(in, "group_by", strNode(s.Input.GroupBy), "")
	}
	appendPair(root, "input", in, "")

	var params *yaml.Node
	if newParams := paramsOf(s.Study); newParams != nil {
		e := &errs{file: s.File}
		dst := newParams()
		s.decodeParams(dst, nil, e)
		if err := e.err(); err != nil {
			return nil, err
		}
		params = mappingNode()
		rv := reflect.ValueOf(dst).Elem()
		for _, f := range structFields(rv.Type()) {
			if s.isAxis(f.key) {
				continue
			}
			n := &yaml.Node{}
			if err := n.Encode(rv.Field(f.index).Interface()); err != nil {
				return nil, err
			}
			setFlow(n)
			comment := ""
			if k, _ := s.Params.lookup(f.key); k == nil {
				comment = "default"
				if f.comment != "" {
					comment += "; " + f.comment
				}
			}
			appendPair(params, f.key, n, comment)
		}
	} else if base := s.Params.base(); base != nil && len(base.Content) > 0 {
		params = mappingNode()
		for i := 0; i+1 < len(base.Content); i += 2 {
			params.Content = append(params.Content, cleanNode(base.Content[i], false), cleanNode(base.Content[i+1], false))
		}
	}
	if len(s.axes) > 0 {
		if params == nil {
			params = mappingNode()
		}
		grid := mappingNode()
		for _, a := range s.axes {
			vals := &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq, Style: yaml.FlowStyle}
			for _, vn := range a.nodes {
				vals.Content = append(vals.Content, cleanNode(vn, true))
			}
			grid.Content = append(grid.Content, cleanNode(a.key, false), vals)
		}
		appendPair(params, "grid", grid, "")
	}
	if params != nil {
		appendPair(root, "params", params, "")
	}
	return root, nil
}

func (s *Spec) isAxis(name string) bool {
	for _, a := range s.axes {
		if a.Name == name {
			return true
		}
	}
	return false
}

// cleanNode deep-copies n without positions, comments and styles, with its
// tag made explicit so that quoting is decided again by the encoder. Lists,
// and everything inside them, are written in flow style; so are mappings
// when flow is set.
func cleanNode(n *yaml.Node, flow bool) *yaml.Node {
	c := &yaml.Node{Kind: n.Kind, Tag: n.ShortTag(), Value: n.Value}
	if n.Kind == yaml.SequenceNode {
		flow = true
	}
	if flow && (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) {
		c.Style = yaml.FlowStyle
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = cleanNode(ch, flow)
		}
	}
	return c
}

func setFlow(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		setFlow(c)
	}
}

// writeJSON writes the checked YAML tree n as JSON, keeping mapping order.
func writeJSON(b *bytes.Buffer, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, n.Content[i].Value)
			b.WriteByte(':')
			writeJSON(b, n.Content[i+1])
		}
		b.WriteByte('}')
		return
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, c)
		}
		b.WriteByte(']')
		return
	}
	switch v := plainValue(n).(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case uint64:
		b.WriteString(strconv.FormatUint(v, 10))
	case float64:
		switch {
		case math.IsNaN(v):
			b.WriteString(`"NaN"`)
		case math.IsInf(v, 1):
			b.WriteString(`"+Inf"`)
		case math.IsInf(v, -1):
			b.WriteString(`"-Inf"`)
		default:
			out, _ := json.Marshal(v)
			b.Write(out)
		}
	case string:
		writeJSONString(b, v)
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode appends a newline.
}
