package storage

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// AliasChange sets Alias to name Collection, or deletes Alias when
// Collection is empty.
type AliasChange struct {
	Alias      string
	Collection string
}

func aliasKey(alias string) []byte { return append([]byte{tagAlias}, alias...) }

// Aliases returns every alias and the collection it names.
func (s *Store) Aliases() (map[string]string, error) {
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagAlias}, UpperBound: []byte{tagAlias + 1}})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for iter.First(); iter.Valid(); iter.Next() {
		out[string(iter.Key()[1:])] = string(iter.Value())
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	return out, nil
}

// ChangeAliases applies changes, in order, as one synced batch: all of
// them or none. The caller checks that each names a collection that exists.
func (s *Store) ChangeAliases(changes []AliasChange) error {
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	for _, ch := range changes {
		if ch.Collection == "" {
			_ = b.Delete(aliasKey(ch.Alias), nil)
		} else {
			_ = b.Set(aliasKey(ch.Alias), []byte(ch.Collection), nil)
		}
	}
	if err := s.commitWait(b); err != nil {
		return fmt.Errorf("change %d aliases: %w", len(changes), err)
	}
	return nil
}

// deleteAliasesOf adds to b the deletion of every alias naming collection.
func (s *Store) deleteAliasesOf(b *pebble.Batch, collection string) error {
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagAlias}, UpperBound: []byte{tagAlias + 1}})
	if err != nil {
		return err
	}
	for iter.First(); iter.Valid(); iter.Next() {
		if bytes.Equal(iter.Value(), []byte(collection)) {
			_ = b.Delete(bytes.Clone(iter.Key()), nil)
		}
	}
	return iter.Close()
}
