// Package studies binds each study's layers under its name: the spec layer
// (params and defaults, declared in package experiments), the plan that
// builds its pipeline (package pipelines), and its console summary and
// report (package report). The CLI's run, validate and report commands look
// studies up here; no other code switches on a study's name.
//
// Adding a study is one file per layer (experiments/<study>.go,
// pipelines/<study>.go, transforms/<study>.go, report/<study>.go) and one
// Register call in a file of this package.
package studies

import (
	"context"
	"fmt"
	"sort"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/report"
)

// PlanFunc resolves a spec against its input for a run writing to out,
// checking everything that can be checked before the pipeline runs.
type PlanFunc func(ctx context.Context, spec *experiments.Spec, out, runID string) (pipelines.Plan, error)

// Study is one study's behaviour above the spec layer.
type Study struct {
	Name    string
	Plan    PlanFunc
	Summary report.Summary // nil: no console summary
	Report  report.Section // nil: the report holds the run's details only
}

var registry = map[string]Study{}

// Register binds a study's plan, summary and report to its name, which
// package experiments must already declare. It is meant for init functions
// and panics on an undeclared or duplicate name or a nil Plan.
func Register(st Study) {
	if _, ok := experiments.Lookup(st.Name); !ok {
		panic(fmt.Sprintf("studies: %q is not declared in package experiments", st.Name))
	}
	if _, dup := registry[st.Name]; dup {
		panic(fmt.Sprintf("studies: %q registered twice", st.Name))
	}
	if st.Plan == nil {
		panic(fmt.Sprintf("studies: %q has no plan", st.Name))
	}
	registry[st.Name] = st
}

// Lookup returns the study registered under name.
func Lookup(name string) (Study, error) {
	st, ok := registry[name]
	if !ok {
		return Study{}, fmt.Errorf("study %q is not implemented (available: %v)", name, Names())
	}
	return st, nil
}

// Names lists the registered studies, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// plan adapts a pipelines Plan* constructor to a PlanFunc.
func plan[P pipelines.Plan](f func(context.Context, *experiments.Spec, string, string) (P, error)) PlanFunc {
	return func(ctx context.Context, spec *experiments.Spec, out, runID string) (pipelines.Plan, error) {
		p, err := f(ctx, spec, out, runID)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}
