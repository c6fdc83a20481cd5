// Package raftstore keeps a Raft node's log and its stable state (term,
// vote) in Pebble, the engine Quiver already ships, so a replicated node
// needs no second storage engine. It implements hashicorp/raft's LogStore
// and StableStore; every write is synced before it returns, because Raft
// counts an entry as acknowledged by this node once StoreLogs returns.
//
// It lives beside index/ rather than inside storage/ because its keys are
// Raft's, not a collection's: a node keeps it under DATA/raft, apart from
// the collections that the log's commands build.
package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hashicorp/raft"
)

// errKeyNotFound is what raft expects from StableStore for a missing key:
// it compares the message "not found", not an error value.
var errKeyNotFound = errors.New("not found")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("raftstore: closed")

// Key layout: logPrefix + big-endian index holds an encoded raft.Log
// (encode.go); stablePrefix + key holds a StableStore value.
const (
	logPrefix    = 'l'
	stablePrefix = 's'
)

// Options configures Open; the zero value is valid.
type Options struct {
	// FS is the file system; nil means the operating system's. Tests may
	// pass vfs.NewMem() or a crash-testing FS.
	FS vfs.FS
}

// Store is a raft.LogStore and raft.StableStore on one Pebble database.
// It is safe for concurrent use.
type Store struct {
	mu struct {
		sync.RWMutex
		db *pebble.DB // nil after Close; protected by mu
	}
}

var (
	_ raft.LogStore    = (*Store)(nil)
	_ raft.StableStore = (*Store)(nil)
)

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	popts := &pebble.Options{FS: opts.FS}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("raftstore: open %s: %w", dir, err)
	}
	s := &Store{}
	s.mu.db = db
	return s, nil
}

// Close closes the database; later calls fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.db == nil {
		return ErrClosed
	}
	err := s.mu.db.Close()
	s.mu.db = nil
	return err
}

// with runs fn with the open database under the read lock.
func (s *Store) with(fn func(db *pebble.DB) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.db == nil {
		return ErrClosed
	}
	return fn(s.mu.db)
}

func logKey(index uint64) []byte {
	k := make([]byte, 9)
	k[0] = logPrefix
	binary.BigEndian.PutUint64(k[1:], index)
	return k
}

func stableKey(key []byte) []byte {
	return append([]byte{stablePrefix}, key...)
}

// FirstIndex returns the first index written, 0 for none.
func (s *Store) FirstIndex() (uint64, error) {
	return s.edgeIndex(true)
}

// LastIndex returns the last index written, 0 for none.
func (s *Store) LastIndex() (uint64, error) {
	return s.edgeIndex(false)
}

func (s *Store) edgeIndex(first bool) (uint64, error) {
	var idx uint64
	err := s.with(func(db *pebble.DB) error {
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{logPrefix}, UpperBound: []byte{logPrefix + 1}})
		if err != nil {
			return err
		}
		defer it.Close()
		ok := it.Last()
		if first {
			ok = it.First()
		}
		if ok {
			idx = binary.BigEndian.Uint64(it.Key()[1:])
		}
		return it.Error()
	})
	if err != nil {
		return 0, fmt.Errorf("raftstore: log index: %w", err)
	}
	return idx, nil
}

// GetLog reads the entry at index into log; raft.ErrLogNotFound if absent.
func (s *Store) GetLog(index uint64, log *raft.Log) error {
	return s.with(func(db *pebble.DB) error {
		val, closer, err := db.Get(logKey(index))
		if errors.Is(err, pebble.ErrNotFound) {
			return raft.ErrLogNotFound
		}
		if err != nil {
			return fmt.Errorf("raftstore: get log %d: %w", index, err)
		}
		defer closer.Close()
		if err := decodeLog(val, log); err != nil {
			return fmt.Errorf("raftstore: log %d: %w", index, err)
		}
		return nil
	})
}

// StoreLog stores one entry.
func (s *Store) StoreLog(log *raft.Log) error {
	return s.StoreLogs([]*raft.Log{log})
}

// StoreLogs stores entries in one synced batch: all or none survive a crash.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	return s.with(func(db *pebble.DB) error {
		b := db.NewBatch()
		defer b.Close()
		var buf []byte
		for _, l := range logs {
			buf = encodeLog(buf[:0], l)
			if err := b.Set(logKey(l.Index), buf, nil); err != nil {
				return err
			}
		}
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("raftstore: store %d logs: %w", len(logs), err)
		}
		return nil
	})
}

// DeleteRange deletes the entries from min to max, both included.
func (s *Store) DeleteRange(min, max uint64) error {
	if min > max {
		return nil
	}
	return s.with(func(db *pebble.DB) error {
		end := []byte{logPrefix + 1}
		if max < ^uint64(0) {
			end = logKey(max + 1)
		}
		if err := db.DeleteRange(logKey(min), end, pebble.Sync); err != nil {
			return fmt.Errorf("raftstore: delete logs %d-%d: %w", min, max, err)
		}
		return nil
	})
}

// Set stores a stable value.
func (s *Store) Set(key, val []byte) error {
	return s.with(func(db *pebble.DB) error {
		if err := db.Set(stableKey(key), val, pebble.Sync); err != nil {
			return fmt.Errorf("raftstore: set %q: %w", key, err)
		}
		return nil
	})
}

// Get reads a stable value; an error saying "not found" if absent, as raft
// expects.
func (s *Store) Get(key []byte) ([]byte, error) {
	var out []byte
	err := s.with(func(db *pebble.DB) error {
		val, closer, err := db.Get(stableKey(key))
		if errors.Is(err, pebble.ErrNotFound) {
			return errKeyNotFound
		}
		if err != nil {
			return fmt.Errorf("raftstore: get %q: %w", key, err)
		}
		out = append([]byte(nil), val...)
		return closer.Close()
	})
	return out, err
}

// SetUint64 stores a stable integer.
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 reads a stable integer; "not found" if absent.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	val, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(val) != 8 {
		return 0, fmt.Errorf("raftstore: %q holds %d bytes, want 8", key, len(val))
	}
	return binary.BigEndian.Uint64(val), nil
}
