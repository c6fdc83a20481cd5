package bm25

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/quiver-db/quiver/sparse"
)

// Model is the model name that documents use, matched without regard to
// case as Qdrant does.
const Model = "Qdrant/bm25"

// IsModel reports whether name names this package's model.
func IsModel(name string) bool { return strings.EqualFold(name, Model) }

// Options are a document's BM25 options; zero fields take the defaults
// each states (FastEmbed's).
type Options struct {
	// Language picks the stemmer and stop words; "" means "english".
	Language string `json:"language,omitempty"`
	// K is the term-frequency saturation; zero means 1.2.
	K float64 `json:"k,omitempty"`
	// B is the weight of document length; nil means 0.75 (0 is valid: no
	// length normalisation).
	B *float64 `json:"b,omitempty"`
	// AvgLen is the average document length in tokens; zero means 256.
	AvgLen float64 `json:"avg_len,omitempty"`
}

// EnsureDefaults fills the zero fields.
func (o *Options) EnsureDefaults() {
	if o.Language == "" {
		o.Language = "english"
	}
	if o.K == 0 {
		o.K = 1.2
	}
	if o.B == nil {
		b := 0.75
		o.B = &b
	}
	if o.AvgLen == 0 {
		o.AvgLen = 256
	}
}

// Validate reports every problem with defaulted options, each naming its
// field.
func (o *Options) Validate() error {
	var errs []error
	if _, err := lookup(o.Language); err != nil {
		errs = append(errs, err)
	}
	if !(o.K > 0) || math.IsInf(o.K, 0) {
		errs = append(errs, fmt.Errorf("k %v: want a finite number > 0", o.K))
	}
	if b := *o.B; !(b >= 0 && b <= 1) {
		errs = append(errs, fmt.Errorf("b %v: want 0..1", b))
	}
	if !(o.AvgLen > 0) || math.IsInf(o.AvgLen, 0) {
		errs = append(errs, fmt.Errorf("avg_len %v: want a finite number > 0", o.AvgLen))
	}
	return errors.Join(errs...)
}

func (o Options) ready() (Options, error) {
	o.EnsureDefaults()
	return o, o.Validate()
}

// Document returns the BM25 document vector of text, sorted by term id.
func Document(text string, opts Options) (sparse.Vector, error) {
	opts, err := opts.ready()
	if err != nil {
		return sparse.Vector{}, err
	}
	tokens, err := Tokens(text, opts.Language)
	if err != nil {
		return sparse.Vector{}, err
	}
	terms := make([]uint32, len(tokens))
	for i, t := range tokens {
		terms[i] = TokenID(t)
	}
	return weigh(terms, opts), nil
}

// DocumentOfTerms returns the BM25 document vector of a text already
// turned into term ids, in order with repeats (a corpus tokenised
// elsewhere, a synthetic one), sorted by term id. Language of opts does
// not matter.
func DocumentOfTerms(terms []uint32, opts Options) (sparse.Vector, error) {
	opts, err := opts.ready()
	if err != nil {
		return sparse.Vector{}, err
	}
	return weigh(terms, opts), nil
}

// weigh gives each distinct term its BM25 term-frequency weight; opts are
// defaulted and valid.
func weigh(terms []uint32, opts Options) sparse.Vector {
	tf := map[uint32]int{}
	for _, t := range terms {
		tf[t]++
	}
	norm := opts.K * (1 - *opts.B + *opts.B*float64(len(terms))/opts.AvgLen)
	v := sparse.Vector{Indices: make([]uint32, 0, len(tf)), Values: make([]float32, 0, len(tf))}
	for id, n := range tf {
		v.Indices = append(v.Indices, id)
		v.Values = append(v.Values, float32(float64(n)*(opts.K+1)/(float64(n)+norm)))
	}
	return capped(v.Sorted())
}

// Query returns the BM25 query vector of text: weight 1 for each distinct
// term, sorted by term id. Only Language of opts matters.
func Query(text string, opts Options) (sparse.Vector, error) {
	opts, err := opts.ready()
	if err != nil {
		return sparse.Vector{}, err
	}
	tokens, err := Tokens(text, opts.Language)
	if err != nil {
		return sparse.Vector{}, err
	}
	seen := map[uint32]bool{}
	var v sparse.Vector
	for _, t := range tokens {
		if id := TokenID(t); !seen[id] {
			seen[id] = true
			v.Indices, v.Values = append(v.Indices, id), append(v.Values, 1)
		}
	}
	return capped(v.Sorted()), nil
}

// capped keeps a huge text's vector within sparse.MaxNonzeros, dropping
// the highest term ids (an arbitrary but stable choice).
func capped(v sparse.Vector) sparse.Vector {
	if v.Len() > sparse.MaxNonzeros {
		v.Indices, v.Values = v.Indices[:sparse.MaxNonzeros], v.Values[:sparse.MaxNonzeros]
	}
	return v
}
