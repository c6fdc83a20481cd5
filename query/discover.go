package query

import (
	"context"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Discovery and context search, as Qdrant defines them. Both score a
// candidate x by its similarities to pairs of examples (sim, higher is
// closer: the Euclidean distance negated):
//
//	context:  Σ over pairs of s(min(sim(x, pos) − sim(x, neg) − ε, 0))
//	discover: Σ over pairs of sign(sim(x, pos) − sim(x, neg))
//	          + (s(sim(x, target)) + 1) / 2
//
// with s(t) = t / (1 + |t|) and ε float32's machine epsilon. A context
// score is 0 inside the zone where every pair's positive is nearer, and
// falls towards −1 per pair outside it. A discover score's integer part is
// the number of pairs x sides with positively, less those it sides with
// negatively; the target's similarity, squashed into (0, 1), orders points
// of the same rank. Points named by the examples are left out, as in
// recommendations.

// ContextPair is one pair of examples: results should be nearer Positive
// than Negative.
type ContextPair struct {
	Positive, Negative Input
}

// Discover ranks points by the context pairs they side with, then by
// their similarity to Target.
type Discover struct {
	Target  Input
	Context []ContextPair
}

// Context ranks points by how far they are from the zone where every
// pair's positive example is nearer than its negative one.
type Context struct {
	Pairs []ContextPair
}

func (*Discover) isQuery() {}
func (*Context) isQuery()  {}

// MaxContextPairs bounds the pairs of one query: each costs two
// similarities per candidate scored.
const MaxContextPairs = 256

func (q *Discover) check() error {
	if err := checkInput(&q.Target, "discover.target"); err != nil {
		return err
	}
	return checkPairs(q.Context, "discover.context")
}

func (q *Context) check() error {
	if len(q.Pairs) == 0 {
		return badRequest("context: want at least one pair of examples")
	}
	return checkPairs(q.Pairs, "context")
}

func checkPairs(pairs []ContextPair, where string) error {
	if len(pairs) > MaxContextPairs {
		return badRequest("%s: %d pairs, want at most %d", where, len(pairs), MaxContextPairs)
	}
	for i := range pairs {
		if err := checkInput(&pairs[i].Positive, fmt.Sprintf("%s[%d].positive", where, i)); err != nil {
			return err
		}
		if err := checkInput(&pairs[i].Negative, fmt.Sprintf("%s[%d].negative", where, i)); err != nil {
			return err
		}
	}
	return nil
}

// pairInputs appends pointers to the inputs of pairs to out.
func pairInputs(out []*Input, pairs []ContextPair) []*Input {
	for i := range pairs {
		out = append(out, &pairs[i].Positive, &pairs[i].Negative)
	}
	return out
}

// pairScorer scores candidates against prepared pairs and, for discovery,
// a target (nil for a context query).
type pairScorer struct {
	m        hnsw.Metric
	target   []float32
	pos, neg [][]float32
}

// contextEpsilon is the margin a candidate must be nearer a pair's
// positive by to lose nothing: float32's machine epsilon, as Qdrant's.
const contextEpsilon = 0x1p-23

// fastSigmoid maps the reals onto (−1, 1) without an exponential.
func fastSigmoid(x float32) float32 { return x / (1 + float32(math.Abs(float64(x)))) }

func (s *pairScorer) score(v []float32) float32 {
	if s.target == nil {
		var loss float32
		for i := range s.pos {
			d := s.m.Similarity(s.pos[i], v) - s.m.Similarity(s.neg[i], v) - contextEpsilon
			loss += fastSigmoid(min(d, 0))
		}
		return loss
	}
	rank := 0
	for i := range s.pos {
		p, n := s.m.Similarity(s.pos[i], v), s.m.Similarity(s.neg[i], v)
		switch {
		case p > n:
			rank++
		case p < n:
			rank--
		}
	}
	t := 0.5 * (fastSigmoid(s.m.Similarity(s.target, v)) + 1)
	return float32(rank) + t
}

// newPairScorer prepares pairs (and target, when not nil) for scoring
// against req's vector; what names the query in errors.
func newPairScorer(c Collection, req *Request, target *Input, pairs []ContextPair, what string) (*pairScorer, error) {
	s := &pairScorer{m: metricOf(c, req.Using)}
	pos, neg := make([]Input, len(pairs)), make([]Input, len(pairs))
	for i, p := range pairs {
		pos[i], neg[i] = p.Positive, p.Negative
	}
	var err error
	if s.pos, err = prepareExamples(c, req, pos, what); err != nil {
		return nil, err
	}
	if s.neg, err = prepareExamples(c, req, neg, what); err != nil {
		return nil, err
	}
	if target != nil {
		t, err := prepareExamples(c, req, []Input{*target}, what+".target")
		if err != nil {
			return nil, err
		}
		s.target = t[0]
	}
	return s, nil
}

// discover runs a discovery query: in a large collection the candidates
// are the target's nearest neighbours.
func (e *Engine) discover(ctx context.Context, c Collection, req *Request, q *Discover, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	s, err := newPairScorer(c, req, &q.Target, q.Context, "discover")
	if err != nil {
		return nil, err
	}
	return e.rankByScore(ctx, c, req, []Input{q.Target}, "discover", "leave out params.exact", s.score, ex)
}

// contextSearch runs a context query: in a large collection the candidates are
// the nearest neighbours of each positive example.
func (e *Engine) contextSearch(ctx context.Context, c Collection, req *Request, q *Context, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	s, err := newPairScorer(c, req, nil, q.Pairs, "context")
	if err != nil {
		return nil, err
	}
	seeds := make([]Input, len(q.Pairs))
	for i, p := range q.Pairs {
		seeds[i] = p.Positive
	}
	return e.rankByScore(ctx, c, req, seeds, "context", "leave out params.exact", s.score, ex)
}
