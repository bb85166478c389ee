package experiments

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is a params value a study rejects; Key is its key under params
// and Msg completes the sentence "params.<Key> …", as in "must be > 0, got 0".
type FieldError struct {
	Key string
	Msg string
}

func (e *FieldError) Error() string { return "params." + e.Key + " " + e.Msg }

// FieldErrors lists the rejected params values of one study. A params
// Validate method that returns FieldErrors lets the spec parser point at the
// line of each offending value.
type FieldErrors []*FieldError

func (l FieldErrors) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns l as an error, or nil when l is empty.
func (l FieldErrors) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// validateCellLimit is the largest grid whose cells Validate checks one by
// one; larger grids have each axis value checked against the base params.
const validateCellLimit = 10_000

// DecodeParams decodes params (without params.grid) into dst, a non-nil
// pointer, typically to a struct holding the defaults: values written in
// the spec overwrite them, the others are left alone. Struct fields are
// addressed by their yaml tag. Unknown keys, in params and as grid axes, and
// values of the wrong kind (1.5 for an int, a list for a string) are errors
// with file:line:col; every grid value is type-checked against its field.
func (s *Spec) DecodeParams(dst any) error {
	e := &errs{file: s.File}
	s.decodeParams(dst, nil, e)
	return e.err()
}

// DecodeCellParams is DecodeParams followed by the values of grid cell c,
// which must come from s.
func (s *Spec) DecodeCellParams(dst any, c Cell) error {
	e := &errs{file: s.File}
	s.decodeParams(dst, &c, e)
	return e.err()
}

func pair(k, v *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap, Line: k.Line, Column: k.Column, Content: []*yaml.Node{k, v}}
}

func (s *Spec) decodeParams(dst any, c *Cell, e *errs) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		e.add(pos{}, "decoding params: dst must be a non-nil pointer, got %T", dst)
		return
	}
	if c != nil && !s.owns(*c) {
		e.add(pos{}, "decoding params: cell %d is not a cell of this spec's grid", c.Index)
		return
	}
	d := &decoder{e: e}
	if b := s.Params.base(); b != nil {
		d.decode(b, rv.Elem(), "params")
	}
	for i, a := range s.axes {
		if c != nil {
			d.decode(pair(a.key, a.nodes[c.Coords[i]]), rv.Elem(), "params.grid")
			continue
		}
		for _, vn := range a.nodes {
			d.decode(pair(a.key, vn), reflect.New(rv.Elem().Type()).Elem(), "params.grid")
		}
	}
}

func (s *Spec) owns(c Cell) bool {
	if len(c.Coords) != len(s.axes) {
		return false
	}
	for i, a := range s.axes {
		if c.Coords[i] < 0 || c.Coords[i] >= len(a.nodes) {
			return false
		}
	}
	return true
}

// problems counts the problems recorded in e so far.
func (e *errs) problems() int { return len(e.list) + e.dropped }

// typedParams decodes the params of s into a new value from newParams and
// validates them: for cell c, or, when c is nil, the base params and every
// grid cell (each axis value alone when the grid exceeds validateCellLimit).
// It returns the decoded base (c nil) or cell params.
func (s *Spec) typedParams(newParams func() any, c *Cell, e *errs) any {
	dst := newParams()
	before := e.problems()
	s.decodeParams(dst, c, e)
	if e.problems() > before {
		return dst
	}
	var probs cellProblems
	switch {
	case c != nil:
		probs.add(s.fieldProblems(dst, c, ""))
	case len(s.axes) == 0:
		probs.add(s.fieldProblems(dst, nil, ""))
	case s.NumCells() <= validateCellLimit:
		for i := range s.NumCells() {
			cell := s.Cell(i)
			p := newParams()
			s.decodeParams(p, &cell, e)
			probs.add(s.fieldProblems(p, &cell, ""))
		}
	default:
		// Each axis value on top of the base params; only problems of that
		// axis's own key are reported, since the other keys are not at the
		// values of any real cell.
		base := s.Params.base()
		for ai, a := range s.axes {
			for j, vn := range a.nodes {
				p := newParams()
				d := &decoder{e: e}
				if base != nil {
					d.decode(base, reflect.ValueOf(p).Elem(), "params")
				}
				d.decode(pair(a.key, vn), reflect.ValueOf(p).Elem(), "params.grid")
				coords := make([]int, len(s.axes))
				coords[ai] = j
				probs.add(s.fieldProblems(p, &Cell{Coords: coords}, a.Name))
			}
		}
	}
	for _, pr := range probs.list {
		msg := pr.msg
		if pr.cell != "" {
			msg += " (in grid cell " + pr.cell
			switch {
			case pr.more == 1:
				msg += ", and 1 more cell"
			case pr.more > 1:
				msg += fmt.Sprintf(", and %d more cells", pr.more)
			}
			msg += ")"
		}
		e.add(pr.p, "%s", msg)
	}
	return dst
}

// fieldProblem is a problem found by a params Validate method, placed in
// the spec. cell labels the grid cell it depends on, when it is not at a grid
// value; more counts further cells with the same problem.
type fieldProblem struct {
	p    pos
	msg  string
	cell string
	more int
}

// cellProblems gathers the problems of many cells, keeping the first cell of
// each distinct problem and counting the others.
type cellProblems struct {
	list  []*fieldProblem
	index map[string]*fieldProblem
}

func (cp *cellProblems) add(probs []fieldProblem) {
	for _, pr := range probs {
		key := fmt.Sprintf("%d:%d:%s", pr.p.line, pr.p.col, pr.msg)
		if first, ok := cp.index[key]; ok {
			if pr.cell != "" {
				first.more++
			}
			continue
		}
		if cp.index == nil {
			cp.index = make(map[string]*fieldProblem)
		}
		pr := pr
		cp.index[key] = &pr
		cp.list = append(cp.list, &pr)
	}
}

// fieldProblems runs the Validate method of params p, if any, and places its
// problems at the offending value: the grid value of cell c when the key is
// a grid axis, else the value under params (or params itself, for a
// default). When only is not empty, problems of other keys are dropped.
func (s *Spec) fieldProblems(p any, c *Cell, only string) []fieldProblem {
	v, ok := p.(interface{ Validate() error })
	if !ok {
		return nil
	}
	err := v.Validate()
	if err == nil {
		return nil
	}
	var fes FieldErrors
	if !errors.As(err, &fes) {
		var probs []fieldProblem
		for _, line := range strings.Split(err.Error(), "\n") {
			probs = append(probs, fieldProblem{p: s.at("params"), msg: "params: " + line})
		}
		return probs
	}
	var probs []fieldProblem
	for _, fe := range fes {
		if only != "" && fe.Key != only {
			continue
		}
		if c != nil {
			if i := slices.IndexFunc(s.axes, func(a axis) bool { return a.Name == fe.Key }); i >= 0 {
				probs = append(probs, fieldProblem{p: nodePos(s.axes[i].nodes[c.Coords[i]]), msg: "params.grid." + fe.Key + " " + fe.Msg})
				continue
			}
		}
		pr := fieldProblem{p: s.at("params." + fe.Key), msg: "params." + fe.Key + " " + fe.Msg}
		if c != nil && len(s.axes) > 0 {
			pr.cell = c.Label(s)
		}
		probs = append(probs, pr)
	}
	return probs
}
