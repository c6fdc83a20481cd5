package trainer

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// Prediction is a predicted rating of one item.
type Prediction struct {
	Item   pointid.ID `json:"item"`
	Rating float32    `json:"rating"`
	// Known is false for an item the model was not trained on: its rating
	// is the global mean plus the user's bias.
	Known bool `json:"known"`
}

// Predict returns the ratings the user would give items, in the order
// asked, from the model's rating model with the user's bias folded in
// from their current history. An error wraps index.ErrNotFound when c has
// no model.
func (t *Trainer) Predict(ctx context.Context, c *index.Collection, user userid.ID, items []pointid.ID) ([]Prediction, error) {
	model, err := t.Model(ctx, c)
	if err != nil {
		return nil, err
	}
	page, err := c.UserInteractions(ctx, user, nil, index.MaxLimit)
	if err != nil {
		return nil, err
	}
	n := len(page.Interactions)
	seen, weights, times := make([]pointid.ID, n), make([]float32, n), make([]int64, n)
	for k, it := range page.Interactions {
		seen[k], weights[k], times[k] = it.Item, it.Weight, it.Time.Unix()
	}
	ratings, known, err := model.Predict(seen, weights, times, items)
	if err != nil {
		return nil, fmt.Errorf("collection %q: predict for user %s: %w", c.Name(), user, err)
	}
	out := make([]Prediction, len(items))
	for i, id := range items {
		out[i] = Prediction{Item: id, Rating: ratings[i], Known: known[i]}
	}
	return out, nil
}
