package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// linked reports whether nodes a and b still see each other under p.
func linked(p faultPlan, a, b int) bool {
	return !slices.Contains(p.cuts, [2]int{min(a, b), max(a, b)})
}

func TestPlanPartitions(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		for _, n := range []int{3, 5} {
			lead := rng.IntN(n)
			maj := n/2 + 1

			p := planFault(FaultPartitionLeader, n, lead, rng)
			require.Equal(t, []int{lead}, p.victims)
			require.Equal(t, []int{lead}, p.minority)
			require.Len(t, p.cuts, n-1, "the leader cut from every other node")
			for i := range n {
				for j := range n {
					require.Equal(t, i == j || i != lead && j != lead, linked(p, i, j), "nodes %d %d", i, j)
				}
			}

			p = planFault(FaultPartitionMinority, n, lead, rng)
			require.Len(t, p.victims, (n-1)/2)
			require.NotContains(t, p.victims, lead)
			require.Equal(t, p.victims, p.minority)

			p = planFault(FaultPartitionHalves, n, lead, rng)
			require.Len(t, p.victims, n/2, "3 nodes split 1|2, 5 nodes 2|3")
			require.Len(t, p.cuts, (n/2)*(n-n/2))
			require.Equal(t, p.victims, p.minority)

			// A bridge: one node sees all, two sides do not see each
			// other, and every node still reaches a majority directly.
			p = planFault(FaultPartitionBridge, n, lead, rng)
			require.Empty(t, p.minority)
			require.NotContains(t, p.victims, lead)
			var bridges []int
			for i := range n {
				all := true
				for j := range n {
					all = all && linked(p, i, j)
				}
				if all {
					bridges = append(bridges, i)
				}
			}
			require.Len(t, bridges, 1, "%+v", p)
			require.NotEqual(t, lead, bridges[0])
			for _, v := range p.victims {
				require.False(t, linked(p, lead, v), "the leader's side does not see the far side")
			}
			require.Len(t, p.cuts, (n-1)/2*((n-1)-(n-1)/2))

			p = planFault(FaultKillMajority, n, lead, rng)
			require.Len(t, p.victims, maj)
			require.Empty(t, p.cuts)
		}
	}
}

func TestMinorityOf(t *testing.T) {
	// 5 nodes: 0 and 1 cut from 2, 3, 4; 2 also cut from 4.
	cuts := slices.Concat(cutsBetween([]int{0, 1}, []int{2, 3, 4}), [][2]int{{2, 4}})
	require.Equal(t, []int{0, 1, 2, 4}, minorityOf(5, cuts), "2 and 4 reach only 2 nodes of 5 each")
	require.Empty(t, minorityOf(3, nil))
}

func TestFaultOrderRounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	order := faultOrder(AllFaults, 3*len(AllFaults)+2, rng)
	require.Len(t, order, 3*len(AllFaults)+2)
	for r := range 3 {
		round := slices.Clone(order[r*len(AllFaults) : (r+1)*len(AllFaults)])
		slices.Sort(round)
		want := slices.Clone(AllFaults)
		slices.Sort(want)
		require.Equal(t, want, round, "round %d holds every kind once", r)
	}
}

func TestParseFaultKinds(t *testing.T) {
	k, err := ParseFaultKinds("partition-leader, kill-leader,partition-leader")
	require.NoError(t, err)
	require.Equal(t, []string{FaultPartitionLeader, FaultKillLeader}, k)
	k, err = ParseFaultKinds("all")
	require.NoError(t, err)
	require.Equal(t, AllFaults, k)
	_, err = ParseFaultKinds("partition-everything")
	require.ErrorContains(t, err, "unknown fault kind")
}

func TestValidateRefusesPartitionsWithoutNetns(t *testing.T) {
	cfg := ClusterConfig{Kinds: []string{FaultKillLeader, FaultPartitionLeader, FaultSlowLink}}
	cfg.defaults()
	err := cfg.validate()
	require.ErrorContains(t, err, "partition-leader cuts or slows links between nodes: it needs --netns")
	require.ErrorContains(t, err, "slow-link")
	cfg = ClusterConfig{Netns: true}
	cfg.defaults()
	require.NoError(t, cfg.validate())
	require.Equal(t, slices.Concat(ProcessFaults, PartitionFaults), cfg.Kinds, "--netns adds the partitions to the default kinds")
}
