package simd

// DotsBlocked8 writes into out the dot products of q with many vectors
// stored eight at a time, transposed: block b holds, for each component j,
// component j of its eight vectors (ct[(b·len(q)+j)·8 + i] for vector
// 8b+i). Scoring eight vectors a step with one broadcast of q[j] needs no
// horizontal sum per vector, which is what a dot product per vector spends
// most of its time on at a hundred dimensions. len(out) must be a multiple
// of 8 and len(ct) = len(out)·len(q).
func DotsBlocked8(q, ct, out []float32) {
	if len(out)%8 != 0 || len(ct) != len(out)*len(q) {
		panic("simd: DotsBlocked8 wants whole blocks of 8 and len(ct) = len(out)·len(q)")
	}
	dotsBlocked8(q, ct, out)
}

func dotsBlocked8Generic(q, ct, out []float32) {
	dim := len(q)
	for b := 0; b*8 < len(out); b++ {
		var acc [8]float32
		blk := ct[b*dim*8 : (b+1)*dim*8]
		for j, x := range q {
			row := blk[j*8 : j*8+8]
			for i := range acc {
				acc[i] += x * row[i]
			}
		}
		copy(out[b*8:], acc[:])
	}
}
