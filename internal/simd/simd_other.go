//go:build !amd64

package simd

// Only amd64 has assembly; elsewhere the generic set is the only one.
var asmKernels []kernels

func hostFeatures() features { return features{} }
