package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Injecting and healing one planned fault, and watching a partition's
// two sides while it lasts.

// openFaultNetwork builds the namespaces for cfg and probes what the
// kernel's traffic control offers: tbf for slow-link (refused when
// missing), netem for a fixed delay (noted when missing; no kind uses it).
func openFaultNetwork(cfg ClusterConfig) (*netLab, []string, error) {
	lab, err := openNetLab(cfg.Nodes)
	if err != nil {
		return nil, nil, fmt.Errorf("--netns: %w; the partition kinds (%v) and %s cannot run without network namespaces", err, PartitionFaults, FaultSlowLink)
	}
	var notes []string
	probe := []string{"tc", "-n", lab.ns(0), "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "10ms"}
	if err := lab.run(probe); err != nil {
		notes = append(notes, fmt.Sprintf("no fixed link delay: tc netem is unavailable here (%v); slow-link is a bandwidth cap (tbf %s, up to %s queued) instead", err, slowRate, slowQueue))
	} else {
		_ = lab.run([]string{"tc", "-n", lab.ns(0), "qdisc", "del", "dev", "eth0", "root"})
		notes = append(notes, "tc netem works here, but no fault kind uses a fixed delay yet; slow-link is a bandwidth cap (tbf)")
	}
	if slices.Contains(cfg.Kinds, FaultSlowLink) {
		err := lab.runAll(lab.slowLinkCmds(0, false))
		if err == nil {
			err = lab.runAll(lab.slowLinkCmds(0, true))
		}
		if err != nil {
			lab.close()
			return nil, nil, fmt.Errorf("fault kind %s needs the tbf qdisc: %w", FaultSlowLink, err)
		}
	}
	return lab, notes, nil
}

// hold is how long a fault of kind lasts before its heal.
func (r *faultRun) hold(kind string) time.Duration {
	switch {
	case kind == FaultPauseLeader:
		return r.cfg.Pause
	case slices.Contains(PartitionFaults, kind), kind == FaultSlowLink, kind == FaultSlowDisk:
		return r.cfg.Partition
	}
	return r.cfg.Hold
}

// apply starts fault p, or with heal ends it (killed nodes restart on
// their data).
func (r *faultRun) apply(p faultPlan, heal bool) error {
	victim := r.nodes[p.victims[0]]
	switch p.kind {
	case FaultKillLeader, FaultKillFollower, FaultKillMajority:
		for _, v := range p.victims {
			if !heal {
				r.nodes[v].kill()
			} else if err := r.nodes[v].start(); err != nil {
				return fmt.Errorf("restart node %s: %w", r.nodes[v].id, err)
			}
		}
	case FaultPauseLeader:
		if heal {
			return victim.resume()
		}
		if err := victim.pause(); err != nil {
			return fmt.Errorf("SIGSTOP node %s: %w", victim.id, err)
		}
	case FaultSlowLink:
		return r.lab.runAll(r.lab.slowLinkCmds(p.victims[0], heal))
	case FaultSlowDisk:
		if heal {
			return r.disk.heal(victim.cmd.Process.Pid)
		}
		return r.disk.slow(victim.cmd.Process.Pid)
	default:
		for _, c := range p.cuts {
			if err := r.lab.runAll(r.lab.cutCmds(c[0], c[1], heal)); err != nil {
				return err
			}
		}
	}
	return nil
}

// watch waits out the fault's hold. For a partition that left the old
// leader lead in the minority it polls both sides meanwhile: when lead
// stops saying it leads (ev.StepDown), and when the other side agrees on
// a leader among itself (ev.Elected).
func (r *faultRun) watch(ctx context.Context, p faultPlan, lead int, ev *FaultEvent) error {
	end := time.Now().Add(r.hold(p.kind))
	ev.StepDown, ev.Elected = -1, -1
	watching := slices.Contains(p.minority, lead)
	ev.LeaderCut = watching
	var side []*clusterNode
	for i, n := range r.nodes {
		if !slices.Contains(p.minority, i) {
			side = append(side, n)
		}
	}
	for time.Now().Before(end) {
		if watching && ev.StepDown < 0 {
			if v, err := r.nodes[lead].raft(ctx); err == nil && v.Role != "Leader" {
				ev.StepDown = r.since() - ev.Down
			}
		}
		if watching && ev.Elected < 0 {
			if _, ok := agreedLeader(ctx, side); ok {
				ev.Elected = r.since() - ev.Down
			}
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
