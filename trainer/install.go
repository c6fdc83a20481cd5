package trainer

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/userid"
)

// Trained is a model as training produced it, to install on a collection:
// its saved form and the content vector its cold items are mapped from.
// A replicated DB trains on one node and installs the result on every
// replica (package cluster).
type Trained struct {
	Model   []byte
	Content string
}

// Publisher receives a finished training's model in place of installing
// it here; Install then installs it wherever it is delivered. The job is
// done once Publisher returns nil, failed with its error otherwise.
type Publisher func(ctx context.Context, c *index.Collection, m Trained) error

// SetPublisher makes t publish its trained models instead of installing
// them, and stops Model from repairing item vectors on load (a replicated
// DB writes only through its log). Call it before the first Start; a
// later call replaces the Publisher (a cluster node's API sets its own
// over the node's).
func (t *Trainer) SetPublisher(p Publisher) { t.publish.Store(&p) }

// Publishes reports whether t publishes its models (SetPublisher).
func (t *Trainer) Publishes() bool { return t.publish.Load() != nil }

// Publish hands m, a model made elsewhere (a collection snapshot's), to
// the Publisher as a finished training's model; without one it fails:
// installing it here only would make this replica diverge.
func (t *Trainer) Publish(ctx context.Context, c *index.Collection, m Trained) error {
	publish := t.publish.Load()
	if publish == nil {
		return fmt.Errorf("collection %q: the trainer publishes no models", c.Name())
	}
	return (*publish)(ctx, c, m)
}

// CheckInstall reports what would make Install(c, m) fail, writing
// nothing: a model that does not load, or names vectors c lacks or holds
// at another size. Errors wrap index.ErrBadRequest.
func (t *Trainer) CheckInstall(c *index.Collection, m Trained) error {
	_, err := loadFitting(c, m)
	return err
}

// checkFits reports a model that names vectors c lacks or holds at
// another size.
func checkFits(c *index.Collection, model *Model, content string) error {
	check := func(what, name string, size int) error {
		vc, err := c.VectorConfig(name)
		if err != nil {
			return fmt.Errorf("%w: model's %s vector: %w", index.ErrBadRequest, what, err)
		}
		if size != 0 && vc.Size != size {
			return fmt.Errorf("%w: model's %s vector %q has size %d, the model's is %d", index.ErrBadRequest, what, name, vc.Size, size)
		}
		return nil
	}
	if model.vector != "" {
		if err := check("item", model.vector, model.Factors()); err != nil {
			return err
		}
	}
	if model.hybrid != nil {
		if err := check("hybrid", model.hybridVector, 0); err != nil {
			return err
		}
	}
	if content != "" {
		return check("content", content, 0)
	}
	return nil
}

// Install saves m as c's model, writes its item vectors (mapping cold
// items from m.Content) and swaps it in, as a training here would have.
// It returns how many cold items got mapped vectors. Given the same
// collection state it writes the same vectors on every replica.
func (t *Trainer) Install(ctx context.Context, c *index.Collection, m Trained) (int, error) {
	model, err := loadFitting(c, m)
	if err != nil {
		return 0, err
	}
	return t.install(ctx, c, model, m.Model, m.Content)
}

// loadFitting loads m's model and checks that it fits c.
func loadFitting(c *index.Collection, m Trained) (*Model, error) {
	model, err := loadModel(m.Model)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	return model, checkFits(c, model, m.Content)
}

// InstallVectors writes the item vectors m implies for c's points, as
// Install does, without saving or serving the model: c is one shard of a
// sharded collection, whose model is kept with its users' interactions
// in another collection (index.Collection.SetItemsElsewhere). Cold items
// are mapped from the content of c's own points, so each shard fits its
// own map from its own trained items. It returns how many cold items got
// mapped vectors.
func (t *Trainer) InstallVectors(ctx context.Context, c *index.Collection, m Trained) (int, error) {
	model, err := loadFitting(c, m)
	if err != nil {
		return 0, err
	}
	return writeVectors(ctx, c, model, m.Content)
}

// ItemSide returns m with its users left out (their ids, their vectors,
// the rating model's biases): what InstallVectors needs, for the shards
// of a sharded collection, which then never hold users' data.
func ItemSide(m Trained) (Trained, error) {
	model, err := loadModel(m.Model)
	if err != nil {
		return Trained{}, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	ials, err := model.ials.WithoutUsers()
	if err != nil {
		return Trained{}, err
	}
	items := *model
	items.users, items.userIDs, items.ials, items.ratings = map[userid.ID]int32{}, nil, ials, nil
	data, err := items.MarshalBinary()
	if err != nil {
		return Trained{}, err
	}
	return Trained{Model: data, Content: m.Content}, nil
}
