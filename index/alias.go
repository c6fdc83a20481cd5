package index

import (
	"fmt"
	"maps"
	"slices"

	"github.com/quiver-db/quiver/storage"
)

// AliasAction is one step of DB.UpdateAliases: exactly one of its fields
// is set.
type AliasAction struct {
	// Create points Alias at Collection, replacing what the alias named.
	Create *CreateAlias
	// Delete removes an alias; ErrNotFound if there is none.
	Delete *DeleteAlias
	// Rename moves an alias to a new name, replacing an alias of that
	// name; ErrNotFound if the old one does not exist.
	Rename *RenameAlias
}

// CreateAlias is an AliasAction's create step.
type CreateAlias struct{ Alias, Collection string }

// DeleteAlias is an AliasAction's delete step.
type DeleteAlias struct{ Alias string }

// RenameAlias is an AliasAction's rename step.
type RenameAlias struct{ Old, New string }

// Alias is an alias and the collection it names.
type Alias struct{ Name, Collection string }

// UpdateAliases applies actions in order, all or none: it checks them all
// against the aliases as the earlier ones leave them, then stores the
// result in one synced batch. An alias follows the rules of collection
// names, cannot share a name with a collection, and must name a
// collection, not another alias.
func (db *DB) UpdateAliases(actions []AliasAction) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.mu.closed {
		return ErrClosed
	}
	next, err := db.nextAliasesLocked(actions)
	if err != nil {
		return err
	}
	var changes []storage.AliasChange
	for _, name := range slices.Sorted(maps.Keys(db.mu.aliases)) {
		if _, ok := next[name]; !ok {
			changes = append(changes, storage.AliasChange{Alias: name})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(next)) {
		if old, ok := db.mu.aliases[name]; !ok || old != next[name] {
			changes = append(changes, storage.AliasChange{Alias: name, Collection: next[name]})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	if err := db.store.ChangeAliases(changes); err != nil {
		return err
	}
	db.mu.aliases = next
	db.opts.Logger.Info("aliases changed", "changes", len(changes))
	return nil
}

// applyAliasLocked applies one action to aliases; db.mu must be held.
func (db *DB) applyAliasLocked(aliases map[string]string, a AliasAction) error {
	switch {
	case a.Create != nil && a.Delete == nil && a.Rename == nil:
		if err := db.checkAliasNameLocked(a.Create.Alias); err != nil {
			return err
		}
		if _, ok := db.mu.cols[a.Create.Collection]; !ok {
			return fmt.Errorf("create_alias: collection %q: %w", a.Create.Collection, ErrNotFound)
		}
		aliases[a.Create.Alias] = a.Create.Collection
	case a.Delete != nil && a.Create == nil && a.Rename == nil:
		if _, ok := aliases[a.Delete.Alias]; !ok {
			return fmt.Errorf("delete_alias: alias %q: %w", a.Delete.Alias, ErrNotFound)
		}
		delete(aliases, a.Delete.Alias)
	case a.Rename != nil && a.Create == nil && a.Delete == nil:
		col, ok := aliases[a.Rename.Old]
		if !ok {
			return fmt.Errorf("rename_alias: alias %q: %w", a.Rename.Old, ErrNotFound)
		}
		if err := db.checkAliasNameLocked(a.Rename.New); err != nil {
			return err
		}
		delete(aliases, a.Rename.Old)
		aliases[a.Rename.New] = col
	default:
		return fmt.Errorf("%w: want exactly one of create_alias, delete_alias, rename_alias", ErrBadRequest)
	}
	return nil
}

func (db *DB) checkAliasNameLocked(name string) error {
	if !validName(name) {
		return fmt.Errorf("%w: alias name %q: want 1-255 letters, digits, '_', '-' or '.', other than . or .. alone", ErrBadRequest, name)
	}
	if _, ok := db.mu.cols[name]; ok {
		return fmt.Errorf("alias %q: a collection has that name: %w", name, ErrExists)
	}
	return nil
}

// Aliases returns every alias, sorted by name; with collection set, only
// the aliases of that collection.
func (db *DB) Aliases(collection string) ([]Alias, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.mu.closed {
		return nil, ErrClosed
	}
	collection = db.resolveLocked(collection)
	if _, ok := db.mu.cols[collection]; collection != "" && !ok {
		return nil, fmt.Errorf("collection %q: %w", collection, ErrNotFound)
	}
	out := []Alias{}
	for _, name := range slices.Sorted(maps.Keys(db.mu.aliases)) {
		if col := db.mu.aliases[name]; collection == "" || col == collection {
			out = append(out, Alias{Name: name, Collection: col})
		}
	}
	return out, nil
}

// resolveLocked returns the collection name stands for: itself, or the
// collection the alias name names; db.mu must be held.
func (db *DB) resolveLocked(name string) string {
	if _, ok := db.mu.cols[name]; ok {
		return name
	}
	if col, ok := db.mu.aliases[name]; ok {
		return col
	}
	return name
}

// dropAliasesLocked forgets the aliases of collection (the store drops
// them with it); db.mu must be held for writing.
func (db *DB) dropAliasesLocked(collection string) {
	maps.DeleteFunc(db.mu.aliases, func(_, col string) bool { return col == collection })
}

// loadAliases reads the stored aliases at Open.
func (db *DB) loadAliases() error {
	aliases, err := db.store.Aliases()
	if err != nil {
		return err
	}
	for alias, col := range aliases {
		if _, ok := db.mu.cols[col]; !ok {
			// Drop deletes a collection's aliases in its batch, so this
			// is damage; the alias is left out, not fatal.
			db.opts.Logger.Warn("alias names a missing collection; ignored", "alias", alias, "collection", col)
			delete(aliases, alias)
		}
	}
	db.mu.aliases = aliases
	return nil
}

// checkFreeLocked fails with ErrExists when name is taken by a collection
// or an alias; db.mu must be held.
func (db *DB) checkFreeLocked(name string) error {
	if _, ok := db.mu.cols[name]; ok {
		return fmt.Errorf("collection %q: %w", name, ErrExists)
	}
	if col, ok := db.mu.aliases[name]; ok {
		return fmt.Errorf("%q is an alias of collection %q: %w", name, col, ErrExists)
	}
	return nil
}
