package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// Collection is the handle to one collection's keys. It holds no state of
// its own beyond its name and prefix and is safe for concurrent use; the
// caller serialises writes that touch the same point or node.
type Collection struct {
	store  *Store
	name   string
	prefix uint32
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// OpKind says what an Op does.
type OpKind uint8

// Operation kinds.
const (
	OpUpsert OpKind = 1
	OpDelete OpKind = 2
	// OpInteract records User's interaction with the point ID (the
	// latest per user and point wins); OpForgetUser removes every
	// interaction of User.
	OpInteract   OpKind = 3
	OpForgetUser OpKind = 4
	// OpPayload replaces the payload (Payload) and terms (Terms) of the
	// live point ID at Node, which keeps its node and vectors.
	OpPayload OpKind = 5
)

// Op is one write to one point, or one user's interactions: the unit a
// replication log would carry.
type Op struct {
	// Seq is the operation's sequence number, unique within the collection
	// (invariant 4).
	Seq  uint64
	Kind OpKind
	ID   pointid.ID
	// Node is the point's internal node id. An upsert always writes the
	// point under a node that holds no point (the caller's graph picks it).
	Node uint32
	// Replaced says that an upsert replaces the point at Prev, whose keys
	// the same batch removes: a replaced point moves to a new node.
	Replaced bool
	Prev     uint32
	// Vector is the default (space 0) vector of an upsert in a collection
	// without named vectors; nil writes none.
	Vector []float32
	// Named are the upsert's vectors in named spaces (1..255), at most one
	// per space; a point may lack any of its collection's names.
	Named []SpaceVector
	// Spaces lists every named space of the collection. Removing a node
	// (a delete, or the replaced node of an upsert) deletes the node's
	// vector key in space 0 and in each of these, blind (invariant 2).
	Spaces []uint8
	// Sparse are the upsert's sparse vectors, at most one per sparse
	// space; a point may lack any of them.
	Sparse []SpaceSparse
	// SparseSpaces lists every sparse space of the collection; removing a
	// node deletes its sparse vector key in each, blind.
	SparseSpaces []uint8
	// Payload is the JSON object of an upsert; nil means {}.
	Payload []byte
	// Terms are the payload-index terms derived from Payload, stored as
	// the point's term list.
	Terms []Term
	// User, Weight and Time are an OpInteract's (with ID the item) and
	// User an OpForgetUser's.
	User   userid.ID
	Weight float32
	Time   int64
}

// Write commits ops as one Pebble batch with Sync: when it returns nil,
// every op is durable. Each node (Node or Prev) may appear at most once in
// ops. The caller
// must hold whatever locks keep other writers away from these points and
// nodes until Write returns. ctx bounds the wait for admission (Store.commit);
// once the commit starts it runs to completion. A write refused for want of
// disk space fails with ErrNoSpace.
func (c *Collection) Write(ctx context.Context, ops []Op) error {
	b := c.store.db.NewBatch()
	defer b.Close()
	for i := range ops {
		if err := c.addOp(b, &ops[i]); err != nil {
			return fmt.Errorf("collection %q: op %d (seq %d, id %s): %w", c.name, i, ops[i].Seq, ops[i].ID, err)
		}
	}
	if err := c.store.commit(ctx, b, true); err != nil {
		return fmt.Errorf("collection %q: commit %d ops: %w", c.name, len(ops), err)
	}
	return nil
}

func (c *Collection) addOp(b *pebble.Batch, op *Op) error {
	nodeBytes := binary.BigEndian.AppendUint32(nil, op.Node)
	entry := append([]byte{byte(op.Kind)}, nodeBytes...)
	entry = op.ID.AppendKey(entry)
	switch op.Kind {
	case OpUpsert:
		if op.Replaced {
			c.removeNode(b, op.Prev, op)
			entry = binary.BigEndian.AppendUint32(entry, op.Prev)
		}
		_ = b.Set(c.idKey(op.ID), nodeBytes, nil)
		_ = b.Set(c.nodeKey(secNodeToID, op.Node), op.ID.AppendKey(nil), nil)
		if op.Vector != nil {
			_ = b.Set(c.vectorKey(0, op.Node), encodeVector(op.Vector), nil)
		}
		for _, sv := range op.Named {
			if sv.Space == 0 {
				return fmt.Errorf("named vector in space 0")
			}
			_ = b.Set(c.vectorKey(sv.Space, op.Node), encodeVector(sv.Vector), nil)
		}
		for _, sv := range op.Sparse {
			if sv.Space == 0 {
				return fmt.Errorf("sparse vector in space 0")
			}
			_ = b.Set(c.sparseKey(sv.Space, op.Node), encodeSparse(sv.Vector), nil)
		}
		_ = b.Set(c.nodeKey(secPayload, op.Node), encodePayload(op.Payload), nil)
		_ = b.Set(c.nodeKey(secTerms, op.Node), encodeTerms(op.Terms), nil)
	case OpDelete:
		_ = b.Delete(c.idKey(op.ID), nil)
		c.removeNode(b, op.Node, op)
	case OpInteract, OpForgetUser:
		c.addInteractionOp(b, op)
		return nil
	case OpPayload:
		c.addPayloadOp(b, op)
		return nil
	default:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	_ = b.Set(c.logKey(op.Seq), entry, nil)
	return nil
}

// SpaceVector is a vector in one named vector space.
type SpaceVector struct {
	Space  uint8
	Vector []float32
}

// removeNode adds to b the deletion of every key of node except the id
// mapping: node → id, its vectors in space 0 and in op's Spaces, its
// sparse vectors in op's SparseSpaces, payload and terms (invariant 2). It
// reads nothing: no other key is derived from a node's terms (invariant
// 3), and a vector the node lacks costs a tombstone.
func (c *Collection) removeNode(b *pebble.Batch, node uint32, op *Op) {
	_ = b.Delete(c.nodeKey(secNodeToID, node), nil)
	_ = b.Delete(c.vectorKey(0, node), nil)
	for _, s := range op.Spaces {
		_ = b.Delete(c.vectorKey(s, node), nil)
	}
	for _, s := range op.SparseSpaces {
		_ = b.Delete(c.sparseKey(s, node), nil)
	}
	_ = b.Delete(c.nodeKey(secPayload, node), nil)
	_ = b.Delete(c.nodeKey(secTerms, node), nil)
}

func encodeVector(v []float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, f := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(f))
	}
	return out
}

func decodeVector(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: vector of %d bytes", ErrCorrupt, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// Node returns the node of a live point, or ErrNotFound.
func (c *Collection) Node(id pointid.ID) (uint32, error) {
	v, err := c.store.get(c.idKey(id))
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: node value of %d bytes", ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint32(v), nil
}

// Vector returns the vector of a live node in a vector space, or ErrNotFound.
func (c *Collection) Vector(space uint8, node uint32) ([]float32, error) {
	v, err := c.store.get(c.vectorKey(space, node))
	if err != nil {
		return nil, err
	}
	return decodeVector(v)
}

// Payload returns the JSON payload of a live node, or ErrNotFound.
func (c *Collection) Payload(node uint32) ([]byte, error) {
	v, err := c.store.get(c.nodeKey(secPayload, node))
	if err != nil {
		return nil, err
	}
	return decodePayload(v)
}

// iterate calls fn for each key/value in [lo, hi) until fn returns false
// or an error. Key and value are valid only during the call.
func (c *Collection) iterate(ctx context.Context, lo, hi []byte, fn func(k, v []byte) (bool, error)) error {
	iter, err := c.store.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for ok := iter.First(); ok; ok = iter.Next() {
		if err := ctx.Err(); err != nil {
			iter.Close()
			return err
		}
		more, err := fn(iter.Key(), iter.Value())
		if err != nil || !more {
			iter.Close()
			return err
		}
	}
	return iter.Close()
}

// ScanNodes calls fn for every live point, in node order.
func (c *Collection) ScanNodes(ctx context.Context, fn func(node uint32, id pointid.ID) error) error {
	lo, hi := c.bounds(secNodeToID)
	return c.iterate(ctx, lo, hi, func(k, v []byte) (bool, error) {
		if len(k) != len(lo)+4 {
			return false, fmt.Errorf("%w: node key %x", ErrCorrupt, k)
		}
		id, _, err := pointid.DecodeKey(v)
		if err != nil {
			return false, err
		}
		return true, fn(binary.BigEndian.Uint32(k[len(lo):]), id)
	})
}

// ScanTerms calls fn with the payload-index terms of every node that has
// any, in node order; keywords come back as indexed (see MaxTermLen).
func (c *Collection) ScanTerms(ctx context.Context, fn func(node uint32, terms []Term) error) error {
	lo, hi := c.bounds(secTerms)
	return c.iterate(ctx, lo, hi, func(k, v []byte) (bool, error) {
		if len(k) != len(lo)+4 {
			return false, fmt.Errorf("%w: terms key %x", ErrCorrupt, k)
		}
		keys, err := decodeTermKeys(v)
		if err != nil || len(keys) == 0 {
			return err == nil, err
		}
		terms := make([]Term, len(keys))
		for i, tk := range keys {
			if terms[i], err = decodeTerm(tk); err != nil {
				return false, err
			}
		}
		return true, fn(binary.BigEndian.Uint32(k[len(lo):]), terms)
	})
}

// ScanIDs calls fn for every live point with id ≥ from in id order, until
// fn returns false. It reads one consistent Pebble view.
func (c *Collection) ScanIDs(ctx context.Context, from pointid.ID, fn func(id pointid.ID, node uint32) (bool, error)) error {
	lo, hi := c.bounds(secIDToNode)
	start := c.idKey(from)
	return c.iterate(ctx, start, hi, func(k, v []byte) (bool, error) {
		id, rest, err := pointid.DecodeKey(k[len(lo):])
		if err != nil {
			return false, err
		}
		if len(rest) != 0 || len(v) != 4 {
			return false, fmt.Errorf("%w: id key %x", ErrCorrupt, k)
		}
		return fn(id, binary.BigEndian.Uint32(v))
	})
}

// ScanVectors calls fn for every vector in a space, in node order.
func (c *Collection) ScanVectors(ctx context.Context, space uint8, fn func(node uint32, vec []float32) error) error {
	lo, _ := c.bounds(secVector)
	lo, hi := append(lo, space), append(lo[:len(lo):len(lo)], space+1)
	return c.iterate(ctx, lo, hi, func(k, v []byte) (bool, error) {
		vec, err := decodeVector(v)
		if err != nil || len(k) != len(lo)+4 {
			return false, fmt.Errorf("%w: vector key %x", ErrCorrupt, k)
		}
		return true, fn(binary.BigEndian.Uint32(k[len(lo):]), vec)
	})
}

// ScanVectorNodes calls fn for every node with a vector in a space, in
// node order, without decoding the vectors.
func (c *Collection) ScanVectorNodes(ctx context.Context, space uint8, fn func(node uint32) error) error {
	lo, _ := c.bounds(secVector)
	lo, hi := append(lo, space), append(lo[:len(lo):len(lo)], space+1)
	return c.iterate(ctx, lo, hi, func(k, _ []byte) (bool, error) {
		if len(k) != len(lo)+4 {
			return false, fmt.Errorf("%w: vector key %x", ErrCorrupt, k)
		}
		return true, fn(binary.BigEndian.Uint32(k[len(lo):]))
	})
}

// DiskSize estimates the collection's bytes in Pebble's sstables (data
// still only in the memtable and WAL is not counted).
func (c *Collection) DiskSize() (uint64, error) {
	lo, hi := c.bounds(0)
	n, err := c.store.db.EstimateDiskUsage(lo, hi)
	if err != nil {
		return 0, fmt.Errorf("collection %q: disk usage: %w", c.name, err)
	}
	return n, nil
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// NodeTerms is a node's new payload-index term list.
type NodeTerms struct {
	Node  uint32
	Terms []Term
}

// SetTerms replaces the payload-index terms of live nodes in one synced
// batch. The caller must pass only live nodes (a dead node has no terms
// key, invariant 2) and keep writers away from them until it returns.
func (c *Collection) SetTerms(ctx context.Context, items []NodeTerms) error {
	b := c.store.db.NewBatch()
	defer b.Close()
	for _, it := range items {
		_ = b.Set(c.nodeKey(secTerms, it.Node), encodeTerms(it.Terms), nil)
	}
	if err := c.store.commit(ctx, b, true); err != nil {
		return fmt.Errorf("collection %q: set terms of %d nodes: %w", c.name, len(items), err)
	}
	return nil
}
