package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heapInUse is the Go heap after collecting garbage, in MiB.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse >> 20
}

// Saving a 64 MiB graph must not leave its bytes held after the save: one
// batch that size was kept by Pebble (128 MiB with its growth) until close.
func TestSaveGraphReleasesItsBytes(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	c, err := s.CreateCollection("c", []byte(`{}`))
	require.NoError(t, err)
	before := heapInUse()
	data := bytes.Repeat([]byte{7}, 64<<20)
	require.NoError(t, c.SaveGraphs(1, []SpaceGraph{{Space: 0, Data: data}}))
	data = nil
	after := heapInUse()
	// 32 MiB of slack: Pebble's memtables and caches move by up to 16 MiB
	// between runs (one make test run measured exactly 16 more); the
	// regression this guards held 64-128 MiB.
	assert.Less(t, after, before+32, "heap %d MiB before the save, %d after", before, after)

	_, got, err := c.LoadGraph(context.Background(), 0)
	require.NoError(t, err)
	assert.Len(t, got, 64<<20)
}

// A snapshot stored before generations (20-byte header, chunks under 'c')
// still loads; the next save replaces it and deletes its chunks.
func TestLegacyGraphLayout(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c, err := s.CreateCollection("c", []byte(`{}`))
	require.NoError(t, err)
	old := bytes.Repeat([]byte("legacy!"), graphChunk/5) // two chunks
	b := s.db.NewBatch()
	chunks := uint32(0)
	for off := 0; off < len(old); off += graphChunk {
		require.NoError(t, b.Set(c.graphChunkKey(0, 0, chunks), old[off:min(off+graphChunk, len(old))], nil))
		chunks++
	}
	h := binary.BigEndian.AppendUint64(nil, 5)
	h = binary.BigEndian.AppendUint64(h, uint64(len(old)))
	h = binary.BigEndian.AppendUint32(h, chunks)
	require.NoError(t, b.Set(c.graphHeaderKey(0), h, nil))
	require.NoError(t, b.Commit(pebble.Sync))

	ctx := context.Background()
	seq, got, err := c.LoadGraph(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), seq)
	assert.Equal(t, old, got)

	require.NoError(t, c.SaveGraphs(6, []SpaceGraph{{Space: 0, Data: []byte("new")}}))
	seq, got, err = c.LoadGraph(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(6), seq)
	assert.Equal(t, "new", string(got))
	assert.Equal(t, 2, countKeys(t, s, c, secGraph), "the header and one chunk of generation 1 are left")
}

// Chunks a crashed save left under the next generation are neither read
// nor kept: the stored snapshot stays the published one, and the next
// save overwrites the leftovers.
func TestGraphSaveLeftoversIgnored(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c, err := s.CreateCollection("c", []byte(`{}`))
	require.NoError(t, err)
	require.NoError(t, c.SaveGraphs(1, []SpaceGraph{{Space: 0, Data: []byte("published")}}))
	// A save that wrote three chunks of generation 2, then crashed.
	for i := range uint32(3) {
		require.NoError(t, s.db.Set(c.graphChunkKey(0, 2, i), []byte("partial"), pebble.Sync))
	}
	ctx := context.Background()
	_, got, err := c.LoadGraph(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, "published", string(got))

	require.NoError(t, c.SaveGraphs(2, []SpaceGraph{{Space: 0, Data: []byte("next")}}))
	_, got, err = c.LoadGraph(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, "next", string(got))
	assert.Equal(t, 2, countKeys(t, s, c, secGraph), "only the header and the new chunk are left")
}
