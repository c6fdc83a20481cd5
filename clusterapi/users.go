package clusterapi

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/shard"
	"github.com/quiver-db/quiver/trainer"
)

// A sharded collection's users live in group 0, in its schema copy
// (index.Collection.SetItemsElsewhere): their interactions, forgetting
// one, and the trained model are group 0's commands, as for a collection
// of one shard. The items are the shards' points: an interaction's item
// is checked there before the interactions are proposed, and a model's
// item vectors are written there (publishModel).

var _ query.UserKeeper = (*shard.Router)(nil)

// Interact implements httpapi.Writer: it stamps the interactions without
// a time with the leader's clock before proposing them, so every replica
// stores the same time. A sharded collection's items are checked in its
// shards first.
func (r *Replica) Interact(ctx context.Context, collection string, its []index.Interaction) error {
	if _, ok := r.node.Placement(collection); ok {
		if err := r.checkItems(ctx, collection, its); err != nil {
			return err
		}
	}
	now := time.Now()
	stamped := make([]index.Interaction, len(its))
	for i, it := range its {
		if it.Time.IsZero() {
			it.Time = now
		}
		stamped[i] = it
	}
	return r.apply(ctx, cluster.Command{Interact: &cluster.RecordInteractions{Collection: collection, Interactions: stamped}})
}

// checkItems refuses interactions whose item is no point of the sharded
// collection, as index.Collection.Interact does for its own points: an
// *index.InteractionError naming the first. The shards are read locally;
// ids not found there are looked for again on the shards' leaders, so a
// point whose upsert was acknowledged is always found.
func (r *Replica) checkItems(ctx context.Context, collection string, its []index.Interaction) error {
	asked := map[pointid.ID]bool{}
	var ids []pointid.ID
	for _, it := range its {
		if !asked[it.Item] {
			asked[it.Item] = true
			ids = append(ids, it.Item)
		}
	}
	for _, consistency := range []httpapi.Consistency{httpapi.ReadLocal, httpapi.ReadLinearizable} {
		found, err := r.pointsAmong(ctx, collection, consistency, ids)
		if err != nil {
			return err
		}
		ids = slices.DeleteFunc(ids, func(id pointid.ID) bool { return found[id] })
		if len(ids) == 0 {
			return nil
		}
	}
	for i, it := range its {
		if slices.Contains(ids, it.Item) {
			return &index.InteractionError{Index: i, Field: "item", Err: fmt.Errorf("%w: collection %q has no point %s", index.ErrBadRequest, collection, it.Item)}
		}
	}
	return nil
}

// checkChunk is how many ids one scroll of checkItems asks for.
const checkChunk = 1000

// pointsAmong returns which of ids are points of the sharded collection,
// read with consistency.
func (r *Replica) pointsAmong(ctx context.Context, collection string, consistency httpapi.Consistency, ids []pointid.ID) (map[pointid.ID]bool, error) {
	c, ok, err := r.Router(collection, consistency)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("collection %q: %w", collection, index.ErrNotFound)
	}
	found := make(map[pointid.ID]bool, len(ids))
	for start := 0; start < len(ids); start += checkChunk {
		chunk := ids[start:min(start+checkChunk, len(ids))]
		page, err := c.Scroll(ctx, index.ScrollRequest{Filter: &filter.Filter{Must: []filter.Condition{{HasID: chunk}}}, Limit: len(chunk)})
		if err != nil {
			return nil, fmt.Errorf("collection %q: check the interactions' items: %w", collection, err)
		}
		for _, p := range page.Points {
			found[p.ID] = true
		}
	}
	return found, nil
}

// publishModel is group 0's trainer's Publisher (trainer.SetPublisher):
// a model trained on this node, its leader, is proposed to every replica.
// A sharded collection's goes to its shard groups first, each writing the
// item vectors of its own points (cluster.InstallModel.VectorsOnly) from
// the model's item side (no user's data reaches the shards), then
// to group 0, whose schema copy serves it; a single node writes the
// vectors before it swaps the model in, in the same order. A failure
// midway leaves some shards with the new model's vectors and the old
// model served; training again repairs it.
func (r *Replica) publishModel(ctx context.Context, c *index.Collection, m trainer.Trained) error {
	if p, ok := r.node.Placement(c.Name()); ok {
		items, err := trainer.ItemSide(m)
		if err != nil {
			return fmt.Errorf("collection %q: the model's item side: %w", c.Name(), err)
		}
		cmds := make([]*cluster.Command, p.Shards())
		for s := range cmds {
			cmds[s] = &cluster.Command{Model: &cluster.InstallModel{Collection: c.Name(), Model: items, VectorsOnly: true}}
		}
		if err := r.toShards(ctx, c.Name(), p, cmds); err != nil {
			return fmt.Errorf("collection %q: install the model's item vectors: %w", c.Name(), err)
		}
	}
	return r.apply(ctx, cluster.Command{Model: &cluster.InstallModel{Collection: c.Name(), Model: m}})
}
