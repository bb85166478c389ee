package cli

import (
	"fmt"
	"io"
	"os"
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
	stopCPU := startToFile("LOWDIM_CPUPROFILE", pprof.StartCPUProfile, pprof.StopCPUProfile)
	stopTrace := startToFile("LOWDIM_TRACE", trace.Start, trace.Stop)
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

// startToFile starts a recorder writing to the file named by $env, when
// set, and returns what stops it and closes the file; a failure is printed.
func startToFile(env string, start func(io.Writer) error, stop func()) func() {
	path := os.Getenv(env)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = start(f); err == nil {
			return func() {
				stop()
				f.Close()
			}
		}
		f.Close()
	}
	fmt.Fprintf(os.Stderr, "lowdim: %s: %v\n", env, err)
	return func() {}
}
