package experiments

import (
	"slices"
	"strings"
	"testing"
)

// TestHessianParams: defaults, accepted values, and each rejected value
// with the position of its key.
func TestHessianParams(t *testing.T) {
	head := "study: hessian\ninput: {dataset: digits}\nparams:\n  checkpoints: ck\n"
	spec, err := Parse([]byte(head), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.HessianParams()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Methods, []string{"lanczos", "slq", "hutchinson"}) || p.ExactMaxParams != 5000 || p.TopK != 20 ||
		p.Probes != 10 || p.SLQSteps != 80 || p.DensityGrid != 200 || p.Broadening != 0 || p.Blocks != "whole" || p.Samples != 0 || p.Checkpoints != "ck" {
		t.Errorf("defaults %+v", p)
	}
	if !p.ExactFor(5000) || p.ExactFor(5001) || p.Uses(HessianExact) {
		t.Errorf("exact is automatic up to exact_max_params only")
	}
	p.Methods = append(p.Methods, HessianExact)
	p.ExactMaxParams = 0
	if !p.ExactFor(4000) {
		t.Errorf("a listed exact runs whatever exact_max_params")
	}
	for _, c := range []struct{ params, err string }{
		{"  samples: 500\n  methods: [exact]\n  exact_max_params: 0\n  top_k: 1\n  probes: 1\n  slq_steps: 1\n  density_grid: 2\n  broadening: 0.5\n  blocks: per_layer\n", ""},
		{"  samples: -1\n", "t.yaml:5:12: params.samples must be ≥ 0 (0 = every row), got -1"},
		{"  methods: []\n", "t.yaml:5:12: params.methods must list at least one of exact, lanczos, slq, hutchinson"},
		{"  methods: [lanczso]\n", `t.yaml:5:12: params.methods [0] must be one of exact, lanczos, slq, hutchinson, got "lanczso" (did you mean lanczos?)`},
		{"  methods: [slq, slq]\n", "params.methods [1] lists slq twice"},
		{"  exact_max_params: 5001\n", "t.yaml:5:21: params.exact_max_params must be in [0, 5000]"},
		{"  top_k: 0\n", "t.yaml:5:10: params.top_k must be ≥ 1, got 0"},
		{"  probes: 0\n", "params.probes must be ≥ 1, got 0"},
		{"  slq_steps: 0\n", "params.slq_steps must be ≥ 1, got 0"},
		{"  density_grid: 1\n", "params.density_grid must be ≥ 2 points, got 1"},
		{"  broadening: -1\n", "params.broadening must be a finite number ≥ 0 (0 = automatic), got -1"},
		{"  broadening: .inf\n", "params.broadening must be a finite number ≥ 0"},
		{"  blocks: layers\n", `params.blocks must be one of whole, per_layer, got "layers"`},
		{"  top_k: 2.5\n", "t.yaml:5:10: params.top_k: expected an integer, got 2.5"},
		{"  grid:\n    top_k: [5, 10]\n", "t.yaml:5:3: params.grid: the hessian study has no grid"},
	} {
		spec, err := Parse([]byte(head+c.params), "t.yaml")
		if err == nil {
			_, err = spec.HessianParams()
		}
		if c.err == "" {
			if err != nil {
				t.Errorf("%q: %v", c.params, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: error %v\nwant %s", c.params, err, c.err)
		}
	}
	if _, err := Parse([]byte("study: hessian\ninput: {dataset: digits}\n"), "t.yaml"); err == nil || !strings.Contains(err.Error(), "params.checkpoints is required") {
		t.Errorf("no checkpoints: %v", err)
	}
}

// TestSpecErrorAt: a plan's problem is positioned at the key's value, or at
// the value of the nearest enclosing key written.
func TestSpecErrorAt(t *testing.T) {
	spec, err := Parse([]byte("study: hessian\ninput:\n  dataset: digits\nparams:\n  checkpoints: ck\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"params.checkpoints": "t.yaml:5:16: bad 1",
		"input.label_column": "t.yaml:3:3: bad 1",
		"params.samples":     "t.yaml:5:3: bad 1",
	} {
		if err := spec.ErrorAt(key, "bad %d", 1); err == nil || err.Error() != want {
			t.Errorf("ErrorAt(%s) = %v, want %s", key, err, want)
		}
	}
}
