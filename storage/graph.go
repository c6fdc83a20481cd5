package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/quiver-db/quiver/pointid"
)

// graphChunk is the size of one stored piece of a graph snapshot.
const graphChunk = 1 << 20

// maxPrealloc bounds what a stored length may reserve before the bytes
// are read.
const maxPrealloc = 64 << 20

// LogEntry is what the log keeps of a committed Op: enough to know which
// node changed and how; the point's current state is in its keys.
type LogEntry struct {
	Seq  uint64
	Kind OpKind
	Node uint32
	ID   pointid.ID
	// Replaced and Prev are an upsert's: the point moved from node Prev.
	Replaced bool
	Prev     uint32
}

// LogAfter calls fn for every log entry with sequence number > seq, in
// sequence order.
func (c *Collection) LogAfter(ctx context.Context, seq uint64, fn func(LogEntry) error) error {
	_, hi := c.bounds(secLog)
	return c.iterate(ctx, c.logKey(seq+1), hi, func(k, v []byte) (bool, error) {
		e, err := c.decodeLog(k, v)
		if err != nil {
			return false, err
		}
		return true, fn(e)
	})
}

func (c *Collection) decodeLog(k, v []byte) (LogEntry, error) {
	lo, _ := c.bounds(secLog)
	if len(k) != len(lo)+8 || len(v) < 5 {
		return LogEntry{}, fmt.Errorf("%w: log entry %x", ErrCorrupt, k)
	}
	id, rest, err := pointid.DecodeKey(v[5:])
	if err != nil {
		return LogEntry{}, err
	}
	e := LogEntry{
		Seq:  binary.BigEndian.Uint64(k[len(lo):]),
		Kind: OpKind(v[0]),
		Node: binary.BigEndian.Uint32(v[1:5]),
		ID:   id,
	}
	switch len(rest) {
	case 0:
	case 4:
		e.Replaced, e.Prev = true, binary.BigEndian.Uint32(rest)
	default:
		return LogEntry{}, fmt.Errorf("%w: log entry %x", ErrCorrupt, k)
	}
	return e, nil
}

// LastSeq returns the highest sequence number the collection has recorded:
// the last log entry's, or the graph snapshot's when the log is empty.
func (c *Collection) LastSeq(ctx context.Context) (uint64, error) {
	lo, hi := c.bounds(secLog)
	iter, err := c.store.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, err
	}
	var last uint64
	if iter.Last() {
		e, err := c.decodeLog(iter.Key(), iter.Value())
		if err != nil {
			iter.Close()
			return 0, err
		}
		last = e.Seq
	}
	if err := iter.Close(); err != nil {
		return 0, err
	}
	snap, err := c.graphSeq()
	if err != nil {
		return 0, err
	}
	return max(last, snap), nil
}

// graphSeq returns the highest sequence number of any space's graph
// snapshot header, 0 when there is none. It reads the 256 header keys,
// not the section, which holds the snapshots' chunks.
func (c *Collection) graphSeq() (uint64, error) {
	var seq uint64
	for space := range 256 {
		h, err := c.graphHeader(uint8(space))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		seq = max(seq, h.seq)
	}
	return seq, nil
}

type graphHeader struct {
	seq, length uint64
	chunks      uint32
}

func (c *Collection) graphHeader(space uint8) (graphHeader, error) {
	v, err := c.store.get(c.graphHeaderKey(space))
	if err != nil {
		return graphHeader{}, err
	}
	if len(v) != 20 {
		return graphHeader{}, fmt.Errorf("%w: graph header of %d bytes", ErrCorrupt, len(v))
	}
	return graphHeader{
		seq:    binary.BigEndian.Uint64(v),
		length: binary.BigEndian.Uint64(v[8:]),
		chunks: binary.BigEndian.Uint32(v[16:]),
	}, nil
}

// SaveGraph stores a graph snapshot of a vector space that reflects every
// op with sequence number ≤ seq, replacing the previous one and deleting
// the log entries it covers, in one synced batch (invariant 5). A
// collection with several spaces must save them together (SaveGraphs).
func (c *Collection) SaveGraph(space uint8, seq uint64, data []byte) error {
	return c.SaveGraphs(seq, []SpaceGraph{{Space: space, Data: data}})
}

// SpaceGraph is the exported graph of one vector space.
type SpaceGraph struct {
	Space uint8
	Data  []byte
}

// SaveGraphs stores snapshots of the graphs of several vector spaces, each
// reflecting every op with sequence number ≤ seq, and deletes the log
// entries they cover, in one synced batch (invariant 5): no space's
// snapshot is ever older than the log.
func (c *Collection) SaveGraphs(seq uint64, graphs []SpaceGraph) error {
	b := c.store.db.NewBatch()
	defer b.Close()
	for _, g := range graphs {
		c.addGraph(b, g.Space, seq, g.Data)
	}
	logLo, _ := c.bounds(secLog)
	_ = b.DeleteRange(logLo, c.logKey(seq+1), nil)
	if err := c.store.commitWait(b); err != nil {
		return fmt.Errorf("collection %q: save graph at seq %d: %w", c.name, seq, err)
	}
	return nil
}

func (c *Collection) addGraph(b *pebble.Batch, space uint8, seq uint64, data []byte) {
	_ = b.DeleteRange(c.graphChunkKey(space, 0), prefixEnd(append(c.key(secGraph, 2), space, 'c')), nil)
	var chunks uint32
	for off := 0; off < len(data); off += graphChunk {
		_ = b.Set(c.graphChunkKey(space, chunks), data[off:min(off+graphChunk, len(data))], nil)
		chunks++
	}
	h := binary.BigEndian.AppendUint64(nil, seq)
	h = binary.BigEndian.AppendUint64(h, uint64(len(data)))
	h = binary.BigEndian.AppendUint32(h, chunks)
	_ = b.Set(c.graphHeaderKey(space), h, nil)
}

// LoadGraph returns the stored graph snapshot of a vector space and the
// sequence number it reflects, or ErrNotFound.
func (c *Collection) LoadGraph(ctx context.Context, space uint8) (uint64, []byte, error) {
	h, err := c.graphHeader(space)
	if err != nil {
		return 0, nil, err
	}
	// The header's length sizes the buffer only up to a bound: a corrupt
	// header must not reserve memory the chunks do not hold.
	data := make([]byte, 0, min(h.length, maxPrealloc))
	var chunks uint32
	lo := c.graphChunkKey(space, 0)
	err = c.iterate(ctx, lo, prefixEnd(lo[:len(lo)-4]), func(k, v []byte) (bool, error) {
		if binary.BigEndian.Uint32(k[len(k)-4:]) != chunks {
			return false, fmt.Errorf("%w: graph chunk %d missing", ErrCorrupt, chunks)
		}
		data = append(data, v...)
		chunks++
		return true, nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("collection %q: load graph: %w", c.name, err)
	}
	if chunks != h.chunks || uint64(len(data)) != h.length {
		return 0, nil, fmt.Errorf("collection %q: %w: graph has %d chunks, %d bytes; header says %d, %d",
			c.name, ErrCorrupt, chunks, len(data), h.chunks, h.length)
	}
	return h.seq, data, nil
}
