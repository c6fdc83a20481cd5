package simd

// PQ4Block is how many codes one ScanPQ4 call scores: a fast-scan block.
const PQ4Block = 32

// MaxPQ4Columns bounds the columns of one ScanPQ4 call: two 4-bit codes a
// column, each looking up at most 255, keep every sum below 2^16.
const MaxPQ4Columns = 128

// ScanPQ4 sums, for each of the 32 points of a fast-scan block, the table
// entries its 4-bit codes select: out[i] is the sum for point 2i and
// out[16+i] for point 2i+1 (i < 16), the order the 16-bit lanes of the
// AVX2 kernel leave them in. Bit p of the result is set when point p's sum
// is below limit, so a caller keeping the best points visits only those
// that can still enter.
//
// codes is the block column by column: column c holds byte c of each point
// (32 bytes), the point's code for sub-space 2c in the low nibble and for
// 2c+1 in the high one. luts holds, for each column, the 16 entries of
// sub-space 2c then the 16 of 2c+1 (32 bytes). Both must be whole columns,
// as many of one as of the other, at most MaxPQ4Columns.
func ScanPQ4(codes, luts []byte, limit uint16, out *[PQ4Block]uint16) uint32 {
	if len(codes)%PQ4Block != 0 || len(luts) != len(codes) || len(codes) > MaxPQ4Columns*PQ4Block {
		panic("simd: ScanPQ4 wants whole columns of codes and tables, as many of each, at most MaxPQ4Columns")
	}
	return scanPQ4(codes, luts, limit, out)
}

// PQ4Lane is the index in ScanPQ4's out of point p's sum.
func PQ4Lane(p int) int { return p/2 + p%2*(PQ4Block/2) }

func scanPQ4Generic(codes, luts []byte, limit uint16, out *[PQ4Block]uint16) uint32 {
	var sums [PQ4Block]uint16
	for c := 0; c < len(codes); c += PQ4Block {
		lo, hi := luts[c:c+16], luts[c+16:c+32]
		for p, b := range codes[c : c+PQ4Block] {
			sums[p] += uint16(lo[b&0x0f]) + uint16(hi[b>>4])
		}
	}
	var below uint32
	for p, u := range sums {
		out[PQ4Lane(p)] = u
		if u < limit {
			below |= 1 << p
		}
	}
	return below
}
