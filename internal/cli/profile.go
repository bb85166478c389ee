package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
)

// startProfile writes a CPU profile of the launcher process (an in-process
// Prism run includes its workers) to $LOWDIM_CPUPROFILE, a heap profile
// (what was allocated where, alloc_space, and what was still in use at the
// end) to $LOWDIM_MEMPROFILE, and an execution trace (go tool trace; the
// spectrum passes mark one region per shard and pass) to $LOWDIM_TRACE, when
// set; the returned function stops them.
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
	stopTrace := func() {}
	if path := os.Getenv("LOWDIM_TRACE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			if err = trace.Start(f); err != nil {
				f.Close()
			} else {
				stopTrace = func() {
					trace.Stop()
					f.Close()
				}
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "lowdim: LOWDIM_TRACE: %v\n", err)
		}
	}
	return func() {
		stopTrace()
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

// launcherGCPercent is the launcher's GOGC unless the environment sets one.
// An in-process run keeps little live heap (tens of MB: bases, partials,
// metric rows) but allocates a partial per piece and pass; at Go's default
// of 100 the wide spectrum benchmark (20,000 × 4,096) collected 50 times in
// 2.2 s, and 400 took 9% off its CPU time. The heap may grow to 5× the live
// data instead of 2×.
const launcherGCPercent = 400

func setGCPercent() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(launcherGCPercent)
	}
}
