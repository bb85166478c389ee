// Package checkpoints lists the matrices of a series of model checkpoints:
// .safetensors (also gzipped), .npz and .npy files, local or gs://, each at
// a training step read from its path or from a manifest. It reads headers
// only (through package matrix); the matrices themselves are read with
// matrix.Open.
package checkpoints

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lowdim/lowdim/io/csvmat"
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/format"
	"github.com/lowdim/lowdim/io/matrix"
)

// Checkpoint is one file of a checkpoint series: a .safetensors, .npz or
// .npy file holding (some of) the weights at training step Step. A sharded
// checkpoint is several Checkpoints with the same Step.
type Checkpoint struct {
	Step int64
	Path string
}

// Tensor is one matrix of one checkpoint, as Tensors lists it.
type Tensor struct {
	Step   int64
	Path   string
	Format string // "safetensors", "npz" or "npy"
	// Tensor selects the tensor in the file (empty for .npy): the
	// matrix.Options.Tensor that reads it.
	Tensor string
	// Name identifies the matrix across steps: the tensor name, or for a
	// .npy file its base name without the step (see NpyTensorName).
	Name  string
	Shape []int64
	DType string // as stored
}

// Format returns the format of a checkpoint file by its name
// (format.Parse): "safetensors" (also gzipped), "npz" or "npy"; "" for
// other files.
func Format(p string) string {
	switch name := format.Parse(p); {
	case name.Format == format.Safetensors && (name.Compression == "" || name.Compression == ".gz"):
		return format.Safetensors
	case (name.Format == format.NPZ || name.Format == format.NPY) && name.Compression == "":
		return name.Format
	}
	return ""
}

var (
	digitRun = regexp.MustCompile(`[0-9]+`)
	// shardSuffix is the shard counter of sharded checkpoints
	// (model-00001-of-00004.safetensors), which is not the step.
	shardSuffix = regexp.MustCompile(`-[0-9]+-of-[0-9]+`)
)

// StepOf returns the training step a checkpoint path carries: the last run
// of decimal digits in the path, after removing a shard counter
// "-NNNNN-of-MMMMM" (step-001000.safetensors, checkpoint-1000/model.safetensors,
// checkpoint-1000/model-00001-of-00002.safetensors and w_1000.npy are all
// step 1000). at is the byte range of the digits in p; ok is false when p
// has no digits or the number overflows int64.
func StepOf(p string) (step int64, at [2]int, ok bool) {
	masked := []byte(p)
	for _, m := range shardSuffix.FindAllStringIndex(p, -1) {
		for i := m[0]; i < m[1]; i++ {
			masked[i] = '-'
		}
	}
	all := digitRun.FindAllIndex(masked, -1)
	if len(all) == 0 {
		return 0, at, false
	}
	last := all[len(all)-1]
	v, err := strconv.ParseInt(p[last[0]:last[1]], 10, 64)
	if err != nil {
		return 0, at, false
	}
	return v, [2]int{last[0], last[1]}, true
}

// NpyTensorName names the matrix of a .npy checkpoint file: the base name
// without ".npy", and without the step digits and the separators [-_.]
// next to them when the step is written in the base name ("attn_1000.npy"
// is "attn"; "step-1000/attn.npy" is "attn"). A base name that is only the
// step ("1000.npy") is "array".
func NpyTensorName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	dir := strings.LastIndexByte(p, '/') + 1
	base := strings.TrimSuffix(p[dir:], path.Ext(p[dir:]))
	if _, at, ok := StepOf(p); ok && at[0] >= dir && at[1] <= dir+len(base) {
		lo, hi := at[0]-dir, at[1]-dir
		left := strings.TrimRight(base[:lo], "-_.")
		right := strings.TrimLeft(base[hi:], "-_.")
		switch {
		case left != "" && right != "":
			base = left + base[len(left):len(left)+1] + right // keep one separator
		default:
			base = left + right
		}
	}
	if base == "" {
		return "array"
	}
	return base
}

// NameMatches reports whether a tensor name matches one of include (or
// include is empty) and none of exclude, as path.Match patterns.
func NameMatches(name string, include, exclude []string) bool {
	in := len(include) == 0
	for _, p := range include {
		if ok, _ := path.Match(p, name); ok {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, p := range exclude {
		if ok, _ := path.Match(p, name); ok {
			return false
		}
	}
	return true
}

// Tensors lists the matrices of checkpoint ck, reading only its header
// (matrix.Tensors): every tensor of rank ≥ 2 and a float dtype (F64, F32,
// F16, BF16) whose name matches include and not exclude (NameMatches). It
// also returns the number of tensors skipped by reason: "rank", "dtype",
// "name".
func Tensors(ctx context.Context, ck Checkpoint, include, exclude []string) ([]Tensor, map[string]int, error) {
	kind := Format(ck.Path)
	if kind == "" {
		return nil, nil, fmt.Errorf("%s: not a checkpoint file: want .safetensors, .npz or .npy", ck.Path)
	}
	listed, err := matrix.Tensors(ctx, ck.Path, matrix.Options{Format: kind})
	if err != nil {
		return nil, nil, err
	}
	skipped := map[string]int{}
	var out []Tensor
	for _, t := range listed {
		name := t.Name
		if kind == format.NPY {
			name = NpyTensorName(ck.Path)
		}
		switch {
		case len(t.Shape) < 2:
			skipped["rank"]++
		case t.Err != nil:
			skipped["dtype"]++
		case !NameMatches(name, include, exclude):
			skipped["name"]++
		default:
			shape := make([]int64, len(t.Shape))
			for i, d := range t.Shape {
				shape[i] = int64(d)
			}
			out = append(out, Tensor{Step: ck.Step, Path: ck.Path, Format: kind, Tensor: t.Name, Name: name, Shape: shape, DType: t.DType})
		}
	}
	return out, skipped, nil
}

// List expands input into checkpoint files with their steps, sorted by
// step, then path. input is, local or gs://:
//
//   - a manifest CSV (kind "csv", or a .csv name): rows step,path, with an
//     optional header row naming the columns step and path in any order;
//     relative paths are relative to the manifest's folder;
//   - a glob ("ckpts/step-*.safetensors", "run/checkpoint-*/model.safetensors");
//   - a checkpoint file (.safetensors, .safetensors.gz, .npz, .npy);
//   - a folder: its checkpoint files and those of its subfolders, one
//     level down (run/step-1000.safetensors, run/checkpoint-1000/model.safetensors).
//
// Outside a manifest, a file's step is the last integer of its path below
// the folder or the glob's fixed prefix (StepOf), so digits in the folder's
// own name do not count. kind "safetensors", "npz" or "npy" keeps only
// files of that format; "" keeps all three.
func List(ctx context.Context, input, kind string) ([]Checkpoint, error) {
	switch kind {
	case "", "safetensors", "npz", "npy", "csv":
	default:
		return nil, fmt.Errorf("input.format %q: rank_dynamics reads safetensors, npz or npy checkpoints, or a csv manifest", kind)
	}
	if kind == "csv" || strings.HasSuffix(strings.ToLower(input), ".csv") {
		return readManifest(ctx, input)
	}
	var found []string
	var prefix string
	keep := func(f string) bool {
		cf := Format(f)
		return cf != "" && (kind == "" || cf == kind)
	}
	switch {
	case files.IsGlob(input):
		prefix = input[:strings.LastIndexByte(input[:strings.IndexAny(input, "*?[")], '/')+1]
		list, err := files.List(ctx, input)
		if err != nil {
			return nil, fmt.Errorf("list %s: %v", input, err)
		}
		found = slices.DeleteFunc(list, func(f string) bool { return !keep(f) })
	case Format(input) != "":
		prefix = input[:strings.LastIndexByte(input, '/')+1]
		found = []string{input}
	default:
		dir := strings.TrimRight(input, "/")
		prefix = dir + "/"
		seen := map[string]bool{}
		for _, g := range []string{prefix + "*", prefix + "*/*"} {
			list, err := files.List(ctx, g)
			if err != nil {
				return nil, fmt.Errorf("list %s: %v", g, err)
			}
			for _, f := range list {
				if keep(f) && !seen[f] {
					seen[f] = true
					found = append(found, f)
				}
			}
		}
	}
	if len(found) == 0 {
		what := "safetensors, npz or npy"
		if kind != "" {
			what = kind
		}
		return nil, fmt.Errorf("%s: no %s checkpoint files", input, what)
	}
	var cks []Checkpoint
	for _, f := range found {
		rel := f
		for _, pre := range []string{prefix, path.Clean(prefix) + "/"} {
			if pre != "./" && strings.HasPrefix(f, pre) { // local globs come back cleaned
				rel = strings.TrimPrefix(f, pre)
				break
			}
		}
		step, _, ok := StepOf(rel)
		if !ok {
			return nil, fmt.Errorf("%s: no step number in the path %q; name checkpoints like step-1000.safetensors or checkpoint-1000/model.safetensors, or list them in a manifest CSV (step,path)", f, rel)
		}
		cks = append(cks, Checkpoint{Step: step, Path: f})
	}
	sortCheckpoints(cks)
	return cks, nil
}

func sortCheckpoints(cks []Checkpoint) {
	slices.SortFunc(cks, func(a, b Checkpoint) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), strings.Compare(a.Path, b.Path))
	})
}

// readManifest reads a manifest CSV of step,path rows (csvmat's dialect,
// through matrix.OpenRecords).
func readManifest(ctx context.Context, name string) ([]Checkpoint, error) {
	r, err := matrix.OpenRecords(ctx, name, matrix.Options{Format: "csv"}, csvmat.HeaderAbsent)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	stepCol, pathCol := 0, 1
	dir := name[:strings.LastIndexByte(name, '/')+1]
	var cks []Checkpoint
	for first := true; ; first = false {
		rec, err := r.ReadFields()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line := r.Line()
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s: line %d: want step,path; got %d field", name, line, len(rec))
		}
		if first {
			if _, err := strconv.ParseInt(strings.TrimSpace(rec[0]), 10, 64); err != nil {
				stepCol, pathCol = slices.Index(rec, "step"), slices.Index(rec, "path")
				if stepCol < 0 || pathCol < 0 {
					return nil, fmt.Errorf("%s: line %d: header %q must name the columns step and path", name, line, strings.Join(rec, ","))
				}
				continue
			}
		}
		step, err := strconv.ParseInt(strings.TrimSpace(rec[stepCol]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: step %q is not an integer", name, line, rec[stepCol])
		}
		p := strings.TrimSpace(rec[pathCol])
		if p == "" {
			return nil, fmt.Errorf("%s: line %d: empty path", name, line)
		}
		if !strings.Contains(p, "://") && !path.IsAbs(p) {
			p = dir + p
		}
		if Format(p) == "" {
			return nil, fmt.Errorf("%s: line %d: %s is not a .safetensors, .npz or .npy file", name, line, p)
		}
		cks = append(cks, Checkpoint{Step: step, Path: p})
	}
	if len(cks) == 0 {
		return nil, fmt.Errorf("%s: manifest lists no checkpoints", name)
	}
	sortCheckpoints(cks)
	return cks, nil
}
