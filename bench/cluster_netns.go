package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// The network of a fault run with --netns: each node in its own network
// namespace, its veth's far end on a bridge in the root namespace, which
// holds the harness's address. Clients reach every node over the bridge;
// nodes reach each other over it too, so a partition is a blackhole route
// in the namespaces on either side of a cut link, and the harness still
// reaches both. Every name starts with the run's tag ("qv" and the
// harness's pid), so a crashed run's leftovers are found and removed by
// the next run.

// netLab is one run's namespaces, veth pairs and bridge.
type netLab struct {
	tag    string // "qv" + pid: the prefix of every name this run creates
	subnet string // "10.213.K": node i is .i+1, the harness .254
	n      int
	// run executes one ip or tc command (execCommand; a recorder in tests).
	run func(args []string) error
}

// Ports every node listens on, each at its own address.
const (
	netnsHTTPPort = 6333
	netnsRaftPort = 7000
)

func (l *netLab) bridge() string        { return l.tag + "b" }
func (l *netLab) ns(i int) string       { return fmt.Sprintf("%sn%d", l.tag, i+1) }
func (l *netLab) hostVeth(i int) string { return fmt.Sprintf("%sh%d", l.tag, i+1) }
func (l *netLab) nodeVeth(i int) string { return fmt.Sprintf("%sp%d", l.tag, i+1) }
func (l *netLab) ip(i int) string       { return fmt.Sprintf("%s.%d", l.subnet, i+1) }
func (l *netLab) hostIP() string        { return l.subnet + ".254" }
func (l *netLab) httpAddr(i int) string { return fmt.Sprintf("%s:%d", l.ip(i), netnsHTTPPort) }
func (l *netLab) raftAddr(i int) string { return fmt.Sprintf("%s:%d", l.ip(i), netnsRaftPort) }

// setupCmds builds the bridge, then each node's namespace, veth pair
// (named eth0 inside) and addresses.
func (l *netLab) setupCmds() [][]string {
	br := l.bridge()
	cmds := [][]string{
		{"ip", "link", "add", br, "type", "bridge"},
		{"ip", "addr", "add", l.hostIP() + "/24", "dev", br},
		{"ip", "link", "set", br, "up"},
	}
	for i := range l.n {
		ns, h, p := l.ns(i), l.hostVeth(i), l.nodeVeth(i)
		cmds = append(cmds,
			[]string{"ip", "netns", "add", ns},
			[]string{"ip", "link", "add", h, "type", "veth", "peer", "name", p},
			[]string{"ip", "link", "set", p, "netns", ns},
			[]string{"ip", "link", "set", h, "master", br, "up"},
			[]string{"ip", "-n", ns, "link", "set", p, "name", "eth0"},
			[]string{"ip", "-n", ns, "addr", "add", l.ip(i) + "/24", "dev", "eth0"},
			[]string{"ip", "-n", ns, "link", "set", "eth0", "up"},
			[]string{"ip", "-n", ns, "link", "set", "lo", "up"},
		)
	}
	return cmds
}

// teardownCmds removes what setupCmds made; each may fail (already gone).
func (l *netLab) teardownCmds() [][]string {
	var cmds [][]string
	for i := range l.n {
		cmds = append(cmds, []string{"ip", "netns", "del", l.ns(i)}, []string{"ip", "link", "del", l.hostVeth(i)})
	}
	return append(cmds, []string{"ip", "link", "del", l.bridge()})
}

// cutCmds cuts (or, heal, restores) the link between nodes a and b: a
// blackhole route to the other's address in each namespace. A node's own
// connects to the other fail at once (EINVAL); what either had in flight
// is dropped silently, and the harness's links to both stay up.
func (l *netLab) cutCmds(a, b int, heal bool) [][]string {
	op := "add"
	if heal {
		op = "del"
	}
	return [][]string{
		{"ip", "-n", l.ns(a), "route", op, "blackhole", l.ip(b) + "/32"},
		{"ip", "-n", l.ns(b), "route", op, "blackhole", l.ip(a) + "/32"},
	}
}

// slowRate caps a slowed link: a token bucket (tbf) of this rate in each
// direction, queueing up to slowQueue before it drops. It is a bandwidth
// cap, not a fixed delay: a packet waits as long as the queue ahead of it.
const (
	slowRate  = "256kbit"
	slowQueue = "400ms"
)

// slowLinkCmds caps (or, heal, uncaps) node i's link: tbf on eth0 in its
// namespace (what it sends) and on its veth's bridge end (what it gets).
func (l *netLab) slowLinkCmds(i int, heal bool) [][]string {
	tbf := []string{"tbf", "rate", slowRate, "burst", "4kb", "latency", slowQueue}
	if heal {
		return [][]string{
			{"tc", "-n", l.ns(i), "qdisc", "del", "dev", "eth0", "root"},
			{"tc", "qdisc", "del", "dev", l.hostVeth(i), "root"},
		}
	}
	return [][]string{
		append([]string{"tc", "-n", l.ns(i), "qdisc", "add", "dev", "eth0", "root"}, tbf...),
		append([]string{"tc", "qdisc", "add", "dev", l.hostVeth(i), "root"}, tbf...),
	}
}

// execCommand runs one command and returns its error with its stderr.
func execCommand(args []string) error {
	var stderr bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (l *netLab) runAll(cmds [][]string) error {
	for _, c := range cmds {
		if err := l.run(c); err != nil {
			return err
		}
	}
	return nil
}

// netnsUnavailable says why this process cannot build a netLab, or nil.
func netnsUnavailable() error {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Errorf("network namespaces need root (ip netns add), and this runs as uid %d", uid)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("no ip command (iproute2): %w", err)
	}
	return nil
}

// openNetLab removes leftovers of crashed runs, then builds the network
// of n nodes on a /24 of 10.213 that no route uses yet.
func openNetLab(n int) (*netLab, error) {
	if err := netnsUnavailable(); err != nil {
		return nil, err
	}
	removeLeftovers()
	subnet, err := freeSubnet(os.Getpid())
	if err != nil {
		return nil, err
	}
	l := &netLab{tag: "qv" + strconv.Itoa(os.Getpid()), subnet: subnet, n: n, run: execCommand}
	if err := l.runAll(l.setupCmds()); err != nil {
		l.close()
		return nil, fmt.Errorf("build the network namespaces: %w", err)
	}
	return l, nil
}

// close removes the network; the nodes must be stopped first.
func (l *netLab) close() {
	for _, c := range l.teardownCmds() {
		_ = l.run(c)
	}
}

// freeSubnet picks 10.213.K (K from pid, then the next ones) that no
// route of the root namespace covers.
func freeSubnet(pid int) (string, error) {
	out, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return "", fmt.Errorf("ip route: %w", err)
	}
	for k := range 250 {
		s := fmt.Sprintf("10.213.%d", (pid+k)%250)
		if !bytes.Contains(out, []byte(s+".")) {
			return s, nil
		}
	}
	return "", errors.New("no free 10.213.K.0/24 subnet")
}

// leftoverTag matches the names a run creates: qv<pid> then b (bridge),
// d (blkio cgroup), or n, h or p and a node number.
var leftoverTag = regexp.MustCompile(`^(qv(\d+))([bd]|[nhp]\d+)$`)

// leftoverTags returns the tags among names whose run is gone (live says
// whether a pid is a running fault harness), each once.
func leftoverTags(names []string, live func(pid int) bool) []string {
	seen := map[string]bool{}
	var tags []string
	for _, name := range names {
		m := leftoverTag.FindStringSubmatch(name)
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		if pid, err := strconv.Atoi(m[2]); err == nil && !live(pid) {
			tags = append(tags, m[1])
		}
	}
	return tags
}

// harnessAlive reports whether pid runs `quiver bench cluster`.
func harnessAlive(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(string(raw), "\x00")
	return len(args) > 2 && args[1] == "bench" && args[2] == "cluster"
}

// removeLeftovers kills the processes in a dead run's namespaces and
// removes its namespaces, links and cgroup.
func removeLeftovers() {
	var names []string
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				names = append(names, f[0])
			}
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 1 {
				names = append(names, strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
			}
		}
	}
	names = append(names, leftoverCgroups()...)
	for _, tag := range leftoverTags(names, harnessAlive) {
		for _, name := range names {
			if !strings.HasPrefix(name, tag) || leftoverTag.FindStringSubmatch(name) == nil {
				continue
			}
			if out, err := exec.Command("ip", "netns", "pids", name).Output(); err == nil {
				for _, f := range strings.Fields(string(out)) {
					if pid, err := strconv.Atoi(f); err == nil {
						_ = killPid(pid)
					}
				}
				_ = execCommand([]string{"ip", "netns", "del", name})
			}
			_ = exec.Command("ip", "link", "del", name).Run()
		}
		removeCgroup(tag)
	}
}
