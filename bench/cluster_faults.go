package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// faults injects cfg.Cycles faults, the kinds in shuffled rounds of all
// four so each comes up as often, each followed by its heal, an agreed
// leader, a write acknowledged after the heal and a quiet second.
func (r *faultRun) faults(ctx context.Context, res *ClusterResult) error {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0xfa017))
	var order []string
	for len(order) < r.cfg.Cycles {
		round := slices.Clone(faultKinds)
		rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		order = append(order, round...)
	}
	// The clients run a while before the first fault.
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	for i, kind := range order[:r.cfg.Cycles] {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lead, err := leaderOf(ctx, r.nodes, 30*time.Second)
		if err != nil {
			return fmt.Errorf("before fault %d: %w", i+1, err)
		}
		ev := FaultEvent{Kind: kind, Recover: -1}
		var victims []*clusterNode
		switch kind {
		case FaultKillLeader:
			victims = []*clusterNode{r.nodes[lead]}
		case FaultKillFollower:
			victims = []*clusterNode{r.nodes[(lead+1+rng.IntN(len(r.nodes)-1))%len(r.nodes)]}
		case FaultKillMajority:
			perm := rng.Perm(len(r.nodes))
			for _, j := range perm[:len(r.nodes)/2+1] {
				victims = append(victims, r.nodes[j])
			}
		case FaultPauseLeader:
			victims = []*clusterNode{r.nodes[lead]}
		}
		for _, v := range victims {
			ev.Victims = append(ev.Victims, v.id)
		}
		ev.At = r.since()
		hold := r.cfg.Hold
		if kind == FaultPauseLeader {
			hold = r.cfg.Pause
			if err := victims[0].pause(); err != nil {
				return fmt.Errorf("SIGSTOP node %s: %w", victims[0].id, err)
			}
		} else {
			for _, v := range victims {
				v.kill()
			}
		}
		ev.Down = r.since()
		select {
		case <-time.After(hold):
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, v := range victims {
			if kind == FaultPauseLeader {
				err = v.resume()
			} else {
				err = v.start()
			}
			if err != nil {
				return fmt.Errorf("heal node %s: %w", v.id, err)
			}
		}
		ev.Healed = r.since()
		for _, v := range victims {
			if err := v.waitReady(ctx, 30*time.Second); err != nil {
				return err
			}
		}
		if _, err := leaderOf(ctx, r.nodes, 30*time.Second); err != nil {
			return fmt.Errorf("after fault %d (%s): %w", i+1, kind, err)
		}
		// The next fault waits for a write acknowledged after the heal,
		// so a slow recovery is not charged to the fault after it.
		for wait := time.Now(); r.lastWrite.Load() < int64(ev.Healed) && time.Since(wait) < time.Minute; {
			time.Sleep(20 * time.Millisecond)
		}
		res.Faults = append(res.Faults, ev)
		fmt.Fprintf(r.cfg.Progress, "[%2d/%d] %6.1fs %-13s node %-4s healed after %.1fs; ops acknowledged %d, unknown %d, failed %d\n",
			i+1, r.cfg.Cycles, ev.At.Seconds(), kind, strings.Join(ev.Victims, ","), (ev.Healed - ev.At).Seconds(),
			r.counts.acked.Load(), r.counts.unknown.Load(), r.counts.failed.Load())
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
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
	for _, f := range res.Faults {
		if f.Kind != FaultKillMajority {
			continue
		}
		for _, o := range res.Ops {
			if !o.isWrite() || o.Start <= f.Down || o.End >= f.Healed {
				continue
			}
			res.MajorityLossWrites++
			if o.Outcome == Acked {
				res.Violations = append(res.Violations, fmt.Sprintf("%s of point %d acknowledged at %v, %v into the majority loss at %v", o.Kind, o.Point, o.End, o.End-f.Down, f.Down))
			}
		}
	}
	for i := range res.Faults {
		f := &res.Faults[i]
		for _, o := range res.Ops {
			if o.isWrite() && o.Outcome == Acked && o.Start > f.Down && (f.Recover < 0 || o.End-f.At < f.Recover) {
				f.Recover = o.End - f.At
			}
		}
	}
	return r.compareSearches(ctx, res)
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
