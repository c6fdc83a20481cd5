package query

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Groups, as Qdrant's groups queries: the best points of a query, grouped
// by their values of a payload key, at most GroupSize per group, the groups
// ordered by their best point. A point whose value is an array joins the
// group of each string or integer in it; points without such a value are
// left out. They still take candidate places: the candidate search does not
// filter them away, because an is_empty condition is not answered from the
// payload indexes and would read every point's payload in every round.
//
// The groups are found by widening: the query runs for limit×group_size
// candidates, then four times as many, and so on, until the first `limit`
// groups are full, the query runs out of candidates, or the candidates
// reach Config.GroupCandidatesMax. Each round reads ids and scores; each
// candidate's group key is read once, whatever the rounds that see it, and
// the hits' records once at the end. With exact
// scoring the answer is then exactly the brute-force one unless the cap
// was reached. When groups are sparse (a few points per value spread over
// many) the cap is reached first: the answer holds the groups found among
// the best GroupCandidatesMax candidates, in order, some with fewer than
// GroupSize hits, and perhaps fewer than `limit` groups. So it is too when
// most of the best points lack the key: filter on the key to skip them.

// GroupRequest is a query whose results are grouped by a payload key.
type GroupRequest struct {
	// Request is the query. Its Limit is the number of groups (zero
	// means 10), its Offset must be 0, and its ReadOptions are what hits
	// carry.
	Request
	// GroupBy is the payload key (a dotted path) whose values name groups.
	GroupBy string
	// GroupSize is the most hits per group; zero means 3.
	GroupSize int
	// WithLookup, when set, reads for each group the point of another
	// collection whose id is the group's id.
	WithLookup *GroupLookup
}

// GroupLookup names the collection a group's id is looked up in and what
// the looked-up point carries.
type GroupLookup struct {
	Collection string
	index.ReadOptions
}

// GroupID is a group's value of the key: a string, or an integer when
// IsInt.
type GroupID struct {
	Str   string
	Int   int64
	IsInt bool
}

// Group is one group of a groups query's answer.
type Group struct {
	ID   GroupID
	Hits []index.ScoredPoint
	// Lookup is the point of the lookup collection with the group's id;
	// nil without WithLookup, or when there is none.
	Lookup *index.Record
}

// MaxGroupKeyLen bounds GroupBy.
const MaxGroupKeyLen = 512

func (e *Engine) checkGroups(req *GroupRequest) error {
	if req.GroupBy == "" || len(req.GroupBy) > MaxGroupKeyLen {
		return badRequest("group_by: want a payload key of 1..%d bytes", MaxGroupKeyLen)
	}
	if req.GroupSize < 0 || req.GroupSize > e.cfg.MaxLimit {
		return badRequest("group_size %d: want 1..%d", req.GroupSize, e.cfg.MaxLimit)
	}
	if req.Offset != 0 {
		return badRequest("offset: groups queries take no offset")
	}
	if groups := limitOf(&req.Request); groups <= e.cfg.MaxLimit && groups*groupSize(req) > e.cfg.MaxLimit {
		return badRequest("limit %d × group_size %d: want at most %d hits in all", groups, groupSize(req), e.cfg.MaxLimit)
	}
	if w := req.WithLookup; w != nil {
		if w.Collection == "" {
			return badRequest("with_lookup.collection: required")
		}
		if e.cfg.Lookup == nil {
			return badRequest("with_lookup: not supported here")
		}
	}
	return nil
}

func groupSize(req *GroupRequest) int {
	if req.GroupSize == 0 {
		return 3
	}
	return req.GroupSize
}

// MaxResults is the most points the answer to req can hold: every group
// full, and its lookup. It saturates at math.MaxInt32 instead of
// overflowing, so a caller can compare it with a budget before the request
// is validated.
func (req *GroupRequest) MaxResults() int {
	groups, size := int64(limitOf(&req.Request)), int64(groupSize(req))
	if groups < 0 || size < 0 || groups > math.MaxInt32 || size > math.MaxInt32 {
		return math.MaxInt32
	}
	n := groups * size
	if req.WithLookup != nil {
		n += groups
	}
	return int(min(n, math.MaxInt32))
}

// RunGroups answers a groups query on collection c.
func (e *Engine) RunGroups(ctx context.Context, c Collection, req GroupRequest) ([]Group, error) {
	if err := e.checkGroups(&req); err != nil {
		return nil, err
	}
	prepared, err := e.prepare(ctx, c, []Request{req.Request})
	if err != nil {
		return nil, err
	}
	base := prepared[0]
	base.ReadOptions = index.ReadOptions{}
	limit, size := limitOf(&req.Request), groupSize(&req)
	k := limit * size
	maxK := max(k, e.cfg.GroupCandidatesMax)
	var groups []*Group
	known := map[pointid.ID][]GroupID{}
	for {
		r := base.withOwnInputs()
		r.Limit = k
		res, _, err := e.exec(ctx, c, &r)
		if err != nil {
			return nil, err
		}
		if err := readGroupIDs(ctx, c, res, req.GroupBy, known); err != nil {
			return nil, err
		}
		groups = grouped(res, known, size)
		if len(res) < k || full(groups, limit, size) || k == maxK {
			break
		}
		k = min(k*4, maxK)
	}
	groups = groups[:min(limit, len(groups))]
	out, err := e.withHitRecords(ctx, c, &req.Request, groups)
	if err != nil {
		return nil, err
	}
	if req.WithLookup != nil {
		if err := e.lookupGroups(ctx, req.WithLookup, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readGroupIDs adds to known the group ids of the points of res it lacks,
// read from their payloads in one scroll: each point's payload is read
// once however many rounds see it. A point deleted meanwhile has none.
func readGroupIDs(ctx context.Context, c Collection, res []index.ScoredPoint, key string, known map[pointid.ID][]GroupID) error {
	var missing []pointid.ID
	for _, p := range res {
		if _, ok := known[p.ID]; !ok {
			missing = append(missing, p.ID)
			known[p.ID] = nil
		}
	}
	if len(missing) == 0 {
		return nil
	}
	page, err := c.Scroll(ctx, index.ScrollRequest{
		Filter: &filter.Filter{Must: []filter.Condition{{HasID: missing}}}, Limit: len(missing),
		ReadOptions: index.ReadOptions{WithPayload: true, Include: []string{topKey(key)}},
	})
	if err != nil {
		return err
	}
	for _, r := range page.Points {
		known[r.ID] = groupIDs(r.Payload, key)
	}
	return nil
}

// grouped groups hits, best first, by their group ids, keeping the first
// size hits of each group; groups are in order of their best hit.
func grouped(res []index.ScoredPoint, known map[pointid.ID][]GroupID, size int) []*Group {
	var order []*Group
	byID := map[GroupID]*Group{}
	for _, hit := range res {
		for _, id := range known[hit.ID] {
			g := byID[id]
			if g == nil {
				g = &Group{ID: id}
				byID[id] = g
				order = append(order, g)
			}
			if len(g.Hits) < size {
				g.Hits = append(g.Hits, index.ScoredPoint{Record: index.Record{ID: hit.ID}, Score: hit.Score})
			}
		}
	}
	return order
}

// full reports whether the first limit groups each hold size hits.
func full(groups []*Group, limit, size int) bool {
	if len(groups) < limit {
		return false
	}
	for _, g := range groups[:limit] {
		if len(g.Hits) < size {
			return false
		}
	}
	return true
}

// groupIDs returns the distinct strings and integers at key in p.
func groupIDs(p filter.Payload, key string) []GroupID {
	var out []GroupID
	seen := map[GroupID]bool{}
	for _, v := range filter.Values(p, key) {
		var id GroupID
		switch x := v.(type) {
		case string:
			id = GroupID{Str: x}
		case json.Number:
			n, err := x.Int64()
			if err != nil {
				continue
			}
			id = GroupID{Int: n, IsInt: true}
		case float64:
			if x != math.Trunc(x) || math.Abs(x) >= 1<<63 {
				continue
			}
			id = GroupID{Int: int64(x), IsInt: true}
		default:
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// topKey is the top-level payload key a dotted path starts with.
func topKey(path string) string {
	key, _, _ := strings.Cut(path, ".")
	return strings.TrimSuffix(key, "[]")
}

// withHitRecords gives the groups' hits what req's read options ask for;
// hits deleted since are left out, and groups left empty dropped.
func (e *Engine) withHitRecords(ctx context.Context, c Collection, req *Request, groups []*Group) ([]Group, error) {
	var flat []index.ScoredPoint
	seen := map[pointid.ID]bool{}
	for _, g := range groups {
		for _, h := range g.Hits {
			if !seen[h.ID] {
				seen[h.ID] = true
				flat = append(flat, h)
			}
		}
	}
	filled, err := e.withRecords(ctx, c, req, flat)
	if err != nil {
		return nil, err
	}
	recs := make(map[pointid.ID]index.Record, len(filled))
	for _, p := range filled {
		recs[p.ID] = p.Record
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		hits := g.Hits[:0]
		for _, h := range g.Hits {
			if r, ok := recs[h.ID]; ok {
				h.Record = r
				hits = append(hits, h)
			}
		}
		if len(hits) > 0 {
			out = append(out, Group{ID: g.ID, Hits: hits})
		}
	}
	return out, nil
}

// lookupGroups sets each group's Lookup to the point of the lookup
// collection whose id is the group's: an integer id for a non-negative
// integer, a UUID id for a UUID string; other groups get none.
func (e *Engine) lookupGroups(ctx context.Context, w *GroupLookup, groups []Group) error {
	from, err := e.cfg.Lookup(w.Collection)
	if err != nil {
		return fmt.Errorf("with_lookup: %w", err)
	}
	var ids []pointid.ID
	for _, g := range groups {
		if id, ok := g.ID.pointID(); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	page, err := from.Scroll(ctx, index.ScrollRequest{
		Filter: &filter.Filter{Must: []filter.Condition{{HasID: ids}}}, Limit: len(ids), ReadOptions: w.ReadOptions,
	})
	if err != nil {
		return fmt.Errorf("with_lookup: %w", err)
	}
	recs := make(map[pointid.ID]index.Record, len(page.Points))
	for _, r := range page.Points {
		recs[r.ID] = r
	}
	for i := range groups {
		if id, ok := groups[i].ID.pointID(); ok {
			if r, ok := recs[id]; ok {
				groups[i].Lookup = &r
			}
		}
	}
	return nil
}

// pointID is the point id a group id names, if any.
func (g GroupID) pointID() (pointid.ID, bool) {
	if g.IsInt {
		return pointid.FromNum(uint64(g.Int)), g.Int >= 0
	}
	id, err := pointid.Parse(g.Str)
	return id, err == nil && id.IsUUID()
}
