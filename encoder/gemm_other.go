//go:build !amd64

package encoder

const useGemm = false

var gemmKernels [6]func(a *float32, lda int, p *float32, c *float32, ldc int, kc int)
