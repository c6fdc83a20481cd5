package encoder

// useGemm reports whether the packed-weight AVX2+FMA kernels may run.
var useGemm = useDot4x3

// gemm6x16 adds to the 6×16 block c (row stride ldc) the product of 6 rows
// of a (row stride lda) and one packed panel p of kc rows of 16 floats:
// c[r][j] += Σ_{q<kc} a[r*lda+q]·p[q*16+j]. kc must be positive.
// Implemented in gemm_amd64.s: twelve 8-wide accumulators, a broadcast of
// one a element feeding two FMAs.
//
//go:noescape
func gemm6x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int)

// gemm1x16 is gemm6x16 for one row.
//
//go:noescape
func gemm1x16(a *float32, p *float32, c *float32, kc int)
