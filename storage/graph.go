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
	gen         uint32 // the chunks' generation; 0 in headers written before generations
}

func (c *Collection) graphHeader(space uint8) (graphHeader, error) {
	v, err := c.store.get(c.graphHeaderKey(space))
	if err != nil {
		return graphHeader{}, err
	}
	if len(v) != 20 && len(v) != 24 {
		return graphHeader{}, fmt.Errorf("%w: graph header of %d bytes", ErrCorrupt, len(v))
	}
	h := graphHeader{
		seq:    binary.BigEndian.Uint64(v),
		length: binary.BigEndian.Uint64(v[8:]),
		chunks: binary.BigEndian.Uint32(v[16:]),
	}
	if len(v) == 24 {
		h.gen = binary.BigEndian.Uint32(v[20:])
	}
	return h, nil
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
	ctx, cancel := context.WithTimeout(context.Background(), catalogWait)
	defer cancel()
	headers, err := c.writeGraphChunks(ctx, graphs)
	if err != nil {
		return fmt.Errorf("collection %q: save graph at seq %d: %w", c.name, seq, err)
	}
	b := c.store.db.NewBatch()
	defer b.Close()
	for i, g := range graphs {
		c.publishGraph(b, g.Space, seq, headers[i])
	}
	logLo, _ := c.bounds(secLog)
	_ = b.DeleteRange(logLo, c.logKey(seq+1), nil)
	if err := c.store.commit(ctx, b, true); err != nil {
		return fmt.Errorf("collection %q: save graph at seq %d: %w", c.name, seq, err)
	}
	return nil
}

// writeGraphChunks stores each graph's chunks under the generation after
// the stored one, a few chunks per batch, and returns the headers that
// will publish them. One batch holding a whole snapshot (64 MB for 100k
// 100-d vectors) would be kept in memory by Pebble long after its commit;
// chunks of an unpublished generation are invisible to LoadGraph, so a
// crash part-way leaves the stored snapshot as it was, and the next save
// overwrites the leftovers. The batches are not synced: the synced batch
// that publishes them is written after them in the same log.
func (c *Collection) writeGraphChunks(ctx context.Context, graphs []SpaceGraph) ([]graphHeader, error) {
	headers := make([]graphHeader, len(graphs))
	for i, g := range graphs {
		old, err := c.graphHeader(g.Space)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		h := graphHeader{length: uint64(len(g.Data)), gen: old.gen + 1}
		b := c.store.db.NewBatch()
		lo, hi := c.graphGenBounds(g.Space, h.gen)
		_ = b.DeleteRange(lo, hi, nil) // leftovers of a save that crashed
		for off := 0; off < len(g.Data); off += graphChunk {
			_ = b.Set(c.graphChunkKey(g.Space, h.gen, h.chunks), g.Data[off:min(off+graphChunk, len(g.Data))], nil)
			h.chunks++
			if b.Len() >= graphBatchBytes {
				if err := c.store.commit(ctx, b, true); err != nil {
					b.Close()
					return nil, err
				}
				b.Close()
				b = c.store.db.NewBatch()
			}
		}
		err = c.store.commit(ctx, b, true)
		b.Close()
		if err != nil {
			return nil, err
		}
		headers[i] = h
	}
	return headers, nil
}

// graphBatchBytes is the most graph chunk bytes one batch carries.
const graphBatchBytes = graphChunk

// publishGraph adds to b the header that makes generation h.gen the
// space's snapshot at seq, and deletes every other generation's chunks.
func (c *Collection) publishGraph(b *pebble.Batch, space uint8, seq uint64, h graphHeader) {
	legacyLo, legacyHi := c.graphGenBounds(space, 0)
	_ = b.DeleteRange(legacyLo, legacyHi, nil)
	first, _ := c.graphGenBounds(space, 1)
	lo, hi := c.graphGenBounds(space, h.gen)
	if h.gen > 1 {
		_ = b.DeleteRange(first, lo, nil)
	}
	_ = b.DeleteRange(hi, prefixEnd(first[:len(first)-8]), nil)
	v := binary.BigEndian.AppendUint64(nil, seq)
	v = binary.BigEndian.AppendUint64(v, h.length)
	v = binary.BigEndian.AppendUint32(v, h.chunks)
	v = binary.BigEndian.AppendUint32(v, h.gen)
	_ = b.Set(c.graphHeaderKey(space), v, nil)
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
	lo, hi := c.graphGenBounds(space, h.gen)
	err = c.iterate(ctx, lo, hi, func(k, v []byte) (bool, error) {
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
