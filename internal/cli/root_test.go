package cli

import (
	"os"
	"testing"
)

// TestMain runs the CLI tests from the repository root, where users run
// lowdim: specs name their inputs relative to it (experiments/quickstart.yaml
// reads testdata/digits.csv.gz) and the binary is built from ".".
func TestMain(m *testing.M) {
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	reserveWorkerPoolPort()
	os.Exit(m.Run())
}
