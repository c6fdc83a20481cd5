package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// muxMagic starts every connection to a Mux, then a version byte, the
// length of the group's name (big-endian uint16) and the name; version
// muxAuthVersion is followed by a handshake (muxauth.go). A peer of
// another version, or something that is not a Quiver node, is closed.
const (
	muxMagic   = "QVMX"
	muxVersion = 1
	// MaxGroupName bounds a group's name in the header.
	MaxGroupName = 512
	// muxHeaderTimeout bounds reading the header of an accepted
	// connection, so a silent peer holds no goroutine for long.
	muxHeaderTimeout = 5 * time.Second
	// muxHandoffTimeout bounds how long an accepted connection waits for
	// its group to take it.
	muxHandoffTimeout = 5 * time.Second
)

// ErrMuxClosed is returned by Accept on a closed layer or Mux.
var ErrMuxClosed = errors.New("cluster: mux closed")

// Mux runs many Raft groups on one TCP listener: a connection names its
// group in a header, and the acceptor hands it to that group's layer.
// It is safe for concurrent use.
type Mux struct {
	ln  net.Listener
	key []byte // MuxOptions.Key
	log *slog.Logger
	mu  struct {
		sync.Mutex
		groups map[string]*muxLayer // protected by mu
		closed bool                 // protected by mu
	}
	done chan struct{} // closed when the accept loop ends
}

// ListenMux listens on addr (host:port) and serves groups' connections
// until Close.
func ListenMux(addr string, opts MuxOptions, log *slog.Logger) (*Mux, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: mux listen %s: %w", addr, err)
	}
	if log == nil {
		log = slog.Default()
	}
	m := &Mux{ln: ln, key: opts.Key, log: log, done: make(chan struct{})}
	m.mu.groups = map[string]*muxLayer{}
	go m.acceptLoop()
	return m, nil
}

// Addr is the listener's address.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// Layer registers group and returns its stream layer: Accept yields the
// connections dialled to group, Dial connects to group on another Mux.
// Closing the layer unregisters the group; a name is registered once at
// a time.
func (m *Mux) Layer(group string) (raft.StreamLayer, error) {
	if group == "" || len(group) > MaxGroupName {
		return nil, fmt.Errorf("cluster: mux group %q: want 1-%d bytes", group, MaxGroupName)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return nil, ErrMuxClosed
	}
	if _, ok := m.mu.groups[group]; ok {
		return nil, fmt.Errorf("cluster: mux group %q registered twice", group)
	}
	l := &muxLayer{mux: m, group: group, conns: make(chan net.Conn), closed: make(chan struct{})}
	m.mu.groups[group] = l
	return l, nil
}

// Transport returns a Raft network transport for group over its layer.
func (m *Mux) Transport(group string, log *slog.Logger) (*raft.NetworkTransport, error) {
	layer, err := m.Layer(group)
	if err != nil {
		return nil, err
	}
	return raft.NewNetworkTransportWithLogger(layer, 3, 10*time.Second, newHclogger(log.With("group", group))), nil
}

// Close stops accepting and closes every layer; later calls do nothing.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.mu.closed {
		m.mu.Unlock()
		return nil
	}
	m.mu.closed = true
	layers := make([]*muxLayer, 0, len(m.mu.groups))
	for _, l := range m.mu.groups {
		layers = append(layers, l)
	}
	m.mu.Unlock()
	err := m.ln.Close()
	<-m.done
	for _, l := range layers {
		l.Close()
	}
	return err
}

func (m *Mux) acceptLoop() {
	defer close(m.done)
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		go m.route(conn)
	}
}

// route reads conn's header and hands it to its group, or closes it.
func (m *Mux) route(conn net.Conn) {
	group, version, err := readMuxHeader(conn)
	if err != nil {
		m.log.Debug("cluster: mux: bad header", "remote", conn.RemoteAddr(), "err", err)
		conn.Close()
		return
	}
	switch {
	case len(m.key) > 0 && version != muxAuthVersion:
		err = errors.New("an unauthenticated connection, and this node has a cluster key")
	case len(m.key) == 0 && version == muxAuthVersion:
		err = errors.New("an authenticated connection, and this node has no cluster key")
	case len(m.key) > 0:
		err = acceptAuth(conn, m.key, group)
	}
	if err != nil {
		m.log.Warn("cluster: mux: connection refused", "remote", conn.RemoteAddr(), "group", group, "err", err)
		conn.Close()
		return
	}
	m.mu.Lock()
	l := m.mu.groups[group]
	m.mu.Unlock()
	if l == nil {
		m.log.Debug("cluster: mux: connection to an unknown group", "group", group, "remote", conn.RemoteAddr())
		conn.Close()
		return
	}
	t := time.NewTimer(muxHandoffTimeout)
	defer t.Stop()
	select {
	case l.conns <- conn:
	case <-l.closed:
		conn.Close()
	case <-t.C:
		conn.Close()
	}
}

// readMuxHeader reads an accepted connection's header: its group, and
// its version (muxVersion, or muxAuthVersion when a handshake follows).
func readMuxHeader(conn net.Conn) (group string, version byte, err error) {
	if err := conn.SetReadDeadline(time.Now().Add(muxHeaderTimeout)); err != nil {
		return "", 0, err
	}
	var head [len(muxMagic) + 3]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return "", 0, err
	}
	version = head[len(muxMagic)]
	if string(head[:len(muxMagic)]) != muxMagic || version != muxVersion && version != muxAuthVersion {
		return "", 0, fmt.Errorf("not a mux header of version %d or %d: %q", muxVersion, muxAuthVersion, head[:])
	}
	n := binary.BigEndian.Uint16(head[len(muxMagic)+1:])
	if n == 0 || n > MaxGroupName {
		return "", 0, fmt.Errorf("group name of %d bytes", n)
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(conn, name); err != nil {
		return "", 0, err
	}
	return string(name), version, conn.SetReadDeadline(time.Time{})
}

func muxHeader(group string, version byte) []byte {
	b := append([]byte(muxMagic), version)
	b = binary.BigEndian.AppendUint16(b, uint16(len(group)))
	return append(b, group...)
}

// muxLayer is one group's raft.StreamLayer on a Mux.
type muxLayer struct {
	mux       *Mux
	group     string
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

var _ raft.StreamLayer = (*muxLayer)(nil)

func (l *muxLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, ErrMuxClosed
	}
}

// Close unregisters the group; connections already handed over stay
// open (raft closes them).
func (l *muxLayer) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.mux.mu.Lock()
		if l.mux.mu.groups[l.group] == l {
			delete(l.mux.mu.groups, l.group)
		}
		l.mux.mu.Unlock()
	})
	return nil
}

func (l *muxLayer) Addr() net.Addr { return l.mux.Addr() }

// Dial connects to the group on the Mux at address.
func (l *muxLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		conn.SetWriteDeadline(time.Now().Add(timeout))
	}
	version := byte(muxVersion)
	if len(l.mux.key) > 0 {
		version = muxAuthVersion
	}
	if _, err := conn.Write(muxHeader(l.group, version)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("cluster: mux header to %s: %w", address, err)
	}
	conn.SetWriteDeadline(time.Time{})
	if len(l.mux.key) > 0 {
		if err := dialAuth(conn, l.mux.key, l.group, timeout); err != nil {
			conn.Close()
			return nil, fmt.Errorf("cluster: mux to %s: %w", address, err)
		}
	}
	return conn, nil
}
