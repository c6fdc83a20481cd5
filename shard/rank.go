package shard

import (
	"cmp"
	"context"
	"slices"

	"github.com/quiver-db/quiver/index"
)

// rankPage is how many candidates a Client asks for at once when it
// ranks (a variable so that tests can make pages short); the Handler cuts
// a page shorter to keep it under rankPageBytes.
var rankPage = 1024

const rankPageBytes = 8 << 20

// Rank implements Shard. A rank's score is the caller's function, which
// cannot travel: the client pages through the shard's candidates with
// their vectors (as the graph holds them, unit length for Cosine), scores
// them here and reads the best with the options asked. It moves every
// candidate's vector, so it costs what the candidates weigh: the query
// engine ranks the whole collection only up to its RecommendScanMax.
func (c *Client) Rank(ctx context.Context, req index.RankRequest) ([]index.ScoredPoint, error) {
	if req.Score == nil {
		return nil, errNoScore
	}
	limit, err := checkWindow(req.Limit, req.Offset)
	if err != nil {
		return nil, err
	}
	if req.Among != nil && len(req.Among) == 0 {
		return []index.ScoredPoint{}, nil
	}
	f, err := marshalFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	k := limit + req.Offset
	best := []index.ScoredPoint{}
	in := rankVectorsWire{Using: req.Using, Among: req.Among, Filter: f, Limit: rankPage}
	for {
		var page rankVectorsAnswer
		if err := c.call(ctx, methodRankVectors, in, &page); err != nil {
			return nil, err
		}
		for i, id := range page.IDs {
			best = append(best, index.ScoredPoint{Record: index.Record{ID: id}, Score: req.Score(page.Vectors[i])})
		}
		if len(best) > 4*k {
			best = topScored(best, k)
		}
		if page.Next == nil {
			break
		}
		in.After = page.Next
	}
	best = topScored(best, k)
	best = best[min(req.Offset, len(best)):]
	if !wantsRecords(req.ReadOptions) {
		return best, nil
	}
	return withRecords(ctx, c.Get, best, req.ReadOptions)
}

// topScored keeps the best k, best first, ties by id.
func topScored(ps []index.ScoredPoint, k int) []index.ScoredPoint {
	slices.SortFunc(ps, func(a, b index.ScoredPoint) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	return ps[:min(k, len(ps))]
}
