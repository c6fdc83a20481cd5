package testseed

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSeedFromEnv(t *testing.T) {
	t.Setenv(Env, "12345")
	require.Equal(t, uint64(12345), Seed(t))
	a, b := New(t), Stream(12345, 0)
	for range 10 {
		require.Equal(t, b.Uint64(), a.Uint64())
	}
}

func TestStreamsDiffer(t *testing.T) {
	require.NotEqual(t, Stream(1, 0).Uint64(), Stream(1, 1).Uint64())
}
