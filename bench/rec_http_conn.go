package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// keepAliveConn sends HTTP/1.1 requests of any method on one keep-alive
// TCP connection and reads each answer on the calling goroutine, as
// connRunner does for the search benchmark's fixed query bodies.
type keepAliveConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	host string
}

func dialKeepAlive(addr string) (*keepAliveConn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &keepAliveConn{conn: conn, br: bufio.NewReaderSize(conn, 64<<10), bw: bufio.NewWriterSize(conn, 16<<10), host: addr}, nil
}

// roundTrip sends one request and reads the whole answer; the latency
// runs from the first byte written to the last byte read.
func (c *keepAliveConn) roundTrip(method, path string, body []byte) (*http.Response, []byte, time.Duration, error) {
	// A server that stops answering fails the run instead of hanging it.
	if err := c.conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		return nil, nil, 0, err
	}
	t := time.Now()
	fmt.Fprintf(c.bw, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\nContent-Length: %d\r\n\r\n",
		method, path, c.host, len(body))
	c.bw.Write(body)
	if err := c.bw.Flush(); err != nil {
		return nil, nil, 0, fmt.Errorf("%s %s: send: %w", method, path, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return resp, raw, time.Since(t), nil
}

// query sends a query and decodes its points' ids and the server's time.
func (c *keepAliveConn) query(method, path string, body []byte) (queryAnswer, error) {
	resp, raw, lat, err := c.roundTrip(method, path, body)
	if err != nil {
		return queryAnswer{}, err
	}
	return decodeAnswer(resp, raw, lat)
}

// do sends a write and returns its latency; an answer other than 200 is an
// error.
func (c *keepAliveConn) do(method, path string, body []byte) (time.Duration, error) {
	resp, raw, lat, err := c.roundTrip(method, path, body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s %s: server answered %d: %.200s", method, path, resp.StatusCode, raw)
	}
	return lat, nil
}

func (c *keepAliveConn) close() { c.conn.Close() }

// dialAll opens one keep-alive connection to each of addrs.
func dialAll(addrs []string) ([]*keepAliveConn, error) {
	conns := make([]*keepAliveConn, 0, len(addrs))
	for _, addr := range addrs {
		c, err := dialKeepAlive(addr)
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*keepAliveConn) {
	for _, c := range conns {
		c.close()
	}
}
