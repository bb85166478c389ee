package pipelines

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/internal/parallel"
	"github.com/lowdim/lowdim/io/clouds"
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/multipers"
	"github.com/lowdim/lowdim/linalg/ph"
	"github.com/lowdim/lowdim/linalg/sample"
	"github.com/lowdim/lowdim/transforms"
)

// Landscape tables (design §3, §4; persistent homology and landscapes):
//
//   - diagram: one row per pair of positive persistence of the Vietoris–Rips
//     diagram (Z/2) of one sample: run_id, cloud, sample, dim, birth, death
//     (NULL for an essential class, alive at the threshold).
//   - landscape: run_id, cloud, sample (NULL for the mean over the cloud's
//     samples), dim, level (k = 1 … levels), t (grid point), value
//     (λₖ(t) = k-th largest max(0, min(t − b, d − t)), Bubenik 2015, no √2;
//     infinite deaths truncated at range_hi).
//   - landscape_summary: one row per (cloud, dim): run_id, cloud, dim,
//     points, sample_size, samples, threshold, range_lo, range_hi, features
//     and essential (mean pairs and essential classes per sample),
//     total_persistence (mean over samples of Σ death − birth over finite
//     pairs), l1, l2, linf (norms of the mean landscape, summed over levels).
//
// LandscapeReport draws the mean landscapes and the diagrams of a run.
const (
	DiagramTable          = "diagram"
	LandscapeTable        = "landscape"
	LandscapeSummaryTable = "landscape_summary"
)

// LandscapeCloud is one input cloud: a file, named by its base name, or,
// with input.group_by, the rows of the table at Path whose group value is
// Name.
type LandscapeCloud struct {
	Name   string
	Path   string // the cloud's file, or the table holding it
	Format string // by extension, else input.format
	Points int    // after dropping bad rows
	Dim    int
}

// LandscapePlan is everything the landscape pipeline needs, resolved before
// the pipeline runs.
type LandscapePlan struct {
	RunID  string
	Out    string
	Seed   uint64
	Params experiments.LandscapeParams
	Read   clouds.Reader
	Clouds []LandscapeCloud // sorted by path
	// Threshold is params.threshold, or the default rule's value.
	Threshold float64
	// Lo and Hi are the grid's range.
	Lo, Hi float64
	// MultipersGrids is the (t, r) grid of each cloud (Clouds order) when
	// params.codensity is set (planMultipers).
	MultipersGrids []multipers.Grid
}

// PlanLandscape lists the clouds of spec (input.path: a file, a directory or
// a glob; one file is one cloud), reads each once and checks, before any
// pipeline runs: a non-finite coordinate (unless input.on_bad_rows: skip), a
// cloud of fewer than 2 points, a subsample larger than its cloud, and the
// memory estimate of each cloud's first sample at the threshold against
// params.max_bytes (the same estimate ph.VietorisRips refuses with). When
// params.threshold is null it resolves it to the largest enclosing radius of
// the clouds' first samples.
//
// With input.group_by, input.path is one table (csv with a header, or
// Parquet) and each distinct value of that column names a cloud: its rows,
// less the group column, are the cloud's points (see
// clouds.Reader.ReadGroups). The launcher reads the whole table
// once here to find the groups, and every (cloud, sample) element reads it
// again and keeps its group's rows: fine for point clouds, which are small.
func PlanLandscape(ctx context.Context, spec *experiments.Spec, out, runID string) (*LandscapePlan, error) {
	params, err := spec.LandscapeParams()
	if err != nil {
		return nil, err
	}
	if spec.Input.Path == "" {
		return nil, fmt.Errorf("%s: the landscape study reads point clouds: set input.path (a file, directory or glob; one file per cloud; or one table split by input.group_by)", spec.File)
	}
	read := clouds.Reader{
		Format: spec.Input.Format, Delimiter: spec.Input.Delimiter,
		Column: spec.Input.Column, Columns: spec.Input.Columns,
		SkipBadRows: spec.Input.OnBadRows == "skip",
	}
	if spec.Input.LabelColumn != "" {
		read.Drop = []string{spec.Input.LabelColumn}
	}
	plan := &LandscapePlan{RunID: runID, Out: out, Seed: spec.Seed, Params: params, Read: read}
	sampling := sample.Scheme{Size: params.SubsampleSize, Replace: params.Replace, Landmarks: params.Landmarks}
	type first struct {
		pts    []float64
		m, dim int
	}
	var firsts []first
	// add checks cloud c, named name and read from file f in format, and
	// adds it to the plan; where says where it is in error messages.
	add := func(name, f, format, where string, c clouds.Cloud) error {
		switch {
		case c.N < 2 && c.BadRows > 0:
			return fmt.Errorf("cloud %s (%s): %d point(s) left after dropping %d bad row(s) (input.on_bad_rows: skip); persistent homology needs at least 2", name, where, c.N, c.BadRows)
		case c.N < 2:
			return fmt.Errorf("cloud %s (%s): %d point(s); persistent homology needs at least 2", name, where, c.N)
		case params.SubsampleSize > c.N && !params.Replace:
			return fmt.Errorf("cloud %s (%s): params.subsample_size %d exceeds its %d points (lower it, or set replace: true)", name, where, params.SubsampleSize, c.N)
		}
		idx, err := sampling.Indices(c.Points, c.N, c.Dim, transforms.LandscapeSeed(spec.Seed, name, 0))
		if err != nil {
			return fmt.Errorf("cloud %s (%s): %w", name, where, err)
		}
		pts := sample.Gather(c.Points, c.Dim, idx)
		firsts = append(firsts, first{pts: pts, m: len(idx), dim: c.Dim})
		plan.Clouds = append(plan.Clouds, LandscapeCloud{Name: name, Path: f, Format: format, Points: c.N, Dim: c.Dim})
		return nil
	}
	if g := spec.Input.GroupBy; g != "" {
		p := spec.Input.Path
		if files.IsGlob(p) || files.IsLocalDir(p) || strings.HasSuffix(p, "/") {
			return nil, fmt.Errorf("%s: input.group_by splits one table into clouds: input.path %s must be one file, not a directory or glob", spec.File, p)
		}
		format := experiments.InferFormat(p)
		if format == "" {
			format = spec.Input.Format
		}
		r := read
		r.Format = format
		r.GroupBy = g
		groups, err := r.ReadGroups(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, c := range groups {
			if err := add(c.Group, p, format, fmt.Sprintf("%s, %s = %s", p, g, c.Group), c); err != nil {
				return nil, err
			}
		}
		plan.Read.GroupBy = g
	} else {
		paths, err := clouds.List(ctx, spec.Input.Path, spec.Input.Format)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.File, err)
		}
		names := map[string]string{}
		for _, f := range paths {
			name := datasetName(f)
			if prev, dup := names[name]; dup {
				return nil, fmt.Errorf("%s: two clouds are named %q: %s and %s (a cloud is named by its file name)", spec.File, name, prev, f)
			}
			names[name] = f
			format := experiments.InferFormat(f)
			if format == "" {
				format = spec.Input.Format
			}
			r := read
			r.Format = format
			c, err := r.Read(ctx, f)
			if err != nil {
				return nil, err
			}
			if err := add(name, f, format, f, c); err != nil {
				return nil, err
			}
		}
	}
	// The O(m²) checks of the clouds' first samples run on every core.
	if params.Threshold != nil {
		plan.Threshold = *params.Threshold
	} else {
		enclosing := make([]float64, len(firsts))
		parallel.For(len(firsts), func(i int) {
			enclosing[i] = ph.EnclosingRadius(firsts[i].pts, firsts[i].m, firsts[i].dim)
		})
		for _, r := range enclosing {
			plan.Threshold = max(plan.Threshold, r)
		}
		if !(plan.Threshold > 0) {
			return nil, fmt.Errorf("%s: every cloud's first sample is a single repeated point (enclosing radius 0): set params.threshold", spec.File)
		}
	}
	plan.Lo, plan.Hi = params.GridRange(plan.Threshold)
	limit := params.MaxBytes
	if limit == 0 {
		limit = ph.DefaultMaxBytes
	}
	ests := make([]ph.MemoryEstimate, len(firsts))
	errs := make([]error, len(firsts))
	parallel.For(len(firsts), func(i int) {
		f := firsts[i]
		if ph.MaxMemory(f.m, params.MaxDim) <= float64(limit) {
			return // fits whatever the threshold: no O(m²) estimate needed
		}
		ests[i], errs[i] = ph.EstimateMemory(f.pts, f.m, f.dim, ph.Options{MaxDim: params.MaxDim, Threshold: plan.Threshold})
	})
	for i, f := range firsts {
		c := plan.Clouds[i]
		est, err := ests[i], errs[i]
		if err != nil {
			return nil, fmt.Errorf("cloud %s (%s): %w", c.Name, c.Path, err)
		}
		if est.Bytes > float64(limit) {
			return nil, fmt.Errorf("cloud %s (%s): %w: sample 0 of %d points at threshold %g gives %d edges and an estimated %s of memory for H0–H%d (limit %s); subsample (params.subsample_size) or lower params.threshold",
				c.Name, c.Path, ph.ErrTooLarge, f.m, est.Threshold, est.Edges, ph.FormatBytes(est.Bytes), params.MaxDim, ph.FormatBytes(float64(limit)))
		}
	}
	if err := planMultipers(ctx, plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// Build implements Plan.
func (p *LandscapePlan) Build(s beam.Scope) { Landscape(s, *p) }

// Work implements Plan: every subsample of every cloud.
func (p *LandscapePlan) Work() Work {
	return Work{Total: len(p.Clouds) * p.Params.Subsamples, Unit: "subsamples", Counter: transforms.SubsamplesCounter}
}

// Tables implements Plan.
func (p *LandscapePlan) Tables() []string {
	return append([]string{DiagramTable, LandscapeTable, LandscapeSummaryTable}, p.multipersTables()...)
}

// Landscape runs one Beam element per (cloud, sample): the sample's
// Vietoris–Rips diagram and its landscapes on the grid [Lo, Hi]; then the
// mean landscape per (cloud, dim) by CombinePerKey with exact sums. It stages
// the diagram, landscape and landscape_summary tables and returns their rows
// (diagram and landscape rows in slices: one per sample, and one of mean
// landscapes per (cloud, dim)).
func Landscape(s beam.Scope, plan LandscapePlan) (diagrams, landscapes, summary beam.PCollection) {
	s = s.Scope("Landscape")
	p := plan.Params
	var tasks []transforms.LandscapeTask
	for _, c := range plan.Clouds {
		for i := range p.Subsamples {
			tasks = append(tasks, transforms.LandscapeTask{Cloud: c.Name, Path: c.Path, Format: c.Format, Sample: int64(i)})
		}
	}
	elems := beam.Reshuffle(s, beam.CreateList(s, tasks))
	diagrams, perSample, stats := beam.ParDo3(s, &transforms.LandscapeFn{
		RunID: plan.RunID, Seed: plan.Seed, Read: plan.Read,
		Sampling: sample.Scheme{Size: p.SubsampleSize, Replace: p.Replace, Landmarks: p.Landmarks},
		MaxDim:   p.MaxDim, Threshold: plan.Threshold, Levels: p.Levels, Resolution: p.Resolution,
		Lo: plan.Lo, Hi: plan.Hi, MaxBytes: p.MaxBytes,
	}, elems)
	means := beam.CombinePerKey(s, &transforms.LandscapeMeanFn{Levels: p.Levels, Resolution: p.Resolution}, stats)
	meanRows, summary := beam.ParDo2(s, &transforms.LandscapeMeanRowsFn{
		RunID: plan.RunID, Threshold: plan.Threshold, Levels: p.Levels, Resolution: p.Resolution, Lo: plan.Lo, Hi: plan.Hi,
	}, means)
	landscapes = beam.Flatten(s, perSample, meanRows)
	// One part per ~2M landscape rows keeps each writer's memory bounded.
	rows := len(plan.Clouds) * (p.Subsamples + 1) * (p.MaxDim + 1) * p.Levels * p.Resolution
	tables.WriteBatches(s, plan.Out, plan.RunID, DiagramTable, 1, diagrams)
	tables.WriteBatches(s, plan.Out, plan.RunID, LandscapeTable, max(1, (rows+(2<<20)-1)/(2<<20)), landscapes)
	tables.Write(s, plan.Out, plan.RunID, LandscapeSummaryTable, 1, summary)
	landscapeMultipers(s, plan)
	return diagrams, landscapes, summary
}
