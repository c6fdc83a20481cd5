package encoder

import "golang.org/x/sys/cpu"

// useDot4x3 reports whether the AVX2+FMA micro-kernel may run.
var useDot4x3 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dot4x3 sets c[i*ldc+j] = Σ_{p<k} a[i*lda+p]·b[j*ldb+p] for i < 4, j < 3.
// k must be a positive multiple of 8; strides count floats. Implemented in
// matmul_amd64.s with AVX2 and FMA: twelve 8-wide accumulators, each a row
// of a loaded once per step and used three times.
//
//go:noescape
func dot4x3(a *float32, lda int, b *float32, ldb int, k int, c *float32, ldc int)
