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
	"os"
	"path/filepath"
	"strings"
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
}

// snapMagic starts a snapshot stream; the index of the last command in
// it follows, big-endian, then the length (4 bytes, big-endian) and JSON
// of the peers' URLs, then the DB's full snapshot (a tar). A stream
// starting snapMagicV1 has no peers' URLs.
const (
	snapMagic   = "QVRSNAP2"
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
	err = f.applyCommand(context.Background(), cmd)
	f.applied.Store(l.Index)
	if err != nil && !deterministic(err) {
		f.log.Error("cluster: apply failed on this node only; stopping it rather than diverging", "index", l.Index, "err", err)
		panic(fmt.Sprintf("cluster: entry %d: replica cannot apply a committed command: %v", l.Index, err))
	}
	return err
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
	return &fileSnapshot{path: filepath.Join(f.snapDir, file.Name), applied: f.applied.Load(), peers: peers}, nil
}

// Restore replaces every collection with the snapshot's: those in it are
// recovered from it, the others dropped; then the aliases and the peers'
// URLs.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	applied, peers, err := readSnapHeader(rc)
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
	f.peers.replace(peers)
	f.applied.Store(applied)
	return nil
}

// fileSnapshot is a full snapshot file that Persist streams to Raft,
// after a header with the index of the last command in it.
type fileSnapshot struct {
	path    string
	applied uint64
	peers   []byte // the peers' URLs, JSON
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
	head = binary.BigEndian.AppendUint32(head, uint32(len(s.peers)))
	head = append(head, s.peers...)
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
