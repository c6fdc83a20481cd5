package storage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
	"github.com/klauspost/compress/zstd"
)

// A collection snapshot file is a zstd stream (with its checksums) of:
// the magic line, then records of uvarint key length, key, uvarint value
// length, value. The first record's key is "config" and its value the
// collection's config bytes; the others are the collection's keys with the
// 0x03 C prefix removed. A record with an empty key ends the stream.
// Files written by format 1 also hold its 'x' keys; import skips them.
const snapshotMagic = "QUIVER-COLLECTION-SNAPSHOT 1\n"

// restoreBatch is the size at which a restore commits a batch.
const restoreBatch = 4 << 20

// ExportCollection writes a consistent snapshot of a collection (one Pebble
// snapshot, so concurrent writes are either wholly in it or not) to w.
func (s *Store) ExportCollection(c *Collection, w io.Writer) error {
	rec, err := s.get(catalogKey(c.name))
	if err != nil {
		return fmt.Errorf("snapshot %q: %w", c.name, err)
	}
	_, config, err := decodeRecord(rec)
	if err != nil {
		return err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	zw, err := zstd.NewWriter(w)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<20)
	bw.WriteString(snapshotMagic)
	writeRecord(bw, []byte("config"), config)
	lo, hi := c.bounds(0)
	iter, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for ok := iter.First(); ok; ok = iter.Next() {
		writeRecord(bw, iter.Key()[len(lo):], iter.Value())
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("snapshot %q: %w", c.name, err)
	}
	writeRecord(bw, nil, nil)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("snapshot %q: %w", c.name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("snapshot %q: %w", c.name, err)
	}
	return nil
}

func writeRecord(w *bufio.Writer, k, v []byte) {
	var n [binary.MaxVarintLen64]byte
	w.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
	w.Write(k)
	w.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	w.Write(v)
}

// ImportCollection restores a snapshot written by ExportCollection as a new
// collection called name (ErrExists if taken) and returns its handle and
// config. The collection appears only once every key is written; a restore
// cut short leaves unreachable keys under a prefix nothing uses.
func (s *Store) ImportCollection(r io.Reader, name string) (*Collection, []byte, error) {
	st, config, err := s.StageCollection(r, name)
	if err != nil {
		return nil, nil, err
	}
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	if _, err := s.get(catalogKey(name)); err == nil {
		return nil, nil, errors.Join(fmt.Errorf("collection %q: %w", name, ErrExists), s.discardLocked(st))
	}
	return st, config, s.commitLocked(st, config)
}

// StageCollection writes the keys of a snapshot (ExportCollection's
// output) under a fresh prefix and returns the handle of the collection
// they form, called name, and its config, without adding it to the
// catalog: CommitStaged does, DiscardStaged deletes the keys. The handle
// may be read before the commit. A stage cut short by a crash leaves
// unreachable keys under a prefix nothing uses.
func (s *Store) StageCollection(r io.Reader, name string) (*Collection, []byte, error) {
	zr, err := zstd.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 1<<20)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, nil, fmt.Errorf("%w: not a collection snapshot", ErrCorrupt)
	}
	k, config, err := readRecord(br)
	if err != nil || string(k) != "config" {
		return nil, nil, fmt.Errorf("%w: snapshot has no config record (%v)", ErrCorrupt, err)
	}
	s.catalogMu.Lock()
	prefix, err := s.takePrefixLocked()
	s.catalogMu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	c := &Collection{store: s, name: name, prefix: prefix}
	if err := s.stageKeys(c, br); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("restore %q: %w", name, err), s.DiscardStaged(c))
	}
	return c, config, nil
}

// stageKeys writes the snapshot records after the config under c's
// prefix, in batches, until the end record.
func (s *Store) stageKeys(c *Collection, br *bufio.Reader) error {
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	for {
		k, v, err := readRecord(br)
		if err != nil {
			return err
		}
		if len(k) == 0 {
			break
		}
		if k[0] == secRetiredIndex {
			continue // a format 1 export carries the retired inverted index
		}
		_ = b.Set(append(c.key(k[0], len(k)), k[1:]...), v, nil)
		if b.Len() >= restoreBatch {
			if err := s.commitWait(b); err != nil {
				return err
			}
			b.Close()
			b = s.db.NewBatch()
		}
	}
	return s.commitWait(b)
}

// CommitStaged makes a staged collection the one its name names, in one
// synced batch. A collection of that name that was there is replaced: the
// name's aliases stay, and its keys stay until the caller deletes them
// with DiscardStaged.
func (s *Store) CommitStaged(c *Collection, config []byte) error {
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	return s.commitLocked(c, config)
}

func (s *Store) commitLocked(c *Collection, config []byte) error {
	if err := s.set(catalogKey(c.name), encodeRecord(c.prefix, config)); err != nil {
		return fmt.Errorf("restore %q: %w", c.name, err)
	}
	return nil
}

// DiscardStaged deletes the keys of a staged collection, or of one that
// CommitStaged replaced.
func (s *Store) DiscardStaged(c *Collection) error {
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	return s.discardLocked(c)
}

func (s *Store) discardLocked(c *Collection) error {
	b := s.db.NewBatch()
	defer b.Close()
	lo, hi := c.bounds(0)
	_ = b.DeleteRange(lo, hi, nil)
	// Not gated by the disk reserve: a discard frees space.
	ctx, cancel := context.WithTimeout(context.Background(), catalogWait)
	defer cancel()
	if err := s.commit(ctx, b, false); err != nil {
		return fmt.Errorf("discard restore of %q: %w", c.name, err)
	}
	return nil
}

// takePrefixLocked hands out the next collection prefix; catalogMu must be
// held.
func (s *Store) takePrefixLocked() (uint32, error) {
	prefix := uint32(1)
	if v, err := s.get(nextPrefixKey); err == nil && len(v) == 4 {
		prefix = binary.BigEndian.Uint32(v)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if err := s.set(nextPrefixKey, binary.BigEndian.AppendUint32(nil, prefix+1)); err != nil {
		return 0, err
	}
	return prefix, nil
}

// maxRecord bounds one key or value of a snapshot.
const maxRecord = 1 << 30

func readRecord(r *bufio.Reader) (k, v []byte, err error) {
	read := func() ([]byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if n > maxRecord {
			return nil, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, n)
		}
		// The buffer grows with the bytes that arrive, not to the length
		// the file claims: a short file claiming 1 GiB costs what it holds.
		var buf bytes.Buffer
		buf.Grow(int(min(n, 64<<10)))
		if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	if k, err = read(); err != nil {
		return nil, nil, fmt.Errorf("%w: truncated snapshot: %v", ErrCorrupt, err)
	}
	if v, err = read(); err != nil {
		return nil, nil, fmt.Errorf("%w: truncated snapshot: %v", ErrCorrupt, err)
	}
	if len(k) == 0 && len(v) != 0 {
		return nil, nil, fmt.Errorf("%w: bad end record", ErrCorrupt)
	}
	return k, v, nil
}
