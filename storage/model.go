package storage

import (
	"context"
	"encoding/binary"
	"fmt"
)

// secModel holds a collection's trained recommendation model, an opaque
// blob the recommendation package writes: 'm' 'h' → length(8) chunks(4),
// 'm' 'c' chunk(4) → bytes, in chunks of graphChunk.
const secModel = 'm'

func (c *Collection) modelHeaderKey() []byte { return append(c.key(secModel, 1), 'h') }

func (c *Collection) modelChunkKey(n uint32) []byte {
	return binary.BigEndian.AppendUint32(append(c.key(secModel, 5), 'c'), n)
}

// SaveModel replaces the collection's model with data in one synced batch,
// so a reader sees the old model or the new one, never a mix.
func (c *Collection) SaveModel(data []byte) error {
	b := c.store.db.NewBatch()
	defer b.Close()
	lo, hi := c.bounds(secModel)
	_ = b.DeleteRange(lo, hi, nil)
	var chunks uint32
	for off := 0; off < len(data); off += graphChunk {
		_ = b.Set(c.modelChunkKey(chunks), data[off:min(off+graphChunk, len(data))], nil)
		chunks++
	}
	h := binary.BigEndian.AppendUint64(nil, uint64(len(data)))
	h = binary.BigEndian.AppendUint32(h, chunks)
	_ = b.Set(c.modelHeaderKey(), h, nil)
	if err := c.store.commitWait(b); err != nil {
		return fmt.Errorf("collection %q: save model: %w", c.name, err)
	}
	return nil
}

// LoadModel returns the saved model, or ErrNotFound. The bytes grow as
// chunks are read; the header's length is checked, not trusted for the
// allocation.
func (c *Collection) LoadModel(ctx context.Context) ([]byte, error) {
	h, err := c.store.get(c.modelHeaderKey())
	if err != nil {
		return nil, err
	}
	if len(h) != 12 {
		return nil, fmt.Errorf("%w: model header %x", ErrCorrupt, h)
	}
	length, want := binary.BigEndian.Uint64(h), binary.BigEndian.Uint32(h[8:])
	var data []byte
	var chunks uint32
	lo := c.modelChunkKey(0)
	err = c.iterate(ctx, lo, prefixEnd(lo[:len(lo)-4]), func(k, v []byte) (bool, error) {
		if binary.BigEndian.Uint32(k[len(k)-4:]) != chunks {
			return false, fmt.Errorf("%w: model chunk %d missing", ErrCorrupt, chunks)
		}
		data = append(data, v...)
		chunks++
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("collection %q: load model: %w", c.name, err)
	}
	if chunks != want || uint64(len(data)) != length {
		return nil, fmt.Errorf("%w: model of %d bytes in %d chunks, header says %d in %d", ErrCorrupt, len(data), chunks, length, want)
	}
	return data, nil
}
