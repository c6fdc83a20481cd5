package encoder

// useGemm reports whether the packed-weight AVX2+FMA kernels may run.
var useGemm = useDot4x3

// gemmKernels[r-1] adds to the r×16 block c (row stride ldc) the product
// of r rows of a (row stride lda) and one packed panel p of kc rows of 16
// floats: c[i][j] += Σ_{q<kc} a[i*lda+q]·p[q*16+j]. kc must be positive.
var gemmKernels = [6]func(a *float32, lda int, p *float32, c *float32, ldc int, kc int){
	gemm1x16, gemm2x16, gemm3x16, gemm4x16, gemm5x16, gemm6x16,
}

// The kernels, generated into gemm_amd64.s by scripts/encoder/gen_gemm_asm.py:
// 2r 8-wide accumulators, one broadcast of an a element feeding two FMAs.

//go:noescape
func gemm1x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)

//go:noescape
func gemm2x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)

//go:noescape
func gemm3x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)

//go:noescape
func gemm4x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)

//go:noescape
func gemm5x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)

//go:noescape
func gemm6x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)
