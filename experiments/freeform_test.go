package experiments

// freeform is a study declared for this package's tests only: its params are
// free-form (no struct), so the tests can exercise grids and raw params
// without a real study's defaults and checks.
const freeform = "test_freeform"

func init() {
	Register(Study{Name: freeform, ReadsInput: true})
}
