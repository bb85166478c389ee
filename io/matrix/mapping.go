package matrix

import (
	"os"
	"runtime"
	"sync"
	"weak"
)

// fileMapping is a local file mapped read-only (mapReadOnly).
type fileMapping struct {
	b  []byte
	fi os.FileInfo // the file when it was mapped
}

// mappings holds the live mapping of each path, weakly: one mapping of a
// file serves every source reading it (each worker of a run opens its own),
// so its pages are faulted in once and counted once in the resident set.
var mappings = struct {
	sync.Mutex
	byPath map[string]weak.Pointer[fileMapping]
}{byPath: map[string]weak.Pointer[fileMapping]{}}

// sharedMapping returns the mapping of the local file f opened from path p:
// the live one if the file is the one it mapped (same file, size and
// modification time), else a new one, unmapped (and forgotten) once no
// source holds it. It returns nil where files cannot be mapped.
func sharedMapping(p string, f *os.File) *fileMapping {
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	mappings.Lock()
	defer mappings.Unlock()
	if m := mappings.byPath[p].Value(); m != nil && os.SameFile(m.fi, fi) && m.fi.Size() == fi.Size() && m.fi.ModTime().Equal(fi.ModTime()) {
		return m
	}
	b, err := mapReadOnly(f, fi.Size())
	if err != nil {
		return nil
	}
	m := &fileMapping{b: b, fi: fi}
	mappings.byPath[p] = weak.Make(m)
	runtime.AddCleanup(m, func(b []byte) {
		unmap(b)
		mappings.Lock()
		defer mappings.Unlock()
		if mappings.byPath[p].Value() == nil { // not replaced by a live mapping
			delete(mappings.byPath, p)
		}
	}, b)
	return m
}
