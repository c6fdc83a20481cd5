//go:build !amd64

package encoder

const useGemm = false

func gemm6x16(a *float32, lda int, p *float32, c *float32, ldc int, kc int) {
	panic("encoder: gemm6x16 without amd64 assembly")
}

func gemm1x16(a *float32, p *float32, c *float32, kc int) {
	panic("encoder: gemm1x16 without amd64 assembly")
}
