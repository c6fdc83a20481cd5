package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

func openMem(t *testing.T, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open("db", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCatalog(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	a, err := s.CreateCollection("a", []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection("a", nil); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: got %v, want ErrExists", err)
	}
	ctx := context.Background()
	if err := a.Write(ctx, []Op{{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(7), Node: 0, Vector: []float32{1, 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCollection("b", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.DropCollection(a); err != nil {
		t.Fatal(err)
	}
	a2, err := s.CreateCollection("a", []byte(`{"x":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a2.Node(pointid.FromNum(7)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recreated collection sees old point: %v", err)
	}
	s.Close()
	s = openMem(t, fs)
	defer s.Close()
	recs, cols, err := s.Collections()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Name != "a" || string(recs[0].Config) != `{"x":2}` || recs[1].Name != "b" || cols[0].prefix != a2.prefix {
		t.Fatalf("catalog after reopen: %+v", recs)
	}
}

func TestWriteReadTermsAndLog(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c, err := s.CreateCollection("c", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := []byte(`{"text":"` + strings.Repeat("compressible ", 100) + `"}`)
	ops := []Op{
		{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(10), Node: 0, Vector: []float32{1, 0}, Payload: []byte(`{"city":"Paris"}`),
			Terms: []Term{{Field: "city", Kind: TermKeyword, Keyword: "Paris"}, {Field: "n", Kind: TermNumber, Number: -2.5}}},
		{Seq: 2, Kind: OpUpsert, ID: pointid.FromNum(5), Node: 1, Vector: []float32{0, 1}, Payload: big,
			Terms: []Term{{Field: "city", Kind: TermKeyword, Keyword: "Pari"}, {Field: "n", Kind: TermNumber, Number: 3}}},
	}
	if err := c.Write(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if p, err := c.Payload(1); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("payload round trip: %v", err)
	}
	if raw, _ := s.get(c.nodeKey(secPayload, 1)); raw[0] != codecZstd || len(raw) >= len(big) {
		t.Fatalf("large repetitive payload not compressed: codec %d, %d bytes", raw[0], len(raw))
	}
	city := func(kw string) Term { return Term{Field: "city", Kind: TermKeyword, Keyword: kw} }
	require.Equal(t, map[uint32][]Term{
		0: {city("Paris"), {Field: "n", Kind: TermNumber, Number: -2.5}},
		1: {city("Pari"), {Field: "n", Kind: TermNumber, Number: 3}},
	}, termsByNode(t, c))
	// Replace point 10 (moving it to node 2) with other terms, delete point 5.
	err = c.Write(ctx, []Op{
		{Seq: 3, Kind: OpUpsert, ID: pointid.FromNum(10), Node: 2, Replaced: true, Prev: 0, Vector: []float32{2, 0},
			Terms: []Term{{Field: "city", Kind: TermKeyword, Keyword: "Rome"}}},
		{Seq: 4, Kind: OpDelete, ID: pointid.FromNum(5), Node: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	require.Equal(t, map[uint32][]Term{2: {city("Rome")}}, termsByNode(t, c), "terms after a replace and a delete")
	if n, err := c.Node(pointid.FromNum(10)); err != nil || n != 2 {
		t.Fatalf("replaced point at node %d, %v; want 2", n, err)
	}
	if _, err := c.Vector(0, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old node's vector survives the move: %v", err)
	}
	if _, err := c.Node(pointid.FromNum(5)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted point still mapped: %v", err)
	}
	if v, err := c.Vector(0, 2); err != nil || !slices.Equal(v, []float32{2, 0}) {
		t.Fatalf("vector after replace: %v %v", v, err)
	}
	require.NoError(t, c.SetTerms(ctx, []NodeTerms{{Node: 2, Terms: []Term{city("Milan")}}}))
	require.Equal(t, map[uint32][]Term{2: {city("Milan")}}, termsByNode(t, c), "terms after SetTerms")
	// ScanTerms gives back each live node's terms; a long keyword comes
	// back cut as it is indexed.
	long := strings.Repeat("é", MaxTermLen)
	if err := c.SetTerms(ctx, []NodeTerms{{Node: 2, Terms: []Term{{Field: "city", Kind: TermKeyword, Keyword: "Milan"},
		{Field: "n", Kind: TermNumber, Number: -0.25}, {Field: "t", Kind: TermKeyword, Keyword: long}}}}); err != nil {
		t.Fatal(err)
	}
	scanned := map[uint32][]Term{}
	if err := c.ScanTerms(ctx, func(n uint32, ts []Term) error { scanned[n] = ts; return nil }); err != nil {
		t.Fatal(err)
	}
	wantTerms := []Term{{Field: "city", Kind: TermKeyword, Keyword: "Milan"}, {Field: "n", Kind: TermNumber, Number: -0.25},
		{Field: "t", Kind: TermKeyword, Keyword: long[:MaxTermLen]}}
	if len(scanned) != 1 || !slices.Equal(scanned[2], wantTerms) {
		t.Fatalf("ScanTerms: %v", scanned)
	}
	require.Zero(t, countKeys(t, s, c, secRetiredIndex), "writes left keys in the retired inverted index")
	var seqs []uint64
	var entries []LogEntry
	if err := c.LogAfter(ctx, 1, func(e LogEntry) error { seqs = append(seqs, e.Seq); entries = append(entries, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs, []uint64{2, 3, 4}) {
		t.Fatalf("log after 1: %v", seqs)
	}
	if e := entries[1]; e.Kind != OpUpsert || e.ID != pointid.FromNum(10) || e.Node != 2 || !e.Replaced || e.Prev != 0 {
		t.Fatalf("log entry of the replace: %+v", e)
	}
	data := bytes.Repeat([]byte{0xAB}, graphChunk*2+17)
	if err := c.SaveGraph(0, 3, data); err != nil {
		t.Fatal(err)
	}
	seq, got, err := c.LoadGraph(ctx, 0)
	if err != nil || seq != 3 || !bytes.Equal(got, data) {
		t.Fatalf("graph round trip: seq %d, %d bytes, %v", seq, len(got), err)
	}
	seqs = nil
	if err := c.LogAfter(ctx, 0, func(e LogEntry) error { seqs = append(seqs, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs, []uint64{4}) {
		t.Fatalf("log after graph save at 3: %v", seqs)
	}
	if err := c.SaveGraph(0, 4, []byte("small")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.LoadGraph(ctx, 0); err != nil || string(got) != "small" {
		t.Fatalf("smaller graph replaces larger: %q %v", got, err)
	}
	if last, err := c.LastSeq(ctx); err != nil || last != 4 {
		t.Fatalf("LastSeq = %d, %v; want 4", last, err)
	}
}

func TestOrderedFloat(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -2.5, -1, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 1, 2.5, 1e300, math.Inf(1)}
	for i := 1; i < len(vals); i++ {
		if orderedFloat(vals[i-1]) >= orderedFloat(vals[i]) {
			t.Errorf("order of %g and %g not kept", vals[i-1], vals[i])
		}
		if unorderedFloat(orderedFloat(vals[i])) != vals[i] {
			t.Errorf("round trip of %g", vals[i])
		}
	}
}

// termsByNode returns what ScanTerms reports, by node.
func termsByNode(t *testing.T, c *Collection) map[uint32][]Term {
	t.Helper()
	got := map[uint32][]Term{}
	require.NoError(t, c.ScanTerms(context.Background(), func(n uint32, ts []Term) error {
		got[n] = ts
		return nil
	}))
	return got
}

// countKeys returns how many keys one section of c holds.
func countKeys(t *testing.T, s *Store, c *Collection, section byte) int {
	t.Helper()
	lo, hi := c.bounds(section)
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	require.NoError(t, err)
	n := 0
	for ok := iter.First(); ok; ok = iter.Next() {
		n++
	}
	require.NoError(t, iter.Close())
	return n
}

// TestLoadGraphCorruptLength: a header claiming an exabyte fails as
// corrupt without reserving it.
func TestLoadGraphCorruptLength(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c, err := s.CreateCollection("c", []byte(`{}`))
	require.NoError(t, err)
	require.NoError(t, c.SaveGraphs(1, []SpaceGraph{{Space: 0, Data: []byte("tiny")}}))
	h := binary.BigEndian.AppendUint64(nil, 1)
	h = binary.BigEndian.AppendUint64(h, 1<<60)
	h = binary.BigEndian.AppendUint32(h, 1)
	require.NoError(t, s.db.Set(c.graphHeaderKey(0), h, pebble.Sync))
	_, _, err = c.LoadGraph(context.Background(), 0)
	require.ErrorIs(t, err, ErrCorrupt)
}
