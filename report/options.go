package report

import (
	"context"
	"fmt"
)

// Figures selects the figures a report draws. A run of many clouds would
// otherwise spend longer drawing one figure per cloud than computing them
// (issue #14): by default a report draws the figures that put every cloud
// of a run together, and `lowdim report OUT --figures=all` draws the
// per-cloud figures from the committed tables when they are wanted.
type Figures int

const (
	// SummaryFigures draws the figures that show every cloud (or data set)
	// of a run together; the default.
	SummaryFigures Figures = iota
	// AllFigures also draws one figure per cloud (and dimension).
	AllFigures
)

// String is the flag value of f: "summary" or "all".
func (f Figures) String() string {
	if f == AllFigures {
		return "all"
	}
	return "summary"
}

// Set parses a flag value ("summary" or "all"), so a Figures is a flag.Value.
func (f *Figures) Set(s string) error {
	switch s {
	case "summary":
		*f = SummaryFigures
	case "all":
		*f = AllFigures
	default:
		return fmt.Errorf("want summary or all")
	}
	return nil
}

type figuresKey struct{}

// WithFigures returns ctx telling the report sections which figures to draw.
func WithFigures(ctx context.Context, f Figures) context.Context {
	return context.WithValue(ctx, figuresKey{}, f)
}

// figuresOf is the Figures ctx carries (SummaryFigures if none).
func figuresOf(ctx context.Context) Figures {
	f, _ := ctx.Value(figuresKey{}).(Figures)
	return f
}
