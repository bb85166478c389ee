package pipelines

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/io/clouds"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg/multipers"
	"github.com/lowdim/lowdim/linalg/sample"
	"github.com/lowdim/lowdim/transforms"
)

// Two-parameter persistence tables of the landscape study (issue 19;
// params.codensity set; package linalg/multipers, Loiseaux et al. 2023):
//
//   - hilbert: run_id, cloud, dim, t, r, value, samples: the Hilbert function
//     dim H_dim(Rips_r({x : f(x) ≤ t})) of the codensity–Rips bifiltration
//     on the cloud's (t, r) grid, the MEAN over the cloud's samples (an
//     integer with one sample); samples is their number.
//   - signed_barcode: run_id, cloud, dim, t, r, weight, samples: the nonzero
//     weights of the Möbius inversion of that mean (= the mean of the
//     samples' signed barcodes; the inversion is linear).
//   - sliced_landscape (when params.slices > 0): run_id, cloud, dim, slice, level, s, t, r, value:
//     the mean over samples of λ_level(s) of the bifiltration restricted to
//     line slice, at grid point s ∈ [0, length] of the line, which is the
//     point (t, r) of the plane.
//
// The grid is fixed per cloud before the run, so samples merge: with
// params.codensity_grid / params.radius_grid empty it is multipers.
// DefaultGrid of the WHOLE cloud (20 quantiles of its codensity; 20
// quantiles of its pairwise distances up to their 0.3 quantile), computed by
// PlanLandscape; the codensity of a sample's points is that of the whole
// cloud too.
const (
	HilbertTable         = "hilbert"
	SignedBarcodeTable   = "signed_barcode"
	SlicedLandscapeTable = "sliced_landscape"
)

// multipersTables are the tables of the two-parameter part, when it is on.
func (p *LandscapePlan) multipersTables() []string {
	if !p.Params.Multipers() {
		return nil
	}
	if p.Params.Slices == 0 {
		return []string{HilbertTable, SignedBarcodeTable}
	}
	return []string{HilbertTable, SignedBarcodeTable, SlicedLandscapeTable}
}

// planMultipers fixes the (t, r) grid of every cloud of plan when
// params.codensity is set: params.codensity_grid and params.radius_grid
// where given, else multipers.DefaultGrid of the whole cloud and its
// codensity. It reads each cloud again (clouds are small: the study holds
// one in memory per element) and refuses a codensity_k ≥ the cloud's
// points, a grid the kernel refuses, and slices through a box with one
// value on an axis. Memory is O(n²) per cloud for the default grid's sorted
// distances.
func planMultipers(ctx context.Context, plan *LandscapePlan) error {
	p := plan.Params
	if !p.Multipers() {
		return nil
	}
	plan.MultipersGrids = make([]multipers.Grid, len(plan.Clouds))
	var groups map[string]clouds.Cloud
	groupsPath := ""
	for k, c := range plan.Clouds {
		r := plan.Read
		r.Format = c.Format
		var cloud clouds.Cloud
		var err error
		where := c.Path
		if r.GroupBy != "" {
			where = fmt.Sprintf("%s, %s = %s", c.Path, r.GroupBy, c.Name)
			if groupsPath != c.Path {
				all, err := r.ReadGroups(ctx, c.Path)
				if err != nil {
					return err
				}
				groups = map[string]clouds.Cloud{}
				for _, g := range all {
					groups[g.Group] = g
				}
				groupsPath = c.Path
			}
			cloud = groups[c.Name]
		} else if cloud, err = r.Read(ctx, c.Path); err != nil {
			return err
		}
		if p.Codensity == "knn" && p.CodensityK > cloud.N-1 {
			return fmt.Errorf("cloud %s (%s): params.codensity_k %d needs more than %d points (it has %d)", c.Name, where, p.CodensityK, p.CodensityK, cloud.N)
		}
		g := multipers.Grid{T: p.CodensityGrid, R: p.RadiusGrid}
		if len(g.T) == 0 || len(g.R) == 0 {
			f, err := transforms.Codensity(p.Codensity, cloud.Points, cloud.N, cloud.Dim, p.CodensityK, p.Bandwidth)
			if err != nil {
				return fmt.Errorf("cloud %s (%s): %w", c.Name, where, err)
			}
			def, err := multipers.DefaultGrid(cloud.Points, cloud.N, cloud.Dim, f)
			if err != nil {
				return fmt.Errorf("cloud %s (%s): default grid: %w", c.Name, where, err)
			}
			if len(g.T) == 0 {
				g.T = def.T
			}
			if len(g.R) == 0 {
				g.R = def.R
			}
		}
		if _, err := transforms.MultipersLines(g, p.Slices); err != nil {
			return fmt.Errorf("cloud %s (%s): params.slices %d through the grid t ∈ %v, r ∈ %v: %w (the cloud's codensity or distances take one value: set codensity_grid and radius_grid, or slices: 0)", c.Name, where, p.Slices, g.T, g.R, err)
		}
		plan.MultipersGrids[k] = g
	}
	return nil
}

// landscapeMultipers adds the two-parameter part of the landscape study
// when params.codensity is set: one MultipersFn element per (cloud,
// sample), the sums per (cloud, dim) and (cloud, dim, slice), and the
// hilbert, signed_barcode and sliced_landscape tables.
func landscapeMultipers(s beam.Scope, plan LandscapePlan) {
	p := plan.Params
	if !p.Multipers() {
		return
	}
	s = s.Scope("Multipers")
	var tasks []transforms.MultipersTask
	for k, c := range plan.Clouds {
		g := plan.MultipersGrids[k]
		for i := range p.Subsamples {
			tasks = append(tasks, transforms.MultipersTask{Cloud: c.Name, Path: c.Path, Format: c.Format, Sample: int64(i), T: g.T, R: g.R})
		}
	}
	elems := beam.Reshuffle(s, beam.CreateList(s, tasks))
	hilbert, slices := beam.ParDo2(s, &transforms.MultipersFn{
		RunID: plan.RunID, Seed: plan.Seed, Read: plan.Read,
		Sampling:  sample.Scheme{Size: p.SubsampleSize, Replace: p.Replace, Landmarks: p.Landmarks},
		Codensity: p.Codensity, K: p.CodensityK, Bandwidth: p.Bandwidth,
		MaxDim: p.MaxDim, Slices: p.Slices, Levels: p.Levels, Resolution: p.Resolution, MaxBytes: p.MaxBytes,
	}, elems)
	sums := beam.CombinePerKey(s, &transforms.MultipersHilbertMeanFn{}, hilbert)
	hRows, wRows := beam.ParDo2(s, &transforms.MultipersHilbertRowsFn{RunID: plan.RunID}, sums)
	lines := beam.CombinePerKey(s, &transforms.MultipersSliceMeanFn{Levels: p.Levels, Resolution: p.Resolution}, slices)
	lRows := beam.ParDo(s, &transforms.MultipersSliceRowsFn{RunID: plan.RunID, Levels: p.Levels, Resolution: p.Resolution}, lines)
	rows := len(plan.Clouds) * (p.MaxDim + 1) * p.Slices * p.Levels * p.Resolution
	tables.Write(s, plan.Out, plan.RunID, HilbertTable, 1, hRows)
	tables.Write(s, plan.Out, plan.RunID, SignedBarcodeTable, 1, wRows)
	if p.Slices > 0 {
		tables.Write(s, plan.Out, plan.RunID, SlicedLandscapeTable, max(1, (rows+(2<<20)-1)/(2<<20)), lRows)
	}
}
