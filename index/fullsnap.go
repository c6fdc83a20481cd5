package index

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// A full snapshot is a tar archive of one collection snapshot per
// collection, named <collection>.snapshot (each restorable alone, e.g.
// uploaded to /collections/{c}/snapshots/upload), and aliases.json, the
// aliases as [{"alias_name", "collection_name"}]. Each collection is
// consistent in itself; the archive is not one point in time across them.

// fullAliasesEntry is the name of the aliases' entry in a full snapshot.
const fullAliasesEntry = "aliases.json"

// CreateFullSnapshotFile writes a full snapshot of every collection to a
// new file in Options.SnapshotDir. Writes go on meanwhile.
func (db *DB) CreateFullSnapshotFile(ctx context.Context) (SnapshotFile, error) {
	dir := db.opts.SnapshotDir
	return writeSnapshotFile(dir, snapshotFileName("full-snapshot", time.Now()), func(w io.Writer) error {
		return db.writeFullSnapshot(ctx, w)
	})
}

func (db *DB) writeFullSnapshot(ctx context.Context, w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, name := range db.List() {
		if err := db.addToTar(ctx, tw, name); errors.Is(err, ErrNotFound) {
			continue // dropped meanwhile
		} else if err != nil {
			return fmt.Errorf("full snapshot: collection %q: %w", name, err)
		}
	}
	aliases, err := db.Aliases("")
	if err != nil {
		return err
	}
	type aliasOut struct {
		Alias      string `json:"alias_name"`
		Collection string `json:"collection_name"`
	}
	out := make([]aliasOut, len(aliases))
	for i, a := range aliases {
		out[i] = aliasOut{a.Name, a.Collection}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: fullAliasesEntry, Mode: 0o644, Size: int64(len(raw)), ModTime: time.Now()}); err != nil {
		return err
	}
	if _, err := tw.Write(raw); err != nil {
		return err
	}
	return tw.Close()
}

// addToTar adds a collection's snapshot to tw: written to a temporary file
// first, since a tar entry states its size up front.
func (db *DB) addToTar(ctx context.Context, tw *tar.Writer, name string) error {
	tmp, err := os.CreateTemp(db.opts.SnapshotDir, tempPrefix+"full-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := db.Snapshot(ctx, name, tmp); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name + snapshotExt, Mode: 0o644, Size: size, ModTime: time.Now()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, tmp)
	return err
}
