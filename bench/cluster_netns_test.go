package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func testLab(n int) (*netLab, *[]string) {
	var ran []string
	l := &netLab{tag: "qv42", subnet: "10.213.7", n: n, run: func(args []string) error {
		ran = append(ran, strings.Join(args, " "))
		return nil
	}}
	return l, &ran
}

func TestNetLabNames(t *testing.T) {
	l, _ := testLab(3)
	require.Equal(t, "10.213.7.2:6333", l.httpAddr(1))
	require.Equal(t, "10.213.7.3:7000", l.raftAddr(2))
	for _, name := range []string{l.bridge(), l.ns(4), l.hostVeth(4), l.nodeVeth(4)} {
		require.LessOrEqual(t, len(name), 15, "%s: interface names hold 15 bytes", name)
	}
	// The longest pid Linux hands out (2^22) still fits.
	long := &netLab{tag: "qv4194304"}
	require.LessOrEqual(t, len(long.hostVeth(4)), 15)
}

func TestNetLabSetupAndTeardown(t *testing.T) {
	l, ran := testLab(2)
	require.NoError(t, l.runAll(l.setupCmds()))
	require.Equal(t, []string{
		"ip link add qv42b type bridge",
		"ip addr add 10.213.7.254/24 dev qv42b",
		"ip link set qv42b up",
		"ip netns add qv42n1",
		"ip link add qv42h1 type veth peer name qv42p1",
		"ip link set qv42p1 netns qv42n1",
		"ip link set qv42h1 master qv42b up",
		"ip -n qv42n1 link set qv42p1 name eth0",
		"ip -n qv42n1 addr add 10.213.7.1/24 dev eth0",
		"ip -n qv42n1 link set eth0 up",
		"ip -n qv42n1 link set lo up",
	}, (*ran)[:11])
	require.Len(t, *ran, 3+2*8)
	*ran = nil
	l.close()
	require.Equal(t, []string{"ip netns del qv42n1", "ip link del qv42h1", "ip netns del qv42n2", "ip link del qv42h2", "ip link del qv42b"}, *ran)
}

func TestNetLabCutAndHeal(t *testing.T) {
	l, ran := testLab(3)
	p := planFault(FaultPartitionLeader, 3, 1, rand.New(rand.NewPCG(1, 1)))
	r := &faultRun{lab: l, nodes: make([]*clusterNode, 3)}
	require.NoError(t, r.apply(p, false))
	require.Equal(t, []string{
		"ip -n qv42n1 route add blackhole 10.213.7.2/32",
		"ip -n qv42n2 route add blackhole 10.213.7.1/32",
		"ip -n qv42n2 route add blackhole 10.213.7.3/32",
		"ip -n qv42n3 route add blackhole 10.213.7.2/32",
	}, *ran, "both ends of every cut link drop the other; the bridge's address stays routed")
	*ran = nil
	require.NoError(t, r.apply(p, true))
	require.Len(t, *ran, 4)
	for _, c := range *ran {
		require.Contains(t, c, " route del blackhole ")
	}
}

func TestNetLabSlowLink(t *testing.T) {
	l, ran := testLab(3)
	require.NoError(t, l.runAll(l.slowLinkCmds(2, false)))
	require.Equal(t, []string{
		"tc -n qv42n3 qdisc add dev eth0 root tbf rate 256kbit burst 4kb latency 400ms",
		"tc qdisc add dev qv42h3 root tbf rate 256kbit burst 4kb latency 400ms",
	}, *ran, "both directions of the node's link")
	*ran = nil
	require.NoError(t, l.runAll(l.slowLinkCmds(2, true)))
	require.Equal(t, []string{"tc -n qv42n3 qdisc del dev eth0 root", "tc qdisc del dev qv42h3 root"}, *ran)
}

func TestLeftoverTags(t *testing.T) {
	names := []string{"qv100n1", "qv100h1", "qv100b", "qv200n1", "qv300d", "qvtest", "eth0", "qv100x1", "docker0"}
	live := func(pid int) bool { return pid == 200 }
	require.Equal(t, []string{"qv100", "qv300"}, leftoverTags(names, live), "a live run's names stay, and foreign names are never touched")
}

// fakeNode is a node whose GET /cluster answers commit, with a live
// process (sleep) standing in for quiver.
func fakeNode(t *testing.T, commit uint64) *clusterNode {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"result":{"raft_info":{"leader":1,"role":"Follower","commit":%d}}}`, commit)
	}))
	t.Cleanup(srv.Close)
	cmd := exec.Command("sleep", "60")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return &clusterNode{id: "x", addr: strings.TrimPrefix(srv.URL, "http://"), cmd: cmd}
}

func TestCommitLag(t *testing.T) {
	nodes := []*clusterNode{fakeNode(t, 100), fakeNode(t, 90), fakeNode(t, 100), fakeNode(t, 5)}
	nodes[3].paused = true
	require.Equal(t, uint64(10), commitLag(context.Background(), nodes), "the paused node is left out")
}
