//go:build !amd64

package encoder

// useDot4x3 reports whether the assembly micro-kernel may run.
const useDot4x3 = false

func dot4x3(a *float32, lda int, b *float32, ldb int, k int, c *float32, ldc int) {
	panic("encoder: dot4x3 without amd64 assembly")
}
