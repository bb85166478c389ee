package matrix

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// withMapped maps bytes [off, off+n) of the local file f read-only, calls
// use with them and unmaps them, so a reader decodes straight from the page
// cache instead of copying the bytes through a buffer first. It returns
// mapped false, and does nothing, when the range is not inside the file
// (the caller's read path then reports the truncation with its offset) or
// the kernel refuses the mapping. A file truncated while use runs faults;
// the fault is returned as an error instead of crashing the process.
func withMapped(f *os.File, off, n int64, use func(b []byte) error) (mapped bool, err error) {
	if n <= 0 {
		return false, nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || off < 0 || off+n > st.Size() {
		return false, nil
	}
	page := int64(os.Getpagesize())
	start := off &^ (page - 1)
	length := int(off + n - start)
	if int64(length) != off+n-start {
		return false, nil
	}
	mem, err := syscall.Mmap(int(f.Fd()), start, length, syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return false, nil
	}
	defer syscall.Munmap(mem)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// A memory fault under SetPanicOnFault panics with a
			// runtime.Error that has the faulting address; only a fault
			// inside the mapping is the file's doing.
			base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok || fault.Addr() < base || fault.Addr() >= base+uintptr(len(mem)) {
				panic(r)
			}
			mapped, err = true, fmt.Errorf("bytes %d to %d: the file changed while it was read (a fault reading its memory map)", off, off+n)
		}
	}()
	return true, use(mem[off-start:])
}
