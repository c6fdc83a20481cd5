package trainer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/userid"
)

// Sources of a user's vector.
const (
	// FromModel is the trained model's fold-in of the user's history.
	FromModel = "ials"
	// FromContent is the weighted centroid of the content vectors of the
	// user's items.
	FromContent = "centroid"
)

// centroidWeighting weighs a user's items in the content centroid, as
// bench rec's content row does (recommend.CentroidOptions; chosen there on
// the validation split).
var centroidWeighting = recommend.CentroidOptions{RecencyHalfLife: 20}

// Profile is what a user's recommendations are ranked by, computed from
// the user's interactions as they are now: a new interaction changes the
// next profile, with no retraining. It is shared (cached): do not modify.
type Profile struct {
	User userid.ID
	// Seen are the points the user has interacted with, in id order (at
	// most index.MaxLimit: beyond that the first ones by id).
	Seen []pointid.ID
	// Vector ranks items by dot product with their vector Using; nil when
	// the user has no history that vector can use.
	Vector []float32
	Using  string
	// Source is FromModel, FromHybrid or FromContent, "" without a
	// vector.
	Source string

	weights []float32
	times   []int64
	model   *Model
	// centroid's parts: the seen items' content vectors and weights.
	content  [][]float32
	cweights []float32
}

// Profile returns the user's profile for ranking by the vector using: the
// model's fold-in when using is the vector the model writes its item
// factors to ("" picks it when there is a model), the fold-in into the
// model's DotHybrid when using is the hybrid's vector, else the centroid
// of the user's items in using. The interactions and the model are c's;
// content vectors are read from items (c itself, but for a sharded
// collection).
func (t *Trainer) Profile(ctx context.Context, c *index.Collection, items Items, user userid.ID, using string) (*Profile, error) {
	model, err := t.Model(ctx, c)
	if err != nil && !errors.Is(err, index.ErrNotFound) {
		return nil, err
	}
	if using == "" {
		using = defaultUsing(c, model)
	}
	fromModel := model != nil && model.vector != "" && using == model.vector
	fromHybrid := model != nil && model.hybrid != nil && using == model.hybridVector
	key := profileKey{c, user, using}
	version := c.UserVersion(user) // before the interactions: see UserVersion
	if fromModel || fromHybrid {
		if p := t.profiles.get(key, version, model); p != nil {
			return p, nil
		}
	}
	page, err := c.UserInteractions(ctx, user, nil, index.MaxLimit)
	if err != nil {
		return nil, err
	}
	p := &Profile{User: user, Using: using}
	for _, it := range page.Interactions {
		p.Seen = append(p.Seen, it.Item)
		p.weights = append(p.weights, it.Weight)
		p.times = append(p.times, it.Time.Unix())
	}
	if !fromModel && !fromHybrid {
		// Not cached: it reads the items' current content vectors.
		if err := p.centroid(ctx, c, items); err != nil {
			return nil, err
		}
		return p, nil
	}
	p.model = model
	fold, source := model.FoldIn, FromModel
	if fromHybrid {
		fold, source = model.FoldInHybrid, FromHybrid
	}
	v, known, err := fold(p.Seen, p.weights, p.times)
	if err != nil {
		return nil, fmt.Errorf("user %s: fold in: %w", user, err)
	}
	if known {
		p.Vector, p.Source = v, source
	}
	t.profiles.put(key, version, model, p)
	return p, nil
}

// defaultUsing is the vector a user's recommendations rank by when the
// request names none: the model's, else its hybrid's, else the first (in
// name order) with a text model, else the first that is not "cf" (which
// waits for a model), else "cf"; "" in a collection without named vectors.
func defaultUsing(c *index.Collection, model *Model) string {
	if model != nil && model.vector != "" {
		return model.vector
	}
	if model != nil && model.hybrid != nil {
		return model.hybridVector
	}
	cfg := c.Config()
	names := cfg.VectorNames()
	for _, name := range names {
		if vc, _ := c.VectorConfig(name); vc.Model != "" {
			return name
		}
	}
	for _, name := range names {
		if name != defaultVector {
			return name
		}
	}
	if cfg.Named() && len(names) > 0 {
		return names[0]
	}
	return ""
}

// centroid sets the profile's vector to the weighted mean of the content
// vectors of the user's items in p.Using (positive weights pull, negative
// ones push away).
func (p *Profile) centroid(ctx context.Context, c *index.Collection, items Items) error {
	if len(p.Seen) == 0 {
		return nil
	}
	vc, err := c.VectorConfig(p.Using)
	if err != nil {
		return err
	}
	vs, err := vectorsOf(ctx, items, p.Using, p.Seen)
	if err != nil {
		return err
	}
	ws := recommend.CentroidWeights(p.weights, p.times, centroidWeighting)
	sum := make([]float32, vc.Size)
	var total float32
	p.content = vs // nil where the item lacks the vector
	p.cweights = ws
	for k, v := range vs {
		if v == nil {
			continue
		}
		for d, x := range v {
			sum[d] += ws[k] * x
		}
		total += float32(math.Abs(float64(ws[k])))
	}
	if total == 0 {
		return nil
	}
	for d := range sum {
		sum[d] /= total
	}
	p.Vector, p.Source = sum, FromContent
	return nil
}

// Explain returns for each target the user's past items that contributed
// most to its score, at most n each: exact for the model (Hu et al. §5),
// for the hybrid (Model.ExplainHybrid: the shares leave out the target's
// popularity term) and for the centroid (each item's weighted dot product
// with the target).
func (p *Profile) Explain(ctx context.Context, items Items, targets []pointid.ID, n int) ([][]index.Contribution, error) {
	switch p.Source {
	case FromModel:
		return p.model.Explain(p.Seen, p.weights, p.times, targets, n)
	case FromHybrid:
		return p.model.ExplainHybrid(p.Seen, p.weights, p.times, targets, n)
	case FromContent:
		var total float32
		for k, v := range p.content {
			if v != nil {
				total += float32(math.Abs(float64(p.cweights[k])))
			}
		}
		tvs, err := vectorsOf(ctx, items, p.Using, targets)
		if err != nil {
			return nil, err
		}
		out := make([][]index.Contribution, len(targets))
		for t, tv := range tvs {
			if tv == nil {
				continue
			}
			var cs []index.Contribution
			for k, v := range p.content {
				if v != nil {
					cs = append(cs, index.Contribution{ID: p.Seen[k], Contribution: p.cweights[k] * dot(v, tv) / total})
				}
			}
			slices.SortFunc(cs, func(a, b index.Contribution) int {
				return cmp.Or(cmp.Compare(b.Contribution, a.Contribution), a.ID.Compare(b.ID))
			})
			out[t] = cs[:min(n, len(cs))]
		}
		return out, nil
	}
	return make([][]index.Contribution, len(targets)), nil
}

// Item is a point with its interaction count.
type Item struct {
	ID    pointid.ID
	Count int
}

// Popular returns up to n items for a user with no history, most
// interacted-with first: the model's counts when there is a model, else
// the stored interactions' (a scan, bounded by maxPopularScan).
func (t *Trainer) Popular(ctx context.Context, c *index.Collection, n int) ([]Item, error) {
	model, err := t.Model(ctx, c)
	if err == nil {
		return model.Popular(n), nil
	}
	if !errors.Is(err, index.ErrNotFound) {
		return nil, err
	}
	counts := map[pointid.ID]int{}
	scanned := 0
	errEnough := errors.New("enough")
	err = c.ScanInteractions(ctx, func(it index.Interaction) error {
		counts[it.Item]++
		if scanned++; scanned == maxPopularScan {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	items := make([]Item, 0, len(counts))
	for id, n := range counts {
		items = append(items, Item{id, n})
	}
	slices.SortFunc(items, func(a, b Item) int { return cmp.Or(cmp.Compare(b.Count, a.Count), a.ID.Compare(b.ID)) })
	return items[:min(n, len(items))], nil
}

// maxPopularScan bounds the interactions Popular counts without a model.
const maxPopularScan = 1_000_000

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
