package index

import (
	"fmt"
	"maps"
	"slices"
)

// CheckAliases reports the error UpdateAliases(actions) would return
// before writing, changing nothing. A replicated DB checks a change on
// its leader before proposing it.
func (db *DB) CheckAliases(actions []AliasAction) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.mu.closed {
		return ErrClosed
	}
	_, err := db.nextAliasesLocked(actions)
	return err
}

// nextAliasesLocked returns the aliases after actions, or the first
// action's error; db.mu must be held.
func (db *DB) nextAliasesLocked(actions []AliasAction) (map[string]string, error) {
	next := maps.Clone(db.mu.aliases)
	for i, a := range actions {
		if err := db.applyAliasLocked(next, a); err != nil {
			return nil, fmt.Errorf("actions[%d]: %w", i, err)
		}
	}
	return next, nil
}

// SetAliases replaces every alias with aliases (alias name → collection),
// as one UpdateAliases: all or none.
func (db *DB) SetAliases(aliases map[string]string) error {
	current, err := db.Aliases("")
	if err != nil {
		return err
	}
	var actions []AliasAction
	for _, a := range current {
		actions = append(actions, AliasAction{Delete: &DeleteAlias{Alias: a.Name}})
	}
	for _, name := range slices.Sorted(maps.Keys(aliases)) {
		actions = append(actions, AliasAction{Create: &CreateAlias{Alias: name, Collection: aliases[name]}})
	}
	return db.UpdateAliases(actions)
}
