package trainer

import (
	"context"
	"errors"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Items is where the Trainer reads item vectors: the collection itself,
// or, for a sharded collection, the router over its shards (package
// shard), while the users' interactions and the model stay in the
// collection the Trainer is handed, the metadata group's schema copy
// (index.Collection.SetItemsElsewhere). *index.Collection implements it.
type Items interface {
	// Vectors returns the vectors named using of ids, in order, or an
	// error wrapping index.ErrNotFound when one of them lacks it.
	Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error)
}

// vectorChunk is how many ids vectorsOf asks for at once: one call (one
// remote call per shard) per chunk rather than per item.
const vectorChunk = 256

// vectorsOf returns each id's vector using, nil for an id that lacks it
// (deleted, or never given one). A chunk with such an id is asked again
// one id at a time.
func vectorsOf(ctx context.Context, items Items, using string, ids []pointid.ID) ([][]float32, error) {
	out := make([][]float32, 0, len(ids))
	for start := 0; start < len(ids); start += vectorChunk {
		chunk := ids[start:min(start+vectorChunk, len(ids))]
		vs, err := items.Vectors(ctx, using, chunk)
		if err == nil {
			out = append(out, vs...)
			continue
		}
		if !errors.Is(err, index.ErrNotFound) {
			return nil, err
		}
		for _, id := range chunk {
			v, err := items.Vectors(ctx, using, []pointid.ID{id})
			switch {
			case errors.Is(err, index.ErrNotFound):
				out = append(out, nil)
			case err != nil:
				return nil, err
			default:
				out = append(out, v[0])
			}
		}
	}
	return out, nil
}
