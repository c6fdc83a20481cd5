package httpapi

import (
	"net"
	"sync"
	"time"
)

// LimitListener caps the connections a server holds open at max. A
// connection past the cap is answered at once with a 503 and closed, so
// overload is refused fast and the process keeps descriptors for its store
// and for /healthz, instead of queueing connections until the descriptor
// table is full.
func LimitListener(ln net.Listener, max int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max)}
}

type limitListener struct {
	net.Listener
	slots chan struct{} // one token per open connection
}

// refusal is the whole answer to a connection past the cap.
const refusal = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 70\r\n\r\n" +
	`{"status":{"error":"too many open connections; retry later"},"time":0}`

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			go refuse(c)
		}
	}
}

// refuse writes the 503 within a short deadline and closes.
func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(refusal))
	_ = c.Close()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
