package httpapi

import (
	"context"

	"github.com/quiver-db/quiver/index"
)

// Writer is the seam every replicable write goes through: collections
// created, dropped and reconfigured, their payload indexes, and point
// writes as index.Operations. The default
// (Config.Writer nil) writes to the local DB; a cluster node's Writer
// proposes them to Raft, so they reach every replica or none.
type Writer interface {
	Create(ctx context.Context, name string, cfg index.Config) error
	Drop(ctx context.Context, name string) error
	// Apply applies ops, in order, to the collection.
	Apply(ctx context.Context, collection string, ops []index.Operation) error
	// PayloadIndex creates the collection's payload index on key, or
	// with typ "" deletes it.
	PayloadIndex(ctx context.Context, collection, key string, typ index.FieldType) error
	// UpdateConfig applies a PATCH of the collection.
	UpdateConfig(ctx context.Context, collection string, u index.ConfigUpdate) error
	// Interact records users' interactions with the collection's points.
	Interact(ctx context.Context, collection string, its []index.Interaction) error
}

// localWriter writes to this node's DB.
type localWriter struct{ db Collections }

func (w localWriter) Create(ctx context.Context, name string, cfg index.Config) error {
	_, err := w.db.Create(ctx, name, cfg)
	return err
}

func (w localWriter) Drop(ctx context.Context, name string) error {
	return w.db.Drop(ctx, name)
}

func (w localWriter) PayloadIndex(ctx context.Context, collection, key string, typ index.FieldType) error {
	c, err := w.db.Collection(collection)
	if err != nil {
		return err
	}
	if typ == "" {
		return c.DeletePayloadIndex(ctx, key)
	}
	return c.CreatePayloadIndex(ctx, key, typ)
}

func (w localWriter) UpdateConfig(ctx context.Context, collection string, u index.ConfigUpdate) error {
	c, err := w.db.Collection(collection)
	if err != nil {
		return err
	}
	return c.UpdateConfig(ctx, u)
}

func (w localWriter) Interact(ctx context.Context, collection string, its []index.Interaction) error {
	c, err := w.db.Collection(collection)
	if err != nil {
		return err
	}
	return c.Interact(ctx, its)
}

func (w localWriter) Apply(ctx context.Context, collection string, ops []index.Operation) error {
	c, err := w.db.Collection(collection)
	if err != nil {
		return err
	}
	return c.Apply(ctx, ops)
}

// writeOne applies the one operation of a point route. Locally it calls
// the operation's own method, so a single node answers with the method's
// errors (Apply's name the operation's index, which a route of one
// operation has no use for).
func (h *Handler) writeOne(ctx context.Context, c *index.Collection, op index.Operation) error {
	if _, ok := h.writer.(localWriter); !ok {
		return h.writer.Apply(ctx, c.Name(), []index.Operation{op})
	}
	var err error
	switch {
	case fields(op) != 1:
		return c.Apply(ctx, []index.Operation{op}) // which refuses it
	case op.Upsert != nil:
		return c.Upsert(ctx, op.Upsert)
	case op.Delete != nil && op.Delete.Filter != nil:
		_, err = c.DeleteByFilter(ctx, op.Delete.Filter)
	case op.Delete != nil:
		_, err = c.Delete(ctx, op.Delete.IDs)
	case op.Payload != nil:
		return c.UpdatePayload(ctx, *op.Payload)
	case op.UpdateVectors != nil:
		return c.UpdateVectors(ctx, op.UpdateVectors)
	default:
		return c.DeleteVectors(ctx, *op.DeleteVectors)
	}
	return err
}

// fields counts the operations op holds; a valid one holds one.
func fields(op index.Operation) int {
	n := 0
	for _, set := range []bool{op.Upsert != nil, op.Delete != nil, op.Payload != nil, op.UpdateVectors != nil, op.DeleteVectors != nil} {
		if set {
			n++
		}
	}
	return n
}
