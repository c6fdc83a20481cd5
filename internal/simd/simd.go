// Package simd holds the distance kernels the graph spends its time in:
// float32 dot products and squared Euclidean distances, and the integer
// dot product that scores scalar-quantized codes. It is its own package so
// the assembly, the CPU dispatch and the plain-Go reference each kernel is
// tested against sit in one place, apart from the graph logic.
//
// Every kernel has a plain-Go version (generic.go). Assembly versions for
// this CPU family replace them at start when the CPU reports the features
// they need; Level says which set is in use.
package simd

// Dot returns the sum of a[i]·b[i] over a's length. b must be at least as
// long as a.
func Dot(a, b []float32) float32 { return dot(a, b) }

// SquaredL2 returns the sum of (a[i]−b[i])² over a's length. b must be at
// least as long as a.
func SquaredL2(a, b []float32) float32 { return squaredL2(a, b) }

// DotU8I8 returns the sum of a[i]·b[i] over a's length, with a's bytes read
// as unsigned (codes, 0…255) and b's as signed (a quantized query,
// −127…127), exactly, in int32. b must be at least as long as a. The
// length is bounded by the graph's maximum dimension (65,536), so the sum
// cannot overflow.
func DotU8I8(a []uint8, b []int8) int32 { return dotU8I8(a, b) }

// Level names the kernel set in use: "generic" until an assembly set is
// selected at start.
func Level() string { return level }

var (
	dot       = dotGeneric
	squaredL2 = squaredL2Generic
	dotU8I8   = dotU8I8Generic
	level     = "generic"
)
