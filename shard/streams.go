package shard

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/quiver-db/quiver/index"
)

// Dialer opens a connection of the stream form to the node at addr
// (in a cluster, to StreamGroup on the node's cluster.Mux).
type Dialer func(ctx context.Context, addr string) (net.Conn, error)

const (
	// streamIdleReuse is how long an idle connection is reused: well
	// under the server's streamIdleTimeout, so a reused one is rarely
	// one the server is closing.
	streamIdleReuse = time.Minute
	// streamMaxIdle bounds the idle connections kept to one node (a
	// router calls every shard at once, so a node sees as many calls at
	// once as there are searches in progress).
	streamMaxIdle = 64
)

// errStreamHungUp is a new connection closed before its first answer:
// a node whose Mux serves no StreamGroup (a version before it) does
// that, so the Client asks over HTTP instead.
var errStreamHungUp = errors.New("stream closed before its first answer")

// Streams keeps connections of the stream form open to other nodes, for
// the Clients configured with it (ClientConfig.Streams). It is safe for
// concurrent use.
type Streams struct {
	dial Dialer
	mu   struct {
		sync.Mutex
		idle   map[string][]*streamConn // by address, the most recent last; protected by mu
		closed bool                     // protected by mu
	}
}

// NewStreams returns Streams dialling with dial.
func NewStreams(dial Dialer) *Streams {
	s := &Streams{dial: dial}
	s.mu.idle = map[string][]*streamConn{}
	return s
}

// Close closes the idle connections; those in a call close when it
// ends. Calls after Close fail.
func (s *Streams) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.closed = true
	for addr, conns := range s.mu.idle {
		for _, c := range conns {
			c.conn.Close()
		}
		delete(s.mu.idle, addr)
	}
	return nil
}

type streamConn struct {
	conn net.Conn
	br   *bufio.Reader
	addr string
	used time.Time // when it went idle
	head []byte    // the call frame's buffer, reused
}

// get returns an idle connection to addr, or a new one; reused says
// which.
func (s *Streams) get(ctx context.Context, addr string) (c *streamConn, reused bool, err error) {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return nil, false, errors.New("shard streams closed")
	}
	conns := s.mu.idle[addr]
	for len(conns) > 0 {
		c = conns[len(conns)-1]
		conns = conns[:len(conns)-1]
		if time.Since(c.used) < streamIdleReuse {
			break
		}
		c.conn.Close()
		c = nil
	}
	s.mu.idle[addr] = conns
	s.mu.Unlock()
	if c != nil {
		return c, true, nil
	}
	conn, err := s.dial(ctx, addr)
	if err != nil {
		return nil, false, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &streamConn{conn: conn, br: bufio.NewReaderSize(conn, 16<<10), addr: addr}, false, nil
}

// put keeps c for the next call to its address.
func (s *Streams) put(c *streamConn) {
	c.used = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed || len(s.mu.idle[c.addr]) >= streamMaxIdle {
		c.conn.Close()
		return
	}
	s.mu.idle[c.addr] = append(s.mu.idle[c.addr], c)
}

// call sends call to addr and reads the answer's body into buf, at most
// limit bytes. Every call of the RPC is a read, so a call that fails on
// a reused connection (one the other end closed while it idled) is sent
// once more, on a new one.
func (s *Streams) call(ctx context.Context, addr string, call streamCall, buf *bytes.Buffer, limit int64) (status int, ctype string, err error) {
	for attempt := 0; ; attempt++ {
		c, reused, err := s.get(ctx, addr)
		if err != nil {
			return 0, "", err
		}
		status, ctype, err = c.roundTrip(ctx, call, buf, limit)
		if err == nil {
			s.put(c)
			return status, ctype, nil
		}
		c.conn.Close()
		if !reused && (err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
			return 0, "", errStreamHungUp
		}
		if !reused || attempt > 0 || ctx.Err() != nil || errors.Is(err, index.ErrTooLarge) {
			return 0, "", err
		}
	}
}

// roundTrip writes call and reads its answer. The context's deadline is
// the connection's, and its end interrupts both; after an error the
// connection is not in a state to reuse.
func (c *streamConn) roundTrip(ctx context.Context, call streamCall, buf *bytes.Buffer, limit int64) (int, string, error) {
	deadline, _ := ctx.Deadline()
	if err := c.conn.SetDeadline(deadline); err != nil {
		return 0, "", err
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	var status int
	var ctype string
	var err error
	c.head, err = appendCall(c.head[:0], call)
	if err == nil {
		_, err = c.conn.Write(c.head)
	}
	if err == nil {
		status, ctype, err = readAnswer(c.br, buf, limit)
	}
	if !stop() {
		return 0, "", ctx.Err() // the deadline was set in the past
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !deadline.IsZero() && !time.Now().Before(deadline) {
		// The connection's deadline is the context's, and its timer can
		// go off first.
		err = fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	if cap(c.head) > maxPooledBuffer {
		c.head = nil
	}
	return status, ctype, err
}
