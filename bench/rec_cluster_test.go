package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/recommend/eval"
)

func TestListOverlap(t *testing.T) {
	a := [][]int32{{1, 2, 3, 4}, {5, 6}, {}, {7}}
	b := [][]int32{{4, 3, 9, 8}, {6, 5, 1}, {1}, {}}
	// User 0: 2 of 4 in common; user 1: both of a's 2 (the shorter list
	// stands for k); users 2 and 3 have an empty list on one side.
	require.InDelta(t, (0.5+1)/2, listOverlap(a, b, 10), 1e-12)
	require.InDelta(t, (0.5+1)/2, listOverlap(b, a, 10), 1e-12, "symmetric")
	require.InDelta(t, (0.0+1.0)/2, listOverlap(a, b, 2), 1e-12, "cut at k: {1,2} and {4,3} share nothing")
	require.InDelta(t, 1.0, listOverlap(a, a, 10), 1e-12)
	require.Zero(t, listOverlap(nil, b, 10))
	require.InDelta(t, 0.5, listOverlap(a[:1], b, 10), 1e-12, "users beyond the shorter side are left out")
	require.InDelta(t, 0.5, listOverlap([][]uint64{{1, 2}}, [][]uint64{{2, 3}}, 10), 1e-12, "ids of any kind")
}

func TestAllEqual(t *testing.T) {
	require.True(t, allEqual([][]uint64{{1, 2}}))
	require.True(t, allEqual([][]uint64{{1, 2}, {1, 2}, {1, 2}}))
	require.False(t, allEqual([][]uint64{{1, 2}, {1, 2}, {2, 1}}), "order matters")
	require.False(t, allEqual([][]uint64{{1, 2}, {1}}))
}

func TestRecClusterDefaults(t *testing.T) {
	c := RecClusterConfig{}
	c.ensureDefaults()
	require.Equal(t, RecClusterConfig{Nodes: 3, Shards: 3, Replicas: 2, Requests: 1000, NewUsers: 200, Limit: 10, Batch: 256, Factors: 64, Seed: 1}, c)
	c = RecClusterConfig{Nodes: 1, Replicas: 3, Shards: 4}
	c.ensureDefaults()
	require.Equal(t, 1, c.Replicas, "no more replicas than nodes")
	require.Equal(t, 4, c.Shards)
}

func TestRecClusterReport(t *testing.T) {
	q := func(ndcg float64) ServedQuality {
		return ServedQuality{Using: "cf", TopN: eval.TopN{RecallAt10: 0.1, NDCGAt10: ndcg, HRAt10: 0.5}}
	}
	lat := LatencyStats{N: 5, P50Micros: 1500, P99Micros: 4000}
	r := &RecClusterResult{Movies: 100, Users: 10, Interactions: 200, Model: "m", Factors: 8, Limit: 10, Seed: 1, Requests: 5, NewUsers: 4, Cores: 2,
		Overlap: 0.9, ServedOverlap: 0.85, Setups: []RecSetup{
			{Name: "single node", Nodes: 1, TrainVia: "1", UpsertSecs: 2, InteractSecs: 1, TrainSecs: 3, CPU: map[string]float64{"train": 2.5},
				Recommend: []LatencyStats{lat}, RecommendServer: []LatencyStats{lat}, Quality: q(0.12), ColdShown: 2, LoadAvg: []string{"1.00 1.00 1.00", "2.00 1.00 1.00"}},
			{Name: "3 nodes, 3 shards, rf 2", Nodes: 3, Leader: "2", TrainVia: "3", UpsertSecs: 4, InteractSecs: 2, TrainSecs: 6, CPU: map[string]float64{"recommend": 0.03},
				Recommend: []LatencyStats{lat, lat, lat}, RecommendServer: []LatencyStats{lat, lat, lat}, Quality: q(0.11), Differing: 3, ColdShown: 4, NewUsers: NewUsersAcross{Updated: lat, Changed: 3},
				LoadAvg: []string{"3.00 1.00 1.00", "4.00 1.00 1.00"}, LocalShards: []string{"node 1: shard 0 (5 points)", "node 2: shard 1 (4 points)"}},
		}}
	line := func(out, prefix string) []string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) {
				return strings.Fields(strings.TrimPrefix(l, prefix))
			}
		}
		return nil
	}
	out := r.Report()
	for _, want := range []string{
		"order: A single node (load average 1.00 1.00 1.00 at start, 2.00 1.00 1.00 at end), then B 3 nodes",
		"not in this mode: the in-process Profile",
		"upsert s (movies/s)",
		"50/s",                     // 100 movies in 2 s
		"3.0 (1; -)", "6.0 (3; 2)", // train s, the node asked, the leader
		"CPU s, all nodes: train",
		"1.50/4.00",
		"B's local shards: node 1: shard 0 (5 points); node 2: shard 1 (4 points)\n",
		"CPU ms, all nodes, per recommendation",
		"-0.0100", // NDCG@10, cluster − single node
		"top-10 overlap of the cluster's lists with the single node's, mean over users: 0.900",
		"between the cluster's 3 nodes (each user asked of every node): 3 of 10",
		"cf vectors of the 0 movies in train: 0 on the single node, 0 on the cluster",
		"(movies outside train kept): 0.850; movies outside train in them: 2 in the single node's, 4 in the cluster's",
	} {
		require.Contains(t, out, want)
	}
	require.Equal(t, []string{"-", "1.50/4.00"}, line(out, "recommend limit 10 via node 3 p50/p99 ms"), "the single node has no node 3")
	require.Equal(t, []string{"0.00", "2.00"}, line(out, "CPU ms, all nodes, per recommendation"), "0.03 s over 5 requests through each of 3 nodes")
	require.Equal(t, []string{"0.00/0.00", "1.50/4.00"}, line(out, "  interaction → updated list"))
	require.Equal(t, []string{"0", "of", "4", "3", "of", "4"}, line(out, "  lists changed by the interaction"))
	delta := func(out string) string { return line(out, "cluster − single node")[2] }
	require.Equal(t, "-0.0100", delta(out))
	// Run the other way round, the difference keeps its sign.
	r.ClusterFirst, r.Setups[0], r.Setups[1] = true, r.Setups[1], r.Setups[0]
	out = r.Report()
	require.Contains(t, out, "order: A 3 nodes, 3 shards, rf 2")
	require.Equal(t, "-0.0100", delta(out))
	require.Contains(t, out, "3 of 10")
	require.Contains(t, out, "2 in the single node's, 4 in the cluster's")
	require.Equal(t, []string{"1.50/4.00", "-"}, line(out, "recommend limit 10 via node 3 p50/p99 ms"), "the columns follow the order run")
}

func TestFormatShards(t *testing.T) {
	require.Equal(t, "no shard", formatShards(nil))
	in := []localShard{{ID: 2, Points: 30}, {ID: 0, Points: 10}}
	require.Equal(t, "shard 0 (10 points), shard 2 (30 points)", formatShards(in))
	require.Equal(t, 2, in[0].ID, "the caller's slice is left as it was")
}

func TestCountCold(t *testing.T) {
	ml := &eval.MovieLens{UserIDs: []int64{7}, MovieIDs: []int64{1, 5, 9}}
	d := &recHTTPData{ml: ml, ratings: []eval.Rating{{User: 0, Item: 0}, {User: 0, Item: 2}}, test: []eval.Rating{{User: 0, Item: 1}}}
	// 5 is rated in test only, 42 never: both outside train.
	require.Equal(t, 2, countCold([][]uint64{{1, 5}, {9, 42}}, d))
	require.Zero(t, countCold([][]uint64{{9, 1}}, d))
}

func TestCosine(t *testing.T) {
	require.InDelta(t, 1, cosine([]float32{1, 2}, []float32{2, 4}), 1e-12)
	require.InDelta(t, 0, cosine([]float32{1, 0}, []float32{0, 3}), 1e-12)
	require.InDelta(t, -1, cosine([]float32{1, 1}, []float32{-1, -1}), 1e-12)
	require.Equal(t, 1.0, cosine([]float32{0, 0}, []float32{0, 0}))
	require.Zero(t, cosine([]float32{0, 0}, []float32{1, 0}))
	require.Zero(t, cosine([]float32{1}, []float32{1, 0}))
}

func TestCompareVectors(t *testing.T) {
	single := map[int64][]float32{1: {1, 0}, 2: {0, 1}, 3: {1, 1}}
	cluster := map[int64][]float32{1: {2, 0}, 2: {1, 1}, 4: {1, 0}}
	a := compareVectors(single, cluster, []int64{1, 2, 3, 4, 5})
	require.Equal(t, 5, a.Movies)
	require.Equal(t, 3, a.Single)
	require.Equal(t, 3, a.Cluster)
	require.InDelta(t, (1+math.Sqrt(0.5))/2, a.MeanCosine, 1e-12, "movies 1 and 2, in both")
	require.InDelta(t, math.Sqrt(0.5), a.MinCosine, 1e-12)
	require.Equal(t, VectorAgreement{Movies: 1, Single: 1}, compareVectors(single, cluster, []int64{3}), "none in both")
}

func TestMoviesByClass(t *testing.T) {
	d := &recHTTPData{
		movies:  []eval.Movie{{ID: 1}, {ID: 5}, {ID: 9}, {ID: 11}},
		ml:      &eval.MovieLens{UserIDs: []int64{7}, MovieIDs: []int64{1, 5, 9}},
		ratings: []eval.Rating{{User: 0, Item: 0}, {User: 0, Item: 2}},
	}
	trained, cold := moviesByClass(d)
	require.Equal(t, []int64{1, 9}, trained)
	require.Equal(t, []int64{5, 11}, cold, "5 is rated outside train, 11 never")
}
