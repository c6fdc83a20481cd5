package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quiver-db/quiver/internal/jsonhttp"
)

// clusterNode is one `quiver serve` process of a benchmark cluster (or the
// single node it is compared with), and what restarts it.
type clusterNode struct {
	id      string
	addr    string // HTTP host:port
	dir     string
	args    []string
	bin     string
	cmd     *exec.Cmd
	logFile *os.File
	paused  bool
	// netns is the network namespace the node runs in (--netns), or "".
	netns string
	// cpuDead is the CPU seconds of the node's earlier processes (killed
	// ones), so cpu() counts every incarnation.
	cpuDead float64
}

func (n *clusterNode) url() string { return "http://" + n.addr }

// alive reports whether the process runs (it may be paused).
func (n *clusterNode) alive() bool { return n.cmd != nil && n.cmd.ProcessState == nil }

func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// nodePlace says where node i listens (HTTP and Raft host:port) and in
// which network namespace it runs ("": this one).
type nodePlace func(i int) (httpAddr, raftAddr, netns string, err error)

// loopbackPlace puts every node on free loopback ports here.
func loopbackPlace(int) (string, string, string, error) {
	addr, err := freeLoopback()
	if err != nil {
		return "", "", "", err
	}
	raft, err := freeLoopback()
	return addr, raft, "", err
}

// startNodes starts n nodes of one cluster (n == 0: one single node
// without cluster flags) on loopback under root, and waits until each is
// ready. extra is appended to every node's serve flags: a flag given
// again there wins (--model DIR loads a text model).
func startNodes(ctx context.Context, bin, root string, n int, extra ...string) ([]*clusterNode, error) {
	return startNodesAt(ctx, bin, root, n, loopbackPlace, extra...)
}

// startNodesAt is startNodes with the nodes placed by place.
func startNodesAt(ctx context.Context, bin, root string, n int, place nodePlace, extra ...string) ([]*clusterNode, error) {
	single := n == 0
	if single {
		n = 1
	}
	nodes := make([]*clusterNode, n)
	var peers []string
	for i := range nodes {
		addr, raft, netns, err := place(i)
		if err != nil {
			return nil, err
		}
		nodes[i] = &clusterNode{id: strconv.Itoa(i + 1), addr: addr, dir: filepath.Join(root, "node"+strconv.Itoa(i+1)), bin: bin, netns: netns}
		peers = append(peers, fmt.Sprintf("%s=%s=http://%s", nodes[i].id, raft, addr))
	}
	for _, nd := range nodes {
		nd.args = []string{"serve", "--addr", nd.addr, "--data", nd.dir, "--model", ""}
		if !single {
			nd.args = append(nd.args, "--node-id", nd.id, "--peers", strings.Join(peers, ","))
		}
		nd.args = append(nd.args, extra...)
		if err := nd.start(); err != nil {
			stopNodes(nodes)
			return nil, err
		}
	}
	for _, nd := range nodes {
		if err := nd.waitReady(ctx, 30*time.Second); err != nil {
			stopNodes(nodes)
			return nil, err
		}
	}
	return nodes, nil
}

func (n *clusterNode) start() error {
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return fmt.Errorf("node %s: %w", n.id, err)
	}
	if n.logFile == nil {
		f, err := os.OpenFile(n.dir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("node %s log: %w", n.id, err)
		}
		n.logFile = f
	}
	if n.netns != "" {
		// ip netns exec execs the binary, so the pid is the node's own.
		n.cmd = exec.Command("ip", append([]string{"netns", "exec", n.netns, n.bin}, n.args...)...)
	} else {
		n.cmd = exec.Command(n.bin, n.args...)
	}
	n.cmd.Stdout, n.cmd.Stderr = n.logFile, n.logFile
	n.paused = false
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("start node %s: %w", n.id, err)
	}
	return nil
}

// kill sends SIGKILL and reaps the process.
func (n *clusterNode) kill() {
	if !n.alive() {
		return
	}
	n.cpuDead = n.cpu()
	_ = n.cmd.Process.Kill()
	_ = n.cmd.Wait()
	n.paused = false
}

func (n *clusterNode) pause() error {
	n.paused = true
	return n.cmd.Process.Signal(syscall.SIGSTOP)
}

func (n *clusterNode) resume() error {
	n.paused = false
	return n.cmd.Process.Signal(syscall.SIGCONT)
}

func (n *clusterNode) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		code, body, err := httpCall(ctx, "GET", n.url()+"/readyz", nil, time.Second)
		if err == nil && code == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("node %s not ready after %v (last /readyz: %d %s; log %s.log): %w", n.id, limit, code, strings.TrimSpace(string(body)), n.dir, errors.Join(err, ctx.Err()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpu is the node's user+system CPU seconds from /proc/PID/stat, its
// killed processes included (at the kernel's usual 100 ticks a second).
func (n *clusterNode) cpu() float64 {
	if !n.alive() {
		return n.cpuDead
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(n.cmd.Process.Pid) + "/stat")
	if err != nil {
		return n.cpuDead
	}
	// The command name (field 2) may hold spaces; fields after ")" start at 3.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return n.cpuDead
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return n.cpuDead + (utime+stime)/100
}

// stopNodes resumes paused nodes and kills every process.
func stopNodes(nodes []*clusterNode) {
	for _, n := range nodes {
		if n.paused {
			_ = n.resume()
		}
		n.kill()
		if n.logFile != nil {
			n.logFile.Close()
		}
	}
}

// benchHTTP is the fault run's client: connections kept, no retries.
var benchHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}

// httpCall sends a JSON request within timeout and returns the status
// and body.
func httpCall(ctx context.Context, method, url string, body any, timeout time.Duration) (int, []byte, error) {
	return jsonhttp.Call(ctx, benchHTTP, method, url, body, timeout)
}

// raftView is what the harness reads of GET /cluster.
type raftView struct {
	Leader *uint64 `json:"leader"`
	Role   string  `json:"role"`
	Commit uint64  `json:"commit"`
}

func (n *clusterNode) raft(ctx context.Context) (raftView, error) {
	code, raw, err := httpCall(ctx, "GET", n.url()+"/cluster", nil, time.Second)
	if err != nil || code != http.StatusOK {
		return raftView{}, errors.Join(err, fmt.Errorf("GET /cluster on node %s: %d %s", n.id, code, raw))
	}
	var out struct {
		Result struct {
			RaftInfo raftView `json:"raft_info"`
		} `json:"result"`
	}
	return out.Result.RaftInfo, json.Unmarshal(raw, &out)
}

// leader waits until every running, unpaused node names the same leader
// and that node says it leads; it returns the leader's index.
func leaderOf(ctx context.Context, nodes []*clusterNode, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if i, ok := agreedLeader(ctx, nodes); ok {
			return i, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return -1, fmt.Errorf("no agreed leader after %v: %w", limit, ctx.Err())
}

func agreedLeader(ctx context.Context, nodes []*clusterNode) (int, bool) {
	var lead *uint64
	found := -1
	for i, n := range nodes {
		if !n.alive() || n.paused {
			continue
		}
		v, err := n.raft(ctx)
		if err != nil || v.Leader == nil || lead != nil && *lead != *v.Leader {
			return -1, false
		}
		lead = v.Leader
		if v.Role == "Leader" {
			found = i
		}
	}
	return found, found >= 0 && strconv.FormatUint(*lead, 10) == nodes[found].id
}

// commitLag is how far the least advanced node's commit index is behind
// the furthest one's (nodes down or unreachable left out): a follower
// still catching up after the last heal shows here.
func commitLag(ctx context.Context, nodes []*clusterNode) uint64 {
	var lo, hi uint64
	seen := false
	for _, n := range nodes {
		if !n.alive() || n.paused {
			continue
		}
		v, err := n.raft(ctx)
		if err != nil {
			continue
		}
		if !seen || v.Commit < lo {
			lo = v.Commit
		}
		hi = max(hi, v.Commit)
		seen = true
	}
	return hi - lo
}
