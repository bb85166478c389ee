//go:build !linux

package matrix

import "os"

// withMapped is the memory-mapped read of mmap_linux.go, which is not built
// on this platform: readers take their copying path.
func withMapped(f *os.File, off, n int64, use func(b []byte) error) (bool, error) {
	return false, nil
}
