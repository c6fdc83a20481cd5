package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/quiver-db/quiver/clusterapi"
	"github.com/quiver-db/quiver/encoder"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/storage"
)

func init() {
	register("serve", "start the HTTP server", runServe)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("QUIVER_ADDR", ":6333"), "listen address (env QUIVER_ADDR)")
	data := fs.String("data", envOr("QUIVER_DATA", "./quiver-data"), "data directory (env QUIVER_DATA)")
	model := fs.String("model", envOr("QUIVER_MODEL_DIR", "models/all-MiniLM-L6-v2"), "text model directory; empty disables text documents (env QUIVER_MODEL_DIR)")
	apiKey := fs.String("api-key", os.Getenv("QUIVER_API_KEY"), "require this key in the api-key header (env QUIVER_API_KEY)")
	roKey := fs.String("read-only-api-key", os.Getenv("QUIVER_READ_ONLY_API_KEY"), "also accept this key for reads (env QUIVER_READ_ONLY_API_KEY)")
	publicMetrics := fs.Bool("public-metrics", false, "serve /metrics without the api-key (it lists every collection's name and size)")
	maxBody := fs.Int64("max-body", 32<<20, "largest request body in bytes")
	timeout := fs.Duration("request-timeout", 60*time.Second, "deadline of each request's work")
	readTimeout := fs.Duration("read-timeout", 30*time.Second, "deadline for reading a request, headers and body")
	diskReserve := fs.Int64("disk-reserve", 0, "free bytes writes leave on the data disk; below it writes fail with 507 (0: 5% of the disk, at least a quarter of it up to 64 MiB, at most 1 GiB; -1: off)")
	ballast := fs.Int64("ballast", 0, "size of the ballast file deleted when the disk fills (0: 1% of the disk, at most 1 GiB; -1: none)")
	snapDir := fs.String("snapshot-dir", os.Getenv("QUIVER_SNAPSHOT_DIR"), "directory of the snapshot files; empty means DATA/snapshots (env QUIVER_SNAPSHOT_DIR)")
	maxSnapshot := fs.Int64("max-snapshot", 64<<30, "largest snapshot upload or recovery in bytes")
	maxConns := fs.Int("max-conns", defaultMaxConns(), "open connections at most; more are answered 503 at once (default: half the descriptor limit, at most 4096)")
	maxResults := fs.Int("max-results-in-flight", 25000, "result points all reads hold at once (limit+offset of each query, limit of each scroll); more wait, then 429")
	// A few requests a core keep the cores busy; more only queue inside
	// the server, where the Go scheduler's time slices make every one slow.
	maxInFlight := fs.Int("max-in-flight", 8*runtime.GOMAXPROCS(0), "reads doing work at once at most, and writes apart; past it a request waits --queue-wait, then is answered 503 with Retry-After (0: no bound; health, readiness, metrics and snapshots are not counted)")
	queueWait := fs.Duration("queue-wait", 100*time.Millisecond, "how long a request waits for an in-flight slot before the 503")
	debugAddr := fs.String("debug-addr", "", "serve Go's pprof profiles (/debug/pprof/) on this separate address, such as 127.0.0.1:6060; empty: off")
	nodeID := fs.String("node-id", "", "run as this node of a replicated cluster (docs/cluster.md), with --peers; empty: a single node")
	raftAddr := fs.String("raft-addr", "", "host:port Raft listens on; empty: this node's in --peers")
	peers := fs.String("peers", "", "every node of the cluster, this one included, as ID=RAFTADDR=HTTPURL,... (the same list on every node)")
	join := fs.String("join", "", "instead of --peers: the HTTP URL of any node of a running cluster, which adds this node as a voter (with --node-id, --raft-addr and --url)")
	clusterKey := fs.String("cluster-key", os.Getenv("QUIVER_CLUSTER_KEY"), "authenticate the Raft connections between nodes with this key, the same on every node (env QUIVER_CLUSTER_KEY; empty: the --api-key, if any)")
	selfURL := fs.String("url", "", "with --join: this node's HTTP base URL as the other nodes reach it, such as http://10.0.0.4:6333")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*nodeID == "") != (*peers == "" && *join == "") || *peers != "" && *join != "" || (*raftAddr != "" || *selfURL != "") && *nodeID == "" {
		return errors.New("serve: --node-id goes with one of --peers and --join (--raft-addr and --url with them)")
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("create data directory %q: %w", *data, err)
	}
	models := map[string]httpapi.Embedder{}
	if *model != "" {
		start := time.Now()
		enc, err := encoder.Load(*model, encoder.Options{})
		if err != nil {
			slog.Warn("text model not loaded; text documents will be refused", "model", *model, "err", err)
		} else {
			models[enc.Name()] = enc
			slog.Info("text model loaded", "model", enc.Name(), "dim", enc.Dim(), "elapsed", time.Since(start))
		}
	}
	if *debugAddr != "" {
		if err := serveDebug(ctx, *debugAddr); err != nil {
			return err
		}
	}
	opts := index.Options{
		Storage:     storage.Options{DiskReserveBytes: *diskReserve, BallastBytes: *ballast},
		SnapshotDir: *snapDir, MaxSnapshotBytes: *maxSnapshot,
	}
	cfg := httpapi.Config{
		Models: models, Logger: slog.Default(), APIKey: *apiKey, ReadOnlyAPIKey: *roKey,
		MaxBodyBytes: *maxBody, RequestTimeout: *timeout, PublicMetrics: *publicMetrics, MaxResultsInFlight: *maxResults,
		MaxSnapshotBytes: *maxSnapshot + 1<<20, // the multipart framing around the file
		MaxInFlight:      *maxInFlight, QueueWait: *queueWait,
	}
	lim := serveLimits{read: *readTimeout, write: *timeout + 10*time.Second, conns: *maxConns}
	if *nodeID != "" {
		ccfg := clusterapi.Config{NodeID: *nodeID, RaftAddr: *raftAddr, Join: *join, URL: *selfURL, Dir: *data, Index: opts, APIKey: *apiKey, ClusterKey: *clusterKey, Logger: slog.Default()}
		return serveNode(ctx, ccfg, *peers, *addr, lim, cfg)
	}
	db, err := index.Open(ctx, *data, opts)
	if err != nil {
		return fmt.Errorf("open data directory %q: %w", *data, err)
	}
	cfg.DB = db
	err = serve(ctx, db, *addr, lim, cfg, nil)
	if cerr := db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close data directory: %w", cerr))
	} else {
		slog.Info("data directory closed", "data", *data)
	}
	return err
}

// serveNode serves the API of one node of a replicated cluster.
func serveNode(ctx context.Context, ccfg clusterapi.Config, peerList, addr string, lim serveLimits, cfg httpapi.Config) error {
	id := ccfg.NodeID
	if peerList != "" {
		var err error
		if ccfg.Peers, err = clusterapi.ParsePeers(peerList); err != nil {
			return fmt.Errorf("serve: --peers: %w", err)
		}
	}
	rep, err := clusterapi.Open(ctx, ccfg)
	if err != nil {
		return fmt.Errorf("start cluster node %q: %w", id, err)
	}
	cfg.DB, cfg.Replica, cfg.Trainer = rep.DB(), rep, rep.Trainer()
	// The shards' internal routes (writes, states and the read RPC) are
	// served in front of the API (clusterapi.Replica.Internal says why).
	err = serve(ctx, rep.DB(), addr, lim, cfg, rep.Internal)
	if cerr := rep.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close cluster node: %w", cerr))
	} else {
		slog.Info("cluster node closed", "node", id)
	}
	return err
}

// serve runs the API on addr until ctx is done, then drains: /readyz turns
// 503, the listener closes and in-flight requests finish (30s at most).
// wrap, when set, stands in front of the API.
func serve(ctx context.Context, db *index.DB, addr string, lim serveLimits, cfg httpapi.Config, wrap func(http.Handler) http.Handler) error {
	h, err := httpapi.NewHandler(cfg)
	if err != nil {
		return err
	}
	var handler http.Handler = h
	if wrap != nil {
		handler = wrap(h)
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	slog.Info("quiver serving", "addr", ln.Addr().String(), "collections", len(db.List()), "api_key", cfg.APIKey != "", "max_conns", lim.conns)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(httpapi.LimitListener(ln, lim.conns)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("quiver shutting down")
	h.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// serveLimits bound what one connection may hold: the time to read a
// request, to write its answer, and how many connections stay open.
type serveLimits struct {
	read, write time.Duration
	conns       int
}

// defaultMaxConns leaves half the descriptor limit to the store and the
// rest of the process.
func defaultMaxConns() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 64 {
		return 512
	}
	return int(min(lim.Cur/2, 4096))
}
