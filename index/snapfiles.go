package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// SnapshotFile describes a snapshot file kept in Options.SnapshotDir: a
// collection's under <dir>/<collection>/, a full one in <dir> itself.
type SnapshotFile struct {
	Name    string
	Created time.Time
	Size    int64
	// Checksum is the file's SHA-256, in hex.
	Checksum string
}

const (
	snapshotExt = ".snapshot"
	checksumExt = ".checksum" // the sidecar holding a snapshot's SHA-256
	tempPrefix  = ".tmp-"     // files being written; no snapshot name starts with "."
)

// checkSnapshotName refuses names that could leave the snapshot directory
// or name anything but a snapshot: the collection names' alphabet (no
// "/"), ending in ".snapshot", not starting with ".".
func checkSnapshotName(name string) error {
	if !validName(name) || !strings.HasSuffix(name, snapshotExt) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("%w: snapshot name %q: want letters, digits, '_', '-' or '.', ending in %q and not starting with '.'",
			ErrBadRequest, name, snapshotExt)
	}
	return nil
}

// snapshotFileName names a new snapshot of what prefix names, made at t,
// within the 255 bytes of a file name.
func snapshotFileName(prefix string, t time.Time) string {
	suffix := "-" + t.UTC().Format("2006-01-02-15-04-05.000000") + snapshotExt
	return prefix[:min(len(prefix), 255-len(suffix))] + suffix
}

// SnapshotDir is Options.SnapshotDir, where the snapshot files live and
// uploads are staged.
func (db *DB) SnapshotDir() string { return db.opts.SnapshotDir }

// snapshotDir is where the snapshot files of collection live, "" meaning
// the full snapshots. An alias stands for its collection; a name that is
// neither is used as it is, so a dropped collection's files stay in reach.
func (db *DB) snapshotDir(collection string) (string, error) {
	if collection == "" {
		return db.opts.SnapshotDir, nil
	}
	db.mu.RLock()
	collection = db.resolveLocked(collection)
	db.mu.RUnlock()
	if !validName(collection) {
		return "", fmt.Errorf("%w: collection name %q", ErrBadRequest, collection)
	}
	return filepath.Join(db.opts.SnapshotDir, collection), nil
}

// CreateSnapshotFile writes a snapshot of a collection (Snapshot) to a
// new file in its snapshot directory. Writes go on meanwhile.
func (db *DB) CreateSnapshotFile(ctx context.Context, collection string) (SnapshotFile, error) {
	c, err := db.Collection(collection)
	if err != nil {
		return SnapshotFile{}, err
	}
	dir, err := db.snapshotDir(c.Name())
	if err != nil {
		return SnapshotFile{}, err
	}
	return writeSnapshotFile(dir, snapshotFileName(c.Name(), time.Now()), func(w io.Writer) error {
		return db.Snapshot(ctx, c.Name(), w)
	})
}

// SnapshotTo writes a snapshot of a collection (Snapshot) to the file at
// path under a temporary name, synced and renamed, so a snapshot file that
// exists is whole.
func (db *DB) SnapshotTo(ctx context.Context, collection, path string) error {
	return writeAtomically(path, func(w io.Writer) error { return db.Snapshot(ctx, collection, w) })
}

// writeSnapshotFile writes a file through write under a temporary name,
// syncs it and renames it, so a snapshot file that exists is whole, and
// stores its checksum beside it.
func writeSnapshotFile(dir, name string, write func(io.Writer) error) (SnapshotFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return SnapshotFile{}, fmt.Errorf("snapshot directory: %w", err)
	}
	path := filepath.Join(dir, name)
	sum := sha256.New()
	err := writeAtomically(path, func(w io.Writer) error { return write(io.MultiWriter(w, sum)) })
	if err != nil {
		return SnapshotFile{}, fmt.Errorf("snapshot %s: %w", name, err)
	}
	checksum := hex.EncodeToString(sum.Sum(nil))
	err = writeAtomically(path+checksumExt, func(w io.Writer) error {
		_, err := io.WriteString(w, checksum)
		return err
	})
	if err != nil {
		return SnapshotFile{}, errors.Join(fmt.Errorf("snapshot %s: checksum: %w", name, err), os.Remove(path))
	}
	return statSnapshot(dir, name)
}

// writeAtomically writes path through write: a temporary file in the same
// directory, synced, renamed over path, and the directory synced.
func writeAtomically(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := errors.Join(write(tmp), tmp.Chmod(0o644), tmp.Sync()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// statSnapshot describes one snapshot file; a missing checksum sidecar
// (a file copied in by hand) is computed.
func statSnapshot(dir, name string) (SnapshotFile, error) {
	path := filepath.Join(dir, name)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return SnapshotFile{}, err
	}
	if !st.Mode().IsRegular() {
		return SnapshotFile{}, fmt.Errorf("snapshot %q: not a file: %w", name, ErrNotFound)
	}
	sum, err := os.ReadFile(path + checksumExt)
	if errors.Is(err, fs.ErrNotExist) {
		sum, err = fileChecksum(path)
	}
	if err != nil {
		return SnapshotFile{}, fmt.Errorf("snapshot %q: checksum: %w", name, err)
	}
	return SnapshotFile{Name: name, Created: st.ModTime().UTC(), Size: st.Size(), Checksum: strings.TrimSpace(string(sum))}, nil
}

func fileChecksum(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(h.Sum(nil))), nil
}

// SnapshotFiles lists a collection's snapshot files ("" lists the full
// snapshots), oldest first.
func (db *DB) SnapshotFiles(collection string) ([]SnapshotFile, error) {
	dir, err := db.snapshotDir(collection)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []SnapshotFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	out := []SnapshotFile{}
	for _, e := range entries {
		if !e.Type().IsRegular() || checkSnapshotName(e.Name()) != nil {
			continue
		}
		f, err := statSnapshot(dir, e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b SnapshotFile) int {
		return cmpOr(a.Created.Compare(b.Created), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// OpenSnapshotFile opens a snapshot file of a collection ("" for a full
// snapshot) for reading; the caller closes it.
func (db *DB) OpenSnapshotFile(collection, name string) (*os.File, SnapshotFile, error) {
	if err := checkSnapshotName(name); err != nil {
		return nil, SnapshotFile{}, err
	}
	dir, err := db.snapshotDir(collection)
	if err != nil {
		return nil, SnapshotFile{}, err
	}
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, SnapshotFile{}, err
	}
	info, err := statSnapshot(dir, name)
	if err != nil {
		f.Close()
		return nil, SnapshotFile{}, err
	}
	return f, info, nil
}

// DeleteSnapshotFile deletes a snapshot file of a collection ("" for a
// full snapshot) and its checksum.
func (db *DB) DeleteSnapshotFile(collection, name string) error {
	if err := checkSnapshotName(name); err != nil {
		return err
	}
	dir, err := db.snapshotDir(collection)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("snapshot %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete snapshot %q: %w", name, err)
	}
	if err := os.Remove(path + checksumExt); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete snapshot %q: checksum: %w", name, err)
	}
	return nil
}

// RecoverUpload copies a snapshot from r (an upload) to a temporary file,
// at most Options.MaxSnapshotBytes, checks its SHA-256 against checksum
// when that is set, and recovers it into collection (Recover).
func (db *DB) RecoverUpload(ctx context.Context, collection string, r io.Reader, checksum string) (*Collection, error) {
	if err := os.MkdirAll(db.opts.SnapshotDir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	tmp, err := os.CreateTemp(db.opts.SnapshotDir, tempPrefix+"upload-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), io.LimitReader(r, db.opts.MaxSnapshotBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read snapshot upload: %w", err)
	}
	if n > db.opts.MaxSnapshotBytes {
		return nil, fmt.Errorf("%w: snapshot larger than %d bytes", ErrTooLarge, db.opts.MaxSnapshotBytes)
	}
	if err := checkSum(sum, checksum); err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return db.Recover(ctx, tmp, collection)
}

// RecoverFile recovers collection from a snapshot file that must lie in
// Options.SnapshotDir (symbolic links resolved), checking its SHA-256
// against checksum when that is set.
func (db *DB) RecoverFile(ctx context.Context, collection, path, checksum string) (*Collection, error) {
	f, err := db.OpenSnapshotPath(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if checksum != "" {
		sum := sha256.New()
		if _, err := io.Copy(sum, f); err != nil {
			return nil, fmt.Errorf("read snapshot %q: %w", path, err)
		}
		if err := checkSum(sum, checksum); err != nil {
			return nil, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return db.Recover(ctx, f, collection)
}

// OpenSnapshotPath opens a snapshot file that must lie in
// Options.SnapshotDir, symbolic links resolved: a path outside it is an
// ErrBadRequest, a missing file ErrNotFound.
func (db *DB) OpenSnapshotPath(path string) (*os.File, error) {
	root, err := filepath.EvalSymlinks(db.opts.SnapshotDir)
	if err != nil {
		return nil, fmt.Errorf("%w: snapshot %q: not in the snapshot directory", ErrBadRequest, path)
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("snapshot %q: %w", path, ErrNotFound)
	}
	if err != nil || !strings.HasPrefix(real, root+string(filepath.Separator)) {
		return nil, fmt.Errorf("%w: snapshot %q: not in the snapshot directory", ErrBadRequest, path)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %q: %w", path, err)
	}
	return f, nil
}

func checkSum(sum hash.Hash, want string) error {
	if got := hex.EncodeToString(sum.Sum(nil)); want != "" && !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: checksum: the snapshot's SHA-256 is %s, not %s", ErrBadRequest, got, want)
	}
	return nil
}
