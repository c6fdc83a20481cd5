package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Fault kinds.
const (
	FaultKillLeader   = "kill-leader"
	FaultKillFollower = "kill-follower"
	FaultKillMajority = "kill-majority"
	FaultPauseLeader  = "pause-leader"
	// The partitions (--netns): the leader cut off from every other
	// node; a minority of followers cut off from the rest; a random
	// split into two groups (3 nodes: 1|2, 5 nodes: 2|3) wherever the
	// leader lands; and a bridge: one follower sees every node, the
	// others are split in two sides that do not see each other, the
	// leader on one (3 nodes: A–B–C, A does not see C). Clients reach
	// every node throughout.
	FaultPartitionLeader   = "partition-leader"
	FaultPartitionMinority = "partition-minority"
	FaultPartitionHalves   = "partition-halves"
	FaultPartitionBridge   = "partition-bridge"
	// FaultSlowLink caps the leader's link (tbf, --netns); FaultSlowDisk
	// throttles the leader's disk writes (blkio cgroup).
	FaultSlowLink = "slow-link"
	FaultSlowDisk = "slow-disk"
)

// ProcessFaults need nothing but the processes; PartitionFaults need
// --netns; AllFaults is every kind.
var (
	ProcessFaults   = []string{FaultKillLeader, FaultKillFollower, FaultKillMajority, FaultPauseLeader}
	PartitionFaults = []string{FaultPartitionLeader, FaultPartitionMinority, FaultPartitionHalves, FaultPartitionBridge}
	AllFaults       = slices.Concat(ProcessFaults, PartitionFaults, []string{FaultSlowLink, FaultSlowDisk})
)

// needsNetns reports whether kind cuts or slows links.
func needsNetns(kind string) bool {
	return slices.Contains(PartitionFaults, kind) || kind == FaultSlowLink
}

// ParseFaultKinds parses a comma-separated list of kinds ("all": every
// kind).
func ParseFaultKinds(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if s == "all" {
		return slices.Clone(AllFaults), nil
	}
	var kinds []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(AllFaults, k) {
			return nil, fmt.Errorf("unknown fault kind %q (kinds: %s, or all)", k, strings.Join(AllFaults, ", "))
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// faultPlan is what one fault does, by node index.
type faultPlan struct {
	kind    string
	victims []int    // killed, paused, slowed, or on the cut-off side
	cuts    [][2]int // links cut, for a partition
	// minority are the nodes whose links reach less than a majority
	// (themselves included): they can neither commit nor forward to a
	// leader, so they must acknowledge no write sent during the fault.
	minority []int
}

// planFault picks a fault of kind on n nodes led by lead.
func planFault(kind string, n, lead int, rng *rand.Rand) faultPlan {
	p := faultPlan{kind: kind}
	others := make([]int, 0, n-1)
	for i := range n {
		if i != lead {
			others = append(others, i)
		}
	}
	rng.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	switch kind {
	case FaultKillLeader, FaultPauseLeader, FaultSlowLink, FaultSlowDisk:
		p.victims = []int{lead}
	case FaultKillFollower:
		p.victims = others[:1]
	case FaultKillMajority:
		p.victims = rng.Perm(n)[:n/2+1]
	case FaultPartitionLeader:
		p.victims = []int{lead}
		p.cuts = cutsBetween(p.victims, others)
	case FaultPartitionMinority:
		p.victims = others[:(n-1)/2]
		p.cuts = cutsBetween(p.victims, slices.Concat([]int{lead}, others[(n-1)/2:]))
	case FaultPartitionHalves:
		perm := rng.Perm(n)
		p.victims = perm[:n/2]
		p.cuts = cutsBetween(p.victims, perm[n/2:])
	case FaultPartitionBridge:
		// others[0] is the bridge; the leader's side takes half the rest.
		rest := others[1:]
		side := slices.Concat([]int{lead}, rest[:(len(rest)-1)/2])
		p.victims = rest[(len(rest)-1)/2:]
		p.cuts = cutsBetween(side, p.victims)
	default:
		panic("bench: unknown fault kind " + kind)
	}
	slices.Sort(p.victims)
	p.minority = minorityOf(n, p.cuts)
	return p
}

// cutsBetween is every link from a node of a to a node of b.
func cutsBetween(a, b []int) [][2]int {
	var cuts [][2]int
	for _, x := range a {
		for _, y := range b {
			cuts = append(cuts, [2]int{min(x, y), max(x, y)})
		}
	}
	slices.SortFunc(cuts, func(p, q [2]int) int {
		if p[0] != q[0] {
			return p[0] - q[0]
		}
		return p[1] - q[1]
	})
	return cuts
}

// minorityOf names the nodes that, with cuts, reach fewer than a
// majority of n directly (themselves included).
func minorityOf(n int, cuts [][2]int) []int {
	var out []int
	for i := range n {
		reach := n
		for _, c := range cuts {
			if c[0] == i || c[1] == i {
				reach--
			}
		}
		if reach < n/2+1 {
			out = append(out, i)
		}
	}
	return out
}
