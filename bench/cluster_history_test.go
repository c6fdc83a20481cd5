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

// onNode sets the node (index) an operation was sent to.
func onNode(node int, o ClusterOp) ClusterOp { o.Node = node; return o }

// A partition-shaped history: node 1 (index 0) is cut off into the
// minority from 1 s to 5 s. The writes sent to it then fail or time out
// (violate: one is acknowledged), a write sent before the cut is
// acknowledged after it (it had committed), and the majority side goes on.
func partitionHistory(violate bool) *ClusterResult {
	minorityAck := Unknown
	if violate {
		minorityAck = Acked
	}
	ops := []ClusterOp{
		onNode(0, op(0, OpUpsert, 1, 10, 900, 1100, Acked)),
		onNode(0, op(0, OpUpsert, 1, 11, 1200, 3200, minorityAck)),
		onNode(0, op(1, OpUpsert, 2, 20, 1300, 3300, Failed)),
		onNode(0, op(1, OpUpsert, 3, 31, 1400, 3400, Unknown)),
		onNode(1, op(2, OpUpsert, 1, 12, 3500, 3510, Acked)),
		onNode(2, op(2, OpDelete, 2, 0, 3600, 3610, Acked)),
		onNode(0, op(0, OpUpsert, 3, 30, 5500, 5520, Acked)),
		onNode(1, op(2, OpRead, 1, 12, 6000, 6010, Acked)),
	}
	return &ClusterResult{Ops: ops, Faults: []FaultEvent{{Kind: FaultPartitionLeader, Victims: []string{"1"}, Minority: []string{"1"},
		At: ms(990), Down: ms(1000), Healed: ms(5000), Recover: -1}}}
}

func TestCheckPartitionHistory(t *testing.T) {
	res := partitionHistory(false)
	final := map[uint64]int64{1: 12, 3: 30}
	res.Check = CheckHistory(res.Ops, []map[uint64]int64{final, final, final}, time.Second)
	res.checkWindows()
	require.Empty(t, res.Check.Anomalies)
	require.Equal(t, porcupine.Ok, res.Check.Linearizable)
	require.Empty(t, res.Violations)
	require.Equal(t, 3, res.MinorityWrites, "the three writes sent to node 1 during the cut")
	require.True(t, res.OK())

	// The cut-off node acknowledged a write: the final state cannot tell
	// (a later write superseded it), the window check does.
	res = partitionHistory(true)
	res.Check = CheckHistory(res.Ops, []map[uint64]int64{final, final, final}, time.Second)
	res.checkWindows()
	require.Empty(t, res.Check.Anomalies)
	require.Len(t, res.Violations, 1)
	require.Equal(t, 1, res.Faults[0].Violations)
	require.Contains(t, res.Violations[0], "acknowledged by node 1")
	require.False(t, res.OK())

	// A replica that applied the minority's failed write, or undid the
	// majority side's delete, is caught by the final-state check.
	res = partitionHistory(false)
	res.Check = CheckHistory(res.Ops, []map[uint64]int64{final, final, {1: 12, 2: 20, 3: 30}}, time.Second)
	require.Equal(t, 1, res.Check.Count("phantom"), "%+v", res.Check.Anomalies)
	res.Check = CheckHistory(append(res.Ops, onNode(1, op(3, OpUpsert, 2, 21, 3000, 3100, Acked))), []map[uint64]int64{final, final, {1: 12, 2: 21, 3: 30}}, time.Second)
	require.Equal(t, 1, res.Check.Count("resurrected"), "%+v", res.Check.Anomalies)
}
