package simd

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanPQ4MatchesTableSums checks every kernel set against sums taken
// point by point, over every column count and at the largest entries,
// where a 16-bit lane would overflow if the bound were wrong.
func TestScanPQ4MatchesTableSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for cols := 0; cols <= MaxPQ4Columns; cols++ {
		for _, top := range []int{16, 256} {
			codes, luts := make([]byte, cols*PQ4Block), make([]byte, cols*PQ4Block)
			for i := range codes {
				codes[i] = byte(rng.IntN(256))
				luts[i] = byte(rng.IntN(top))
			}
			if top == 256 && cols%2 == 0 {
				for i := range luts {
					luts[i] = 255
				}
			}
			var want [PQ4Block]int
			for c := range cols {
				for p := range PQ4Block {
					b := codes[c*PQ4Block+p]
					want[p] += int(luts[c*PQ4Block+int(b&0x0f)]) + int(luts[c*PQ4Block+16+int(b>>4)])
				}
			}
			sorted := slices.Clone(want[:])
			slices.Sort(sorted)
			// No point, every point, none, and cuts through the middle.
			limits := []int{0, 1, 65535, sorted[0], sorted[0] + 1, sorted[15], sorted[31], sorted[31] + 1}
			for _, k := range available() {
				for _, limit := range limits {
					limit = min(limit, 65535)
					var out [PQ4Block]uint16
					below := k.scanPQ4(codes, luts, uint16(limit), &out)
					for p := range PQ4Block {
						assert.Equal(t, want[p], int(out[PQ4Lane(p)]), "set %s cols %d point %d", k.name, cols, p)
						assert.Equal(t, want[p] < limit, below&(1<<p) != 0, "set %s cols %d point %d limit %d", k.name, cols, p, limit)
					}
				}
			}
		}
	}
}

func TestScanPQ4RefusesRaggedInput(t *testing.T) {
	var out [PQ4Block]uint16
	require.Panics(t, func() { ScanPQ4(make([]byte, 31), make([]byte, 31), 1, &out) })
	require.Panics(t, func() { ScanPQ4(make([]byte, 32), make([]byte, 64), 1, &out) })
	require.Panics(t, func() {
		n := (MaxPQ4Columns + 1) * PQ4Block
		ScanPQ4(make([]byte, n), make([]byte, n), 1, &out)
	})
	require.NotPanics(t, func() { ScanPQ4(make([]byte, 64), make([]byte, 64), 1, &out) })
}

func BenchmarkScanPQ4(b *testing.B) {
	codes, luts := make([]byte, 50*PQ4Block), make([]byte, 50*PQ4Block)
	for i := range codes {
		codes[i], luts[i] = byte(i*7), byte(i*13)
	}
	for _, k := range available() {
		b.Run(k.name, func(b *testing.B) {
			var out [PQ4Block]uint16
			b.SetBytes(int64(len(codes)))
			for b.Loop() {
				k.scanPQ4(codes, luts, 1000, &out)
			}
		})
	}
}
