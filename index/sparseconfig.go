package index

import (
	"fmt"
	"slices"
)

// Modifier is what a sparse vector's query weights are multiplied by at
// query time, spelled as Qdrant spells it.
type Modifier string

// Modifiers.
const (
	// ModifierNone uses the weights as given.
	ModifierNone Modifier = "none"
	// ModifierIDF multiplies each query weight by the term's inverse
	// document frequency among the points carrying the vector
	// (sparse.IDF), which makes BM25 document weights full BM25 scores.
	ModifierIDF Modifier = "idf"
)

// SparseVectorConfig describes one sparse vector.
type SparseVectorConfig struct {
	// Modifier is applied to query weights; "" means none.
	Modifier Modifier `json:"modifier,omitempty"`
	// Space is the storage sparse space (1..255) that holds this vector;
	// zero in a Config passed to DB.Create, which assigns it.
	Space uint8 `json:"space"`
}

// SparseNames returns the names of the sparse vectors, sorted.
func (c *Config) SparseNames() []string {
	names := make([]string, 0, len(c.SparseVectors))
	for n := range c.SparseVectors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// assignSparseSpaces gives each sparse vector without a space the lowest
// free one, in name order.
func (c *Config) assignSparseSpaces() {
	assignFree(c.SparseVectors, c.SparseNames(), func(v *SparseVectorConfig) *uint8 { return &v.Space })
}

func (c *Config) validateSparse() []error {
	var errs []error
	if len(c.SparseVectors) == 0 {
		return nil
	}
	if c.VectorSize != 0 || c.Distance != "" {
		errs = append(errs, fmt.Errorf("sparse vectors beside an unnamed dense vector: name the dense vector (\"vectors\": {\"name\": {...}})"))
	}
	if len(c.SparseVectors) > MaxNamedVectors {
		errs = append(errs, fmt.Errorf("%d sparse vectors, want at most %d", len(c.SparseVectors), MaxNamedVectors))
	}
	spaces := map[uint8]string{}
	for _, name := range c.SparseNames() {
		v := c.SparseVectors[name]
		if !vectorNamePattern.MatchString(name) {
			errs = append(errs, fmt.Errorf("sparse vector name %q: want 1-255 letters, digits, '_', '-' or '.'", name))
		}
		if _, dense := c.Vectors[name]; dense {
			errs = append(errs, fmt.Errorf("sparse vector %q: a dense vector has the same name", name))
		}
		switch v.Modifier {
		case "", ModifierNone, ModifierIDF:
		default:
			errs = append(errs, fmt.Errorf("sparse vector %q: modifier %q, want none or idf", name, v.Modifier))
		}
		if other, ok := spaces[v.Space]; ok || v.Space == 0 {
			errs = append(errs, fmt.Errorf("sparse vector %q: space %d (taken by %q or zero)", name, v.Space, other))
		}
		spaces[v.Space] = name
	}
	return errs
}
