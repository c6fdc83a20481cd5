package storage

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// upgrades maps a format version to the step that brings a database from
// it to the next version. A step adds its changes to the batch it is given;
// upgrade commits that batch together with the new version, synced, so a
// step happens wholly or not at all and a crash midway repeats it.
var upgrades = map[uint32]func(s *Store, b *pebble.Batch) (string, error){
	1: upgradeFrom1,
}

// upgrade brings a database of format version from up to FormatVersion,
// one step at a time, logging each step.
func (s *Store) upgrade(dir string, from uint32) error {
	for v := from; v < FormatVersion; v++ {
		step, ok := upgrades[v]
		if !ok {
			return fmt.Errorf("%w: format %d cannot be upgraded to %d", ErrFormat, v, FormatVersion)
		}
		b := s.db.NewBatch()
		what, err := step(s, b)
		if err == nil {
			_ = b.Set(formatKey, binary.BigEndian.AppendUint32(nil, v+1), nil)
			err = s.commit(context.Background(), b, false)
		}
		b.Close()
		if err != nil {
			return fmt.Errorf("upgrade format %d to %d: %w", v, v+1, err)
		}
		s.log.Info("storage: upgraded data directory format", "dir", dir, "from", v, "to", v+1, "change", what)
	}
	return nil
}

// upgradeFrom1 deletes format 1's inverted payload index, the 'x' section
// of every collection: nothing read it, as the payload index is loaded
// from the per-node term lists (ScanTerms), and every write paid for it.
func upgradeFrom1(s *Store, b *pebble.Batch) (string, error) {
	_, cols, err := s.Collections()
	if err != nil {
		return "", err
	}
	for _, c := range cols {
		lo, hi := c.bounds(secRetiredIndex)
		_ = b.DeleteRange(lo, hi, nil)
	}
	return fmt.Sprintf("deleted the inverted payload index ('x' keys); collections: %d", len(cols)), nil
}
