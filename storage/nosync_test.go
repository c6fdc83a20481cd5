package storage

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// A store opened with NoSync loses the writes a crash catches unsynced;
// one without keeps every acknowledged write. The strict file system
// drops what was not synced, as a power cut would.
func TestNoSyncLeavesWritesUnsynced(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		fs := vfs.NewCrashableMem()
		s, err := Open("db", Options{FS: fs, NoSync: noSync, DiskReserveBytes: -1, BallastBytes: -1})
		require.NoError(t, err)
		c, err := s.CreateCollection("a", []byte(`{}`))
		require.NoError(t, err)
		require.NoError(t, c.Write(context.Background(), []Op{{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(7), Vector: []float32{1, 2}}}))
		crashed := fs.CrashClone(vfs.CrashCloneCfg{})
		require.NoError(t, s.Close())
		s, err = Open("db", Options{FS: crashed, DiskReserveBytes: -1, BallastBytes: -1})
		require.NoError(t, err)
		_, cols, err := s.Collections()
		require.NoError(t, err)
		survived := false
		if len(cols) == 1 {
			_, err = cols[0].Node(pointid.FromNum(7))
			survived = err == nil
		}
		require.Equal(t, !noSync, survived, "NoSync %v: the upsert survived the crash", noSync)
		require.NoError(t, s.Close())
	}
}
