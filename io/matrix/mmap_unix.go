//go:build unix

package matrix

import (
	"errors"
	"os"
	"syscall"
)

// mapReadOnly maps the first size bytes of f read-only and shared: reading
// the mapping reads the page cache in place, with no copy and no system
// call per read.
func mapReadOnly(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, errors.ErrUnsupported
	}
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmap(b []byte) { _ = syscall.Munmap(b) }
