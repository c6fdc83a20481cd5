package bench

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"github.com/quiver-db/quiver/internal/progress"
)

// SyntheticConfig is a generated corpus with a Zipfian vocabulary, for the
// speed of sparse search at a size no labelled set here has. Zero fields
// take the defaults each states.
type SyntheticConfig struct {
	// Docs is the number of documents. Default 1,000,000.
	Docs int
	// Vocab is the number of distinct terms. Default 200,000.
	Vocab int
	// S is the Zipf exponent: term k is drawn with probability ∝
	// (1 + k)^−S. Default 1.1.
	S float64
	// MinLen and MaxLen bound a document's terms (repeats counted), drawn
	// uniformly. Defaults 20 and 60.
	MinLen, MaxLen int
	// Queries is the number of queries. Default 500.
	Queries int
	// MinQuery and MaxQuery bound a query's distinct terms, drawn from the
	// same distribution. Defaults 2 and 6.
	MinQuery, MaxQuery int
	// Seed fixes the corpus. Default 1.
	Seed uint64
}

func (c *SyntheticConfig) ensureDefaults() {
	c.Docs = cmp.Or(c.Docs, 1_000_000)
	c.Vocab = cmp.Or(c.Vocab, 200_000)
	c.S = cmp.Or(c.S, 1.1)
	c.MinLen, c.MaxLen = cmp.Or(c.MinLen, 20), cmp.Or(c.MaxLen, 60)
	c.Queries = cmp.Or(c.Queries, 500)
	c.MinQuery, c.MaxQuery = cmp.Or(c.MinQuery, 2), cmp.Or(c.MaxQuery, 6)
	c.Seed = cmp.Or(c.Seed, 1)
}

func (c *SyntheticConfig) validate() error {
	var errs []error
	if c.Docs < 1 || c.Vocab < 2 || c.Queries < 1 {
		errs = append(errs, fmt.Errorf("docs %d, vocab %d, queries %d: want ≥ 1, ≥ 2, ≥ 1", c.Docs, c.Vocab, c.Queries))
	}
	if !(c.S > 1) {
		errs = append(errs, fmt.Errorf("zipf s %v: want > 1", c.S))
	}
	if c.MinLen < 1 || c.MaxLen < c.MinLen {
		errs = append(errs, fmt.Errorf("document length %d..%d: want 1 ≤ min ≤ max", c.MinLen, c.MaxLen))
	}
	if c.MinQuery < 1 || c.MaxQuery < c.MinQuery || c.MaxQuery > c.Vocab {
		errs = append(errs, fmt.Errorf("query terms %d..%d: want 1 ≤ min ≤ max ≤ vocab", c.MinQuery, c.MaxQuery))
	}
	return errors.Join(errs...)
}

// String names the corpus in reports.
func (c SyntheticConfig) String() string {
	return fmt.Sprintf("synthetic: %d docs of %d-%d terms, Zipf s=%g over %d terms, queries of %d-%d terms, seed %d",
		c.Docs, c.MinLen, c.MaxLen, c.S, c.Vocab, c.MinQuery, c.MaxQuery, c.Seed)
}

// SyntheticCorpus generates the corpus cfg describes; the same config
// gives the same corpus.
func SyntheticCorpus(cfg SyntheticConfig, log io.Writer) (sparseCorpus, error) {
	cfg.ensureDefaults()
	if err := cfg.validate(); err != nil {
		return sparseCorpus{}, fmt.Errorf("synthetic corpus: %w", err)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x2f1))
	z := rand.NewZipf(r, cfg.S, 1, uint64(cfg.Vocab-1))
	c := sparseCorpus{name: cfg.String(), docs: make([][]uint32, cfg.Docs)}
	bar := progress.Start(log, "generate synthetic corpus", "docs", int64(cfg.Docs))
	// One backing array for all documents, sized for the longest: a
	// million small slices would cost the collector more than the corpus.
	flat := make([]uint32, 0, cfg.Docs*cfg.MaxLen)
	for i := range c.docs {
		n := cfg.MinLen + r.IntN(cfg.MaxLen-cfg.MinLen+1)
		lo := len(flat)
		for range n {
			flat = append(flat, uint32(z.Uint64()))
		}
		c.docs[i] = flat[lo:len(flat):len(flat)]
		if i%65536 == 65535 {
			bar.Add(65536)
		}
	}
	bar.Add(int64(cfg.Docs % 65536))
	bar.Finish()
	for range cfg.Queries {
		n := cfg.MinQuery + r.IntN(cfg.MaxQuery-cfg.MinQuery+1)
		var q []uint32
		for len(q) < n {
			if t := uint32(z.Uint64()); !slices.Contains(q, t) {
				q = append(q, t)
			}
		}
		slices.Sort(q)
		c.queries = append(c.queries, q)
	}
	return c, nil
}
