package ivf

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/internal/simd"
)

// Index is a built partitioned index over points 0..Len()-1, numbered in
// the order Build was given them.
type Index struct {
	dim, padDim int
	cols        int // code bytes a point: two sub-spaces each
	opts        Options
	cents       []float32 // cell c's centroid at c·dim
	// centsT is cents eight at a time, transposed, zero-padded to whole
	// blocks, for simd.DotsBlocked8.
	centsT []float32
	cb     *codeBook
	cells  []cell
	// The re-scoring vectors, unit length for Cosine: with Float32,
	// vectors holds point p at p·dim; with Float16, halves (IEEE half
	// bits) holds it at p·halfStride, zero-padded to a multiple of 8 so the
	// kernel needs no tail.
	vectors    []float32
	halves     []uint16
	halfStride int
	n          int
	scratch    sync.Pool
}

// cell holds the points nearest one centroid: ids[j] is the point at
// position j, whose code is in block j/32, lane j%32 of codes, laid out
// column by column as simd.ScanPQ4 reads it.
type cell struct {
	ids   []uint32
	codes []byte
}

// codeTrainIterations is k-means' rounds for the 16 centroids of a
// sub-space: two-dimensional fits settle fast.
const codeTrainIterations = 15

// Build trains the cells and code books on a sample of vectors (n rows of
// dim, row-major) and encodes every row. Rows must be finite; for Cosine
// they are stored at unit length.
func Build(ctx context.Context, vectors []float32, dim int, opts Options) (*Index, error) {
	if dim < 1 || len(vectors)%dim != 0 || len(vectors) == 0 {
		return nil, fmt.Errorf("%w: %d floats do not make rows of dimension %d", ErrBadOption, len(vectors), dim)
	}
	n := len(vectors) / dim
	if n > math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d rows, at most %d", ErrBadOption, n, uint32(math.MaxUint32))
	}
	opts.ensureDefaults(n)
	if err := opts.validate(dim); err != nil {
		return nil, err
	}
	x := slices.Clone(vectors)
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: row %d component %d is %v", ErrBadOption, i/dim, i%dim, v)
		}
	}
	spherical := opts.Metric == Cosine
	if spherical {
		for i := range n {
			normalize(x[i*dim : (i+1)*dim])
		}
	}
	nsub := subspaces(dim, opts.SubDim)
	ix := &Index{dim: dim, padDim: nsub * opts.SubDim, cols: (nsub + 1) / 2, opts: opts, vectors: x, n: n}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x1f1f))

	sample := x
	if m := min(n, opts.TrainPoints); m < n {
		sample = make([]float32, 0, m*dim)
		for _, r := range rng.Perm(n)[:m] {
			sample = append(sample, x[r*dim:(r+1)*dim]...)
		}
	}
	bar := progress.Start(opts.Progress, "ivf train", "iterations", 1)
	ix.cents = kmeans(sample, dim, opts.Cells, opts.Iterations, spherical, opts.Threads, rng)
	bar.Add(1)
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix.centsT = transpose8(ix.cents, dim)
	ix.cb = trainCodeBook(ix.residuals(sample), ix.padDim, opts.SubDim, codeTrainIterations, opts.Threads, rng)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ix.encodeAll(ctx); err != nil {
		return nil, err
	}
	if opts.Precision == Float16 {
		ix.halfStride = (dim + 7) &^ 7
		ix.halves = make([]uint16, n*ix.halfStride)
		for i := range n {
			simd.ToF16(ix.halves[i*ix.halfStride:i*ix.halfStride+dim], x[i*dim:(i+1)*dim])
		}
		ix.vectors = nil
	}
	ix.scratch.New = func() any { return ix.newScratch() }
	return ix, nil
}

// residuals returns each row of rows minus its nearest centroid, padded to
// padDim.
func (ix *Index) residuals(rows []float32) []float32 {
	n := len(rows) / ix.dim
	assign := make([]int32, n)
	nearestAll(rows, ix.dim, ix.cents, ix.opts.Metric == Cosine, ix.opts.Threads, assign)
	res := make([]float32, n*ix.padDim)
	for i, c := range assign {
		ix.residual(rows[i*ix.dim:(i+1)*ix.dim], int(c), res[i*ix.padDim:(i+1)*ix.padDim])
	}
	return res
}

// residual writes v minus centroid c into out (padDim long, zero-padded).
func (ix *Index) residual(v []float32, c int, out []float32) {
	cent := ix.cents[c*ix.dim : (c+1)*ix.dim]
	for j, x := range v {
		out[j] = x - cent[j]
	}
	clear(out[ix.dim:])
}

// encodeAll assigns every point to its cell and lays the codes out in the
// cells' blocks.
func (ix *Index) encodeAll(ctx context.Context) error {
	n, dim, cols, spill := ix.n, ix.dim, ix.cols, ix.opts.Spill
	assign := make([]int32, n*spill) // point i's cells at i·spill, best first
	codes := make([]byte, n*spill*cols)
	const chunk = 1024
	bar := progress.Start(ix.opts.Progress, "ivf encode", "vectors", int64(n))
	parallel.For((n+chunk-1)/chunk, ix.opts.Threads, func(_, b int) {
		if ctx.Err() != nil {
			return
		}
		res := make([]float32, ix.padDim)
		hi := min(n, (b+1)*chunk)
		for i := b * chunk; i < hi; i++ {
			v := ix.vectors[i*dim : (i+1)*dim]
			cs := assign[i*spill : (i+1)*spill]
			soarAssign(v, ix.cents, dim, ix.opts.Metric == Cosine, cs)
			for k, c := range cs {
				if c < 0 {
					break // fewer cells than Spill
				}
				ix.residual(v, int(c), res)
				e := i*spill + k
				ix.cb.encode(res, codes[e*cols:(e+1)*cols])
			}
		}
		bar.Add(int64(hi - b*chunk))
	})
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.cells = make([]cell, len(ix.cents)/dim)
	entries := make([][]int32, len(ix.cells)) // per cell: indexes into assign
	for e, c := range assign {
		if c >= 0 {
			entries[c] = append(entries[c], int32(e))
		}
	}
	for ci, es := range entries {
		cl := &ix.cells[ci]
		blocks := (len(es) + simd.PQ4Block - 1) / simd.PQ4Block
		cl.ids = make([]uint32, len(es))
		cl.codes = make([]byte, blocks*cols*simd.PQ4Block)
		for j, e := range es {
			cl.ids[j] = uint32(int(e) / spill)
			blk := cl.codes[j/simd.PQ4Block*cols*simd.PQ4Block:]
			for c, b := range codes[int(e)*cols : (int(e)+1)*cols] {
				blk[c*simd.PQ4Block+j%simd.PQ4Block] = b
			}
		}
	}
	return nil
}

// Len is the number of points.
func (ix *Index) Len() int { return ix.n }

// Dim is the vectors' dimension.
func (ix *Index) Dim() int { return ix.dim }

// Cells is the number of cells.
func (ix *Index) Cells() int { return len(ix.cells) }

// MemoryBytes is the heap the index holds: re-scoring vectors, codes, ids
// and centroids.
func (ix *Index) MemoryBytes() int64 {
	n := int64(len(ix.vectors)+len(ix.cents)+len(ix.cb.cents))*4 + int64(len(ix.halves))*2
	for _, c := range ix.cells {
		n += int64(len(c.ids))*4 + int64(len(c.codes))
	}
	return n
}

// transpose8 lays rows of dim out as simd.DotsBlocked8 reads them, padding
// the last block with zero rows.
func transpose8(rows []float32, dim int) []float32 {
	n := len(rows) / dim
	out := make([]float32, (n+7)/8*8*dim)
	for v := range n {
		for j, x := range rows[v*dim : (v+1)*dim] {
			out[(v/8*dim+j)*8+v%8] = x
		}
	}
	return out
}
