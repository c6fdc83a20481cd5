package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The busiest node bounds the projected throughput: 1000 searches that
// cost node 1 one CPU second and node 2 half of one, with 2 cores a
// node, project to 2,000 a second.
func TestProjectedThroughputIsTheBusiestNodes(t *testing.T) {
	s := LatencySetup{CPU: map[string][]float64{throughputMeasure: {1.0, 0.5}}, Requests: map[string]int{throughputMeasure: 1000}}
	require.InDelta(t, 2000, projectedThroughput(s, 2), 1e-9)
	require.Zero(t, projectedThroughput(LatencySetup{}, 2), "nothing measured")
}
