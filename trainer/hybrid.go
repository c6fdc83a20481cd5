package trainer

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend"
)

// FromHybrid is the source of a user's vector folded into the model's
// DotHybrid: iALS, content centroid and popularity as one dot product.
const FromHybrid = "hybrid"

// buildHybrid makes the DotHybrid item side over the trained iALS model
// from the items' current content vectors. An item without a content
// vector gets a zero content part: it is ranked by its iALS and
// popularity parts alone (and the zero rows count in the content
// covariance that standardises the part).
func buildHybrid(ctx context.Context, c *index.Collection, items Items, m *Model, opts recommend.DotHybridOptions, content string) (*recommend.DotHybrid, error) {
	x, err := readContent(ctx, c, items, content, m.itemIDs)
	if err != nil {
		return nil, err
	}
	counts := make([]int, len(m.counts))
	for i, n := range m.counts {
		counts[i] = int(n)
	}
	h, err := recommend.NewDotHybridItems(m.ials, counts, x, opts)
	if err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	return h, nil
}

// readContent returns the vectors named content of ids, read from
// items, zero for a point without one.
func readContent(ctx context.Context, c *index.Collection, items Items, content string, ids []pointid.ID) (recommend.Content, error) {
	vc, err := c.VectorConfig(content)
	if err != nil {
		return recommend.Content{}, err
	}
	vs, err := vectorsOf(ctx, items, content, ids)
	if err != nil {
		return recommend.Content{}, err
	}
	x := recommend.Content{Dim: vc.Size, Vectors: make([]float32, len(ids)*vc.Size)}
	for i, v := range vs {
		copy(x.Row(i), v)
	}
	return x, nil
}

// hybridVectors returns the vectors the hybrid's collection vector should
// hold: each trained item's, and each cold item's from its mapped factors
// and content with no interactions.
func hybridVectors(m *Model, cold map[pointid.ID]coldItem) map[pointid.ID][]float32 {
	out := make(map[pointid.ID][]float32, len(m.itemIDs)+len(cold))
	for i, id := range m.itemIDs {
		out[id] = m.hybrid.ItemVector(i)
	}
	for id, ci := range cold {
		out[id] = m.hybrid.ColdItemVector(nil, ci.factors, ci.content)
	}
	return out
}

// Hybrid names the collection's vector that holds the hybrid's item
// vectors, "" when the model has no hybrid.
func (m *Model) Hybrid() string { return m.hybridVector }

// FoldInHybrid returns the hybrid vector of a user with these
// interactions (raw weights and their Unix times): the iALS part folded
// in from the recipe's weights (sign or raw) under the hybrid's sharper
// recency, the content centroid from the raw weights. Items the model has
// not seen are left out; known reports whether any was left.
func (m *Model) FoldInHybrid(items []pointid.ID, weights []float32, times []int64) (vec []float32, known bool, err error) {
	idx, ws, raw, ts := m.hybridRow(items, weights, times)
	v, err := m.hybrid.FoldInWeighted(nil, idx, ws, raw, ts)
	return v, len(idx) > 0, err
}

// ExplainHybrid splits each target's hybrid score into the shares of the
// user's past items as recommend.DotHybrid.Explain does: exact, and
// summing to the score less the target's popularity term, which no past
// item owns. A target the model has not seen gets none.
func (m *Model) ExplainHybrid(items []pointid.ID, weights []float32, times []int64, targets []pointid.ID, n int) ([][]Contribution, error) {
	idx, ws, raw, ts := m.hybridRow(items, weights, times)
	var known []int32
	var at []int
	for t, id := range targets {
		if i, ok := m.items[id]; ok {
			known, at = append(known, i), append(at, t)
		}
	}
	ex, err := m.hybrid.Explain(idx, ws, raw, ts, known, n)
	if err != nil {
		return nil, err
	}
	out := make([][]Contribution, len(targets))
	for k, e := range ex {
		cs := make([]Contribution, len(e.Top))
		for i, c := range e.Top {
			cs[i] = Contribution{ID: m.itemIDs[c.Item], Contribution: c.Value}
		}
		out[at[k]] = cs
	}
	return out, nil
}

// hybridRow maps a user's items to the model's indices as dense does,
// returning the iALS weights before recency, the raw weights and times.
func (m *Model) hybridRow(items []pointid.ID, weights []float32, times []int64) (idx []int32, ws, raw []float32, ts []int64) {
	idx, raw, ts = m.known(items, weights, times)
	ws = append([]float32(nil), raw...)
	if m.recipe.binary {
		for k, w := range ws {
			ws[k] = sign(w)
		}
	}
	return idx, ws, raw, ts
}
