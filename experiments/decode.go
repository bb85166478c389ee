package experiments

import (
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML short tags of the node kinds a spec may contain.
const (
	tagStr       = "!!str"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagBool      = "!!bool"
	tagNull      = "!!null"
	tagSeq       = "!!seq"
	tagMap       = "!!map"
	tagTimestamp = "!!timestamp"
	tagMerge     = "!!merge"
)

var nodeType = reflect.TypeFor[*yaml.Node]()

func nodePos(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// describe names the kind of n for error messages: `a list`, `the string "x"`.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case tagNull:
		return "nothing (null)"
	case tagStr, tagTimestamp:
		return "the string " + strconv.Quote(n.Value)
	default:
		return n.Value
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkTree reports what a spec may not contain, anywhere: anchors and
// aliases, merge keys, tags other than the core YAML ones, keys that are not
// scalars, duplicate keys and scalars that do not decode as their tag says.
// The decoders below rely on a tree that passed checkTree.
func checkTree(n *yaml.Node, e *errs) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		e.add(nodePos(n), "anchors and aliases (&, *) are not supported in spec files")
		return
	}
	switch tag := n.ShortTag(); tag {
	case tagStr, tagInt, tagFloat, tagBool, tagNull, tagSeq, tagMap, tagTimestamp:
	case tagMerge:
		e.add(nodePos(n), "merge keys (<<) are not supported in spec files")
		return
	default:
		e.add(nodePos(n), "unsupported YAML tag %s", tag)
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			e.add(nodePos(n), "invalid %s value %q", n.ShortTag(), n.Value)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			checkTree(c, e)
		}
	case yaml.MappingNode:
		first := make(map[string]pos, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Anchor != "" || k.ShortTag() == tagMerge {
				if k.ShortTag() == tagMerge {
					e.add(nodePos(k), "merge keys (<<) are not supported in spec files")
				} else {
					e.add(nodePos(k), "keys must be plain words, got %s", describe(k))
				}
				continue
			}
			if p, dup := first[k.Value]; dup {
				e.add(nodePos(k), "duplicate key %q (first at line %d)", k.Value, p.line)
			} else {
				first[k.Value] = nodePos(k)
			}
			checkTree(v, e)
		}
	}
}

// decoder decodes a checked YAML tree into Go values strictly: unknown
// mapping keys, wrong kinds, fractional integers and out-of-range numbers are
// errors positioned at the offending node. It never stops at the first error.
type decoder struct {
	e *errs
	// keys records the position of every mapping key decoded into a struct
	// field, by dotted path ("input.shard_rows"), so callers can tell a value
	// written in the file from a default.
	keys map[string]pos
}

// field is a struct field addressed by its YAML key.
type field struct {
	key     string
	index   int
	comment string // `comment:"..."` tag, printed next to defaults
}

// structFields lists the YAML keys of t in declaration order: the name in
// the yaml tag, else the lower-cased field name; "-" and unexported fields
// are skipped.
func structFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs = append(fs, field{key: name, index: i, comment: f.Tag.Get("comment")})
	}
	return fs
}

func fieldKeys(fs []field) []string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	return keys
}

// decode stores n into v, which must be settable. path names n in messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(n))
		return
	}
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull
	bad := func(want string) {
		d.e.add(nodePos(n), "%s: expected %s, got %s", path, want, describe(n))
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			v.SetZero()
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.e.add(nodePos(n), "%s: cannot decode into Go type %s", path, v.Type())
			return
		}
		if val := plainValue(n); val == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(val))
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad("a mapping")
			return
		}
		fs := structFields(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			j := -1
			for fi, f := range fs {
				if f.key == k.Value {
					j = fi
					break
				}
			}
			if j < 0 {
				d.unknownKey(k, path, fieldKeys(fs))
				continue
			}
			kp := joinPath(path, k.Value)
			if d.keys != nil {
				d.keys[kp] = nodePos(k)
			}
			d.decode(val, v.Field(fs[j].index), kp)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			d.e.add(nodePos(n), "%s: cannot decode into Go type %s", path, v.Type())
			return
		}
		if isNull {
			v.SetZero()
			return
		}
		if n.Kind != yaml.MappingNode {
			bad("a mapping")
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, elem, joinPath(path, k.Value))
			v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
		}
	case reflect.Slice:
		if isNull {
			v.SetZero()
			return
		}
		if n.Kind != yaml.SequenceNode {
			bad("a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.Array:
		if n.Kind != yaml.SequenceNode || len(n.Content) != v.Len() {
			bad("a list of " + strconv.Itoa(v.Len()) + " values")
			return
		}
		for i, c := range n.Content {
			d.decode(c, v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			bad("a string")
			return
		}
		if isNull {
			v.SetString("")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagBool || n.Decode(&b) != nil {
			bad("true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt {
			bad("an integer")
			return
		}
		if n.Decode(&i) != nil || v.OverflowInt(i) {
			d.e.add(nodePos(n), "%s: integer %s out of range", path, n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt {
			bad("a non-negative integer")
			return
		}
		if n.Decode(&u) != nil {
			var i int64
			if n.Decode(&i) == nil && i < 0 {
				d.e.add(nodePos(n), "%s: must not be negative, got %s", path, n.Value)
			} else {
				d.e.add(nodePos(n), "%s: integer %s out of range", path, n.Value)
			}
			return
		}
		if v.OverflowUint(u) {
			d.e.add(nodePos(n), "%s: integer %s out of range", path, n.Value)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != tagFloat && n.ShortTag() != tagInt) || n.Decode(&f) != nil {
			bad("a number")
			return
		}
		if v.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			d.e.add(nodePos(n), "%s: number %s out of range", path, n.Value)
			return
		}
		v.SetFloat(f)
	default:
		d.e.add(nodePos(n), "%s: cannot decode into Go type %s", path, v.Type())
	}
}

func (d *decoder) unknownKey(k *yaml.Node, path string, known []string) {
	where := ""
	if path != "" {
		where = " in " + path
	}
	d.e.add(nodePos(k), "unknown key %q%s%s", k.Value, where, suggest(k.Value, known))
}

// plainValue converts a checked node to plain Go values: nil, bool, int (or
// uint64 above MaxInt64), float64, string (also for timestamps), []any and
// map[string]any.
func plainValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = plainValue(c)
		}
		return s
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plainValue(n.Content[i+1])
		}
		return m
	}
	switch n.ShortTag() {
	case tagNull:
		return nil
	case tagBool:
		var b bool
		_ = n.Decode(&b)
		return b
	case tagInt:
		var i int
		if n.Decode(&i) == nil {
			return i
		}
		var u uint64
		_ = n.Decode(&u)
		return u
	case tagFloat:
		var f float64
		_ = n.Decode(&f)
		return f
	default:
		return n.Value
	}
}
