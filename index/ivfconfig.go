package index

import (
	"fmt"

	"github.com/quiver-db/quiver/ivf"
)

// IVFConfig turns on a vector's partitioned index (package ivf), Quiver's
// own ivf_config beside Qdrant's hnsw_config: unfiltered searches scan
// k-means cells of 4-bit codes instead of walking the graph, several
// times faster at the same recall on hard sets (README, "The partitioned
// index"), and their results are scored exactly from the graph's vectors.
// Filtered searches, exact ones and recommendation strategies that rank
// examples still use the graph, which the vector keeps.
//
// The index is derived state: it is built in the background from the
// graph's vectors when the collection opens or first holds MinPoints
// points, takes every later insert as it happens, and is built again
// when deletes or growth have left its cells a poor fit. Until it is
// built, searches walk the graph.
type IVFConfig struct {
	// Cells is the number of k-means cells; 0 means about 3·√n at build.
	Cells int `json:"cells,omitempty"`
	// Spill is the cells each point is filed in, 1..4; 0 means 2.
	Spill int `json:"spill,omitempty"`
	// Probe is the cells a query scans by default; 0 means cells/16 and
	// at least 8 (recall@10 0.95 on GloVe-100 at 100k points).
	Probe int `json:"probe,omitempty"`
	// MinPoints is the size below which the graph alone serves (a graph
	// search of a small collection is already fast); 0 means 10,000.
	MinPoints int `json:"min_points,omitempty"`
	// Disabled, on a named vector, turns the collection's ivf_config off
	// for it.
	Disabled bool `json:"disabled,omitempty"`
}

// IVFSearch are a query's params.ivf; the zero value uses the index with
// the vector's defaults.
type IVFSearch struct {
	// Ignore walks the graph instead.
	Ignore bool
	// Probe is the cells scanned; 0 means IVFConfig.Probe.
	Probe int
	// Reorder is how many candidates are re-scored from half-precision
	// vectors before the exact scoring of the best; 0 means 10·k.
	Reorder int
}

// Bounds of IVFConfig and IVFSearch.
const (
	MaxIVFCells     = 1 << 16
	MaxIVFMinPoints = 1 << 30
	MaxIVFReorder   = ivf.MaxReorder
	defaultIVFMin   = 10000
)

func (q *IVFConfig) enabled() bool { return q != nil && !q.Disabled }

func (q *IVFConfig) minPoints() int {
	if q.MinPoints == 0 {
		return defaultIVFMin
	}
	return q.MinPoints
}

// probe is the default probe for an index of cells cells.
func (q *IVFConfig) probe(cells int) int {
	if q.Probe > 0 {
		return min(q.Probe, cells)
	}
	return min(cells, max(8, cells/16))
}

// validate reports the config's problems, naming field; m is the
// vector's distance.
func (q *IVFConfig) validate(field string, m Metric) []error {
	if q == nil || q.Disabled {
		return nil
	}
	var errs []error
	if m != Cosine && m != Dot {
		errs = append(errs, fmt.Errorf("%s: the partitioned index scores inner products: want distance Cosine or Dot, not %s", field, m))
	}
	if q.Cells < 0 || q.Cells > MaxIVFCells {
		errs = append(errs, fmt.Errorf("%s.cells %d: want 0 (about 3·√points) or 1..%d", field, q.Cells, MaxIVFCells))
	}
	if q.Spill < 0 || q.Spill > ivf.MaxSpill {
		errs = append(errs, fmt.Errorf("%s.spill %d: want 0 (2) or 1..%d", field, q.Spill, ivf.MaxSpill))
	}
	if q.Probe < 0 || q.Probe > MaxIVFCells {
		errs = append(errs, fmt.Errorf("%s.probe %d: want 0 (cells/16) or 1..%d", field, q.Probe, MaxIVFCells))
	}
	if q.MinPoints < 0 || q.MinPoints > MaxIVFMinPoints {
		errs = append(errs, fmt.Errorf("%s.min_points %d: want 0 (%d) or 1..%d", field, q.MinPoints, defaultIVFMin, MaxIVFMinPoints))
	}
	return errs
}

// check validates a query's params.ivf.
func (s IVFSearch) check() error {
	if s.Probe < 0 || s.Probe > MaxIVFCells {
		return fmt.Errorf("%w: params.ivf.probe %d: want 1..%d", ErrBadRequest, s.Probe, MaxIVFCells)
	}
	if s.Reorder < 0 || s.Reorder > MaxIVFReorder {
		return fmt.Errorf("%w: params.ivf.reorder %d: want 1..%d", ErrBadRequest, s.Reorder, MaxIVFReorder)
	}
	return nil
}
