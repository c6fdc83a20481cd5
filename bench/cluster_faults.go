package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// faults injects cfg.Cycles faults, cfg.Kinds in shuffled rounds so each
// comes up as often, each followed by its heal, an agreed leader, a write
// acknowledged after the heal and a quiet second.
func (r *faultRun) faults(ctx context.Context, res *ClusterResult) error {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0xfa017))
	order := faultOrder(r.cfg.Kinds, r.cfg.Cycles, rng)
	// The clients run a while before the first fault.
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	for i, kind := range order {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lead, err := leaderOf(ctx, r.nodes, 30*time.Second)
		if err != nil {
			return fmt.Errorf("before fault %d: %w", i+1, err)
		}
		p := planFault(kind, len(r.nodes), lead, rng)
		ev := FaultEvent{Kind: kind, Recover: -1, Lag: commitLag(ctx, r.nodes)}
		for _, v := range p.victims {
			ev.Victims = append(ev.Victims, r.nodes[v].id)
		}
		for _, v := range p.minority {
			ev.Minority = append(ev.Minority, r.nodes[v].id)
		}
		ev.At = r.since()
		if err := r.apply(p, false); err != nil {
			return errors.Join(fmt.Errorf("fault %d (%s): %w", i+1, kind, err), r.apply(p, true))
		}
		ev.Down = r.since()
		err = r.watch(ctx, p, lead, &ev)
		if err := errors.Join(err, r.apply(p, true)); err != nil {
			return fmt.Errorf("fault %d (%s): heal: %w", i+1, kind, err)
		}
		ev.Healed = r.since()
		// /readyz waits until a restarted node has caught up, which
		// takes as long as its log tail is to replay.
		for _, n := range r.nodes {
			if err := n.waitReady(ctx, 3*time.Minute); err != nil {
				return fmt.Errorf("after fault %d (%s): %w", i+1, kind, err)
			}
		}
		ev.Ready = r.since() - ev.Healed
		if _, err := leaderOf(ctx, r.nodes, 30*time.Second); err != nil {
			return fmt.Errorf("after fault %d (%s): %w", i+1, kind, err)
		}
		// The next fault waits for a write acknowledged after the heal,
		// so a slow recovery is not charged to the fault after it.
		for wait := time.Now(); r.lastWrite.Load() < int64(ev.Healed) && time.Since(wait) < time.Minute; {
			time.Sleep(20 * time.Millisecond)
		}
		ev.Settled = r.since()
		res.Faults = append(res.Faults, ev)
		r.progress(i, ev)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// faultOrder is cycles kinds, in shuffled rounds of all of them.
func faultOrder(kinds []string, cycles int, rng *rand.Rand) []string {
	var order []string
	for len(order) < cycles {
		round := slices.Clone(kinds)
		rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		order = append(order, round...)
	}
	return order[:cycles]
}

func (r *faultRun) progress(i int, ev FaultEvent) {
	extra := ""
	if ev.LeaderCut {
		after := func(d time.Duration) string {
			if d < 0 {
				return "not within the partition"
			}
			return fmt.Sprintf("after %.2fs", d.Seconds())
		}
		extra = fmt.Sprintf("; old leader stepped down %s, new leader %s", after(ev.StepDown), after(ev.Elected))
	}
	fmt.Fprintf(r.cfg.Progress, "[%2d/%d] %6.1fs %-18s node %-5s (lag %d) healed after %.1fs; ops acknowledged %d, unknown %d, failed %d%s\n",
		i+1, r.cfg.Cycles, ev.At.Seconds(), ev.Kind, strings.Join(ev.Victims, ","), ev.Lag, (ev.Healed - ev.At).Seconds(),
		r.counts.acked.Load(), r.counts.unknown.Load(), r.counts.failed.Load(), extra)
}

// verify runs with every node up again after the last cycle: it waits until the replicas agree, then checks the history against them,
// the majority window's writes, and searches across nodes.
func (r *faultRun) verify(ctx context.Context, res *ClusterResult) error {
	fmt.Fprintf(r.cfg.Progress, "checking %d operations against %d replicas\n", len(res.Ops), len(r.nodes))
	if _, err := leaderOf(ctx, r.nodes, 30*time.Second); err != nil {
		return fmt.Errorf("after the run: %w", err)
	}
	// A majority read makes the leader apply everything committed; the
	// followers then catch up.
	if _, out := readPoint(ctx, r.nodes[0], 1, 10*time.Second); out != Acked {
		return fmt.Errorf("a majority read after the run failed")
	}
	var dumps []replicaDump
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		dumps, err = dumpReplicas(ctx, r.nodes)
		if err == nil && replicasEqual(dumps) || time.Now().After(deadline) {
			if err != nil {
				return err
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	finals := make([]map[uint64]int64, len(dumps))
	for i, d := range dumps {
		finals[i] = d.versions
		if d.canonical != dumps[0].canonical {
			res.ReplicasDiffer = append(res.ReplicasDiffer, r.nodes[i].id)
		}
	}
	res.FinalPoints = len(finals[0])
	res.Check = CheckHistory(res.Ops, finals, 60*time.Second)
	res.checkWindows()
	res.windowStats()
	for i := range res.Faults {
		f := &res.Faults[i]
		for _, o := range res.Ops {
			if o.isWrite() && o.Outcome == Acked && o.Start > f.Down && (f.Recover < 0 || o.End-f.At < f.Recover) {
				f.Recover = o.End - f.At
			}
		}
	}
	if err := r.compareSearches(ctx, res); err != nil {
		return err
	}
	var err error
	res.Interactions, err = checkInteractions(ctx, r.nodes, res.Ops)
	return err
}

// compareSearches runs exact searches on every node (local) and through
// the first with consistency=majority; every answer must name the same ids.
func (r *faultRun) compareSearches(ctx context.Context, res *ClusterResult) error {
	for q := range 20 {
		vec := versionVector(int64(-q - 1))
		var first []uint64
		for i, n := range r.nodes {
			ids, err := exactSearch(ctx, n, vec, "")
			if err != nil {
				return err
			}
			res.Searches++
			if i == 0 {
				first = ids
			} else if !slices.Equal(first, ids) {
				res.SearchMismatches++
			}
		}
		ids, err := exactSearch(ctx, r.nodes[q%len(r.nodes)], vec, "?consistency=majority")
		if err != nil {
			return err
		}
		res.Searches++
		if !slices.Equal(first, ids) {
			res.SearchMismatches++
		}
	}
	return nil
}

// checkWindows flags the writes a fault forbade to acknowledge: any sent
// after every victim of a majority kill was dead and answered before the
// restart, and any sent to a node a partition left in the minority after
// the cut and answered by it before the heal.
func (res *ClusterResult) checkWindows() {
	for i := range res.Faults {
		f := &res.Faults[i]
		if f.Kind != FaultKillMajority && len(f.Minority) == 0 {
			continue
		}
		for _, o := range res.Ops {
			if !o.isWrite() || o.Start <= f.Down || o.End >= f.Healed {
				continue
			}
			node := strconv.Itoa(o.Node + 1)
			switch {
			case f.Kind == FaultKillMajority:
				res.MajorityLossWrites++
			case slices.Contains(f.Minority, node):
				res.MinorityWrites++
			default:
				continue
			}
			if o.Outcome == Acked {
				f.Violations++
				res.Violations = append(res.Violations, fmt.Sprintf("%s of point %d acknowledged by node %s at %v, %v into the %s at %v", o.Kind, o.Point, node, o.End, o.End-f.Down, f.Kind, f.Down))
			}
		}
	}
}

// windowStats fills each fault's During and the run's Calm.
func (res *ClusterResult) windowStats() {
	calm := [][2]time.Duration{}
	from := time.Duration(0)
	for i := range res.Faults {
		f := &res.Faults[i]
		f.During = writeWindow(res.Ops, [2]time.Duration{f.Down, f.Healed})
		calm = append(calm, [2]time.Duration{from, f.At})
		from = f.Settled
	}
	res.Calm = writeWindow(res.Ops, append(calm, [2]time.Duration{from, res.Duration})...)
}
