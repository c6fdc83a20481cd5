package index

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// The interaction crash test: a child process records interactions in
// batches, printing each batch's (user, item, weight) before ("B") and
// after ("A") Interact returns, until it is killed. Weights only grow per
// pair, so after a restart each acknowledged pair must be stored with at
// least its acknowledged weight, and a stored weight beyond it must be one
// that had begun.

const (
	envInteractDir = "QUIVER_CRASH_INTERACT_DIR"
	crashItems     = 50
	crashUsers     = 30
	crashBatch     = 20
)

// TestCrashInteractChild is the child of TestCrashInteractKill.
func TestCrashInteractChild(t *testing.T) {
	dir := os.Getenv(envInteractDir)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashInteractKill")
	}
	base, _ := strconv.Atoi(os.Getenv(envCrashBase))
	ctx := context.Background()
	_, c := openCrashCollection(t, ctx, dir, vfs.Default)
	var pts []Point
	for i := range crashItems {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: crashVector(uint64(i), 1)})
	}
	if err := c.Upsert(ctx, pts); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	report := func(tag string, its []Interaction) {
		mu.Lock()
		defer mu.Unlock()
		w := bufio.NewWriter(os.Stdout)
		for _, it := range its {
			n, _ := it.User.Num()
			fmt.Fprintf(w, "%s %d %s %g\n", tag, n, it.Item, it.Weight)
		}
		if w.Flush() != nil {
			os.Exit(3)
		}
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			r := testseed.Stream(uint64(base), uint64(w))
			weight := float32(base) // grows per batch, so per pair
			for {
				weight++
				its := make([]Interaction, crashBatch)
				for k := range its {
					// Users of worker w are w, w+2, ...: workers never share a pair.
					user := userid.FromNum(uint64(w + 2*r.IntN(crashUsers/2)))
					its[k] = Interaction{User: user, Item: pointid.FromNum(uint64(r.IntN(crashItems))), Weight: weight}
				}
				report("B", its)
				if err := c.Interact(ctx, its); err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				report("A", its)
			}
		})
	}
	wg.Wait()
}

// TestCrashInteractKill kills the child at a random moment, three times,
// and checks every acknowledged interaction after each restart.
func TestCrashInteractKill(t *testing.T) {
	if os.Getenv(envInteractDir) != "" {
		t.Skip("child")
	}
	r := testseed.New(t)
	dir := t.TempDir()
	type pair struct {
		user uint64
		item string
	}
	acked := map[pair]float32{}
	begun := map[pair]float32{}
	total := 0
	for cycle := range 3 {
		n := killChild(t, r, "TestCrashInteractChild", []string{envInteractDir + "=" + dir, envCrashBase + "=" + strconv.Itoa((cycle+1)*1_000_000)},
			func(line string) bool {
				var tag, item string
				var user uint64
				var w float32
				if _, err := fmt.Sscanf(line, "%s %d %s %g", &tag, &user, &item, &w); err != nil {
					return false // a line cut by the kill
				}
				p := pair{user, item}
				if tag == "B" {
					begun[p] = max(begun[p], w)
					return false
				}
				acked[p] = max(acked[p], w)
				return true
			})
		total += n

		db, c := openCrashCollection(t, context.Background(), dir, vfs.Default)
		stored := map[pair]float32{}
		require.NoError(t, c.ScanInteractions(context.Background(), func(it Interaction) error {
			u, _ := it.User.Num()
			stored[pair{u, it.Item.String()}] = it.Weight
			return nil
		}))
		for p, w := range acked {
			require.GreaterOrEqual(t, stored[p], w, "cycle %d: acknowledged interaction %+v lost", cycle, p)
		}
		for p, w := range stored {
			require.LessOrEqual(t, w, begun[p], "cycle %d: %+v stored with a weight never written", cycle, p)
		}
		require.NoError(t, db.Close())
		t.Logf("cycle %d: killed after %d acknowledged interactions; all %d acknowledged pairs present", cycle, n, len(acked))
	}
	t.Logf("3 cycles, %d acknowledged interactions, 0 lost", total)
}
