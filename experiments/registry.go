package experiments

import (
	"fmt"
	"slices"
	"sort"
)

// Study is what the spec layer knows of a study: its name, its params with
// their defaults, and which input keys it reads. Each study declares itself
// once, in the init function of its file in this package; the layers above
// (plans in package pipelines, summaries and reports in package report) are
// bound to the same name in internal/studies.
type Study struct {
	Name string
	// Params returns a pointer to a new struct holding the default params.
	// Validate then rejects unknown params keys and grid axes, checks each
	// grid cell with the struct's Validate method when it has one (return
	// FieldErrors to get positioned messages), and Canonical and JSON print
	// every param with its default filled in. Nil leaves params free-form
	// (only tests declare such studies).
	Params func() any
	// ReadsInput is set for studies that read input.path or input.dataset;
	// a study that generates its data (phase_transition) needs no input block
	// and refuses one.
	ReadsInput bool
	// GroupBy is set for studies that read input.group_by (point clouds
	// split from one table).
	GroupBy bool
	// Grid is set for studies whose pipeline runs every cell of params.grid
	// (phase_transition, intrinsic_dim). The others refuse a grid, which
	// they would otherwise ignore, and point to the sweep form of overrides.
	Grid bool
}

var registry = map[string]Study{}

// Register declares a study. It is meant for init functions and panics on
// an empty or duplicate name.
func Register(st Study) {
	if st.Name == "" {
		panic("experiments: Register of a study without a name")
	}
	if _, dup := registry[st.Name]; dup {
		panic(fmt.Sprintf("experiments: study %q registered twice", st.Name))
	}
	registry[st.Name] = st
}

// Lookup returns the declared study name.
func Lookup(name string) (Study, bool) {
	st, ok := registry[name]
	return st, ok
}

// Studies returns the names of the declared studies, sorted.
func Studies() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// groupByStudies names the studies that read input.group_by.
func groupByStudies() []string {
	var names []string
	for _, n := range Studies() {
		if registry[n].GroupBy {
			names = append(names, n)
		}
	}
	return slices.Clip(names)
}

// paramsOf returns the params constructor of a study, or nil.
func paramsOf(study string) func() any { return registry[study].Params }
