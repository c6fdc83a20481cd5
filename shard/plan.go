package shard

import (
	"context"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// A read of several shards that wants records (payloads, vectors) keeps
// k of the k·n points the shards answer. A local shard answers ids and
// scores alone and the points kept are read by id after the merge: its
// records cost what they weigh, most of a read, and a read by id costs no
// more. A remote one, when k is small, answers its records at once: a
// second call costs a round trip, more than the records the merge drops
// (measured: docs/cluster.md).

// inlineRecords is the largest k for which a remote shard is asked for
// its records with its points.
const inlineRecords = 16

// Remote is implemented by a Shard each of whose calls is a round trip
// to another node (Client; a set of replicas of them): a Router asks it
// for its records with a small read's points (inlineRecords).
type Remote interface {
	Shard
	Remote() bool
}

// Remote implements Remote.
func (c *Client) Remote() bool { return true }

// readPlan is how a read of k points from each of its shards, with opts,
// gets their records.
type readPlan struct {
	opts   index.ReadOptions
	inline []bool // by shard: asked with opts (else for ids alone)
	byID   bool   // some shard asked for ids alone
	all    bool   // every shard asked for ids alone
}

func (r *Router) planRead(which []int, k int, opts index.ReadOptions) readPlan {
	p := readPlan{opts: opts, inline: make([]bool, len(r.shards)), all: true}
	for _, i := range which {
		p.inline[i] = len(which) == 1 || !wantsRecords(opts) || (k <= inlineRecords && isRemote(r.shards[i]))
		p.byID = p.byID || !p.inline[i]
		p.all = p.all && !p.inline[i]
	}
	return p
}

// shardOpts are the options shard i is asked with.
func (p readPlan) shardOpts(i int) index.ReadOptions {
	if p.inline[i] {
		return p.opts
	}
	return index.ReadOptions{}
}

// bareIDs returns the ids the shards asked for ids alone answered
// (lists by shard, id gives an item's), whose records fill reads; nil
// when there are none.
func bareIDs[T any](p readPlan, lists [][]T, id func(T) pointid.ID) map[pointid.ID]bool {
	if !p.byID {
		return nil
	}
	out := map[pointid.ID]bool{}
	for i, l := range lists {
		if p.inline[i] {
			continue
		}
		for _, x := range l {
			out[id(x)] = true
		}
	}
	return out
}

// complete reads the records of the merged items (rec gives an item's)
// that came from shards asked for ids alone (bare, by bareIDs). When
// every shard was, it calls get even for no items, so that opts are
// checked as a read would check them.
func complete[T any](ctx context.Context, p readPlan, get getFunc, items []T, bare map[pointid.ID]bool, rec func(*T) *index.Record) ([]T, error) {
	switch {
	case !p.byID:
		return items, nil
	case p.all:
		return fill(ctx, get, items, p.opts, rec, nil)
	}
	return fill(ctx, get, items, p.opts, rec, func(id pointid.ID) bool { return bare[id] })
}
