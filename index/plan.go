package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
)

// match returns the set of live nodes whose points match f (nil: all).
// Conditions on indexed keys and has_id are answered from the payload
// indexes and the id map; what they cannot answer is checked against each
// remaining candidate's payload.
func (c *Collection) match(ctx context.Context, f *filter.Filter) (bitset.Set, error) {
	c.mu.RLock()
	closed := c.mu.closed
	live := c.mu.live.Clone()
	indexes := c.mu.indexes
	c.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	if f == nil {
		return live, nil
	}
	p := &planner{c: c, live: live, indexes: indexes}
	cand, exact, err := p.filter(f)
	if err != nil {
		return nil, err
	}
	if cand == nil {
		cand = live
	} else {
		cand.And(live)
	}
	if exact {
		return cand, nil
	}
	out := bitset.Set{}
	var ferr error
	cand.Each(func(node uint32) {
		if ferr != nil {
			return
		}
		if ferr = ctx.Err(); ferr != nil {
			return
		}
		id, payload, ok, err := c.pointAt(node)
		if err != nil {
			ferr = err
			return
		}
		if ok && f.Matches(id, payload) {
			out.Add(node)
		}
	})
	return out, ferr
}

// pointAt reads the id and decoded payload at node; ok is false when the
// node no longer holds a point.
func (c *Collection) pointAt(node uint32) (pointid.ID, filter.Payload, bool, error) {
	c.mu.RLock()
	ok := c.mu.live.Has(node)
	id := c.mu.nodes[node]
	c.mu.RUnlock()
	if !ok {
		return id, nil, false, nil
	}
	raw, err := c.store.Payload(node)
	if errors.Is(err, storage.ErrNotFound) {
		return id, nil, false, nil // deleted since the read of live
	}
	if err != nil {
		return id, nil, false, err
	}
	p, err := decodePayload(raw)
	return id, p, err == nil, err
}

// planner answers filters from payload indexes for one match call.
type planner struct {
	c       *Collection
	live    bitset.Set           // the live nodes when the match started
	indexes map[string]FieldType // the payload indexes then
}

// filter returns a superset of the nodes matching f (nil meaning every
// node) and whether it is exactly the matching set.
func (p *planner) filter(f *filter.Filter) (bitset.Set, bool, error) {
	var acc bitset.Set
	exact := true
	intersect := func(s bitset.Set) {
		if acc == nil {
			acc = s.Clone()
		} else {
			acc.And(s)
		}
	}
	for i := range f.Must {
		s, ex, err := p.condition(&f.Must[i])
		if err != nil {
			return nil, false, err
		}
		exact = exact && ex
		if s != nil {
			intersect(s)
		}
	}
	if len(f.Should) > 0 {
		var union bitset.Set
		all := false
		for i := range f.Should {
			s, ex, err := p.condition(&f.Should[i])
			if err != nil {
				return nil, false, err
			}
			exact = exact && ex
			if s == nil {
				all = true
			}
			union.Or(s)
		}
		if !all {
			intersect(union)
		}
	}
	if len(f.MustNot) > 0 {
		// A complement is only a superset when what it removes is exact.
		var union bitset.Set
		usable := true
		for i := range f.MustNot {
			s, ex, err := p.condition(&f.MustNot[i])
			if err != nil {
				return nil, false, err
			}
			if !ex {
				usable = false
				break
			}
			if s == nil {
				s = p.live
			}
			union.Or(s)
		}
		if usable {
			rest := p.live.Clone()
			rest.AndNot(union)
			intersect(rest)
		} else {
			exact = false
		}
	}
	return acc, exact, nil
}

// condition answers one condition from the indexes: the matching set
// (nil when unknown: every node) and whether it is exact.
func (p *planner) condition(cond *filter.Condition) (bitset.Set, bool, error) {
	switch {
	case cond.Filter != nil:
		return p.filter(cond.Filter)
	case cond.HasID != nil:
		s := bitset.Set{}
		p.c.mu.RLock()
		for _, id := range cond.HasID {
			if n, ok := p.c.mu.ids[id]; ok {
				s.Add(n)
			}
		}
		p.c.mu.RUnlock()
		return s, true, nil
	case cond.Field != nil:
		return p.field(cond.Field)
	}
	return nil, false, nil
}

func (p *planner) field(fc *filter.FieldCondition) (bitset.Set, bool, error) {
	typ, indexed := p.indexes[fc.Key]
	if !indexed {
		return nil, false, nil
	}
	var acc bitset.Set
	exact := true
	if m := fc.Match; m != nil {
		values := m.Any
		if m.IsValue() {
			values = []any{m.Value}
		}
		if m.IsExcept() {
			return nil, false, nil
		}
		acc, exact = p.lookupValues(fc.Key, typ, values)
	}
	if r := fc.Range; r != nil {
		if typ == Keyword {
			return acc, false, nil
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if r.GT != nil {
			lo = *r.GT
		}
		if r.GTE != nil {
			lo = max(lo, *r.GTE)
		}
		if r.LT != nil {
			hi = *r.LT
		}
		if r.LTE != nil {
			hi = min(hi, *r.LTE)
		}
		s := bitset.New(int(p.live.Bound()))
		loOpen, hiOpen := r.GT != nil && *r.GT == lo, r.LT != nil && *r.LT == hi
		p.c.post.numberRange(fc.Key, lo, hi, loOpen, hiOpen, &s)
		if acc == nil {
			acc = s
		} else {
			acc.And(s)
		}
		// Match and range may be met by different values of an array:
		// the intersection is then only a superset.
		exact = exact && fc.Match == nil
	}
	return acc, exact, nil
}

// lookupValues returns the nodes whose key holds one of values, from an
// index of type typ.
func (p *planner) lookupValues(key string, typ FieldType, values []any) (bitset.Set, bool) {
	s := bitset.Set{}
	exact := true
	for _, v := range values {
		switch x := v.(type) {
		case string:
			if typ != Keyword {
				return nil, false // strings are not in a numeric index
			}
			if len(x) > storage.MaxTermLen {
				exact = false
			}
			p.c.post.keyword(key, x, &s)
		default:
			n, ok := filter.Number(v)
			if !ok || typ == Keyword {
				return nil, false
			}
			p.c.post.numberRange(key, n, n, false, false, &s)
		}
	}
	return s, exact
}

func decodePayload(raw []byte) (filter.Payload, error) {
	p := filter.Payload{}
	if len(raw) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode stored payload: %w", err)
	}
	return p, nil
}

// idsOf returns the point ids of the live nodes in set.
func (c *Collection) idsOf(set bitset.Set) []pointid.ID {
	var ids []pointid.ID
	c.mu.RLock()
	defer c.mu.RUnlock()
	set.Each(func(n uint32) {
		if c.mu.live.Has(n) {
			ids = append(ids, c.mu.nodes[n])
		}
	})
	return ids
}
