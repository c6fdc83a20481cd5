package encoder

import (
	"math"

	"github.com/quiver-db/quiver/internal/parallel"
)

// headScratch is one worker's memory for attention, sized for the longest
// sequence of a batch.
type headScratch struct {
	q, k, vt, s, o []float32
}

// attention computes multi-head self-attention for the packed sequences:
// qkv holds each token's query, key and value (3·hidden floats a token) and
// ctx receives each token's attended values (hidden floats a token). Each
// sequence attends only to its own tokens, which is what BERT's padding
// mask does for a padded batch.
func attention(ctx, qkv []float32, lens []int, hidden, heads, threads int, hs []headScratch) {
	dh := hidden / heads
	offs := make([]int, len(lens)+1) // one small slice per call, not per token
	maxL := 0
	for i, l := range lens {
		offs[i+1] = offs[i] + l
		maxL = max(maxL, l)
	}
	units := len(lens) * heads
	threads = max(1, min(threads, units, len(hs)))
	for w := 0; w < threads; w++ {
		h := &hs[w]
		h.q = grow(h.q, maxL*dh)
		h.k = grow(h.k, maxL*dh)
		h.vt = grow(h.vt, maxL*dh)
		h.o = grow(h.o, maxL*dh)
		h.s = grow(h.s, maxL*maxL)
	}
	packed := useGemm && dh%16 == 0
	if packed {
		lp := (maxL + 15) &^ 15
		for w := 0; w < threads; w++ {
			h := &hs[w]
			h.k = grow(h.k, lp*dh)
			h.s = grow(h.s, maxL*lp)
		}
	}
	run := func(u int, h *headScratch) {
		seq, head := u/heads, u%heads
		if packed {
			attendHeadPacked(ctx, qkv, offs[seq], lens[seq], head*dh, dh, hidden, h)
		} else {
			attendHead(ctx, qkv, offs[seq], lens[seq], head*dh, dh, hidden, h)
		}
	}
	if threads == 1 {
		for u := 0; u < units; u++ {
			run(u, &hs[0])
		}
		return
	}
	parallel.For(units, threads, func(w, u int) { run(u, &hs[w]) })
}

// attendHead computes one head of one sequence of L tokens starting at
// token off; col is the head's first column within the hidden vector.
func attendHead(ctx, qkv []float32, off, L, col, dh, hidden int, h *headScratch) {
	stride := 3 * hidden
	scale := float32(1 / math.Sqrt(float64(dh)))
	q, k, vt, s, o := h.q[:L*dh], h.k[:L*dh], h.vt[:L*dh], h.s[:L*L], h.o[:L*dh]
	for i := 0; i < L; i++ {
		row := qkv[(off+i)*stride:]
		copy(q[i*dh:(i+1)*dh], row[col:col+dh])
		copy(k[i*dh:(i+1)*dh], row[hidden+col:hidden+col+dh])
		v := row[2*hidden+col : 2*hidden+col+dh]
		for d, x := range v {
			vt[d*L+i] = x
		}
	}
	matmulT(s, q, k, nil, L, dh, L, 1, actNone)
	for i := 0; i < L; i++ {
		softmaxScaled(s[i*L:(i+1)*L], scale)
	}
	matmulT(o, s, vt, nil, L, L, dh, 1, actNone)
	for i := 0; i < L; i++ {
		copy(ctx[(off+i)*hidden+col:(off+i)*hidden+col+dh], o[i*dh:(i+1)*dh])
	}
}

// attendHeadPacked is attendHead on the packed GEMM kernels, for head
// sizes that are multiples of 16: the queries are read in place, the keys
// packed as L (rounded up to 16, zero-padded) output columns, the values as
// dh output columns, and the result is written straight into ctx.
func attendHeadPacked(ctx, qkv []float32, off, L, col, dh, hidden int, h *headScratch) {
	stride := 3 * hidden
	lp := (L + 15) &^ 15
	scale := float32(1 / math.Sqrt(float64(dh)))
	kp, vp, s := h.k[:lp*dh], h.vt[:L*dh], h.s[:L*lp]
	clear(kp[(L&^15)*dh:]) // the last panel, whose padding columns stay zero
	for j := 0; j < L; j++ {
		row := qkv[(off+j)*stride:]
		key := row[hidden+col : hidden+col+dh]
		panel := kp[(j&^15)*dh+j&15:]
		for q, x := range key {
			panel[q*16] = x
		}
		val := row[2*hidden+col : 2*hidden+col+dh]
		for p := 0; p < dh; p += 16 {
			copy(vp[p*L+j*16:p*L+j*16+16], val[p:p+16])
		}
	}
	clear(s)
	q := qkv[off*stride+col:]
	gemmPacked(s, lp, q, stride, kp, dh, 0, L, 0, lp)
	for i := 0; i < L; i++ {
		softmaxScaled(s[i*lp:i*lp+L], scale)
	}
	out := ctx[off*hidden+col:]
	for i := 0; i < L; i++ {
		clear(out[i*hidden : i*hidden+dh])
	}
	gemmPacked(out, hidden, s, lp, vp, L, 0, L, 0, dh)
}

// softmaxScaled replaces x with softmax(scale·x).
func softmaxScaled(x []float32, scale float32) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var sum float32
	for i, v := range x {
		e := exp32((v - m) * scale)
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}

// grow returns b resized to n, reallocating only when it is too small.
func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
