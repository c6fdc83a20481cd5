package index

import (
	"context"
	"log/slog"
)

// OpenScratch opens a throwaway DB in dir, to read a snapshot into once
// (a cluster node's recovery replays it through consensus): no syncs, no
// ballast, a small cache, and db's limits, disk reserve and snapshot
// directory, so what db would refuse the scratch refuses too.
func (db *DB) OpenScratch(ctx context.Context, dir string, log *slog.Logger) (*DB, error) {
	opts := db.opts
	opts.Logger = log
	opts.Storage.Logger = log
	opts.Storage.NoSync = true
	opts.Storage.BallastBytes = -1
	opts.Storage.CacheBytes = 16 << 20
	return Open(ctx, dir, opts)
}
