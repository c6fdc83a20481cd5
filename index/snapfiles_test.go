package index

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

func upsertN(t *testing.T, c *Collection, from, n int) {
	t.Helper()
	r := testseed.Stream(uint64(from), 0)
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{ID: pointid.FromNum(uint64(from + i)), Vector: randVec(r, 8), Payload: map[string]any{"i": from + i}}
	}
	require.NoError(t, c.Upsert(context.Background(), pts))
}

func count(t *testing.T, db *DB, name string) int {
	t.Helper()
	c, err := db.Collection(name)
	require.NoError(t, err)
	n, err := c.Count(context.Background(), nil)
	require.NoError(t, err)
	return n
}

// TestSnapshotFiles creates a snapshot file while writes go on, lists,
// checks and deletes it, recovers it into a new collection and over the
// existing one (whose aliases stay), and refuses names and paths that
// leave the snapshot directory.
func TestSnapshotFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDisk(t, dir)
	c, err := db.Create(ctx, "src", Config{VectorSize: 8, Distance: Cosine})
	require.NoError(t, err)
	upsertN(t, c, 0, 300)
	require.NoError(t, db.UpdateAliases([]AliasAction{{Create: &CreateAlias{Alias: "live", Collection: "src"}}}))

	// Writes during the snapshot keep working.
	var wg sync.WaitGroup
	var written atomic.Int64
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			upsertN(t, c, 10000+i, 1)
			written.Add(1)
		}
	}()
	snap, err := db.CreateSnapshotFile(ctx, "live")
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	require.Positive(t, written.Load())
	require.True(t, strings.HasPrefix(snap.Name, "src-"), snap.Name)
	path := filepath.Join(dir, "snapshots", "src", snap.Name)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	require.Equal(t, hex.EncodeToString(sum[:]), snap.Checksum)
	require.Equal(t, int64(len(raw)), snap.Size)

	list, err := db.SnapshotFiles("src")
	require.NoError(t, err)
	require.Equal(t, []SnapshotFile{snap}, list)
	f, info, err := db.OpenSnapshotFile("live", snap.Name)
	require.NoError(t, err)
	require.Equal(t, snap, info)
	require.NoError(t, f.Close())

	// The snapshot holds the 300 points and some of the writes made while
	// it was taken.
	copied, err := db.RecoverUpload(ctx, "copy", bytes.NewReader(raw), snap.Checksum)
	require.NoError(t, err)
	inSnap, err := copied.Count(ctx, nil)
	require.NoError(t, err)
	require.GreaterOrEqual(t, inSnap, 300)
	require.LessOrEqual(t, inSnap, 300+int(written.Load()))

	// Recovering over src replaces its points; the alias stays.
	upsertN(t, c, 50000, 20)
	_, err = db.RecoverFile(ctx, "live", path, "")
	require.NoError(t, err)
	require.Equal(t, inSnap, count(t, db, "live"))
	got, err := db.Collection("live")
	require.NoError(t, err)
	require.Equal(t, "src", got.Name())
	_, err = c.Count(ctx, nil)
	require.ErrorIs(t, err, ErrNotFound, "the replaced collection is closed")

	// Bad checksums, bad files, bad names and paths change nothing.
	_, err = db.RecoverUpload(ctx, "src", bytes.NewReader(raw), strings.Repeat("0", 64))
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, "checksum")
	_, err = db.RecoverUpload(ctx, "src", strings.NewReader("not a snapshot"), "")
	require.ErrorIs(t, err, ErrBadRequest)
	_, err = db.RecoverUpload(ctx, "src", bytes.NewReader(raw[:len(raw)/2]), "")
	require.ErrorIs(t, err, ErrBadRequest)
	require.Equal(t, inSnap, count(t, db, "src"))
	outside := filepath.Join(t.TempDir(), "x.snapshot")
	require.NoError(t, os.WriteFile(outside, raw, 0o644))
	_, err = db.RecoverFile(ctx, "src", outside, "")
	require.ErrorIs(t, err, ErrBadRequest)
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "snapshots", "src", "link.snapshot")))
	_, err = db.RecoverFile(ctx, "src", filepath.Join(dir, "snapshots", "src", "link.snapshot"), "")
	require.ErrorIs(t, err, ErrBadRequest, "a link out of the snapshot directory")
	_, err = db.RecoverFile(ctx, "src", filepath.Join(dir, "snapshots", "src", "..", "..", "x.snapshot"), "")
	require.Error(t, err)
	for _, name := range []string{"../src/" + snap.Name, "..", "a/b.snapshot", ".hidden.snapshot", "noext", "", `a\b.snapshot`} {
		_, _, err := db.OpenSnapshotFile("src", name)
		require.ErrorIs(t, err, ErrBadRequest, name)
		require.ErrorIs(t, db.DeleteSnapshotFile("src", name), ErrBadRequest, name)
	}
	_, err = db.SnapshotFiles("../etc")
	require.ErrorIs(t, err, ErrBadRequest)
	_, _, err = db.OpenSnapshotFile("src", "missing.snapshot")
	require.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, db.DeleteSnapshotFile("src", snap.Name))
	require.ErrorIs(t, db.DeleteSnapshotFile("src", snap.Name), ErrNotFound)
	list, err = db.SnapshotFiles("src")
	require.NoError(t, err)
	require.Empty(t, list)
	require.NoError(t, db.Close())

	// The recovered collection and its alias are durable.
	db = openDisk(t, dir)
	defer db.Close()
	require.Equal(t, inSnap, count(t, db, "live"))
	require.Equal(t, inSnap, count(t, db, "copy"))
}

// TestFullSnapshot archives every collection and the aliases, and
// restores a collection from the archive's entry.
func TestFullSnapshot(t *testing.T) {
	ctx := context.Background()
	db := openDisk(t, t.TempDir())
	defer db.Close()
	for i, name := range []string{"one", "two"} {
		c, err := db.Create(ctx, name, Config{VectorSize: 8, Distance: Dot})
		require.NoError(t, err)
		upsertN(t, c, 0, 10*(i+1))
	}
	require.NoError(t, db.UpdateAliases([]AliasAction{{Create: &CreateAlias{Alias: "first", Collection: "one"}}}))
	snap, err := db.CreateFullSnapshotFile(ctx)
	require.NoError(t, err)
	list, err := db.SnapshotFiles("")
	require.NoError(t, err)
	require.Equal(t, []SnapshotFile{snap}, list)

	f, _, err := db.OpenSnapshotFile("", snap.Name)
	require.NoError(t, err)
	defer f.Close()
	tr := tar.NewReader(f)
	entries := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		entries[h.Name] = body
	}
	require.Len(t, entries, 3)
	require.JSONEq(t, `[{"alias_name":"first","collection_name":"one"}]`, string(entries["aliases.json"]))
	_, err = db.Recover(ctx, bytes.NewReader(entries["two.snapshot"]), "two-again")
	require.NoError(t, err)
	require.Equal(t, 20, count(t, db, "two-again"))
	require.NoError(t, db.DeleteSnapshotFile("", snap.Name))

	// SnapshotTo, which the CLI uses, writes a file Recover reads.
	path := filepath.Join(t.TempDir(), "one.snapshot")
	require.NoError(t, db.SnapshotTo(ctx, "first", path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = db.Recover(ctx, bytes.NewReader(raw), "one-again")
	require.NoError(t, err)
	require.Equal(t, 10, count(t, db, "one-again"))
	require.ErrorIs(t, db.SnapshotTo(ctx, "nope", path), ErrNotFound)
	_, err = os.Stat(path)
	require.NoError(t, err, "a failed snapshot leaves the old file")
}
