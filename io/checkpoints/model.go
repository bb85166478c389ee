package checkpoints

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/lowdim/lowdim/io/safetensors"
	"github.com/lowdim/lowdim/linalg/nn"
)

// EncodeModel writes the weights θ of m to w as a safetensors file: the
// tensors of m.Tensors(theta) in order ("layers.0.weight" out × in,
// "layers.0.bias" of rank 1, …), rounded to F32, with metadata as the
// file's __metadata__. It panics if len(theta) ≠ m.NumParams().
func EncodeModel(w io.Writer, m *nn.MLP, theta []float64, metadata map[string]string) error {
	ts := m.Tensors(theta)
	ms := make([]safetensors.Matrix, len(ts))
	for i, t := range ts {
		rows, cols := t.Shape[0], 1
		if len(t.Shape) == 2 {
			cols = t.Shape[1]
		}
		ms[i] = safetensors.Matrix{Name: t.Name, Rows: rows, Cols: cols, Data: t.Data, DType: "F32", Shape: t.Shape}
	}
	return safetensors.Write(w, metadata, ms...)
}

// Model is a lowdim MLP checkpoint read back (see EncodeModel): its layer
// sizes, θ in linalg/nn's order and the safetensors metadata.
type Model struct {
	Path     string
	Sizes    []int // inputs, hidden widths…, classes
	Theta    []float64
	Metadata map[string]string
}

// MLP returns the MLP of the checkpoint's sizes.
func (c *Model) MLP() *nn.MLP {
	return &nn.MLP{Sizes: slices.Clone(c.Sizes)}
}

// open opens a checkpoint file through Beam's file systems and returns a
// reader of its (gunzipped) bytes and their size, or -1 when the file is
// gzip-compressed.
func open(ctx context.Context, p string) (io.Reader, int64, func(), error) {
	fsys, err := filesystem.New(ctx, p)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open %s: %v", p, err)
	}
	size, err := fsys.Size(ctx, p)
	if err != nil {
		fsys.Close()
		return nil, 0, nil, fmt.Errorf("open %s: %v", p, err)
	}
	rc, err := fsys.OpenRead(ctx, p)
	if err != nil {
		fsys.Close()
		return nil, 0, nil, fmt.Errorf("open %s: %v", p, err)
	}
	done := func() { rc.Close(); fsys.Close() }
	br := bufio.NewReader(rc)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			done()
			return nil, 0, nil, fmt.Errorf("%s: %v", p, err)
		}
		return zr, -1, done, nil
	}
	return br, size, done, nil
}

// ReadModelHeader reads only the header of checkpoint p and returns the
// layer sizes of its MLP and its metadata; see ReadModel.
func ReadModelHeader(ctx context.Context, p string) (sizes []int, metadata map[string]string, err error) {
	r, size, done, err := open(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	h, err := safetensors.ReadHeader(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p, err)
	}
	sizes, err = mlpSizes(p, h.Tensors)
	return sizes, h.Metadata, err
}

// ReadModel reads the MLP checkpoint p (local or gs://, .safetensors or
// gzipped): tensors layers.<l>.weight (out × in) and layers.<l>.bias (out)
// for l = 0…L−1, in any file order, of dtype F64, F32, F16 or BF16, chained
// (the inputs of layer l+1 are the outputs of layer l), and no other
// tensor. Values are converted to float64 exactly.
func ReadModel(ctx context.Context, p string) (*Model, error) {
	r, _, done, err := open(ctx, p)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	done()
	if err != nil {
		return nil, fmt.Errorf("%s: reading at byte %d: %v", p, len(b), err)
	}
	h, err := safetensors.ReadHeader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	sizes, err := mlpSizes(p, h.Tensors)
	if err != nil {
		return nil, err
	}
	ck := &Model{Path: p, Sizes: sizes, Metadata: h.Metadata}
	m := ck.MLP()
	ck.Theta = make([]float64, m.NumParams())
	byName := map[string]safetensors.Tensor{}
	for _, t := range h.Tensors {
		byName[t.Name] = t
	}
	for _, dst := range m.Tensors(ck.Theta) {
		t := byName[dst.Name]
		safetensors.DecodeRows(t, b[t.Begin:t.End], dst.Data)
		if j := slices.IndexFunc(dst.Data, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }); j >= 0 {
			return nil, fmt.Errorf("%s: tensor %q: element %d is %v; a model needs finite weights", p, dst.Name, j+1, dst.Data[j])
		}
	}
	return ck, nil
}

// mlpSizes checks that tensors are those of a lowdim MLP and returns its
// layer sizes.
func mlpSizes(p string, tensors []safetensors.Tensor) ([]int, error) {
	byName := map[string]safetensors.Tensor{}
	var names []string
	for _, t := range tensors {
		byName[t.Name] = t
		names = append(names, t.Name)
	}
	sort.Strings(names)
	listed := func() string {
		if len(names) > 8 {
			return strings.Join(names[:8], ", ") + ", …"
		}
		return strings.Join(names, ", ")
	}
	var sizes []int
	for l := 0; ; l++ {
		wName, bName := fmt.Sprintf("layers.%d.weight", l), fmt.Sprintf("layers.%d.bias", l)
		w, ok := byName[wName]
		if !ok {
			if l == 0 {
				return nil, fmt.Errorf("%s: not a lowdim MLP checkpoint: no tensor layers.0.weight (tensors: %s)", p, listed())
			}
			break
		}
		b, ok := byName[bName]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %s has no %s", p, wName, bName)
		}
		for _, t := range []safetensors.Tensor{w, b} {
			if t.ItemSize() == 0 {
				return nil, fmt.Errorf("%s: tensor %q has dtype %s; want F64, F32, F16 or BF16", p, t.Name, t.DType)
			}
		}
		if len(w.Shape) != 2 || w.Shape[0] < 1 || w.Shape[1] < 1 {
			return nil, fmt.Errorf("%s: tensor %s has shape %v, want [out, in]", p, wName, w.Shape)
		}
		if len(b.Shape) != 1 || b.Shape[0] != w.Shape[0] {
			return nil, fmt.Errorf("%s: tensor %s has shape %v, want [%d] (the outputs of %s)", p, bName, b.Shape, w.Shape[0], wName)
		}
		if l == 0 {
			sizes = append(sizes, w.Shape[1])
		} else if w.Shape[1] != sizes[l] {
			return nil, fmt.Errorf("%s: tensor %s has %d inputs, layer %d has %d outputs", p, wName, w.Shape[1], l-1, sizes[l])
		}
		sizes = append(sizes, w.Shape[0])
		delete(byName, wName)
		delete(byName, bName)
	}
	if len(byName) > 0 {
		var extra []string
		for n := range byName {
			extra = append(extra, n)
		}
		sort.Strings(extra)
		return nil, fmt.Errorf("%s: tensor %q is not part of an MLP layers.<l>.weight/bias chain of %d layers", p, extra[0], len(sizes)-1)
	}
	if c := sizes[len(sizes)-1]; c < 2 {
		return nil, fmt.Errorf("%s: the last layer has %d output; a classifier needs ≥ 2 classes", p, c)
	}
	return sizes, nil
}

// Series names the series a checkpoint file belongs to: the name of the
// folder above the path element that carries the step (StepOf), so
// that …/mlp-full-seed0/step-00000100.safetensors is in series
// mlp-full-seed0 and run/checkpoint-1000/model.safetensors in series run.
// A file without a folder there is in series ".".
func Series(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	_, at, ok := StepOf(p)
	cut := len(p)
	if ok {
		cut = at[0]
	}
	dir := p[:strings.LastIndexByte(p[:cut], '/')+1] // up to the element holding the step
	dir = strings.TrimRight(dir, "/")
	if dir == "" {
		return "."
	}
	return path.Base(dir)
}
