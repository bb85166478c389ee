package experiments

// freeform is a study declared for this package's tests only: its params are
// free-form (no struct), so the tests can exercise grids and raw params
// without a real study's defaults and checks.
const freeform = "test_freeform"

// gridded is a test-only study with the spectrum's params and a grid, so
// the tests of grid validation have typed params to check cells against
// (the spectrum study itself has no grid).
const gridded = "test_gridded"

func init() {
	Register(Study{Name: freeform, ReadsInput: true})
	Register(Study{Name: gridded, Params: func() any { p := DefaultSpectrumParams(); return &p }, ReadsInput: true, Grid: true})
}

// griddedParams is the typed params of a test_gridded spec in cell c (nil:
// the base params), as SpectrumParams would be for a spectrum spec.
func griddedParams(s *Spec, c *Cell) (SpectrumParams, error) {
	e := &errs{file: s.File}
	p := s.typedParams(paramsOf(gridded), c, e).(*SpectrumParams)
	return *p, e.err()
}
