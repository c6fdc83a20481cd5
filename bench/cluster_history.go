package bench

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

// The fault run's history: every operation a client sent, when it was sent
// and answered, and what the answer means. The checkers below judge it with
// unknown outcomes counted as "may have happened at any time after the
// call", which is what a 503 after proposing or a timeout promise.

// OpKind is what a client operation did.
type OpKind string

const (
	OpUpsert OpKind = "upsert" // one point, payload {"v": Value}
	OpDelete OpKind = "delete" // one point by id
	OpRead   OpKind = "read"   // retrieve one point with consistency=majority; Value is what it saw (0: absent)
	OpSearch OpKind = "search" // a local search; not a register operation
	// OpInteract records one interaction of a new user (Value) with an
	// item (Point) of the users' collection (cluster_users.go); a write,
	// not a register operation.
	OpInteract OpKind = "interact"
)

// Outcome is what the answer says about an operation.
type Outcome string

const (
	Acked   Outcome = "acknowledged" // 200
	Failed  Outcome = "failed"       // refused before anything was proposed
	Unknown Outcome = "unknown"      // 503 after proposing, a timeout, a dropped connection
)

// ClusterOp is one operation of the history. Times are since the run's
// start. An upsert's Value is its version, unique in the run and > 0; a
// delete writes 0.
type ClusterOp struct {
	Client  int
	Node    int
	Kind    OpKind
	Point   uint64
	Value   int64
	Start   time.Duration
	End     time.Duration
	Outcome Outcome
}

func (o ClusterOp) isWrite() bool {
	return o.Kind == OpUpsert || o.Kind == OpDelete || o.Kind == OpInteract
}

// end is when the operation took effect at the latest: never, for an
// unknown outcome.
func (o ClusterOp) end() time.Duration {
	if o.Outcome == Unknown {
		return math.MaxInt64
	}
	return o.End
}

// Anomaly is one thing the checker found wrong, at the time of the
// operation it concerns.
type Anomaly struct {
	Kind   string // "lost", "resurrected", "phantom", "stale-read", "resurrected-read"
	At     time.Duration
	Detail string
}

// HistoryCheck is the verdict on a history and the replicas' final state.
type HistoryCheck struct {
	Anomalies []Anomaly
	// Linearizable is porcupine's verdict on the per-point registers of
	// the acknowledged and unknown writes and the acknowledged majority
	// reads: Ok, Illegal or Unknown (timed out).
	Linearizable porcupine.CheckResult
}

// Count is how many anomalies of kind the check found.
func (c HistoryCheck) Count(kind string) int {
	n := 0
	for _, a := range c.Anomalies {
		if a.Kind == kind {
			n++
		}
	}
	return n
}

// pointHistory is one point's writes that may have taken effect
// (acknowledged or unknown) and its acknowledged reads.
type pointHistory struct {
	writes, reads []ClusterOp
}

func byPoint(ops []ClusterOp) map[uint64]*pointHistory {
	m := map[uint64]*pointHistory{}
	for _, o := range ops {
		if o.Kind == OpSearch || o.Kind == OpInteract || o.Outcome == Failed || o.Kind == OpRead && o.Outcome != Acked {
			continue
		}
		p := m[o.Point]
		if p == nil {
			p = &pointHistory{}
			m[o.Point] = p
		}
		if o.isWrite() {
			p.writes = append(p.writes, o)
		} else {
			p.reads = append(p.reads, o)
		}
	}
	return m
}

// supersededBy returns an acknowledged write that started after w took
// effect and ended before by (so w's value cannot be current at by), or
// false. w nil is the initial absent state, which every acknowledged write
// supersedes.
func (p *pointHistory) supersededBy(w *ClusterOp, by time.Duration) (ClusterOp, bool) {
	for _, w2 := range p.writes {
		if w2.Outcome != Acked || w2.End >= by {
			continue
		}
		if w == nil || w2.Start > w.end() {
			return w2, true
		}
	}
	return ClusterOp{}, false
}

// allows reports whether value may be the point's state at a read over
// [start, end]: some write of it (or the initial state, for 0) started
// before end and was not superseded before start.
func (p *pointHistory) allows(value int64, start, end time.Duration) (bool, ClusterOp) {
	var last ClusterOp
	if value == 0 {
		sup, ok := p.supersededBy(nil, start)
		if !ok {
			return true, ClusterOp{}
		}
		last = sup
	}
	for i := range p.writes {
		w := &p.writes[i]
		if w.Value != value || w.Start > end {
			continue
		}
		sup, ok := p.supersededBy(w, start)
		if !ok {
			return true, ClusterOp{}
		}
		last = sup
	}
	return false, last
}

// CheckHistory judges a history against the replicas' final states (each
// replica's point → Value, absent points missing). It flags an
// acknowledged write missing or overwritten by an older value on a replica
// (lost), an acknowledged delete undone (resurrected), a value no write
// that may have happened wrote (phantom), and majority reads that saw a
// state superseded before they started (stale-read, resurrected-read).
// Porcupine then checks the same registers for linearizability.
func CheckHistory(ops []ClusterOp, replicas []map[uint64]int64, linTimeout time.Duration) HistoryCheck {
	var c HistoryCheck
	points := byPoint(ops)
	for _, rep := range replicas {
		for id := range rep {
			if points[id] == nil {
				points[id] = &pointHistory{}
			}
		}
	}
	ids := make([]uint64, 0, len(points))
	for id := range points {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		p := points[id]
		for r, rep := range replicas {
			v := rep[id]
			ok, sup := p.allows(v, math.MaxInt64-1, math.MaxInt64-1)
			if ok {
				continue
			}
			c.Anomalies = append(c.Anomalies, finalAnomaly(p, id, r, v, sup))
		}
		for _, rd := range p.reads {
			ok, sup := p.allows(rd.Value, rd.Start, rd.End)
			if ok {
				continue
			}
			kind := "stale-read"
			if sup.Kind == OpDelete {
				kind = "resurrected-read"
			}
			c.Anomalies = append(c.Anomalies, Anomaly{Kind: kind, At: rd.Start,
				Detail: fmt.Sprintf("point %d: client %d read %d at %v, superseded by the acknowledged %s of %d at %v–%v", id, rd.Client, rd.Value, rd.Start, sup.Kind, sup.Value, sup.Start, sup.End)})
		}
	}
	sort.SliceStable(c.Anomalies, func(i, j int) bool { return c.Anomalies[i].At < c.Anomalies[j].At })
	c.Linearizable = checkLinearizable(points, linTimeout)
	return c
}

func finalAnomaly(p *pointHistory, id uint64, replica int, v int64, sup ClusterOp) Anomaly {
	written := v == 0
	for _, w := range p.writes {
		written = written || w.Value == v
	}
	switch {
	case !written:
		return Anomaly{Kind: "phantom", Detail: fmt.Sprintf("point %d: replica %d holds %d, which no write that may have happened wrote", id, replica, v)}
	case sup.Kind == OpDelete:
		return Anomaly{Kind: "resurrected", At: sup.End, Detail: fmt.Sprintf("point %d: replica %d holds %d after the acknowledged delete at %v–%v", id, replica, v, sup.Start, sup.End)}
	default:
		return Anomaly{Kind: "lost", At: sup.End, Detail: fmt.Sprintf("point %d: replica %d holds %d, not the acknowledged %s of %d at %v–%v", id, replica, v, sup.Kind, sup.Value, sup.Start, sup.End)}
	}
}

// registerInput is a porcupine input: a write of value, or a read.
type registerInput struct {
	write bool
	value int64
}

// registerModel is one point as a register: 0 is absent, an upsert writes
// its version, a delete writes 0, a read returns the state.
var registerModel = porcupine.Model{
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		in := input.(registerInput)
		if in.write {
			return true, in.value
		}
		return output.(int64) == state.(int64), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(registerInput)
		if in.write {
			return fmt.Sprintf("write(%d)", in.value)
		}
		return fmt.Sprintf("read() → %d", output.(int64))
	},
}

// checkLinearizable runs porcupine over each point's register history,
// with unknown writes open-ended (they may take effect at any time after
// their call), all within timeout.
func checkLinearizable(points map[uint64]*pointHistory, timeout time.Duration) porcupine.CheckResult {
	// Registers are independent, so each point is checked alone.
	var parts [][]porcupine.Operation
	var history []porcupine.Operation
	for _, p := range points {
		var part []porcupine.Operation
		for _, o := range append(append([]ClusterOp(nil), p.writes...), p.reads...) {
			op := porcupine.Operation{ClientId: o.Client, Call: int64(o.Start), Return: int64(o.end())}
			if o.isWrite() {
				op.Input, op.Output = registerInput{write: true, value: o.Value}, int64(0)
			} else {
				op.Input, op.Output = registerInput{}, o.Value
			}
			part = append(part, op)
		}
		if len(part) > 0 {
			parts = append(parts, part)
			history = append(history, part...)
		}
	}
	model := registerModel
	model.Partition = func([]porcupine.Operation) [][]porcupine.Operation { return parts }
	return porcupine.CheckOperationsTimeout(model, history, timeout)
}
