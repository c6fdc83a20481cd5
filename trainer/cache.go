package trainer

import (
	"sync"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/userid"
)

// profileCache keeps folded-in profiles: a user with thousands of
// interactions costs milliseconds to read and fold in, and most queries
// come with no new interaction since the last. An entry is valid while
// the collection's UserVersion for the user and the model are the ones
// it was computed with.
type profileCache struct {
	mu      sync.Mutex
	entries map[profileKey]profileEntry // protected by mu
}

type profileKey struct {
	c     *index.Collection
	user  userid.ID
	using string
}

type profileEntry struct {
	version uint64
	model   *Model
	profile *Profile
}

// maxCachedProfiles bounds the cache; past it, an arbitrary entry goes.
// A profile holds the user's seen items, so heavy users weigh more.
const maxCachedProfiles = 4096

func (pc *profileCache) get(k profileKey, version uint64, m *Model) *Profile {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	e, ok := pc.entries[k]
	if !ok || e.version != version || e.model != m {
		return nil
	}
	return e.profile
}

func (pc *profileCache) put(k profileKey, version uint64, m *Model, p *Profile) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.entries == nil {
		pc.entries = map[profileKey]profileEntry{}
	}
	if _, ok := pc.entries[k]; !ok && len(pc.entries) >= maxCachedProfiles {
		for old := range pc.entries {
			delete(pc.entries, old)
			break
		}
	}
	pc.entries[k] = profileEntry{version, m, p}
}

// forget drops the entries of a collection.
func (pc *profileCache) forget(c *index.Collection) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for k := range pc.entries {
		if k.c == c {
			delete(pc.entries, k)
		}
	}
}
