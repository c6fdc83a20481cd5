package index

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/pointid"
)

// Operation is one step of Collection.Apply; exactly one field is set.
type Operation struct {
	Upsert        []Point
	Delete        *Selector
	Payload       *PayloadUpdate
	UpdateVectors []PointVectors
	DeleteVectors *VectorDeletion
}

// MaxOperations bounds the operations of one Apply.
const MaxOperations = 1000

// step is a validated operation: run applies it. needs are the ids that
// must exist when it runs, creates and deletes the ids it adds and
// removes, and deletesSome says it removes points known only when it runs.
type step struct {
	run         func(ctx context.Context) error
	needs       []pointid.ID
	creates     []pointid.ID
	deletes     []pointid.ID
	deletesSome bool
}

// Apply applies ops in order, with the same effect as calling the method
// of each in turn. It validates every operation first, and checks that
// each point an operation selects by id exists by then (given the
// operations before it), so a bad request writes nothing.
//
// Each operation is atomic and durable as its method is, but the batch is
// not one Pebble write: a crash (or a failure only the write can find,
// such as a point deleted meanwhile by another client) midway leaves the
// operations before it applied and the rest not.
func (c *Collection) Apply(ctx context.Context, ops []Operation) error {
	steps, err := c.planAll(ops)
	if err != nil {
		return err
	}
	for i, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("operations[%d] (the ones before it are applied): %w", i, err)
		}
	}
	return nil
}

// Check validates ops as Apply does, against the collection as it is now,
// and writes nothing: the error Apply would return before writing, or nil.
// A replicated write checks its operations with it before proposing them.
func (c *Collection) Check(ops []Operation) error {
	_, err := c.planAll(ops)
	return err
}

// planAll validates ops and returns their steps.
func (c *Collection) planAll(ops []Operation) ([]step, error) {
	if len(ops) > MaxOperations {
		return nil, fmt.Errorf("%w: operations: %d, limit %d", ErrBadRequest, len(ops), MaxOperations)
	}
	steps := make([]step, len(ops))
	for i, op := range ops {
		var err error
		if steps[i], err = c.plan(op); err != nil {
			return nil, fmt.Errorf("operations[%d]: %w", i, err)
		}
	}
	if err := c.checkNeeds(steps); err != nil {
		return nil, err
	}
	return steps, nil
}

// plan validates one operation and returns its step.
func (c *Collection) plan(op Operation) (step, error) {
	set := 0
	for _, isSet := range []bool{op.Upsert != nil, op.Delete != nil, op.Payload != nil, op.UpdateVectors != nil, op.DeleteVectors != nil} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		return step{}, fmt.Errorf("%w: want exactly one operation, got %d", ErrBadRequest, set)
	}
	switch {
	case op.Upsert != nil:
		return c.planUpsert(op.Upsert)
	case op.Delete != nil:
		sel := *op.Delete
		if err := sel.check(); err != nil {
			return step{}, err
		}
		return step{deletes: sel.IDs, deletesSome: sel.Filter != nil, run: func(ctx context.Context) error {
			var err error
			if sel.Filter != nil {
				_, err = c.DeleteByFilter(ctx, sel.Filter)
			} else {
				_, err = c.Delete(ctx, sel.IDs)
			}
			return err
		}}, nil
	case op.Payload != nil:
		return c.planPayload(*op.Payload)
	case op.UpdateVectors != nil:
		return c.planUpdateVectors(op.UpdateVectors)
	default:
		return c.planDeleteVectors(*op.DeleteVectors)
	}
}

// planUpsert prepares points once, for the step to write.
func (c *Collection) planUpsert(points []Point) (step, error) {
	batch, err := c.prepare(points)
	if err != nil {
		return step{}, err
	}
	ids := make([]pointid.ID, len(batch))
	for i := range batch {
		ids[i] = batch[i].id
	}
	return step{creates: ids, run: func(ctx context.Context) error {
		unlock := c.lockIDs(ids)
		defer unlock()
		return c.upsertLocked(ctx, batch)
	}}, nil
}

// checkNeeds fails when a step needs a point that will not exist when it
// runs, given the collection now and the steps before it. After a delete
// by filter, which points remain is known only by running it, so later
// needs are left to the steps themselves.
func (c *Collection) checkNeeds(steps []step) error {
	after := map[pointid.ID]bool{} // existence as changed by earlier steps
	for i, s := range steps {
		for _, id := range s.needs {
			exists, changed := after[id]
			if !changed {
				exists = c.holds(id)
			}
			if !exists {
				return fmt.Errorf("operations[%d]: %w: no point with id %s in collection %q", i, ErrNotFound, id, c.name)
			}
		}
		if s.deletesSome {
			return nil
		}
		for _, id := range s.creates {
			after[id] = true
		}
		for _, id := range s.deletes {
			after[id] = false
		}
	}
	return nil
}
