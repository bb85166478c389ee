package experiments

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxCells bounds the number of cells params.grid may expand to. Each cell
// (× trial or × seed) becomes one Beam element, and Cells materialises them
// all, so the bound keeps a typo such as a 10⁶-value list from exhausting
// memory. The product is computed with overflow checks before anything is
// allocated.
const MaxCells = 1_000_000

// Axis is one entry of params.grid: a parameter name and the values it takes.
//
// Values hold plain Go values: int, float64, bool, string, []any or
// map[string]any. An axis never mixes kinds, except that an axis of ints and
// floats holds float64 throughout.
type Axis struct {
	Name   string
	Values []any
}

type axis struct {
	key   *yaml.Node   // the key in params.grid
	nodes []*yaml.Node // the values, for typed decoding
	Axis
}

// Cell is one point of the grid. Coords[i] indexes Grid()[i].Values, and
// Values maps each axis name to its value at this cell.
type Cell struct {
	Index  int // 0-based position in Cells()
	Coords []int
	Values map[string]any
}

// Grid returns the axes of params.grid in the order they are written in the
// file; nil when the spec has no grid.
func (s *Spec) Grid() []Axis {
	if len(s.axes) == 0 {
		return nil
	}
	g := make([]Axis, len(s.axes))
	for i, a := range s.axes {
		g[i] = Axis{Name: a.Name, Values: append([]any(nil), a.Values...)}
	}
	return g
}

// NumCells returns the number of grid cells, the product of the axis lengths
// (at most MaxCells); 1 when the spec has no grid.
func (s *Spec) NumCells() int {
	if len(s.axes) == 0 {
		return 1
	}
	return s.cells
}

// Cell returns cell i of the grid in row-major order: the last axis varies
// fastest. Without a grid, Cell(0) is the only cell and has no values.
// Cell panics if i is not in [0, NumCells()).
func (s *Spec) Cell(i int) Cell {
	n := s.NumCells()
	if i < 0 || i >= n {
		panic(fmt.Sprintf("experiments: cell %d out of range [0, %d)", i, n))
	}
	c := Cell{Index: i, Coords: make([]int, len(s.axes)), Values: make(map[string]any, len(s.axes))}
	r := i
	for a := len(s.axes) - 1; a >= 0; a-- {
		ax := s.axes[a]
		c.Coords[a] = r % len(ax.Values)
		r /= len(ax.Values)
		c.Values[ax.Name] = ax.Values[c.Coords[a]]
	}
	return c
}

// Cells returns all NumCells() cells in the order of Cell. It allocates them
// all at once; use NumCells and Cell to walk a large grid.
func (s *Spec) Cells() []Cell {
	cells := make([]Cell, s.NumCells())
	for i := range cells {
		cells[i] = s.Cell(i)
	}
	return cells
}

// Label returns "name=value, …" for the axes of c in grid order, for
// messages and logs.
func (c Cell) Label(s *Spec) string {
	parts := make([]string, len(s.axes))
	for i, a := range s.axes {
		parts[i] = fmt.Sprintf("%s=%v", a.Name, c.Values[a.Name])
	}
	return strings.Join(parts, ", ")
}

// kind classes of grid values; an axis holds one class (int and float mix).
func valueKind(v any) string {
	switch v.(type) {
	case int, uint64:
		return "integer"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	}
	return "null"
}

// parseGrid reads params.grid into s.axes: a non-empty mapping whose values
// are non-empty lists of non-null values of one kind, without duplicates,
// naming no parameter also set outside the grid, expanding to at most
// MaxCells cells.
func (s *Spec) parseGrid(e *errs) {
	gk, g := s.Params.lookup("grid")
	if g == nil {
		return
	}
	if st, ok := Lookup(s.Study); ok && st.Params != nil && !st.Grid {
		e.add(nodePos(gk), "params.grid: the %s study has no grid (it runs one setting per run); sweep a value with an override instead, e.g. `lowdim run %s params.NAME=a,b,c` (one run each)", s.Study, s.File)
		return
	}
	if g.Kind != yaml.MappingNode {
		e.add(nodePos(g), "params.grid must be a mapping from parameter name to a list of values, got %s", describe(g))
		return
	}
	if len(g.Content) == 0 {
		e.add(nodePos(gk), "params.grid is empty: list values for at least one parameter, or remove it")
		return
	}
	cells, overflow := 1, false
	for i := 0; i+1 < len(g.Content); i += 2 {
		k, v := g.Content[i], g.Content[i+1]
		name := k.Value
		if bk, _ := s.Params.lookup(name); bk != nil && name != "grid" {
			e.add(nodePos(k), "params.grid.%s is also set as params.%s at line %d: keep one", name, name, bk.Line)
		}
		if v.Kind != yaml.SequenceNode {
			e.add(nodePos(v), "params.grid.%s must be a list of values, got %s", name, describe(v))
			continue
		}
		if len(v.Content) == 0 {
			e.add(nodePos(v), "params.grid.%s is an empty list", name)
			continue
		}
		a := axis{key: k, nodes: v.Content, Axis: Axis{Name: name, Values: make([]any, len(v.Content))}}
		kind, ok := "", true
		for j, vn := range v.Content {
			val := plainValue(vn)
			a.Values[j] = val
			switch vk := valueKind(val); {
			case vk == "null":
				e.add(nodePos(vn), "params.grid.%s: a value is null", name)
				ok = false
			case kind == "" || kind == vk:
				kind = vk
			case (kind == "integer" || kind == "number") && (vk == "integer" || vk == "number"):
				kind = "number"
			default:
				e.add(nodePos(vn), "params.grid.%s mixes %s and %s values; a grid column has one type", name, kind, vk)
				ok = false
			}
		}
		if !ok {
			continue
		}
		if kind == "number" {
			for j, val := range a.Values {
				switch x := val.(type) {
				case int:
					a.Values[j] = float64(x)
				case uint64:
					a.Values[j] = float64(x)
				}
			}
		}
		first := make(map[string]int, len(a.Values))
		for j, val := range a.Values {
			key := fmt.Sprintf("%#v", val)
			if f, dup := first[key]; dup {
				e.add(nodePos(v.Content[j]), "params.grid.%s: duplicate value %v (also at line %d)", name, val, v.Content[f].Line)
			} else {
				first[key] = j
			}
		}
		s.axes = append(s.axes, a)
		// Overflow-checked product: cells·n > MaxCells ⇔ cells > ⌊MaxCells/n⌋.
		if n := len(a.Values); overflow || cells > MaxCells/n {
			overflow = true
		} else {
			cells *= n
		}
	}
	if overflow {
		sizes := make([]string, 0, 8)
		for i, a := range s.axes {
			if i == 8 {
				sizes = append(sizes, "…")
				break
			}
			sizes = append(sizes, a.Name+": "+strconv.Itoa(len(a.Values)))
		}
		e.add(nodePos(gk), "params.grid expands to more than %d cells (%s); split the study or shorten the lists", MaxCells, strings.Join(sizes, " × "))
	}
	s.cells = cells
	if e.err() != nil {
		s.axes, s.cells = nil, 1
	}
}
