package trainer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend"
)

// itemVectors returns the vectors the model's collection vector should
// hold: each trained item's factors and, when content names a vector,
// factors mapped from the content of the points nobody has interacted
// with yet (a ridge map fitted on the trained items that have content),
// so new items can be recommended before the next training. It returns
// how many cold items it mapped.
func itemVectors(ctx context.Context, c *index.Collection, m *Model, content string) (map[pointid.ID][]float32, int, error) {
	out := make(map[pointid.ID][]float32, len(m.itemIDs))
	for i, id := range m.itemIDs {
		out[id] = m.ials.ItemVector(i)
	}
	if content == "" {
		return out, 0, nil
	}
	carrying, err := c.Carrying(content)
	if err != nil {
		return nil, 0, err
	}
	// Trained items with content first, the cold ones after them.
	var ids []pointid.ID
	for _, id := range carrying {
		if _, ok := m.items[id]; ok {
			ids = append(ids, id)
		}
	}
	trained := len(ids)
	for _, id := range carrying {
		if _, ok := m.items[id]; !ok {
			ids = append(ids, id)
		}
	}
	if trained == 0 || trained == len(ids) {
		return out, 0, nil
	}
	slices.SortFunc(ids[:trained], pointid.ID.Compare)
	slices.SortFunc(ids[trained:], pointid.ID.Compare)
	vc, err := c.VectorConfig(content)
	if err != nil {
		return nil, 0, err
	}
	f := m.Factors()
	x := recommend.Content{Dim: vc.Size, Vectors: make([]float32, 0, len(ids)*vc.Size)}
	factors := make([]float32, len(ids)*f)
	fitted := make([]bool, len(ids))
	kept := ids[:0]
	for _, id := range ids {
		v, err := c.Vectors(ctx, content, []pointid.ID{id})
		if errors.Is(err, index.ErrNotFound) {
			continue // deleted or changed since Carrying
		}
		if err != nil {
			return nil, 0, err
		}
		k := len(kept)
		if dense, ok := m.items[id]; ok {
			copy(factors[k*f:], m.ials.ItemVector(int(dense)))
			fitted[k] = true
		}
		kept = append(kept, id)
		x.Vectors = append(x.Vectors, v[0]...)
	}
	factors, fitted = factors[:len(kept)*f], fitted[:len(kept)]
	ridge, err := recommend.FitRidge(x, factors, f, fitted, ridgeLambda)
	if err != nil {
		return nil, 0, fmt.Errorf("map content %q to item vectors: %w", content, err)
	}
	ridge.FillCold(factors, x, fitted)
	cold := 0
	for k, id := range kept {
		if !fitted[k] {
			out[id] = factors[k*f : (k+1)*f : (k+1)*f]
			cold++
		}
	}
	return out, cold, nil
}

// repairVectors rewrites the collection's item vectors from m when a
// sample of them disagrees with it: a crash between saving a model and
// writing its vectors leaves the previous model's vectors behind. Cold
// items lose their mapped vectors until the next training.
func repairVectors(ctx context.Context, c *index.Collection, m *Model) error {
	if m.vector == "" || len(m.itemIDs) == 0 {
		return nil
	}
	const samples = 8
	stale := false
	for k := range min(samples, len(m.itemIDs)) {
		i := k * len(m.itemIDs) / min(samples, len(m.itemIDs))
		got, err := c.Vectors(ctx, m.vector, []pointid.ID{m.itemIDs[i]})
		if errors.Is(err, index.ErrNotFound) {
			continue // deleted since training
		}
		if err != nil {
			return err
		}
		if !slices.Equal(got[0], m.ials.ItemVector(i)) {
			stale = true
			break
		}
	}
	if !stale {
		return nil
	}
	vecs, _, err := itemVectors(ctx, c, m, "")
	if err != nil {
		return err
	}
	_, err = c.ReplaceVectors(ctx, m.vector, vecs)
	return err
}
