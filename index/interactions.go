package index

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
	"github.com/quiver-db/quiver/userid"
)

// Interaction is what a user did with a point: a rating, a count, or a
// negative weight for a dislike. The latest interaction of a user with a
// point replaces the earlier ones.
type Interaction struct {
	User userid.ID
	Item pointid.ID
	// Weight is the interaction's strength; zero means 1.
	Weight float32
	// Time is when it happened; the zero time means now.
	Time time.Time
}

// MaxInteractions bounds the interactions of one Interact call.
const MaxInteractions = 10000

// InteractionError names the interaction of a batch that is at fault.
type InteractionError struct {
	Index int
	Field string // "user", "item", "weight" or "timestamp"
	Err   error
}

func (e *InteractionError) Error() string {
	return fmt.Sprintf("interactions[%d].%s: %v", e.Index, e.Field, e.Err)
}

func (e *InteractionError) Unwrap() error { return e.Err }

// Interact records interactions durably (synced) in one batch. An
// interaction naming a point the collection does not hold, or with a
// non-finite weight, fails the whole batch with an *InteractionError
// wrapping ErrBadRequest, and nothing is written. A point deleted after
// the check keeps its interactions; readers skip points that are gone.
func (c *Collection) Interact(ctx context.Context, its []Interaction) error {
	if len(its) > MaxInteractions {
		return fmt.Errorf("%w: %d interactions in one batch, limit %d", ErrBadRequest, len(its), MaxInteractions)
	}
	// snapMu before the closed check: a close waits for holders, so no
	// write lands in a dropped collection's keys.
	c.snapMu.RLock()
	defer c.snapMu.RUnlock()
	ops, closed, err := c.interactionOps(its, time.Now())
	if err != nil {
		return err
	}
	if closed {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	if err := c.store.Write(ctx, ops); err != nil {
		return fmt.Errorf("collection %q: record %d interactions: %w", c.name, len(ops), err)
	}
	for _, op := range ops {
		c.touchUser(op.User)
	}
	return nil
}

// CheckInteractions validates its as Interact would, writing nothing.
func (c *Collection) CheckInteractions(its []Interaction) error {
	if len(its) > MaxInteractions {
		return fmt.Errorf("%w: %d interactions in one batch, limit %d", ErrBadRequest, len(its), MaxInteractions)
	}
	_, closed, err := c.interactionOps(its, time.Now())
	if err == nil && closed {
		err = fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	return err
}

// interactionOps checks its and returns their store ops, zero times
// read as now; closed reports a closed collection.
func (c *Collection) interactionOps(its []Interaction, now time.Time) (ops []storage.Op, closed bool, err error) {
	ops = make([]storage.Op, len(its))
	c.mu.RLock()
	defer c.mu.RUnlock()
	elsewhere := c.itemsElsewhere.Load()
	for i, it := range its {
		if _, ok := c.mu.ids[it.Item]; !ok && !elsewhere {
			return nil, false, &InteractionError{i, "item", fmt.Errorf("%w: collection %q has no point %s", ErrBadRequest, c.name, it.Item)}
		}
		w := it.Weight
		if w == 0 {
			w = 1
		}
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			return nil, false, &InteractionError{i, "weight", fmt.Errorf("%w: %v is not a finite number", ErrBadRequest, w)}
		}
		ts := it.Time
		if ts.IsZero() {
			ts = now
		}
		ops[i] = storage.Op{Kind: storage.OpInteract, User: it.User, ID: it.Item, Weight: w, Time: ts.Unix()}
	}
	return ops, c.mu.closed, nil
}

// SetItemsElsewhere marks c as the keeper of users whose items live in
// other collections: a sharded collection's schema copy in a cluster's
// metadata group, which holds the users' interactions and the trained
// model while the points live in the shards (package cluster). Interact
// then records interactions with any item (the caller checks that the
// items exist), and the readers of interactions no longer skip items c
// does not hold, since it holds none. Set it before the first
// interaction; it is not saved (the cluster sets it again on replay).
func (c *Collection) SetItemsElsewhere() { c.itemsElsewhere.Store(true) }

// userVersionStripes is the number of counters UserVersion spreads users
// over: memory stays fixed however many users write, and users sharing a
// counter only see each other's writes as changes of their own.
const userVersionStripes = 4096

// UserVersion returns a number that changes whenever the user's
// interactions change (and, rarely, when another user's do), for caches
// of what is derived from them. Read it before the interactions: then
// what is cached under a version is never older than that version.
func (c *Collection) UserVersion(user userid.ID) uint64 {
	return c.userVersions[c.userStripe(user)].Load()
}

func (c *Collection) touchUser(user userid.ID) {
	c.userVersions[c.userStripe(user)].Add(1)
}

func (c *Collection) userStripe(user userid.ID) int {
	var buf [userid.MaxNameLen + 8]byte
	return int(maphash.Bytes(c.seed, user.AppendKey(buf[:0])) % userVersionStripes)
}

// UserPage is one page of a user's interactions, in item order, and the
// item the next page starts at (nil after the last).
type UserPage struct {
	Interactions []Interaction
	Next         *pointid.ID
}

// UserInteractions returns up to limit (zero: 100, at most MaxLimit) of
// the user's interactions with points that exist, from item from on.
func (c *Collection) UserInteractions(ctx context.Context, user userid.ID, from *pointid.ID, limit int) (UserPage, error) {
	if limit < 0 || limit > MaxLimit {
		return UserPage{}, fmt.Errorf("%w: limit %d, want 0..%d", ErrBadRequest, limit, MaxLimit)
	}
	if limit == 0 {
		limit = 100
	}
	var page UserPage
	err := c.store.UserInteractions(ctx, user, from, func(it storage.Interaction) (bool, error) {
		if !c.holds(it.Item) {
			return true, nil
		}
		if len(page.Interactions) == limit {
			next := it.Item
			page.Next = &next
			return false, nil
		}
		page.Interactions = append(page.Interactions, fromStored(it))
		return true, nil
	})
	if err != nil {
		return UserPage{}, fmt.Errorf("collection %q: interactions of user %s: %w", c.name, user, err)
	}
	return page, nil
}

// ScanInteractions calls fn for every interaction with a point that
// exists, by user then item: what training reads.
func (c *Collection) ScanInteractions(ctx context.Context, fn func(Interaction) error) error {
	err := c.store.ScanInteractions(ctx, func(it storage.Interaction) error {
		if !c.holds(it.Item) {
			return nil
		}
		return fn(fromStored(it))
	})
	if err != nil {
		return fmt.Errorf("collection %q: scan interactions: %w", c.name, err)
	}
	return nil
}

// ForgetUser removes every interaction of the user, durably.
func (c *Collection) ForgetUser(ctx context.Context, user userid.ID) error {
	c.snapMu.RLock()
	defer c.snapMu.RUnlock()
	if err := c.checkOpen(); err != nil {
		return err
	}
	if err := c.store.Write(ctx, []storage.Op{{Kind: storage.OpForgetUser, User: user}}); err != nil {
		return fmt.Errorf("collection %q: forget user %s: %w", c.name, user, err)
	}
	c.touchUser(user)
	return nil
}

// holds reports whether c holds the point id, or may: a collection whose
// items are elsewhere holds every item its interactions name.
func (c *Collection) holds(id pointid.ID) bool {
	if c.itemsElsewhere.Load() {
		return true
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.mu.ids[id]
	return ok
}

func fromStored(it storage.Interaction) Interaction {
	return Interaction{User: it.User, Item: it.Item, Weight: it.Weight, Time: time.Unix(it.Time, 0).UTC()}
}

// SaveModel stores the collection's trained recommendation model (an
// opaque blob) durably, replacing the previous one atomically.
func (c *Collection) SaveModel(data []byte) error {
	c.snapMu.RLock()
	defer c.snapMu.RUnlock()
	if err := c.checkOpen(); err != nil {
		return err
	}
	return c.store.SaveModel(data)
}

// checkOpen returns ErrNotFound once the collection is closed or dropped.
func (c *Collection) checkOpen() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mu.closed {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	return nil
}

// LoadModel returns the stored model, or an error wrapping ErrNotFound.
func (c *Collection) LoadModel(ctx context.Context) ([]byte, error) {
	b, err := c.store.LoadModel(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("collection %q: no trained model: %w", c.name, ErrNotFound)
	}
	return b, err
}
