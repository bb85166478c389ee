package studies

import (
	"slices"
	"testing"

	"github.com/lowdim/lowdim/experiments"
)

// TestEveryDeclaredStudyIsRegistered: the spec layer and this registry know
// the same studies, so a spec that validates can always be run.
func TestEveryDeclaredStudyIsRegistered(t *testing.T) {
	if got, want := Names(), experiments.Studies(); !slices.Equal(got, want) {
		t.Errorf("registered studies %v, declared %v", got, want)
	}
	if _, err := Lookup("spectra"); err == nil {
		t.Error("Lookup of an unknown study: no error")
	}
}
