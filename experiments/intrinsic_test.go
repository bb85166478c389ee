package experiments

import (
	"strings"
	"testing"
)

// TestIntrinsicCheckpointEvery: checkpoint_every defaults to 0, accepts a
// positive step count, and rejects negative values and data methods with a
// positioned error.
func TestIntrinsicCheckpointEvery(t *testing.T) {
	head := "study: intrinsic_dim\ninput: {dataset: digits}\n"
	for _, c := range []struct {
		src  string
		want int
		err  string
	}{
		{head, 0, ""},
		{head + "params:\n  checkpoint_every: 25\n", 25, ""},
		{head + "params:\n  checkpoint_every: -1\n", 0,
			"t.yaml:4:21: params.checkpoint_every must be ≥ 0 (optimizer steps between checkpoints; 0 = none), got -1"},
		{head + "params:\n  method: twonn\n  checkpoint_every: 5\n", 0,
			"t.yaml:5:21: params.checkpoint_every saves trained weights, so it needs method subspace, not twonn"},
		{head + "params:\n  checkpoint_every: 2.5\n", 0, "t.yaml:4:21: params.checkpoint_every: expected an integer, got 2.5"},
	} {
		spec, err := Parse([]byte(c.src), "t.yaml")
		var p IntrinsicParams
		if err == nil {
			p, err = spec.IntrinsicParams()
		}
		if c.err == "" {
			if err != nil || p.CheckpointEvery != c.want {
				t.Errorf("%q: checkpoint_every %d, error %v; want %d", c.src, p.CheckpointEvery, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: error %v\nwant %s", c.src, err, c.err)
		}
	}
}
