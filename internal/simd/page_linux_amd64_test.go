package simd

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// guarded maps size readable bytes followed by an inaccessible page, so a
// kernel that loads past the end of a slice placed there faults.
func guarded(t *testing.T, size int) []byte {
	page := unix.Getpagesize()
	size = (size + page - 1) / page * page
	mem, err := unix.Mmap(-1, 0, size+page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, unix.Munmap(mem)) })
	require.NoError(t, unix.Mprotect(mem[size:], unix.PROT_NONE))
	return mem[:size]
}

// Every set reads exactly len(a) elements: vectors ending at the guard page
// give the same results as on the heap.
func TestNoReadPastEnd(t *testing.T) {
	const maxN = 1536
	fa, fb := guarded(t, 4*maxN), guarded(t, 4*maxN)
	ia, ib := guarded(t, maxN), guarded(t, maxN)
	for _, n := range awkwardLengths() {
		if n == 0 {
			continue // nothing to place; TestFloatKernelsMatchFloat64 covers empty slices
		}
		a := unsafe.Slice((*float32)(unsafe.Pointer(&fa[len(fa)-4*n])), n)
		b := unsafe.Slice((*float32)(unsafe.Pointer(&fb[len(fb)-4*n])), n)
		u := ia[len(ia)-n:]
		s := unsafe.Slice((*int8)(unsafe.Pointer(&ib[len(ib)-n])), n)
		for i := range n {
			a[i], b[i] = float32(i%7)-3, float32(i%5)-2
			u[i], s[i] = uint8(i*37), int8(i*11)
		}
		for _, k := range available() {
			// Small integers: every order of summation is exact.
			assert.Equal(t, dotGeneric(a, b), k.dot(a, b), "dot n=%d set=%s", n, k.name)
			assert.Equal(t, squaredL2Generic(a, b), k.squaredL2(a, b), "squaredL2 n=%d set=%s", n, k.name)
			assert.Equal(t, dotU8I8Generic(u, s), k.dotU8I8(u, s), "dotU8I8 n=%d set=%s", n, k.name)
		}
	}
}
