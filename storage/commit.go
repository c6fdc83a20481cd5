package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// catalogWait bounds how long a write without a context of its own (a
// catalog change, a graph snapshot) waits out a Pebble write stall.
const catalogWait = 30 * time.Second

// commit commits b with Sync once the disk guard admits it; a gated batch
// is also held to the disk reserve. Once Pebble has taken the batch the
// commit runs to completion: admission is what keeps it from queueing
// behind a stall no deadline reaches. A fatal Pebble error in the commit
// fails this and every later write with ErrFailed instead of ending the
// process, so reads go on being served.
func (s *Store) commit(ctx context.Context, b *pebble.Batch, gated bool) (err error) {
	if err := s.failure(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.guard.admit(ctx, int(b.Len()), gated); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			s.setFatal(fmt.Sprint(r))
			err = s.failure()
		}
	}()
	if s.noSync {
		return b.Commit(pebble.NoSync)
	}
	return b.Commit(pebble.Sync)
}

// commitWait commits a gated batch, waiting out a stall for catalogWait
// at most.
func (s *Store) commitWait(b *pebble.Batch) error {
	ctx, cancel := context.WithTimeout(context.Background(), catalogWait)
	defer cancel()
	return s.commit(ctx, b, true)
}

// set commits one key (see commitWait).
func (s *Store) set(key, value []byte) error {
	b := s.db.NewBatch()
	defer b.Close()
	_ = b.Set(key, value, nil)
	return s.commitWait(b)
}

// setFatal records Pebble's first fatal error and deletes the ballast, so
// that a restart finds room to open.
func (s *Store) setFatal(msg string) {
	if s.fatal.CompareAndSwap(nil, &msg) {
		s.log.Error("storage: failed; writes are refused until a restart", "err", msg)
		s.guard.ballast.release()
	}
}

// failure returns ErrFailed with Pebble's fatal error, or nil.
func (s *Store) failure() error {
	if msg := s.fatal.Load(); msg != nil {
		return fmt.Errorf("%w: %s; restart the server", ErrFailed, *msg)
	}
	return nil
}
