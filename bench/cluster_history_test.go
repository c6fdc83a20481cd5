package bench

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func op(client int, kind OpKind, point uint64, value int64, start, end int, out Outcome) ClusterOp {
	return ClusterOp{Client: client, Kind: kind, Point: point, Value: value, Start: ms(start), End: ms(end), Outcome: out}
}

// cleanHistory: point 1 written twice then read; point 2 written and
// deleted; point 3's delete outcome is unknown, so either state is
// allowed; point 4's write failed.
func cleanHistory() []ClusterOp {
	return []ClusterOp{
		op(0, OpUpsert, 1, 10, 0, 5, Acked),
		op(1, OpUpsert, 1, 11, 6, 9, Acked),
		op(1, OpRead, 1, 11, 10, 12, Acked),
		op(0, OpUpsert, 2, 20, 0, 3, Acked),
		op(0, OpRead, 2, 20, 2, 4, Acked), // concurrent with the write: may see it
		op(1, OpDelete, 2, 0, 4, 7, Acked),
		op(0, OpRead, 2, 0, 8, 9, Acked),
		op(0, OpUpsert, 3, 30, 0, 2, Acked),
		op(1, OpDelete, 3, 0, 3, 4, Unknown),
		op(1, OpRead, 3, 30, 5, 6, Acked),
		op(2, OpUpsert, 4, 40, 0, 2, Failed),
		op(2, OpSearch, 0, 0, 0, 2, Acked),
	}
}

func TestCheckHistoryClean(t *testing.T) {
	final := map[uint64]int64{1: 11, 3: 30}
	c := CheckHistory(cleanHistory(), []map[uint64]int64{final, {1: 11}}, time.Second)
	require.Empty(t, c.Anomalies)
	require.Equal(t, porcupine.Ok, c.Linearizable)
}

func TestCheckHistoryLostWrite(t *testing.T) {
	// A replica lacks point 1, another holds its older version.
	c := CheckHistory(cleanHistory(), []map[uint64]int64{{3: 30}, {1: 10, 3: 30}}, time.Second)
	require.Equal(t, 2, c.Count("lost"), "%+v", c.Anomalies)
	require.Len(t, c.Anomalies, 2)
}

func TestCheckHistoryResurrectedDelete(t *testing.T) {
	// Point 2's acknowledged delete undone on a replica, and a majority
	// read after the delete that saw the point.
	h := append(cleanHistory(), op(2, OpRead, 2, 20, 10, 11, Acked))
	c := CheckHistory(h, []map[uint64]int64{{1: 11, 2: 20}}, time.Second)
	require.Equal(t, 1, c.Count("resurrected"), "%+v", c.Anomalies)
	require.Equal(t, 1, c.Count("resurrected-read"), "%+v", c.Anomalies)
	require.Equal(t, porcupine.Illegal, c.Linearizable)
}

func TestCheckHistoryStaleReadAndPhantom(t *testing.T) {
	h := append(cleanHistory(), op(2, OpRead, 1, 10, 20, 21, Acked))
	c := CheckHistory(h, []map[uint64]int64{{1: 11, 4: 40}}, time.Second)
	require.Equal(t, 1, c.Count("stale-read"), "%+v", c.Anomalies)
	require.Equal(t, 1, c.Count("phantom"), "a failed write's value: %+v", c.Anomalies)
	require.Equal(t, porcupine.Illegal, c.Linearizable)
}
