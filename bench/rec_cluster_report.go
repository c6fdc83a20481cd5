package bench

import (
	"cmp"
	"fmt"
	"strings"
)

// Report prints the setups side by side: the phases, the recommendations
// through each node, the served lists' quality and how far apart the two
// setups' lists are.
func (r *RecClusterResult) Report() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "MovieLens through the API: %d movies as text (%s), %d users, %d interactions (BENCHMARKS.md §2 train part), iALS %d factors, seed %d\n",
		r.Movies, r.Model, r.Users, r.Interactions, r.Factors, r.Seed)
	var order []string
	for i, s := range r.Setups {
		order = append(order, fmt.Sprintf("%c %s (load average %s at start, %s at end)", 'A'+i, s.Name, s.LoadAvg[0], s.LoadAvg[len(s.LoadAvg)-1]))
	}
	fmt.Fprintf(&sb, "order: %s\n", strings.Join(order, ", then "))
	fmt.Fprintf(&sb, "SIMULATION: every node is a quiver serve process on this one %d-core machine, so the cluster's nodes share the cores the single node has alone\n", r.Cores)
	sb.WriteString("requests go to the nodes in turn: upserts (each node encodes its batches, then splits them over the shards), interactions (group 0's leader, forwarded), recommendations; training is asked of a follower and polled with consistency=majority\n")
	sb.WriteString("not in this mode: the in-process Profile and fold-in timings on the server's trainer and the explained requests' latency (bench rec --http has them on one node)\n\n")

	fmt.Fprintf(&sb, "%-44s", "")
	for i, s := range r.Setups {
		fmt.Fprintf(&sb, " %26s", fmt.Sprintf("%c %s", 'A'+i, s.Name))
	}
	sb.WriteString("\n")
	row := func(name string, cell func(s *RecSetup) string) {
		fmt.Fprintf(&sb, "%-44s", name)
		for i := range r.Setups {
			fmt.Fprintf(&sb, " %26s", cell(&r.Setups[i]))
		}
		sb.WriteString("\n")
	}
	row("upsert s (movies/s)", func(s *RecSetup) string {
		return fmt.Sprintf("%.1f (%.0f/s)", s.UpsertSecs, float64(r.Movies)/s.UpsertSecs)
	})
	row("interactions s (/s)", func(s *RecSetup) string {
		return fmt.Sprintf("%.1f (%.0f/s)", s.InteractSecs, float64(r.Interactions)/s.InteractSecs)
	})
	row("train s (asked of node; leader)", func(s *RecSetup) string {
		return fmt.Sprintf("%.1f (%s; %s)", s.TrainSecs, s.TrainVia, cmp.Or(s.Leader, "-"))
	})
	for _, phase := range []string{"upsert", "interactions", "train", "recommend"} {
		row("CPU s, all nodes: "+phase, func(s *RecSetup) string { return fmt.Sprintf("%.1f", s.CPU[phase]) })
	}
	row("CPU ms, all nodes, per recommendation", func(s *RecSetup) string {
		return fmt.Sprintf("%.2f", 1e3*s.CPU["recommend"]/float64(max(1, r.Requests*len(s.Recommend))))
	})
	nodes := 0
	for _, s := range r.Setups {
		nodes = max(nodes, len(s.Recommend))
	}
	for j := range nodes {
		row(fmt.Sprintf("recommend limit %d via node %d p50/p99 ms", r.Limit, j+1), func(s *RecSetup) string {
			if j >= len(s.Recommend) {
				return "-"
			}
			return p5099(s.Recommend[j])
		})
		row("  server's own time p50/p99 ms", func(s *RecSetup) string {
			if j >= len(s.RecommendServer) {
				return "-"
			}
			return p5099(s.RecommendServer[j])
		})
	}
	row(fmt.Sprintf("new user (%d): cold list via node j p50/p99 ms", r.NewUsers), func(s *RecSetup) string { return p5099(s.NewUsers.Cold) })
	row("  interaction via node j+1 (wait=true)", func(s *RecSetup) string { return p5099(s.NewUsers.Interact) })
	row("  next list via node j+2 (majority)", func(s *RecSetup) string { return p5099(s.NewUsers.Recommend) })
	row("  interaction → updated list", func(s *RecSetup) string { return p5099(s.NewUsers.Updated) })
	row("  lists changed by the interaction", func(s *RecSetup) string { return fmt.Sprintf("%d of %d", s.NewUsers.Changed, r.NewUsers) })
	for i, s := range r.Setups {
		fmt.Fprintf(&sb, "%c's local shards: %s\n", 'A'+i, strings.Join(s.LocalShards, "; "))
	}
	fmt.Fprintf(&sb, "(%d timed requests per node, one at a time on one keep-alive connection each, after %d untimed)\n\n", r.Requests, recommendWarmup)

	sb.WriteString("served lists on the test part, every user (user u through node u % nodes), movies outside train dropped, HNSW ef 400\n")
	fmt.Fprintf(&sb, "%-28s %9s %9s %9s %9s %9s %6s\n", "setup", "Recall@10", "Recall@20", "NDCG@10", "HR@10", "Cov@10", "short")
	q := func(name string, t ServedQuality) {
		fmt.Fprintf(&sb, "%-28s %9.4f %9.4f %9.4f %9.4f %9.4f %6d\n", name, t.RecallAt10, t.RecallAt20, t.NDCGAt10, t.HRAt10, t.CoverageAt10, t.Short)
	}
	for i, s := range r.Setups {
		q(fmt.Sprintf("%c %s", 'A'+i, s.Name), s.Quality)
	}
	if len(r.Setups) == 2 {
		single, cluster := r.Setups[0], r.Setups[1]
		if r.ClusterFirst {
			single, cluster = cluster, single
		}
		d := topNDelta(single.Quality.TopN, cluster.Quality.TopN)
		fmt.Fprintf(&sb, "%-28s %+9.4f %+9.4f %+9.4f %+9.4f %+9.4f\n", "cluster − single node", d.RecallAt10, d.RecallAt20, d.NDCGAt10, d.HRAt10, d.CoverageAt10)
		fmt.Fprintf(&sb, "top-10 overlap of the cluster's lists with the single node's, mean over users: %.3f\n", r.Overlap)
		fmt.Fprintf(&sb, "the same of the top %d as served (movies outside train kept): %.3f; movies outside train in them: %d in the single node's, %d in the cluster's (their cf vectors are mapped from their text, per shard on the cluster)\n",
			r.Limit, r.ServedOverlap, single.ColdShown, cluster.ColdShown)
		for _, v := range []struct {
			name string
			a    VectorAgreement
		}{{"in train", r.Trained}, {"outside train (mapped from their text; per shard on the cluster)", r.Cold}} {
			fmt.Fprintf(&sb, "cf vectors of the %d movies %s: %d on the single node, %d on the cluster; cosine between the two, mean %.6f, min %.6f\n",
				v.a.Movies, v.name, v.a.Single, v.a.Cluster, v.a.MeanCosine, v.a.MinCosine)
		}
		fmt.Fprintf(&sb, "users whose top %d differs between the cluster's %d nodes (each user asked of every node): %d of %d\n", r.Limit, cluster.Nodes, cluster.Differing, r.Users)
	}
	fmt.Fprintf(&sb, "total %.1fs\n", r.WallSeconds)
	return sb.String()
}

// p5099 is a latency's p50/p99 in milliseconds.
func p5099(l LatencyStats) string { return fmt.Sprintf("%.2f/%.2f", l.P50Micros/1e3, l.P99Micros/1e3) }
