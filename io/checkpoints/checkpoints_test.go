package checkpoints

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/io/safetensors"
)

const fixtures = "../../testdata/rankdyn"

func TestStepOfAndNames(t *testing.T) {
	for p, want := range map[string]int64{
		"run/step-001000.safetensors":                          1000,
		"gs://b/run7/checkpoint-1000/model.safetensors":        1000,
		"ckpt/checkpoint-250/model-00001-of-00002.safetensors": 250,
		"w_1000.npy":             1000,
		"a/b/layer1.attn_42.npz": 42,
	} {
		if got, _, ok := StepOf(p); !ok || got != want {
			t.Errorf("StepOf(%q) = %d, %v; want %d", p, got, ok, want)
		}
	}
	if _, _, ok := StepOf("run/final.safetensors"); ok {
		t.Error("StepOf found a step in a path without digits")
	}
	if _, _, ok := StepOf("run/step-99999999999999999999.npy"); ok {
		t.Error("StepOf accepted a step that overflows int64")
	}
	for p, want := range map[string]string{
		"w_1000.npy": "w", "x/step-5/attn.npy": "attn", "layer.3.w-100-v.npy": "layer.3.w-v", "100.npy": "array",
	} {
		if got := NpyTensorName(p); got != want {
			t.Errorf("NpyTensorName(%q) = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[string]string{
		"a/step-1.safetensors": "safetensors", "a/STEP-1.SAFETENSORS.gz": "safetensors", "w.npz": "npz", "w_1.npy": "npy",
		"w.npy.gz": "", "w.npz.gz": "", "w.safetensors.zst": "", "w.csv": "", "dir/": "",
	} {
		if got := Format(p); got != want {
			t.Errorf("Format(%q) = %q, want %q", p, got, want)
		}
	}
	for _, c := range []struct {
		name             string
		include, exclude []string
		want             bool
	}{
		{"layers.0.weight", nil, nil, true},
		{"layers.0.bias", nil, []string{"*.bias"}, false},
		{"layers.0.weight", []string{"layers.*.weight"}, nil, true},
		{"emb", []string{"layers.*"}, nil, false},
		{"layers.0.weight", []string{"layers.*"}, []string{"*.weight"}, false},
	} {
		if got := NameMatches(c.name, c.include, c.exclude); got != c.want {
			t.Errorf("NameMatches(%q, %v, %v) = %v", c.name, c.include, c.exclude, got)
		}
	}
}

func writeCheckpoint(t *testing.T, name string, ms ...safetensors.Matrix) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := safetensors.Write(f, nil, ms...); err != nil {
		t.Fatal(err)
	}
	return name
}

func identity(name string) safetensors.Matrix {
	return safetensors.Matrix{Name: name, Rows: 2, Cols: 2, Data: []float64{1, 0, 0, 1}, DType: "F64"}
}

// TestList: folders (one level down too), globs, single files and
// manifests give the checkpoints sorted by step, then path; a step is the
// last integer below the folder or the glob's fixed prefix.
func TestList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	run := filepath.Join(dir, "run7")
	for _, p := range []string{"checkpoint-200/model-00001-of-00002.safetensors", "checkpoint-200/model-00002-of-00002.safetensors", "checkpoint-100/model.safetensors", "notes.txt"} {
		writeCheckpoint(t, filepath.Join(run, p), identity("w"))
	}
	got, err := List(ctx, run, "")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, ck := range got {
		rel, _ := filepath.Rel(run, ck.Path)
		s = append(s, fmt.Sprintf("%d %s", ck.Step, filepath.ToSlash(rel)))
	}
	want := []string{"100 checkpoint-100/model.safetensors", "200 checkpoint-200/model-00001-of-00002.safetensors", "200 checkpoint-200/model-00002-of-00002.safetensors"}
	if !slices.Equal(s, want) {
		t.Errorf("folder: %q, want %q", s, want)
	}
	glob, err := List(ctx, filepath.Join(run, "checkpoint-*", "model.safetensors"), "")
	if err != nil || len(glob) != 1 || glob[0].Step != 100 {
		t.Errorf("glob: %+v, %v", glob, err)
	}
	one, err := List(ctx, filepath.Join(fixtures, "npz", "ckpt_7.npz"), "")
	if err != nil || len(one) != 1 || one[0].Step != 7 {
		t.Errorf("file: %+v, %v", one, err)
	}
	manifest, err := List(ctx, filepath.Join(fixtures, "npy", "manifest.csv"), "")
	if err != nil || len(manifest) != 2 || manifest[1].Step != 250 || manifest[1].Path != filepath.Join(fixtures, "npy", "w_250.npy") {
		t.Errorf("manifest with header: %+v, %v", manifest, err)
	}
	if only, err := List(ctx, filepath.Join(fixtures, "npz"), "safetensors"); err == nil {
		t.Errorf("safetensors only in a folder of npz: %+v", only)
	}
}

func TestListErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Digits in the folder name are not steps.
	nodigits := filepath.Join(dir, "run2")
	writeCheckpoint(t, filepath.Join(nodigits, "final.safetensors"), identity("w"))
	for _, tc := range []struct{ input, format, want string }{
		{nodigits, "", "no step number in the path \"final.safetensors\""},
		{filepath.Join(dir, "empty-*.npy"), "", "no safetensors, npz or npy checkpoint files"},
		{write("bad.csv", "step,path\nx,a.npy\n"), "csv", "line 2: step \"x\" is not an integer"},
		{write("hdr.csv", "when,file\n1,a.npy\n"), "csv", "header \"when,file\" must name the columns step and path"},
		{write("ext.csv", "1,a.parquet\n"), "csv", "is not a .safetensors, .npz or .npy file"},
		{write("one.csv", "1\n"), "csv", "line 1: want step,path; got 1 field"},
		{write("ragged.csv", "1,a.npy\n2\n"), "csv", "ragged.csv: line 2: row has 1 fields, want 2"},
		{write("none.csv", "# nothing\n"), "csv", "none.csv: no rows"},
		{write("hdronly.csv", "step,path\n"), "csv", "manifest lists no checkpoints"},
		{write("empty.csv", "1, \n"), "csv", "line 1: empty path"},
		{dir, "parquet", "rank_dynamics reads safetensors, npz or npy"},
	} {
		_, err := List(ctx, tc.input, tc.format)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("List(%s) = %v, want an error containing %q", tc.input, err, tc.want)
		}
	}
	// A manifest without header, a comment, a byte order mark; paths
	// relative to its folder; sorted by step.
	cks, err := List(ctx, write("m.csv", "\ufeff# steps\n20,b.npy\n10, a.npy\n"), "")
	if err != nil || len(cks) != 2 || cks[0].Step != 10 || cks[0].Path != filepath.Join(dir, "a.npy") {
		t.Errorf("manifest: %+v, %v", cks, err)
	}
}

// TestTensors: the matrices of safetensors, npz and npy checkpoints, with
// the skipped tensors counted by reason, read from headers only.
func TestTensors(t *testing.T) {
	ctx := context.Background()
	list := func(ck Checkpoint, include, exclude []string) ([]string, map[string]int) {
		t.Helper()
		ts, skipped, err := Tensors(ctx, ck, include, exclude)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ts {
			if x.Step != ck.Step || x.Path != ck.Path {
				t.Errorf("%+v: step or path not the checkpoint's", x)
			}
			got = append(got, fmt.Sprintf("%s %s %s %v %s", x.Format, x.Tensor, x.Name, x.Shape, x.DType))
		}
		sort.Strings(got)
		return got, skipped
	}
	st := Checkpoint{Step: 100, Path: filepath.Join(fixtures, "st", "step-000100.safetensors")}
	got, skipped := list(st, nil, nil)
	if len(got) != 5 || skipped["rank"] != 1 || skipped["dtype"] != 1 || skipped["name"] != 0 {
		t.Errorf("safetensors: %q, skipped %v", got, skipped)
	}
	got, skipped = list(st, []string{"layers.*"}, []string{"*.attn.*"})
	if len(got) != 1 || got[0] != "safetensors layers.0.mlp.weight layers.0.mlp.weight [4 6 5] F64" || skipped["name"] != 4 {
		t.Errorf("safetensors, include/exclude: %q, skipped %v", got, skipped)
	}
	got, _ = list(Checkpoint{Step: 100, Path: filepath.Join(fixtures, "npy", "w_100.npy")}, nil, nil)
	if len(got) != 1 || !strings.HasPrefix(got[0], "npy  w [") {
		t.Errorf("npy: %q", got)
	}
	got, _ = list(Checkpoint{Step: 5, Path: filepath.Join(fixtures, "npz", "ckpt_5.npz")}, nil, nil)
	if len(got) == 0 || !strings.HasPrefix(got[0], "npz ") {
		t.Errorf("npz: %q", got)
	}
	if _, _, err := Tensors(ctx, Checkpoint{Path: "x.parquet"}, nil, nil); err == nil || !strings.Contains(err.Error(), "not a checkpoint file") {
		t.Errorf("parquet: %v", err)
	}
}
