package cluster

import (
	"archive/tar"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/trainer"
)

// fsm applies the log to one index.DB. Raft calls Apply, Snapshot and
// Restore from one goroutine, never concurrently; FSMSnapshot.Persist
// runs beside later Applies.
type fsm struct {
	db *index.DB
	// snapDir is the DB's Options.SnapshotDir, where full snapshots go.
	snapDir string
	log     *slog.Logger
	// trainer installs models and forgets users (kinds.go); it is the
	// node's, which the API serves models from.
	trainer *trainer.Trainer
	peers   peerURLs
	// applied is the index of the last command applied, or restored with
	// a snapshot. raft.AppliedIndex runs ahead of the FSM (it counts
	// entries handed to it), so readers that wait for a write use this.
	applied atomic.Uint64
	// observer hears of placement changes; nil: nobody listens.
	observer PlacementObserver
	mu       struct {
		sync.RWMutex
		// placements are the sharded collections by name; written by
		// Apply and Restore only.
		placements map[string]Placement // protected by mu
	}
}

// Snapshot streams start with a magic naming their version, then the
// index of the last command in it (big-endian uint64). Version 1 goes on
// with the DB's full snapshot (a tar); version 2 puts the peers' URLs
// (JSON, after its big-endian uint32 length) before it; version 3 then
// the placements of the sharded collections, the same way. Both are
// consensus state, which the index does not hold.
const (
	snapMagic   = "QVRSNAP3"
	snapMagicV2 = "QVRSNAP2"
	snapMagicV1 = "QVRSNAP1"
)

var _ raft.FSM = (*fsm)(nil)

// Apply runs one committed command and returns its error (nil when it
// succeeded) as the entry's response, which the leader's Node.Apply
// returns. A failure that is not the command's own panics (doc.go,
// invariant 3).
func (f *fsm) Apply(l *raft.Log) any {
	cmd, err := decodeCommand(l.Data)
	if err != nil {
		// The leader decoded the entry before proposing it: this node
		// runs another version, or its log is damaged.
		f.log.Error("cluster: committed entry unreadable on this node; stopping it", "index", l.Index, "err", err)
		panic(fmt.Sprintf("cluster: entry %d: %v", l.Index, err))
	}
	// A sharded collection's placement is recorded before its schema
	// collection exists, so no reader ever sees the collection without
	// it and writes points into the schema.
	f.placementsChanged(cmd, l.Index, false, nil)
	err = f.applyCommand(context.Background(), cmd)
	f.placementsChanged(cmd, l.Index, true, err)
	f.applied.Store(l.Index)
	if err != nil && !deterministic(err) {
		f.log.Error("cluster: apply failed on this node only; stopping it rather than diverging", "index", l.Index, "err", err)
		panic(fmt.Sprintf("cluster: entry %d: replica cannot apply a committed command: %v", l.Index, err))
	}
	return err
}

// placementsChanged records a sharded collection created or dropped by
// the command at index: called with applied false before applying it
// and true after, with the apply's error. A create is recorded before
// (and forgotten if it failed) and told to the observer after; a drop
// is recorded and told after it succeeded.
func (f *fsm) placementsChanged(cmd Command, index uint64, applied bool, err error) {
	switch {
	case cmd.CreateSharded != nil:
		name := cmd.CreateSharded.Name
		p := cmd.CreateSharded.Placement
		p.Created = index
		f.mu.Lock()
		old, exists := f.mu.placements[name]
		switch {
		case !applied && !exists: // else the name is taken: the apply fails
			if f.mu.placements == nil {
				f.mu.placements = map[string]Placement{}
			}
			f.mu.placements[name] = p
		case applied && err != nil && exists && old.Created == index:
			delete(f.mu.placements, name)
		}
		f.mu.Unlock()
		if applied && err == nil {
			f.markSchema(name)
		}
		if applied && err == nil && f.observer != nil {
			f.observer.Placed(name, p)
		}
	case cmd.Drop != nil && applied && err == nil:
		f.mu.Lock()
		p, ok := f.mu.placements[cmd.Drop.Name]
		delete(f.mu.placements, cmd.Drop.Name)
		f.mu.Unlock()
		if ok && f.observer != nil {
			f.observer.Unplaced(cmd.Drop.Name, p)
		}
	}
}

// markSchema marks a sharded collection's schema copy as keeping users
// whose items are in the shards (index.Collection.SetItemsElsewhere): a
// state of the open collection, set again by every replay and restore.
func (f *fsm) markSchema(name string) {
	if c, err := f.db.Collection(name); err == nil {
		c.SetItemsElsewhere()
	}
}

// placement returns the sharded collection's placement.
func (f *fsm) placement(name string) (Placement, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p, ok := f.mu.placements[name]
	return p, ok
}

func (f *fsm) placementsCopy() map[string]Placement {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return maps.Clone(f.mu.placements)
}

// Snapshot writes a full snapshot of the DB now, while no Apply runs,
// so it holds exactly the entries applied so far (doc.go, invariant 5).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	file, err := f.db.CreateFullSnapshotFile(context.Background())
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot: %w", err)
	}
	peers, err := json.Marshal(f.peers.all())
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot: %w", err)
	}
	placed, err := json.Marshal(f.placementsCopy())
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot placements: %w", err)
	}
	return &fileSnapshot{path: filepath.Join(f.snapDir, file.Name), applied: f.applied.Load(), peers: peers, placements: placed}, nil
}

// Restore replaces every collection with the snapshot's: those in it are
// recovered from it, the others dropped; then the aliases and the peers'
// URLs.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	head, err := readSnapHeader(rc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	// No aliases while collections are recovered: Recover resolves an
	// alias, and this node's may name a collection of the snapshot's.
	if err := f.db.SetAliases(nil); err != nil {
		return fmt.Errorf("cluster: restore: clear aliases: %w", err)
	}
	tr := tar.NewReader(rc)
	kept := map[string]bool{}
	var aliases []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("cluster: restore: %w", err)
		}
		if h.Name == aliasesEntry {
			if aliases, err = io.ReadAll(tr); err != nil {
				return fmt.Errorf("cluster: restore aliases: %w", err)
			}
			continue
		}
		name, ok := strings.CutSuffix(h.Name, ".snapshot")
		if !ok {
			continue
		}
		if _, err := f.db.Recover(ctx, tr, name); err != nil {
			return fmt.Errorf("cluster: restore collection %q: %w", name, err)
		}
		kept[name] = true
	}
	for _, name := range f.db.List() {
		if kept[name] {
			continue
		}
		if err := f.db.Drop(ctx, name); err != nil {
			return fmt.Errorf("cluster: restore: drop collection %q: %w", name, err)
		}
	}
	if err := restoreAliases(f.db, aliases); err != nil {
		return err
	}
	f.peers.replace(head.peers)
	f.mu.Lock()
	f.mu.placements = head.placements
	f.mu.Unlock()
	for name := range head.placements {
		f.markSchema(name)
	}
	f.applied.Store(head.applied)
	if f.observer != nil {
		f.observer.Restored(maps.Clone(head.placements), head.applied)
	}
	return nil
}

// fileSnapshot is a full snapshot file that Persist streams to Raft,
// after a header with the index of the last command in it.
type fileSnapshot struct {
	path       string
	applied    uint64
	peers      []byte // the peers' URLs, JSON
	placements []byte // JSON
}

func (s *fileSnapshot) Persist(sink raft.SnapshotSink) error {
	err := s.copyTo(sink)
	if err != nil {
		return errors.Join(err, sink.Cancel())
	}
	return sink.Close()
}

func (s *fileSnapshot) copyTo(w io.Writer) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	defer f.Close()
	head := binary.BigEndian.AppendUint64([]byte(snapMagic), s.applied)
	head = appendJSONSection(head, s.peers)
	head = appendJSONSection(head, s.placements)
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	return nil
}

// Release deletes the file: Raft's snapshot store has its copy.
func (s *fileSnapshot) Release() { os.Remove(s.path) }
