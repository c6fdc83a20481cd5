package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// secInteractions holds what users did: 'u' user item → weight, time.
const secInteractions = 'u'

// Interaction is one user's latest interaction with one point: a rating,
// a count, or a negative weight for a dislike, at a Unix time in seconds.
type Interaction struct {
	User   userid.ID
	Item   pointid.ID
	Weight float32
	Time   int64
}

// userPrefix returns 0x03 C 'u' user.
func (c *Collection) userPrefix(user userid.ID) []byte {
	return user.AppendKey(c.key(secInteractions, 12))
}

func (c *Collection) interactionKey(user userid.ID, item pointid.ID) []byte {
	return item.AppendKey(c.userPrefix(user))
}

// addInteractionOp adds an OpInteract or OpForgetUser to b. Neither has a
// log entry: the log replays graph changes, and these change no node.
func (c *Collection) addInteractionOp(b *pebble.Batch, op *Op) {
	switch op.Kind {
	case OpInteract:
		v := binary.BigEndian.AppendUint32(make([]byte, 0, 12), math.Float32bits(op.Weight))
		v = binary.BigEndian.AppendUint64(v, uint64(op.Time))
		_ = b.Set(c.interactionKey(op.User, op.ID), v, nil)
	case OpForgetUser:
		p := c.userPrefix(op.User)
		_ = b.DeleteRange(p, prefixEnd(p), nil)
	}
}

// UserInteractions calls fn for the user's interactions in item order,
// starting at item from (nil: the first), until fn returns false.
func (c *Collection) UserInteractions(ctx context.Context, user userid.ID, from *pointid.ID, fn func(Interaction) (bool, error)) error {
	p := c.userPrefix(user)
	lo := p
	if from != nil {
		lo = from.AppendKey(append([]byte(nil), p...))
	}
	return c.iterate(ctx, lo, prefixEnd(p), func(k, v []byte) (bool, error) {
		it, err := c.decodeInteraction(k, v)
		if err != nil {
			return false, err
		}
		return fn(it)
	})
}

// ScanInteractions calls fn for every interaction, by user then item.
func (c *Collection) ScanInteractions(ctx context.Context, fn func(Interaction) error) error {
	lo, hi := c.bounds(secInteractions)
	return c.iterate(ctx, lo, hi, func(k, v []byte) (bool, error) {
		it, err := c.decodeInteraction(k, v)
		if err != nil {
			return false, err
		}
		return true, fn(it)
	})
}

func (c *Collection) decodeInteraction(k, v []byte) (Interaction, error) {
	lo, _ := c.bounds(secInteractions)
	user, rest, err := userid.DecodeKey(k[len(lo):])
	if err != nil {
		return Interaction{}, fmt.Errorf("%w: interaction key %x: %v", ErrCorrupt, k, err)
	}
	item, rest, err := pointid.DecodeKey(rest)
	if err != nil || len(rest) != 0 || len(v) != 12 {
		return Interaction{}, fmt.Errorf("%w: interaction key %x", ErrCorrupt, k)
	}
	return Interaction{
		User: user, Item: item,
		Weight: math.Float32frombits(binary.BigEndian.Uint32(v)),
		Time:   int64(binary.BigEndian.Uint64(v[4:])),
	}, nil
}
