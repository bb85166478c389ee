package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/transforms"
)

// Class geometry tables of the spectrum study (input.label_column set).
const (
	ClassGeometryTable = "class_geometry"
	ClassPairsTable    = "class_pairs"
)

// labelledRead is the spectrum's read config with the label column read
// into Block.Labels when input.label_column is set (the matrix drops it
// either way, MatrixOptions).
func (p *SpectrumPlan) labelledRead() blocks.Config {
	read := p.Read
	read.LabelColumn = p.LabelColumn
	return read
}

// classTables are the tables the class geometry writes: none without labels.
func (p *SpectrumPlan) classTables() []string {
	if p.LabelColumn == "" {
		return nil
	}
	return []string{ClassGeometryTable, ClassPairsTable}
}

// spectrumClasses computes the geometry of the labelled rows (linalg/classgeom)
// from the blocks of the spectrum's first read, which carry their labels:
// per-shard class summaries (count, mean, centred scatter: O(k·d²) each),
// merged exactly by a Combine, so every value is independent of the
// sharding up to rounding. It stages the class_geometry and class_pairs
// tables and returns summary with its class columns filled (Spectrum calls
// it only with a label column; without one the class columns are NULL). params.center
// does not apply here: coding rates are of the uncentred rows (Yu et al.
// 2020), class spectra of each class's own centred rows; params.normalize_rows
// applies here only, never to the main spectrum.
func spectrumClasses(s beam.Scope, plan SpectrumPlan, first, summary beam.PCollection) beam.PCollection {
	s = s.Scope("Classes")
	p := plan.Params
	parts := beam.ParDo(s, &transforms.ClassBlockFn{Normalize: p.NormalizeRows}, first)
	merged := beam.Combine(s, &transforms.MergeClassSummaryFn{Normalize: p.NormalizeRows}, parts)
	classes, pairs, rates := beam.ParDo3(s, &transforms.ClassGeometryFn{
		RunID: plan.RunID, Dataset: plan.Dataset, Eps: p.CodingRateEps, SubspaceRank: p.ClassRank,
		AlphaFirst: p.AlphaRange[0], AlphaLast: p.AlphaRange[1],
	}, merged)
	tables.Write(s, plan.Out, plan.RunID, ClassGeometryTable, 1, classes)
	tables.Write(s, plan.Out, plan.RunID, ClassPairsTable, 1, pairs)
	return beam.ParDo(s, &transforms.AddClassRatesFn{}, summary, beam.SideInput{Input: rates})
}
