package pointid

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShardSpreadsSequentialIDs(t *testing.T) {
	const n, points = 4, 40000
	counts := make([]int, n)
	for i := uint64(0); i < points; i++ {
		s := FromNum(i).Shard(n)
		require.True(t, s >= 0 && s < n)
		counts[s]++
	}
	for s, c := range counts {
		assert.InDelta(t, points/n, c, points/n/20, "shard %d", s)
	}
}

func TestShardIsStable(t *testing.T) {
	// Placement is part of a cluster's data format: these must not change.
	assert.Equal(t, 0, FromNum(7).Shard(1))
	u := uuid.MustParse("936da01f-9abd-4d9d-80c7-02af85c822a8")
	got := []int{FromNum(0).Shard(3), FromNum(1).Shard(3), FromNum(1 << 40).Shard(3), FromUUID(u).Shard(3), FromUUID(u).Shard(7)}
	assert.Equal(t, []int{0, 1, 0, 1, 4}, got)
}
