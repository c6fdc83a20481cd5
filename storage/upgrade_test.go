package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

// downgradeTo1 turns a database into what format 1 wrote for the same
// points: besides the per-node term lists, an 'x' term N key for every
// term of every node, and format key 1. It returns how many 'x' keys it
// wrote.
func downgradeTo1(t testing.TB, s *Store) int {
	t.Helper()
	_, cols, err := s.Collections()
	require.NoError(t, err)
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	for _, c := range cols {
		lo, hi := c.bounds(secTerms)
		require.NoError(t, c.iterate(context.Background(), lo, hi, func(k, v []byte) (bool, error) {
			terms, err := decodeTermKeys(v)
			for _, term := range terms {
				key := append(c.key(secRetiredIndex, len(term)+4), term...)
				_ = b.Set(append(key, k[len(lo):]...), nil, nil)
				n++
			}
			return true, err
		}))
	}
	_ = b.Set(formatKey, binary.BigEndian.AppendUint32(nil, 1), nil)
	require.NoError(t, b.Commit(nil))
	return n
}

// logBuffer collects a Store's log lines; Pebble may log from its own
// goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), substr)
}

func openLogged(t *testing.T, fs vfs.FS) (*Store, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s, err := Open("db", Options{FS: fs, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	return s, logs
}

func formatOf(t *testing.T, s *Store) uint32 {
	t.Helper()
	v, err := s.get(formatKey)
	require.NoError(t, err)
	require.Len(t, v, 4)
	return binary.BigEndian.Uint32(v)
}

func TestUpgradeFrom1(t *testing.T) {
	fs := vfs.NewMem()
	ctx := context.Background()
	kw := func(f, v string) Term { return Term{Field: f, Kind: TermKeyword, Keyword: v} }
	num := func(f string, x float64) Term { return Term{Field: f, Kind: TermNumber, Number: x} }

	s, _ := openLogged(t, fs)
	a, err := s.CreateCollection("a", nil)
	require.NoError(t, err)
	b, err := s.CreateCollection("b", nil)
	require.NoError(t, err)
	require.NoError(t, a.Write(ctx, []Op{
		{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 0, Vector: []float32{1, 0}, Payload: []byte(`{"c":"red","n":1}`),
			Terms: []Term{kw("c", "red"), num("n", 1)}},
		{Seq: 2, Kind: OpUpsert, ID: pointid.FromNum(2), Node: 1, Vector: []float32{0, 1}, Payload: []byte(`{"c":"blue"}`),
			Terms: []Term{kw("c", "blue")}},
	}))
	require.NoError(t, b.Write(ctx, []Op{
		{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(9), Node: 0, Vector: []float32{1, 1}, Payload: []byte(`{"n":-3}`),
			Terms: []Term{num("n", -3)}},
	}))
	wantA, wantB := termsByNode(t, a), termsByNode(t, b)
	require.Equal(t, 4, downgradeTo1(t, s))
	require.Equal(t, 3, countKeys(t, s, a, secRetiredIndex))
	require.Equal(t, 1, countKeys(t, s, b, secRetiredIndex))
	require.NoError(t, s.Close())

	s, logs := openLogged(t, fs)
	require.Equal(t, 1, logs.count("upgraded data directory format"), "upgrade not logged once")
	require.Equal(t, 1, logs.count("from=1 to=2"))
	require.Equal(t, FormatVersion, formatOf(t, s))
	_, cols, err := s.Collections()
	require.NoError(t, err)
	a, b = cols[0], cols[1]
	for _, c := range cols {
		require.Zero(t, countKeys(t, s, c, secRetiredIndex), "collection %q keeps its inverted index", c.Name())
	}
	require.Equal(t, wantA, termsByNode(t, a))
	require.Equal(t, wantB, termsByNode(t, b))
	node, err := a.Node(pointid.FromNum(2))
	require.NoError(t, err)
	p, err := a.Payload(node)
	require.NoError(t, err)
	require.JSONEq(t, `{"c":"blue"}`, string(p))
	v, err := b.Vector(0, 0)
	require.NoError(t, err)
	require.Equal(t, []float32{1, 1}, v)
	// A point written before the upgrade is replaced and deleted as usual.
	require.NoError(t, a.Write(ctx, []Op{
		{Seq: 3, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 2, Replaced: true, Prev: 0, Vector: []float32{2, 0},
			Payload: []byte(`{"c":"green"}`), Terms: []Term{kw("c", "green")}},
		{Seq: 4, Kind: OpDelete, ID: pointid.FromNum(2), Node: 1},
	}))
	require.Equal(t, map[uint32][]Term{2: {kw("c", "green")}}, termsByNode(t, a))
	require.NoError(t, s.Close())

	s, logs = openLogged(t, fs)
	defer s.Close()
	require.Zero(t, logs.count("upgraded"), "a second open upgraded again")
	require.Equal(t, FormatVersion, formatOf(t, s))
}

func TestFormatRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value []byte
		msg   string
	}{
		{"newer", binary.BigEndian.AppendUint32(nil, FormatVersion+1), "newer than this build"},
		{"unknown older", binary.BigEndian.AppendUint32(nil, 0), "format 0 cannot be upgraded"},
		{"malformed", []byte{1}, "format key holds 01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			s := openMem(t, fs)
			_, err := s.CreateCollection("c", nil)
			require.NoError(t, err)
			require.NoError(t, s.db.Set(formatKey, tc.value, nil))
			require.NoError(t, s.Close())
			_, err = Open("db", Options{FS: fs})
			require.ErrorIs(t, err, ErrFormat)
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestImportSkipsRetiredIndex(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	ctx := context.Background()
	c, err := s.CreateCollection("c", []byte(`{}`))
	require.NoError(t, err)
	terms := []Term{{Field: "c", Kind: TermKeyword, Keyword: "red"}}
	require.NoError(t, c.Write(ctx, []Op{{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 0, Vector: []float32{1}, Terms: terms}}))
	// An export made by format 1 carries the point's 'x' key.
	require.Equal(t, 1, downgradeTo1(t, s))
	var snap bytes.Buffer
	require.NoError(t, s.ExportCollection(c, &snap))
	d, _, err := s.ImportCollection(&snap, "d")
	require.NoError(t, err)
	require.Zero(t, countKeys(t, s, d, secRetiredIndex))
	require.Equal(t, map[uint32][]Term{0: terms}, termsByNode(t, d))
}
