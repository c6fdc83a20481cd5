package trainer

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/index"
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
// DB writes only through its log). Call it before the first Start.
func (t *Trainer) SetPublisher(p Publisher) { t.publish = p }

// Publishes reports whether t publishes its models (SetPublisher).
func (t *Trainer) Publishes() bool { return t.publish != nil }

// CheckInstall reports what would make Install(c, m) fail, writing
// nothing: a model that does not load, or names vectors c lacks or holds
// at another size. Errors wrap index.ErrBadRequest.
func (t *Trainer) CheckInstall(c *index.Collection, m Trained) error {
	model, err := loadModel(m.Model)
	if err != nil {
		return fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	return checkFits(c, model, m.Content)
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
	model, err := loadModel(m.Model)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	if err := checkFits(c, model, m.Content); err != nil {
		return 0, err
	}
	return t.install(ctx, c, model, m.Model, m.Content)
}
