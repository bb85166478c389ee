package experiments

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestOverrides(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(file, []byte("study: spectrum\nname: s\ninput:\n  path: a.npy\nparams:\n  k: 20\n"), 0o644)
	s, err := ParseFileWithOverrides(file, []string{"params.k=5", "input.shard_rows=2048", "params.alpha_range=[1, 4]", "params.method=exact"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.SpectrumParams()
	if err != nil || p.K != 5 || s.Input.ShardRows != 2048 || p.AlphaRange != [2]int{1, 4} || p.Method != SpectrumExact {
		t.Errorf("k %d, shard_rows %d, alpha_range %v, method %q, %v", p.K, s.Input.ShardRows, p.AlphaRange, p.Method, err)
	}
	js, _ := s.JSON()
	if !strings.Contains(string(js), `"k":5`) {
		t.Errorf("the runs row's spec JSON lacks the override: %s", js)
	}
	// A typo in an override's key is refused like a typo in the file, with a suggestion.
	_, err = ParseFileWithOverrides(file, []string{"params.kk=5"})
	if err == nil || !strings.Contains(err.Error(), `unknown key "kk" in params`) || !strings.Contains(err.Error(), "with params.kk=5") {
		t.Errorf("typo: %v", err)
	}
	_, err = ParseFileWithOverrides(file, []string{"params.k=five"})
	if err == nil || !strings.Contains(err.Error(), "k") {
		t.Errorf("bad value: %v", err)
	}
	for _, arg := range []string{"params.k=5", "seed=3"} {
		if !IsOverride(arg) {
			t.Errorf("IsOverride(%q) = false", arg)
		}
	}
	for _, arg := range []string{"spec.yaml", "dir/a=b.yaml", "=5"} {
		if IsOverride(arg) {
			t.Errorf("IsOverride(%q) = true", arg)
		}
	}
}

// TestExpandSweeps: a params value with commas is one run per value, several
// sweeps one run per combination (last fastest); lists, quoted strings,
// params.grid and keys outside params never sweep; an empty value is an
// error.
func TestExpandSweeps(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want [][]string
	}{
		{nil, [][]string{nil}},
		{[]string{"params.k=5"}, [][]string{{"params.k=5"}}},
		{[]string{"params.k=5,10,20", "input.shard_rows=300"}, [][]string{
			{"params.k=5", "input.shard_rows=300"}, {"params.k=10", "input.shard_rows=300"}, {"params.k=20", "input.shard_rows=300"}}},
		{[]string{"params.k=5, 10", "params.center=true,false"}, [][]string{
			{"params.k=5", "params.center=true"}, {"params.k=5", "params.center=false"},
			{"params.k=10", "params.center=true"}, {"params.k=10", "params.center=false"}}},
		{[]string{"params.alpha_range=[1,10]"}, [][]string{{"params.alpha_range=[1,10]"}}},
		{[]string{`params.name="a,b"`}, [][]string{{`params.name="a,b"`}}},
		{[]string{"params.grid.k=5,10"}, [][]string{{"params.grid.k=5,10"}}},
		{[]string{"input.dataset=manifold:M1_Sphere,M2_Affine_3to5"}, [][]string{{"input.dataset=manifold:M1_Sphere,M2_Affine_3to5"}}},
	} {
		got, err := ExpandSweeps(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExpandSweeps(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := ExpandSweeps([]string{"params.k=5,,10"}); err == nil || !strings.Contains(err.Error(), "empty value") {
		t.Errorf("empty value: %v", err)
	}
}
