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
// the cold items it mapped.
func itemVectors(ctx context.Context, c *index.Collection, m *Model, content string) (map[pointid.ID][]float32, map[pointid.ID]coldItem, error) {
	out := trainedVectors(m)
	if content == "" {
		return out, nil, nil
	}
	carrying, err := c.Carrying(content)
	if err != nil {
		return nil, nil, err
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
		return out, nil, nil
	}
	slices.SortFunc(ids[:trained], pointid.ID.Compare)
	slices.SortFunc(ids[trained:], pointid.ID.Compare)
	vc, err := c.VectorConfig(content)
	if err != nil {
		return nil, nil, err
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
			return nil, nil, err
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
		return nil, nil, fmt.Errorf("map content %q to item vectors: %w", content, err)
	}
	ridge.FillCold(factors, x, fitted)
	cold := map[pointid.ID]coldItem{}
	for k, id := range kept {
		if !fitted[k] {
			out[id] = factors[k*f : (k+1)*f : (k+1)*f]
			cold[id] = coldItem{factors: out[id], content: x.Row(k)}
		}
	}
	return out, cold, nil
}

// trainedVectors maps each trained item to its factors (aliased).
func trainedVectors(m *Model) map[pointid.ID][]float32 {
	out := make(map[pointid.ID][]float32, len(m.itemIDs))
	for i, id := range m.itemIDs {
		out[id] = m.ials.ItemVector(i)
	}
	return out
}

// coldItem is a point without interactions: its factors mapped from its
// content, aliased.
type coldItem struct {
	factors, content []float32
}

// repairVectors rewrites the collection's item vectors and hybrid vectors
// from m when a sample of them disagrees with it: a crash between saving a
// model and writing its vectors leaves the previous model's vectors
// behind. Cold items lose their mapped vectors until the next training.
func repairVectors(ctx context.Context, c *index.Collection, m *Model) error {
	if m.vector != "" {
		if err := repairVector(ctx, c, m, m.vector, m.ials.ItemVector, func() map[pointid.ID][]float32 { return trainedVectors(m) }); err != nil {
			return err
		}
	}
	if m.hybrid != nil {
		return repairVector(ctx, c, m, m.hybridVector, m.hybrid.ItemVector, func() map[pointid.ID][]float32 {
			return hybridVectors(m, nil)
		})
	}
	return nil
}

// repairVector rewrites the vector name with all() when a sample of its
// values disagrees with want.
func repairVector(ctx context.Context, c *index.Collection, m *Model, name string, want func(int) []float32, all func() map[pointid.ID][]float32) error {
	if len(m.itemIDs) == 0 {
		return nil
	}
	const samples = 8
	stale := false
	for k := range min(samples, len(m.itemIDs)) {
		i := k * len(m.itemIDs) / min(samples, len(m.itemIDs))
		got, err := c.Vectors(ctx, name, []pointid.ID{m.itemIDs[i]})
		if errors.Is(err, index.ErrNotFound) {
			continue // deleted since training
		}
		if err != nil {
			return err
		}
		if !slices.Equal(got[0], want(i)) {
			stale = true
			break
		}
	}
	if !stale {
		return nil
	}
	_, err := c.ReplaceVectors(ctx, name, all())
	return err
}
