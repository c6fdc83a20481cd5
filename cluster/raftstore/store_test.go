package raftstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func entry(i uint64) *raft.Log {
	return &raft.Log{
		Index: i, Term: i/10 + 1, Type: raft.LogCommand,
		Data:       []byte(fmt.Sprintf("cmd-%d", i)),
		AppendedAt: time.Unix(1700000000, int64(i)),
	}
}

func TestEmptyStore(t *testing.T) {
	s := openTemp(t)
	first, err := s.FirstIndex()
	require.NoError(t, err)
	last, err := s.LastIndex()
	require.NoError(t, err)
	assert.Zero(t, first)
	assert.Zero(t, last)
	var l raft.Log
	assert.ErrorIs(t, s.GetLog(1, &l), raft.ErrLogNotFound)
}

func TestStoreGetDeleteRange(t *testing.T) {
	s := openTemp(t)
	require.NoError(t, s.StoreLog(entry(1)))
	var batch []*raft.Log
	for i := uint64(2); i <= 20; i++ {
		batch = append(batch, entry(i))
	}
	require.NoError(t, s.StoreLogs(batch))

	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	assert.Equal(t, uint64(1), first)
	assert.Equal(t, uint64(20), last)

	var got raft.Log
	require.NoError(t, s.GetLog(7, &got))
	want := entry(7)
	assert.Equal(t, want.Index, got.Index)
	assert.Equal(t, want.Term, got.Term)
	assert.Equal(t, want.Type, got.Type)
	assert.Equal(t, want.Data, got.Data)
	assert.True(t, want.AppendedAt.Equal(got.AppendedAt))

	// Raft compacts from the front and truncates conflicting suffixes.
	require.NoError(t, s.DeleteRange(1, 5))
	require.NoError(t, s.DeleteRange(18, 20))
	first, _ = s.FirstIndex()
	last, _ = s.LastIndex()
	assert.Equal(t, uint64(6), first)
	assert.Equal(t, uint64(17), last)
	assert.ErrorIs(t, s.GetLog(5, &got), raft.ErrLogNotFound)
	assert.ErrorIs(t, s.GetLog(18, &got), raft.ErrLogNotFound)
	require.NoError(t, s.GetLog(6, &got))
	assert.Equal(t, []byte("cmd-6"), got.Data)

	// A suffix rewritten with a new term replaces the old entries.
	repl := entry(17)
	repl.Term, repl.Data = 9, []byte("rewritten")
	require.NoError(t, s.StoreLogs([]*raft.Log{repl}))
	require.NoError(t, s.GetLog(17, &got))
	assert.Equal(t, uint64(9), got.Term)
	assert.Equal(t, []byte("rewritten"), got.Data)

	require.NoError(t, s.DeleteRange(0, ^uint64(0)))
	last, _ = s.LastIndex()
	assert.Zero(t, last)
}

func TestEmptyFieldsRoundTrip(t *testing.T) {
	s := openTemp(t)
	in := &raft.Log{Index: 3, Term: 2, Type: raft.LogNoop, Extensions: []byte{1, 2}}
	require.NoError(t, s.StoreLog(in))
	var got raft.Log
	require.NoError(t, s.GetLog(3, &got))
	assert.Nil(t, got.Data)
	assert.Equal(t, []byte{1, 2}, got.Extensions)
	assert.True(t, got.AppendedAt.IsZero())
	assert.Equal(t, raft.LogNoop, got.Type)
}

func TestStable(t *testing.T) {
	s := openTemp(t)
	_, err := s.Get([]byte("CurrentTerm"))
	require.Error(t, err)
	assert.Equal(t, "not found", err.Error(), "raft compares this message")
	_, err = s.GetUint64([]byte("CurrentTerm"))
	assert.Equal(t, "not found", err.Error())

	require.NoError(t, s.Set([]byte("LastVoteCand"), []byte("node-2")))
	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 42))
	v, err := s.Get([]byte("LastVoteCand"))
	require.NoError(t, err)
	assert.Equal(t, []byte("node-2"), v)
	n, err := s.GetUint64([]byte("CurrentTerm"))
	require.NoError(t, err)
	assert.Equal(t, uint64(42), n)

	// Stable keys and log keys share the database but not a key space.
	first, _ := s.FirstIndex()
	assert.Zero(t, first)
}

// TestCrashKeepsReturnedWrites cuts power (only synced data survives)
// after each kind of write and checks that the reopened store holds
// everything the write calls returned for.
func TestCrashKeepsReturnedWrites(t *testing.T) {
	fs := vfs.NewCrashableMem()
	s, err := Open("raft", Options{FS: fs})
	require.NoError(t, err)
	var batch []*raft.Log
	for i := uint64(1); i <= 50; i++ {
		batch = append(batch, entry(i))
	}
	require.NoError(t, s.StoreLogs(batch))
	require.NoError(t, s.DeleteRange(1, 10))
	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 7))
	require.NoError(t, s.Set([]byte("LastVoteCand"), []byte("n3")))

	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	require.NoError(t, s.Close())
	r, err := Open("raft", Options{FS: crashed})
	require.NoError(t, err)
	defer r.Close()

	first, _ := r.FirstIndex()
	last, _ := r.LastIndex()
	assert.Equal(t, uint64(11), first)
	assert.Equal(t, uint64(50), last)
	var got raft.Log
	for i := uint64(11); i <= 50; i++ {
		require.NoError(t, r.GetLog(i, &got))
		assert.Equal(t, entry(i).Data, got.Data)
	}
	term, err := r.GetUint64([]byte("CurrentTerm"))
	require.NoError(t, err)
	assert.Equal(t, uint64(7), term)
	vote, err := r.Get([]byte("LastVoteCand"))
	require.NoError(t, err)
	assert.Equal(t, []byte("n3"), vote)
}

func TestClosed(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.StoreLog(entry(1)), ErrClosed)
	_, err = s.LastIndex()
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, s.Close(), ErrClosed)
}

func TestDecodeRejectsDamage(t *testing.T) {
	good := encodeLog(nil, entry(5))
	var l raft.Log
	require.NoError(t, decodeLog(good, &l))
	for n := 0; n < len(good); n++ {
		assert.Error(t, decodeLog(good[:n], &l), "truncated to %d bytes", n)
	}
	bad := append([]byte{}, good...)
	bad[0] = 99
	assert.Error(t, decodeLog(bad, &l))
	assert.Error(t, decodeLog(append(good, 0), &l))
}
