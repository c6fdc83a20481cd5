package simd

import "golang.org/x/sys/cpu"

// asmKernels are the assembly sets, best first. x/sys/cpu reports AVX2 only
// when the OS also saves the YMM registers.
var asmKernels = []kernels{{
	name:      "avx2",
	dot:       dotAVX2,
	squaredL2: squaredL2AVX2,
	dotU8I8:   dotU8I8AVX2,
	scanPQ4:   scanPQ4AVX2,
	dotF16:    dotF16AVX2,
	dots8:     dotsBlocked8AVX2,
	usable:    func(f features) bool { return f.avx2 && f.fma && f.f16c },
}}

func hostFeatures() features {
	return features{avx2: cpu.X86.HasAVX2, fma: cpu.X86.HasFMA, f16c: hasF16C()}
}

// The AVX2 kernels (float_amd64.s, int8_amd64.s) read exactly len(a)
// elements of a and of b; callers guarantee len(b) ≥ len(a).

//go:noescape
func dotAVX2(a, b []float32) float32

//go:noescape
func squaredL2AVX2(a, b []float32) float32

//go:noescape
func dotU8I8AVX2(a []uint8, b []int8) int32

//go:noescape
func scanPQ4AVX2(codes, luts []byte, limit uint16, out *[PQ4Block]uint16) uint32

//go:noescape
func dotF16AVX2(a []float32, b []uint16) float32

// hasF16C reports the half-precision conversions, which x/sys/cpu does
// not (every AVX2 CPU shipped has them, but a hypervisor may hide them).
func hasF16C() bool

//go:noescape
func dotsBlocked8AVX2(q, ct, out []float32)
