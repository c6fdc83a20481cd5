package storage

import (
	"errors"
	"io/fs"
	"runtime"
	"sync"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Names of the files the disk guard keeps next to Pebble's (Pebble leaves
// files it does not know alone).
const (
	ballastName = "QUIVER-BALLAST"
	probeName   = "QUIVER-PROBE"
)

// ballast is a file of zeros that holds disk space in reserve: deleting it
// when the disk fills gives Pebble room to finish what it has in flight (a
// WAL write, a flush), where it would otherwise stall or fail the commit.
// The disk guard lays it again once the disk has room.
type ballast struct {
	fs   vfs.FS
	path string
	// size is the ballast's size: negative for none, zero until the first
	// disk reading resolves the default. Set before the guard starts.
	size int64

	mu struct {
		sync.Mutex
		// present is the size of the ballast on disk, 0 when absent.
		present int64
	}
}

// missing returns how many bytes of ballast are not on disk.
func (b *ballast) missing() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.size-b.mu.present, 0)
}

// lay writes the ballast, or adopts the one a previous run left. It writes
// under a temporary name and renames, so a ballast on disk is whole.
func (b *ballast) lay() error {
	if b.size <= 0 {
		return nil
	}
	if st, err := b.fs.Stat(b.path); err == nil && st.Size() == b.size {
		b.mu.Lock()
		b.mu.present = b.size
		b.mu.Unlock()
		return nil
	}
	tmp := b.path + ".tmp"
	if err := b.write(tmp); err != nil {
		return errors.Join(err, b.fs.Remove(tmp))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.fs.Rename(tmp, b.path); err != nil {
		return errors.Join(err, b.fs.Remove(tmp))
	}
	b.mu.present = b.size
	return nil
}

func (b *ballast) write(path string) error {
	f, err := b.fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	// On Linux, Preallocate is fallocate: the blocks are reserved at once
	// rather than written (a 1 GiB ballast took seconds to write on every
	// open), and one byte at the end gives the file its size.
	if runtime.GOOS == "linux" && f.Preallocate(0, b.size) == nil {
		if err := f.Close(); err != nil {
			return err
		}
		if f, err = b.fs.OpenReadWrite(path, vfs.WriteCategoryUnspecified); err != nil {
			return err
		}
		_, err = f.WriteAt([]byte{0}, b.size-1)
		if err == nil {
			err = f.Sync()
		}
		return errors.Join(err, f.Close())
	}
	zeros := make([]byte, min(b.size, 1<<20))
	for left := b.size; left > 0 && err == nil; left -= int64(len(zeros)) {
		_, err = f.Write(zeros[:min(left, int64(len(zeros)))])
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// release deletes the ballast and returns the bytes it freed.
func (b *ballast) release() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.present == 0 {
		return 0
	}
	if err := b.fs.Remove(b.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	freed := b.mu.present
	b.mu.present = 0
	return freed
}
