package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/quiver-db/quiver/client"
)

// soakServer is the server under test: one the soak started (a child
// process, whose RSS /proc tells) or one at a URL (RSS from /metrics).
type soakServer struct {
	cl  *client.Client
	cmd *exec.Cmd // nil for a server at a URL
	dir string
}

// startSoakServer runs `bin serve` on a loopback port over a temporary
// data directory and waits until it is ready.
func startSoakServer(ctx context.Context, bin string, extra []string) (*soakServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir, err := os.MkdirTemp("", "quiver-bench-soak-")
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--addr", addr, "--data", dir, "--model", ""}, extra...)
	cmd := exec.Command(bin, args...)
	// The server logs every request; the soak reads none of it.
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &soakServer{cl: &client.Client{URL: "http://" + addr}, cmd: cmd, dir: dir}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.cl.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("server at %s not ready after 30s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends a server the soak started and removes its data.
func (s *soakServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}

// memory reads the server's resident set size (from /proc for a child,
// else /metrics) and Go heap in use (/metrics; 0 when not exposed).
func (s *soakServer) memory(ctx context.Context) (rss, heap int64) {
	if s.cmd != nil {
		rss = residentBytesOf(strconv.Itoa(s.cmd.Process.Pid))
	} else if v, err := s.cl.MetricSum(ctx, "process_resident_memory_bytes"); err == nil {
		rss = int64(v)
	}
	if v, err := s.cl.MetricSum(ctx, "go_memstats_heap_inuse_bytes"); err == nil {
		heap = int64(v)
	}
	return rss, heap
}
