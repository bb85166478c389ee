package cli

import (
	"os"
	"path/filepath"
	"strings"
)

// loopbackPrefix names the empty file Beam's universal runner creates in
// os.TempDir() for every LOOPBACK job (runnerlib.Execute: a stand-in worker
// binary it never removes). In-process Prism runs that way.
const loopbackPrefix = "beamloopbackworker-"

// lastRunTempFiles is how many loopback stand-ins the last run's private
// temporary folder held when it was removed (for tests).
var lastRunTempFiles int

// privateTempDir points os.TempDir() ($TMPDIR) at a new folder inside the
// current one for the length of a run, so that the temporary files Beam
// and Prism leave behind (the loopback stand-in) can be removed with it;
// the returned function restores $TMPDIR and removes the folder. If the
// folder cannot be made, nothing changes.
func privateTempDir() (restore func()) {
	dir, err := os.MkdirTemp("", "lowdim-run-")
	if err != nil {
		return func() {}
	}
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	return func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
		lastRunTempFiles = 0
		if ents, err := os.ReadDir(dir); err == nil {
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), loopbackPrefix) {
					lastRunTempFiles++
				}
			}
		}
		os.RemoveAll(filepath.Clean(dir))
	}
}
