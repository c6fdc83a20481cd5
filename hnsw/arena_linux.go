package hnsw

import (
	"syscall"
	"unsafe"
)

// allocArena maps zeroed memory outside the Go heap and asks the kernel to
// back it with transparent huge pages: searches touch nodes at random, and
// with 4 KiB pages nearly every distance computation would also miss the TLB.
// It falls back to the Go heap if the mapping fails.
func allocArena(words int) []uint32 {
	if words == 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, words*4, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint32, words)
	}
	_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE; a kernel without THP ignores it
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), words)
}

// freeArena unmaps an arena from allocArena; Go-heap arenas are left to the
// collector.
func freeArena(a []uint32) {
	if cap(a) == 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&a[:1][0])), cap(a)*4)
	_ = syscall.Munmap(b) // EINVAL for a Go-heap fallback arena: nothing to do
}
