package ivf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/quiver-db/quiver/internal/simd"
)

// Metric is how points are compared. Both are inner products, whose
// residual decomposition the codes rely on; L2 would need a table per cell.
type Metric int

const (
	// Cosine stores vectors at unit length and scores the cosine similarity.
	Cosine Metric = iota
	// Dot scores the inner product of the vectors as given.
	Dot
)

// Precision is how the re-scoring vectors are stored.
type Precision int

const (
	// Float16 stores IEEE half precision, converted while scoring.
	Float16 Precision = iota
	// Float32 stores the vectors as given (unit length for Cosine).
	Float32
)

// Options configures Build. Zero fields take the defaults documented on
// each.
type Options struct {
	Metric Metric
	// Cells is the number of k-means cells; 0 means about 3·√n, which
	// keeps a cell near a hundred points at 100k and the centroid pass a
	// small part of a query.
	Cells int
	// SubDim is the dimensions per 4-bit sub-space (default 2, ScaNN's
	// choice for its anisotropic codes); more halves the code size and
	// coarsens the approximation.
	SubDim int
	// TrainPoints bounds the sample the centroids and codebooks are trained
	// on (default 64 per cell, at least 20,000).
	TrainPoints int
	// Iterations of k-means for the cells (default 10).
	Iterations int
	// Threads for training, assignment and encoding (default GOMAXPROCS).
	Threads int
	// Spill is how many cells each point is stored in (default 2): its
	// nearest, then the ones soarAssign picks. A point near a cell's border is then found from
	// either side, which raises recall at a given probe for Spill times
	// the codes and scan work per cell: on GloVe-100, 2 reaches recall
	// 0.95 at half the probe of 1, for 4 MB more codes at 100k.
	Spill int
	// Precision of the vectors kept for re-scoring (default Float16, half
	// the memory of Float32 at the same recall to three decimals on GloVe).
	Precision Precision
	// Seed seeds the sample and the initial centroids.
	Seed uint64
	// Progress, when set, receives progress bars of the build.
	Progress io.Writer
}

// SearchOptions are a query's knobs.
type SearchOptions struct {
	// Probe is the number of cells scanned (default 20), nearest centroid
	// first.
	Probe int
	// Reorder is how many of the best approximate candidates are re-scored
	// with the float vectors (default 10·k); the results are the best k of
	// them.
	Reorder int
}

// Defaults for the zero fields of Options.
const (
	defaultSubDim     = 2
	defaultIterations = 10
	minTrainPoints    = 20000
	trainPerCell      = 64
	defaultProbe      = 20
	defaultSpill      = 2
	// MaxCells bounds Options.Cells, and MaxProbe and MaxReorder a query's
	// work.
	MaxCells   = 1 << 20
	MaxProbe   = MaxCells
	MaxReorder = 100000
	MaxSpill   = 4
	// MaxCodeBytes bounds a point's code: two 4-bit sub-spaces a byte,
	// as many as the scan kernel takes.
	MaxCodeBytes = simd.MaxPQ4Columns
)

// ErrBadOption reports options out of range.
var ErrBadOption = errors.New("ivf: bad option")

func (o *Options) ensureDefaults(n int) {
	if o.Cells == 0 {
		o.Cells = max(1, int(3*math.Sqrt(float64(n))))
	}
	o.Cells = min(o.Cells, max(n, 1))
	if o.SubDim == 0 {
		o.SubDim = defaultSubDim
	}
	if o.TrainPoints == 0 {
		o.TrainPoints = max(minTrainPoints, trainPerCell*o.Cells)
	}
	if o.Iterations == 0 {
		o.Iterations = defaultIterations
	}
	if o.Spill == 0 {
		o.Spill = defaultSpill
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
}

// validate reports every option out of range for vectors of dimension dim.
func (o *Options) validate(dim int) error {
	var errs []error
	if o.Metric != Cosine && o.Metric != Dot {
		errs = append(errs, fmt.Errorf("%w: metric %d, want Cosine or Dot", ErrBadOption, o.Metric))
	}
	if o.Cells < 1 || o.Cells > MaxCells {
		errs = append(errs, fmt.Errorf("%w: cells %d, want 1..%d", ErrBadOption, o.Cells, MaxCells))
	}
	if o.SubDim < 1 || o.SubDim > dim {
		errs = append(errs, fmt.Errorf("%w: sub-space dimension %d, want 1..%d", ErrBadOption, o.SubDim, dim))
	} else if cols := (subspaces(dim, o.SubDim) + 1) / 2; cols > simd.MaxPQ4Columns {
		errs = append(errs, fmt.Errorf("%w: %d dimensions in sub-spaces of %d make %d code bytes, at most %d: raise the sub-space dimension",
			ErrBadOption, dim, o.SubDim, cols, simd.MaxPQ4Columns))
	}
	if o.Precision != Float16 && o.Precision != Float32 {
		errs = append(errs, fmt.Errorf("%w: precision %d, want Float16 or Float32", ErrBadOption, o.Precision))
	}
	if o.Spill < 1 || o.Spill > MaxSpill {
		errs = append(errs, fmt.Errorf("%w: spill %d, want 1..%d", ErrBadOption, o.Spill, MaxSpill))
	}
	if o.TrainPoints < o.Cells {
		errs = append(errs, fmt.Errorf("%w: %d training points for %d cells, want at least one a cell", ErrBadOption, o.TrainPoints, o.Cells))
	}
	if o.Iterations < 1 || o.Iterations > 1000 {
		errs = append(errs, fmt.Errorf("%w: iterations %d, want 1..1000", ErrBadOption, o.Iterations))
	}
	return errors.Join(errs...)
}

// subspaces is how many sub-spaces of subDim dimensions cover dim (the
// last one padded with zeros).
func subspaces(dim, subDim int) int { return (dim + subDim - 1) / subDim }
