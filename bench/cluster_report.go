package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/quiver-db/quiver/internal/jsonhttp"
)

// replicaDump is one replica's points read locally: point → version, and
// the points (ids, vectors, payloads) as canonical JSON to compare.
type replicaDump struct {
	versions  map[uint64]int64
	canonical string
}

func dumpReplicas(ctx context.Context, nodes []*clusterNode) ([]replicaDump, error) {
	out := make([]replicaDump, len(nodes))
	for i, n := range nodes {
		code, raw, err := httpCall(ctx, "POST", n.url()+"/collections/c/points/scroll?consistency=1",
			map[string]any{"limit": 10_000, "with_payload": true, "with_vector": true}, 30*time.Second)
		if err != nil || code != http.StatusOK {
			return nil, errors.Join(err, fmt.Errorf("scroll node %s: %d %s", n.id, code, raw))
		}
		var body struct {
			Result struct {
				Points []struct {
					ID      uint64          `json:"id"`
					Vector  json.RawMessage `json:"vector"`
					Payload struct {
						V int64 `json:"v"`
					} `json:"payload"`
				} `json:"points"`
			} `json:"result"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("scroll node %s: %w", n.id, err)
		}
		pts := body.Result.Points
		sort.Slice(pts, func(a, b int) bool { return pts[a].ID < pts[b].ID })
		out[i].versions = map[uint64]int64{}
		var sb strings.Builder
		for _, p := range pts {
			out[i].versions[p.ID] = p.Payload.V
			fmt.Fprintf(&sb, "%d %s %d\n", p.ID, p.Vector, p.Payload.V)
		}
		out[i].canonical = sb.String()
	}
	return out, nil
}

func replicasEqual(d []replicaDump) bool {
	for _, r := range d[1:] {
		if r.canonical != d[0].canonical {
			return false
		}
	}
	return true
}

// exactSearch runs an exact search (replicas' HNSW graphs differ in their
// random levels; an exact answer cannot) and returns the ids.
func exactSearch(ctx context.Context, n *clusterNode, vec []float32, params string) ([]uint64, error) {
	code, raw, err := httpCall(ctx, "POST", n.url()+"/collections/c/points/search"+params,
		map[string]any{"vector": vec, "limit": 10, "params": map[string]any{"exact": true}}, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return nil, errors.Join(err, fmt.Errorf("search on node %s: %d %s", n.id, code, raw))
	}
	return jsonhttp.SearchIDs(raw)
}

// OK reports whether the run found nothing wrong.
func (r *ClusterResult) OK() bool {
	return len(r.Check.Anomalies) == 0 && len(r.Violations) == 0 && len(r.ReplicasDiffer) == 0 &&
		r.SearchMismatches == 0 && r.Check.Linearizable != "Illegal" && r.Interactions.OK()
}

// Report is the run's summary and fault table, as printed.
func (r *ClusterResult) Report() string {
	var sb strings.Builder
	counts := map[OpKind]map[Outcome]int{}
	for _, o := range r.Ops {
		if counts[o.Kind] == nil {
			counts[o.Kind] = map[Outcome]int{}
		}
		counts[o.Kind][o.Outcome]++
	}
	fmt.Fprintf(&sb, "fault run: %d nodes, %d clients, %d points, seed %d, %.0fs, %d faults; load average %s at start, %s at end\n",
		r.Nodes, r.Clients, r.Points, r.Seed, r.Duration.Seconds(), len(r.Faults), r.LoadAvgStart, r.LoadAvgEnd)
	for _, k := range []OpKind{OpUpsert, OpDelete, OpRead, OpSearch, OpInteract} {
		c := counts[k]
		fmt.Fprintf(&sb, "  %-7s %6d sent: %6d acknowledged, %5d unknown, %5d failed\n", k, c[Acked]+c[Unknown]+c[Failed], c[Acked], c[Unknown], c[Failed])
	}
	fmt.Fprintf(&sb, "%-18s %5s %6s %11s %6s %17s %10s %12s %12s\n", "fault", "count", "lost", "resurrected", "stale", "resurrected-read", "violations", "recover-p50", "recover-max")
	byKind := map[string][]time.Duration{}
	anomalies := map[string]map[string]int{}
	violations := map[string]int{}
	var order []string
	for _, f := range r.Faults {
		if _, seen := byKind[f.Kind]; !seen {
			order = append(order, f.Kind)
			anomalies[f.Kind] = map[string]int{}
		}
		byKind[f.Kind] = append(byKind[f.Kind], f.Recover)
		violations[f.Kind] += f.Violations
	}
	slices.Sort(order)
	anomalies["none"] = map[string]int{}
	for _, a := range r.Check.Anomalies {
		anomalies[r.faultAt(a.At)][a.Kind]++
	}
	row := func(name string, n int, a map[string]int, viol int, rec []time.Duration) {
		p50, max := "-", "-"
		var ok []time.Duration
		for _, d := range rec {
			if d >= 0 {
				ok = append(ok, d)
			}
		}
		if len(ok) > 0 {
			p50 = fmt.Sprintf("%.2fs", percentile(ok, 0.5).Seconds())
			max = fmt.Sprintf("%.2fs", slices.Max(ok).Seconds())
		}
		if len(ok) < len(rec) {
			max += fmt.Sprintf(" (%d never)", len(rec)-len(ok))
		}
		fmt.Fprintf(&sb, "%-18s %5d %6d %11d %6d %17d %10d %12s %12s\n", name, n, a["lost"], a["resurrected"]+a["phantom"], a["stale-read"], a["resurrected-read"], viol, p50, max)
	}
	total := map[string]int{}
	var all []time.Duration
	for _, k := range order {
		row(k, len(byKind[k]), anomalies[k], violations[k], byKind[k])
		for name, n := range anomalies[k] {
			total[name] += n
		}
		all = append(all, byKind[k]...)
	}
	if len(anomalies["none"]) > 0 {
		row("before faults", 0, anomalies["none"], 0, nil)
		for name, n := range anomalies["none"] {
			total[name] += n
		}
	}
	row("all", len(r.Faults), total, len(r.Violations), all)
	fmt.Fprintf(&sb, "lost = acknowledged writes missing or overwritten by an older value on a replica at the end; resurrected = acknowledged deletes undone (or values no write wrote); stale/resurrected-read = majority reads that saw a superseded state; violations = writes acknowledged while a majority was down, or by a node a partition left in a minority; recover = fault to the end of the first acknowledged write sent after every victim was stopped or cut off\n")
	fmt.Fprintf(&sb, "writes sent and answered while a majority was down: %d, acknowledged %d; sent to and answered by a minority-side node during a partition: %d, acknowledged %d\n",
		r.MajorityLossWrites, violations[FaultKillMajority], r.MinorityWrites, len(r.Violations)-violations[FaultKillMajority])
	r.partitionReport(&sb)
	r.readyReport(&sb, order)
	r.duringReport(&sb, order)
	fmt.Fprintf(&sb, "replicas: %d points each at the end, ids + vectors + payloads equal: %v; %d exact searches across nodes (local and majority), %d answered differently; linearizability of the per-point registers (porcupine): %s\n",
		r.FinalPoints, len(r.ReplicasDiffer) == 0, r.Searches, r.SearchMismatches, r.Check.Linearizable)
	fmt.Fprintf(&sb, "%s\n", r.Interactions)
	for i, a := range r.Check.Anomalies {
		if i == 10 {
			fmt.Fprintf(&sb, "  ... %d more\n", len(r.Check.Anomalies)-10)
			break
		}
		fmt.Fprintf(&sb, "  %s: %s\n", a.Kind, a.Detail)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(&sb, "  violation: %s\n", v)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&sb, "note: %s\n", n)
	}
	return sb.String()
}

// faultAt names the kind of the last fault that began at or before t.
func (r *ClusterResult) faultAt(t time.Duration) string {
	kind := "none"
	for _, f := range r.Faults {
		if f.At <= t {
			kind = f.Kind
		}
	}
	return kind
}

// partitionReport prints, for the partitions that cut the leader off
// into a minority, how soon it stepped down and the other side elected.
func (r *ClusterResult) partitionReport(sb *strings.Builder) {
	type times struct {
		down, elect []time.Duration
		n, never    int
	}
	byKind := map[string]*times{}
	var order []string
	for _, f := range r.Faults {
		if !f.LeaderCut {
			continue
		}
		t := byKind[f.Kind]
		if t == nil {
			t = &times{}
			byKind[f.Kind] = t
			order = append(order, f.Kind)
		}
		t.n++
		if f.StepDown >= 0 {
			t.down = append(t.down, f.StepDown)
		}
		if f.Elected >= 0 {
			t.elect = append(t.elect, f.Elected)
		}
		if f.StepDown < 0 || f.Elected < 0 {
			t.never++
		}
	}
	if len(order) == 0 {
		return
	}
	slices.Sort(order)
	q := func(d []time.Duration) string {
		if len(d) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f/%.2fs", percentile(d, 0.5).Seconds(), slices.Max(d).Seconds())
	}
	fmt.Fprintf(sb, "partitions that left the leader in a minority (times after the cut, p50/max):\n")
	fmt.Fprintf(sb, "  %-18s %5s %22s %22s %s\n", "fault", "count", "old leader stepped down", "majority side elected", "not within the partition")
	for _, k := range order {
		t := byKind[k]
		fmt.Fprintf(sb, "  %-18s %5d %22s %22s %d\n", k, t.n, q(t.down), q(t.elect), t.never)
	}
}

// duringReport prints the acknowledged writes' rate and latency while
// each kind of fault lasted, beside the calm between faults.
func (r *ClusterResult) duringReport(sb *strings.Builder, kinds []string) {
	fmt.Fprintf(sb, "writes sent and acknowledged while the faults lasted (from the last kill, cut or throttle to the heal) and in the calm between faults:\n")
	fmt.Fprintf(sb, "  %-18s %10s %10s %10s\n", "", "writes/s", "p50", "p99")
	line := func(name string, w WriteWindow) {
		fmt.Fprintf(sb, "  %-18s %10.1f %8.1fms %8.1fms\n", name, w.PerSec, millis(w.P50), millis(w.P99))
	}
	for _, k := range kinds {
		var wins [][2]time.Duration
		for _, f := range r.Faults {
			if f.Kind == k {
				wins = append(wins, [2]time.Duration{f.Down, f.Healed})
			}
		}
		line(k, writeWindow(r.Ops, wins...))
	}
	line("calm", r.Calm)
}

// readyReport prints how long after each kind's heal every node was
// ready again.
func (r *ClusterResult) readyReport(sb *strings.Builder, kinds []string) {
	fmt.Fprintf(sb, "every node ready (/readyz 200) after the heal, p50/max:")
	for _, k := range kinds {
		var d []time.Duration
		for _, f := range r.Faults {
			if f.Kind == k {
				d = append(d, f.Ready)
			}
		}
		fmt.Fprintf(sb, " %s %.2f/%.2fs;", k, percentile(d, 0.5).Seconds(), slices.Max(d).Seconds())
	}
	sb.WriteString("\n")
}
