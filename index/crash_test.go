package index

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"

	"github.com/quiver-db/quiver/internal/testseed"
)

// The crash tests run writers that each own a set of ids and write them one
// op at a time, reporting "begin" before and "ack" after each op. After a
// crash, each id must be in its last acknowledged state or in the state of
// the op that had begun but not been acknowledged.

const (
	crashDim      = 8
	crashWorkers  = 6
	crashIDsPerW  = 40
	deletedVer    = -1 // version of a deleted point
	neverWritten  = -2 // version of an id no op has touched
	crashCollName = "crash"
)

// crashVector is the vector of version ver of point id.
func crashVector(id uint64, ver int64) []float32 {
	// Seeded by id and version, not by the test's seed: the model recomputes
	// a version's vector from those two alone to check what recovery kept.
	r := rand.New(rand.NewPCG(id, uint64(ver)))
	return randVec(r, crashDim)
}

// crashModel tracks per id the acknowledged version and the begun one.
type crashModel struct {
	mu      sync.Mutex // held by report; take it to read the maps while workers run
	acked   map[uint64]int64
	pending map[uint64]int64
}

// report records a worker's begin or acknowledgement of a write.
func (m *crashModel) report(begin bool, id uint64, ver int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if begin {
		m.begin(id, ver)
	} else {
		m.ack(id, ver)
	}
}

func newCrashModel() *crashModel {
	return &crashModel{acked: map[uint64]int64{}, pending: map[uint64]int64{}}
}

func (m *crashModel) begin(id uint64, ver int64) { m.pending[id] = ver }

func (m *crashModel) ack(id uint64, ver int64) {
	m.acked[id] = ver
	delete(m.pending, id)
}

// runCrashWorker writes the ids of worker w until ctx ends: upserts with
// increasing versions from base, and deletes.
func runCrashWorker(ctx context.Context, c *Collection, w int, base int64, seed uint64, report func(begin bool, id uint64, ver int64)) error {
	r := testseed.Stream(seed, uint64(w))
	ver := base
	for ctx.Err() == nil {
		id := uint64(w + crashWorkers*r.IntN(crashIDsPerW))
		var err error
		if r.IntN(4) == 0 {
			report(true, id, deletedVer)
			_, err = c.Delete(context.Background(), []pointid.ID{pointid.FromNum(id)})
			if err == nil {
				report(false, id, deletedVer)
			}
		} else {
			ver++
			report(true, id, ver)
			err = c.Upsert(context.Background(), []Point{{
				ID: pointid.FromNum(id), Vector: crashVector(id, ver), Payload: map[string]any{"v": ver, "w": w},
			}})
			if err == nil {
				report(false, id, ver)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRecovered checks a reopened collection against the model and then
// makes the model's acknowledged state what it found.
func checkRecovered(t *testing.T, c *Collection, m *crashModel) {
	t.Helper()
	ctx := context.Background()
	present := 0
	for id := uint64(0); id < crashWorkers*crashIDsPerW; id++ {
		recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(id)}, ReadOptions{WithPayload: true, WithVector: true})
		if err != nil {
			t.Fatal(err)
		}
		got := int64(deletedVer)
		if len(recs) == 1 {
			present++
			n, _ := recs[0].Payload["v"].(interface{ Int64() (int64, error) })
			if n == nil {
				t.Fatalf("point %d: payload %v has no version", id, recs[0].Payload)
			}
			got, _ = n.Int64()
			want := crashVector(id, got)
			for i := range want {
				if recs[0].Vector[i] != want[i] {
					t.Fatalf("point %d version %d: vector %v, want %v", id, got, recs[0].Vector, want)
				}
			}
		}
		acked, ok := m.acked[id]
		if !ok {
			acked = neverWritten
		}
		pending, hasPending := m.pending[id]
		okState := got == acked || (hasPending && got == pending) ||
			(got == deletedVer && acked == neverWritten)
		if !okState {
			t.Fatalf("point %d recovered at version %d; acknowledged %d, in flight %d (%v)", id, got, acked, pending, hasPending)
		}
		m.acked[id] = got
	}
	clear(m.pending)
	if n, _ := c.Count(ctx, nil); n != present {
		t.Fatalf("Count = %d, Get found %d", n, present)
	}
	if problem := c.checkGraph(); problem != "" {
		t.Fatalf("graph after recovery: %s", problem)
	}
	for id, ver := range m.acked {
		if ver < 0 {
			continue
		}
		// Reachability, not recall, is checked: a churned small graph (M 8)
		// can miss a point at ef 64 that a wider walk finds.
		res, err := c.Search(ctx, SearchRequest{Vector: crashVector(id, ver), Limit: 1, Ef: 64})
		if err == nil && (len(res) != 1 || res[0].ID != pointid.FromNum(id)) {
			res, err = c.Search(ctx, SearchRequest{Vector: crashVector(id, ver), Limit: 1, Ef: 400})
		}
		if err != nil || len(res) != 1 || res[0].ID != pointid.FromNum(id) {
			node := c.mu.ids[pointid.FromNum(id)]
			gv, gerr := c.graph.Vector(node)
			ex, _ := c.Search(ctx, SearchRequest{Vector: crashVector(id, ver), Limit: 1, Exact: true})
			big, _ := c.Search(ctx, SearchRequest{Vector: crashVector(id, ver), Limit: 1, Ef: 1000})
			t.Fatalf("point %d (node %d) not found by its own vector: %+v, %v; graph vector %v %v; want %v; exact %+v; ef 1000 %+v", id, node, res, err, gv, gerr, crashVector(id, ver), ex, big)
		}
	}
}

func crashOptions(fs vfs.FS) Options {
	o := Options{Storage: storage.Options{FS: fs}, SnapshotEvery: 150}
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Storage.Logger = o.Logger
	return o
}

func openCrashCollection(t testing.TB, ctx context.Context, dir string, fs vfs.FS) (*DB, *Collection) {
	db, err := Open(ctx, dir, crashOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Collection(crashCollName)
	if err != nil {
		c, err = db.Create(ctx, crashCollName, Config{VectorSize: crashDim, Distance: Euclid,
			HNSW: HNSWConfig{M: 8, EfConstruction: 64}, PayloadIndexes: map[string]FieldType{"w": Integer}})
	}
	if err != nil {
		t.Fatal(err)
	}
	return db, c
}

// TestCrashInMemory crashes a database on Pebble's crashable in-memory file
// system while writers run, keeping only synced data, and checks recovery.
func TestCrashInMemory(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 0)
	fs := vfs.NewCrashableMem()
	m := newCrashModel()
	ctx := context.Background()
	for cycle := range 4 {
		db, c := openCrashCollection(t, ctx, "data", fs)
		if cycle > 0 {
			checkRecovered(t, c, m)
		}
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for w := range crashWorkers {
			wg.Go(func() {
				if err := runCrashWorker(wctx, c, w, int64(cycle)*1e6, seed+uint64(cycle), m.report); err != nil {
					t.Error(err)
				}
			})
		}
		time.Sleep(time.Duration(50+r.IntN(200)) * time.Millisecond)
		m.mu.Lock()
		crashed := fs.CrashClone(vfs.CrashCloneCfg{})
		snapshot := &crashModel{acked: maps.Clone(m.acked), pending: maps.Clone(m.pending)}
		m.mu.Unlock()
		cancel()
		wg.Wait()
		db.Close()
		fs, m = crashed, snapshot
		t.Logf("cycle %d: crashed with %d ids acknowledged, %d in flight", cycle, len(m.acked), len(m.pending))
	}
	db, c := openCrashCollection(t, ctx, "data", fs)
	defer db.Close()
	checkRecovered(t, c, m)
}

// Environment of the SIGKILL crash test's child process.
const (
	envCrashDir  = "QUIVER_CRASH_CHILD_DIR"
	envCrashBase = "QUIVER_CRASH_CHILD_BASE"
	// QUIVER_CRASH_CYCLES sets the number of kill cycles (default 3).
	envCrashCycles = "QUIVER_CRASH_CYCLES"
)

// TestCrashChild is the child of TestCrashKill: it writes until killed,
// printing "B id ver" before and "A id ver" after each op.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashKill")
	}
	base, _ := strconv.ParseInt(os.Getenv(envCrashBase), 10, 64)
	ctx := context.Background()
	_, c := openCrashCollection(t, ctx, dir, vfs.Default)
	var mu sync.Mutex
	report := func(begin bool, id uint64, ver int64) {
		tag := "A"
		if begin {
			tag = "B"
		}
		line := fmt.Sprintf("%s %d %d\n", tag, id, ver)
		mu.Lock()
		defer mu.Unlock()
		if _, err := os.Stdout.WriteString(line); err != nil {
			os.Exit(3)
		}
	}
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			if err := runCrashWorker(ctx, c, w, base, uint64(base)+1, report); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(2)
			}
		})
	}
	wg.Wait()
}

// TestCrashKill runs writers in a child process, kills it with SIGKILL at a
// random moment, reopens the data directory and checks every acknowledged
// write and the graph; repeated QUIVER_CRASH_CYCLES times.
func TestCrashKill(t *testing.T) {
	if os.Getenv(envCrashDir) != "" {
		t.Skip("child")
	}
	cycles := 3
	if s := os.Getenv(envCrashCycles); s != "" {
		var err error
		if cycles, err = strconv.Atoi(s); err != nil {
			t.Fatalf("%s=%q: %v", envCrashCycles, s, err)
		}
	}
	seed := testseed.Seed(t)
	t.Logf("%d cycles", cycles)
	r := testseed.Stream(seed, 0)
	dir := t.TempDir()
	m := newCrashModel()
	totalAcks := 0
	for cycle := range cycles {
		n := killChild(t, r, "TestCrashChild", []string{envCrashDir + "=" + dir, envCrashBase + "=" + strconv.Itoa((cycle+1)*1_000_000)},
			func(line string) bool {
				var tag string
				var id uint64
				var ver int64
				if _, err := fmt.Sscanf(line, "%s %d %d", &tag, &id, &ver); err != nil {
					return false // a line cut by the kill
				}
				if tag == "B" {
					m.begin(id, ver)
					return false
				}
				m.ack(id, ver)
				return true
			})
		totalAcks += n
		start := time.Now()
		db, c := openCrashCollection(t, context.Background(), dir, vfs.Default)
		reopen := time.Since(start)
		checkRecovered(t, c, m)
		points, _ := c.Count(context.Background(), nil)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("cycle %d: killed after %d acknowledged writes; reopened in %v with %d points; all acknowledged writes present", cycle, n, reopen, points)
	}
	t.Logf("%d cycles, %d acknowledged writes, 0 lost", cycles, totalAcks)
}

// killChild runs the test named child in a child process with env added,
// feeds each line it prints to onLine (which reports whether the line
// acknowledged a write), SIGKILLs the child 100–800 ms after its first
// acknowledgement, and returns the acknowledgements it saw.
func killChild(t *testing.T, r *rand.Rand, child string, env []string, onLine func(string) bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks := make(chan int, 1)
	firstAck := make(chan struct{})
	go func() {
		n := 0
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if onLine(sc.Text()) {
				if n++; n == 1 {
					close(firstAck)
				}
			}
		}
		acks <- n
	}()
	select {
	case <-firstAck:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child acknowledged nothing in 30s")
	}
	time.Sleep(time.Duration(100+r.IntN(700)) * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	n := <-acks
	cmd.Wait()
	return n
}
