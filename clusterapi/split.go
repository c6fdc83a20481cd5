package clusterapi

import (
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// splitOps returns, per shard of n, the part of ops that shard applies,
// in order: points and ids go to the shard id.Shard(n) names, an
// operation that selects by filter goes to every shard whole. A shard
// none of whose points an operation names skips it. An operation naming
// no point at all (an empty list, or not exactly one kind) goes to shard
// 0, whose check refuses it as a single node would.
func splitOps(ops []index.Operation, n int) [][]index.Operation {
	out := make([][]index.Operation, n)
	for _, op := range ops {
		parts := splitOp(op, n)
		if parts == nil {
			out[0] = append(out[0], op)
			continue
		}
		for s, part := range parts {
			if part != nil {
				out[s] = append(out[s], *part)
			}
		}
	}
	return out
}

// splitOp splits one operation, or returns nil when it names no point.
func splitOp(op index.Operation, n int) []*index.Operation {
	kinds := 0
	for _, set := range []bool{op.Upsert != nil, op.Delete != nil, op.Payload != nil, op.UpdateVectors != nil, op.DeleteVectors != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return nil
	}
	parts := make([]*index.Operation, n)
	part := func(s int) *index.Operation {
		if parts[s] == nil {
			parts[s] = &index.Operation{}
		}
		return parts[s]
	}
	named := false
	switch {
	case op.Upsert != nil:
		for _, p := range op.Upsert {
			o := part(p.ID.Shard(n))
			o.Upsert = append(o.Upsert, p)
			named = true
		}
	case op.UpdateVectors != nil:
		for _, p := range op.UpdateVectors {
			o := part(p.ID.Shard(n))
			o.UpdateVectors = append(o.UpdateVectors, p)
			named = true
		}
	case op.Delete != nil:
		return bySelector(*op.Delete, n, func(sel index.Selector) index.Operation { return index.Operation{Delete: &sel} })
	case op.Payload != nil:
		return bySelector(op.Payload.Points, n, func(sel index.Selector) index.Operation {
			u := *op.Payload
			u.Points = sel
			return index.Operation{Payload: &u}
		})
	case op.DeleteVectors != nil:
		return bySelector(op.DeleteVectors.Points, n, func(sel index.Selector) index.Operation {
			d := *op.DeleteVectors
			d.Points = sel
			return index.Operation{DeleteVectors: &d}
		})
	}
	if !named {
		return nil
	}
	return parts
}

// bySelector splits an operation on the points sel selects: a filter
// goes to every shard, ids to theirs; with builds each shard's part.
func bySelector(sel index.Selector, n int, with func(index.Selector) index.Operation) []*index.Operation {
	parts := make([]*index.Operation, n)
	if sel.Filter != nil {
		for s := range n {
			op := with(sel)
			parts[s] = &op
		}
		return parts
	}
	ids := make([][]pointid.ID, n)
	for _, id := range sel.IDs {
		s := id.Shard(n)
		ids[s] = append(ids[s], id)
	}
	named := false
	for s, part := range ids {
		if part != nil {
			op := with(index.Selector{IDs: part})
			parts[s], named = &op, true
		}
	}
	if !named {
		return nil
	}
	return parts
}
