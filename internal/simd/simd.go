// Package simd holds the distance kernels the graph spends its time in:
// float32 dot products and squared Euclidean distances, the integer dot
// product that scores scalar-quantized codes, and the 4-bit table scan of
// partitioned (IVF) search. It is its own package so the assembly, the CPU
// dispatch and the plain-Go reference each kernel is tested against sit in
// one place, apart from the index logic.
//
// Every kernel has a plain-Go version (generic.go). Assembly versions for
// this CPU family replace them at start when the CPU reports the features
// they need; Level says which set is in use.
package simd

// Dot returns the sum of a[i]·b[i] over a's length. b must be at least as
// long as a.
func Dot(a, b []float32) float32 { return dot(a, b[:len(a)]) }

// SquaredL2 returns the sum of (a[i]−b[i])² over a's length. b must be at
// least as long as a.
func SquaredL2(a, b []float32) float32 { return squaredL2(a, b[:len(a)]) }

// DotU8I8 returns the sum of a[i]·b[i] over a's length, with a's bytes read
// as unsigned (codes, 0…255) and b's as signed (a quantized query,
// −127…127), exactly, in int32. b must be at least as long as a. The
// length is bounded by the graph's maximum dimension (65,536), so the sum
// cannot overflow.
func DotU8I8(a []uint8, b []int8) int32 { return dotU8I8(a, b[:len(a)]) }

// Level names the kernel set in use: "generic" until an assembly set is
// selected at start.
func Level() string { return level }

// The kernels in use; init replaces them with the best set the CPU runs.
// The exported wrappers slice b to a's length first, so a short b panics
// there and the assembly, which reads len(a) elements of both, never
// reads past b.
var (
	dot          = dotGeneric
	squaredL2    = squaredL2Generic
	dotU8I8      = dotU8I8Generic
	scanPQ4      = scanPQ4Generic
	dotF16       = dotF16Generic
	dotsBlocked8 = dotsBlocked8Generic
	level        = "generic"
)

func init() {
	k := choose(hostFeatures(), asmKernels)
	dot, squaredL2, dotU8I8, scanPQ4, dotF16, dotsBlocked8, level = k.dot, k.squaredL2, k.dotU8I8, k.scanPQ4, k.dotF16, k.dots8, k.name
}

// kernels is one implementation of every kernel, all needing the same CPU
// features.
type kernels struct {
	name      string
	dot       func(a, b []float32) float32
	squaredL2 func(a, b []float32) float32
	dotU8I8   func(a []uint8, b []int8) int32
	scanPQ4   func(codes, luts []byte, limit uint16, out *[PQ4Block]uint16) uint32
	dotF16    func(a []float32, b []uint16) float32
	dots8     func(q, ct, out []float32)
	usable    func(features) bool
}

// features are the CPU capabilities the assembly sets ask for, as a struct
// of their own so tests can choose for a CPU that lacks them.
type features struct {
	avx2, fma, f16c bool
}

var genericKernels = kernels{
	name:      "generic",
	dot:       dotGeneric,
	squaredL2: squaredL2Generic,
	dotU8I8:   dotU8I8Generic,
	scanPQ4:   scanPQ4Generic,
	dotF16:    dotF16Generic,
	dots8:     dotsBlocked8Generic,
	usable:    func(features) bool { return true },
}

// choose returns the first of sets (best first) that a CPU with f runs, or
// the generic set.
func choose(f features, sets []kernels) kernels {
	for _, k := range sets {
		if k.usable(f) {
			return k
		}
	}
	return genericKernels
}

// available lists every set this CPU runs, generic last, so tests check
// each one and not only the one chosen.
func available() []kernels {
	var out []kernels
	for _, k := range asmKernels {
		if k.usable(hostFeatures()) {
			out = append(out, k)
		}
	}
	return append(out, genericKernels)
}
