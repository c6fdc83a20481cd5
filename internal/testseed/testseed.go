// Package testseed gives randomized tests one seed they log and can replay.
//
// A randomized test calls New (or Seed) once; the seed comes from QUIVER_SEED
// when it is set, so a failure seen in CI reruns exactly with
// QUIVER_SEED=<logged seed> go test -run <name>, and from the clock otherwise,
// so repeated runs explore new inputs. It lives under internal/ because only
// our tests use it.
package testseed

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// Env names the environment variable that fixes the seed.
const Env = "QUIVER_SEED"

// Seed returns the seed for t and logs it. A QUIVER_SEED that is not an
// unsigned integer fails the test rather than being ignored.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(Env); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: not an unsigned integer", Env, s)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, Env, seed)
	return seed
}

// New returns a generator seeded by Seed(t). Tests that need independent
// streams (one per goroutine) derive them with Stream.
func New(t testing.TB) *rand.Rand {
	t.Helper()
	return Stream(Seed(t), 0)
}

// Stream returns the generator for stream n of seed, so that concurrent
// workers each get their own reproducible sequence.
func Stream(seed, n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, n))
}
