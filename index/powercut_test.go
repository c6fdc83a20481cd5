package index

import (
	"context"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

// powerCut is the file system as a power cut just before one sync would
// leave it, and the crash model at that moment.
type powerCut struct {
	sync  int
	fs    *vfs.MemFS
	model *crashModel
}

// TestPowerCutBetweenSyncs cuts the power between two syncs, at syncs
// picked at random among a run's (WAL, sstables, MANIFEST,
// directories): writers run on Pebble's crashable in-memory file system
// and, just before a picked sync, the file system is cloned as a crash
// would leave it (synced data kept, a random part of the unsynced data
// kept or lost). Each clone must reopen with every acknowledged upsert and
// delete in place and the graph whole.
func TestPowerCutBetweenSyncs(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 0)
	mem := vfs.NewCrashableMem()
	m := newCrashModel()
	// The syncs to cut before, spread over a run of about fifteen hundred
	// (a loaded machine under -race gets there in well under a minute).
	const maxCuts = 8
	at := map[int]bool{}
	for len(at) < maxCuts {
		at[20+r.IntN(1500)] = true
	}
	var (
		mu    sync.Mutex // guards cuts, syncs and r; taken by Pebble's goroutines
		cuts  []powerCut
		syncs int
	)
	cutter := errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		default:
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		syncs++
		if !at[syncs] {
			return nil
		}
		// The model under its lock: no write is acknowledged while the
		// clone is taken, so every acknowledged one was synced before.
		m.mu.Lock()
		defer m.mu.Unlock()
		clone := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: r.IntN(101), RNG: rand.New(rand.NewPCG(r.Uint64(), 0))})
		cuts = append(cuts, powerCut{sync: syncs, fs: clone, model: &crashModel{acked: maps.Clone(m.acked), pending: maps.Clone(m.pending)}})
		return nil
	})
	ctx := context.Background()
	db, c := openCrashCollection(t, ctx, "data", errorfs.Wrap(mem, cutter))
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			if err := runCrashWorker(wctx, c, w, 0, seed, m.report); err != nil {
				t.Error(err)
			}
		})
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(cuts) == maxCuts
	}, 3*time.Minute, 10*time.Millisecond, "too few syncs to cut at")
	cancel()
	wg.Wait()
	require.NoError(t, db.Close())

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d syncs; power cut before syncs %v", syncs, syncNumbers(cuts))
	for _, cut := range cuts {
		t.Logf("cut before sync %d: %d ids acknowledged, %d in flight", cut.sync, len(cut.model.acked), len(cut.model.pending))
		db, c := openCrashCollection(t, ctx, "data", cut.fs)
		checkRecovered(t, c, cut.model)
		require.NoError(t, db.Close())
	}
}

func syncNumbers(cuts []powerCut) []int {
	out := make([]int, len(cuts))
	for i, c := range cuts {
		out[i] = c.sync
	}
	return out
}
