package cli

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the launcher process (an in-process
// Prism run includes its workers) to $LOWDIM_CPUPROFILE, and a heap profile
// (what was allocated where, alloc_space, and what was still in use at the
// end) to $LOWDIM_MEMPROFILE, when set; the returned function stops them.
func startProfile() func() {
	stopCPU := func() {}
	if path := os.Getenv("LOWDIM_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
			} else {
				stopCPU = func() {
					pprof.StopCPUProfile()
					f.Close()
				}
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "lowdim: LOWDIM_CPUPROFILE: %v\n", err)
		}
	}
	return func() {
		stopCPU()
		path := os.Getenv("LOWDIM_MEMPROFILE")
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("heap").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "lowdim: LOWDIM_MEMPROFILE: %v\n", err)
		}
	}
}
