package hnsw

import (
	"errors"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/internal/bitset"
)

// Metric says how two vectors are compared.
type Metric uint8

const (
	// Cosine normalises vectors at insert and query; the score is the cosine
	// similarity (higher is better).
	Cosine Metric = iota
	// Dot is maximum inner product search; the score is the raw dot product
	// (higher is better).
	Dot
	// L2 is Euclidean distance; the score is the distance (lower is
	// better).
	L2
)

func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	case L2:
		return "l2"
	}
	return fmt.Sprintf("metric(%d)", uint8(m))
}

// ParseMetric accepts the names String returns and the synonyms users type.
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "cosine", "Cosine", "angular":
		return Cosine, nil
	case "dot", "Dot", "ip":
		return Dot, nil
	case "l2", "L2", "euclid", "Euclid", "euclidean":
		return L2, nil
	}
	return 0, fmt.Errorf("hnsw: unknown metric %q (want cosine, dot or l2)", s)
}

// HigherIsBetter reports whether larger scores mean closer vectors.
func (m Metric) HigherIsBetter() bool { return m != L2 }

// Options configure a Graph. The zero value of each field means its default.
type Options struct {
	// M is the number of links per node on upper layers; layer 0 keeps 2·M.
	// Default 16.
	M int
	// EfConstruction is the candidate list size while inserting. Default 200.
	EfConstruction int
	// Ef is the default candidate list size of a search; a search uses
	// max(k, Ef). Default 64.
	Ef int
	// Metric compares vectors. Default Cosine.
	Metric Metric
	// Seed seeds the random level generator. Default 1.
	Seed int64
}

// Defaults of Options.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEf             = 64
)

// maxM bounds M so a node's level and link counts fit their encodings.
const maxM = 256

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	if o.Ef == 0 {
		o.Ef = DefaultEf
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// MaxEf bounds EfConstruction and Ef: each insert or search keeps that many
// candidates, so an unbounded value would let one collection's config make
// every write cost what it likes.
const MaxEf = 10000

// Validate reports every problem with the options, after defaults.
func (o Options) Validate() error {
	var errs []error
	if o.M < 2 || o.M > maxM {
		errs = append(errs, fmt.Errorf("hnsw: M = %d, want 2..%d", o.M, maxM))
	}
	if o.EfConstruction < 1 || o.EfConstruction > MaxEf {
		errs = append(errs, fmt.Errorf("hnsw: EfConstruction = %d, want 1..%d", o.EfConstruction, MaxEf))
	}
	if o.Ef < 1 || o.Ef > MaxEf {
		errs = append(errs, fmt.Errorf("hnsw: Ef = %d, want 1..%d", o.Ef, MaxEf))
	}
	if o.Metric > L2 {
		errs = append(errs, fmt.Errorf("hnsw: unknown metric %d", o.Metric))
	}
	return errors.Join(errs...)
}

// levelMult is mL = 1/ln(M), the normalisation of the level distribution.
func (o Options) levelMult() float64 { return 1 / math.Log(float64(o.M)) }

// SearchOptions are the per-query knobs.
type SearchOptions struct {
	// Ef is the candidate list size; 0 means max(k, Options.Ef). Larger is
	// slower and more accurate.
	Ef int
	// Filter, when set, admits nodes as results; the traversal still walks
	// through nodes it rejects. It must be safe for concurrent use.
	Filter func(node uint32) bool
	// Within, when non-nil, admits only its members as results and walks
	// only over them, reaching past a non-member neighbour to that node's
	// neighbours (ACORN-1's two-hop expansion), so non-members are never
	// scored. It pays when a few percent to about half of the nodes are
	// members; Filter is then ignored.
	Within bitset.Set
	// Quantization shapes the search of a quantized graph; an unquantized
	// graph ignores it.
	Quantization QuantizedSearch
	// Stats, when set, receives what the search did.
	Stats *SearchStats
}

// QuantizedSearch are the per-query knobs of a quantized graph, as
// Qdrant's QuantizationSearchParams. The zero value walks the codes and
// re-scores with the float vectors.
type QuantizedSearch struct {
	// Ignore walks the float vectors, as in a graph without codes.
	Ignore bool
	// NoRescore returns the code estimates as scores instead of scoring
	// the final candidates with the float vectors.
	NoRescore bool
	// Oversampling is how many candidates per result the walk keeps for
	// re-scoring: the search keeps max(ef, ⌈k·Oversampling⌉) (at most
	// MaxEf, never fewer than k). 0 means 1; else 1..MaxOversampling.
	Oversampling float64
}

// SearchStats reports what one search did.
type SearchStats struct {
	// Quantized reports that the walk scored codes.
	Quantized bool
	// Rescored is how many candidates were scored with the float vectors
	// after a walk on codes.
	Rescored int
}

// Result is one search hit.
type Result struct {
	Node uint32
	// Score is the cosine similarity, the dot product or the Euclidean
	// distance, as the metric says.
	Score float32
}
