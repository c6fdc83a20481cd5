package shard

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/quiver-db/quiver/index"
)

const (
	// streamIdleTimeout closes a connection that brings no call for this
	// long; Streams drop their idle connections sooner (streamIdleReuse).
	streamIdleTimeout = 2 * time.Minute
	// streamWriteTimeout bounds writing an answer to a caller that reads
	// none.
	streamWriteTimeout = 30 * time.Second
	// defaultStreamConns is HandlerConfig.MaxStreamConns's default.
	defaultStreamConns = 256
)

// ServeStream answers the stream form of the RPC (stream.go) on the
// connections ln accepts, until Accept fails (ln closed); then it closes
// every connection it serves and returns Accept's error. Each connection
// runs one call at a time, so HandlerConfig.MaxStreamConns bounds the
// calls in progress too; a connection beyond it is closed at once, which
// the caller sees as an unavailable node.
//
// A call runs to its end or its deadline (the caller's, sent in the
// call, within HandlerConfig.Timeout) even when the caller hangs up
// first: watching the connection during each call would cost a
// goroutine hand-off a call, which is what the stream form saves.
func (h *Handler) ServeStream(ln net.Listener) error {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	var wg sync.WaitGroup
	defer func() {
		cancel()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		mu.Lock()
		full := len(conns) >= h.cfg.MaxStreamConns
		if !full {
			conns[conn] = true
		}
		mu.Unlock()
		if full {
			h.cfg.Logger.Warn("shard stream: connection refused: too many", "remote", conn.RemoteAddr(), "max", h.cfg.MaxStreamConns)
			conn.Close()
			continue
		}
		wg.Go(func() {
			h.serveConn(ctx, conn)
			mu.Lock()
			delete(conns, conn)
			mu.Unlock()
		})
	}
}

// serveConn answers conn's calls in turn until it closes, idles past
// streamIdleTimeout or sends what is not a call.
func (h *Handler) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReaderSize(conn, 16<<10)
	var head []byte
	for {
		if conn.SetReadDeadline(time.Now().Add(streamIdleTimeout)) != nil {
			return
		}
		in := getBuffer()
		call, err := readCall(br, in, h.cfg.MaxBodyBytes)
		if err != nil {
			putBuffer(in)
			if !errors.Is(err, index.ErrTooLarge) && !errors.Is(err, index.ErrBadRequest) {
				return // hung up, idle, or a broken connection
			}
			// A frame that is not a call: say why, then close, since the
			// rest of the stream cannot be framed.
			status, body := errorAnswer(err)
			head = appendAnswer(head[:0], status, jsonContentType, body)
			_ = conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
			_, _ = conn.Write(head)
			return
		}
		out := getBuffer()
		cctx, cancel := context.WithTimeout(ctx, min(h.cfg.Timeout, max(call.Timeout, time.Millisecond)))
		ctype, err := h.answer(cctx, call, out)
		cancel()
		putBuffer(in)
		status, body := 200, out.Bytes()
		if err != nil {
			status, body = errorAnswer(err)
			ctype = jsonContentType
		}
		head = appendAnswer(head[:0], status, ctype, nil)
		// The frame's length counts the body, written after the head in
		// one writev.
		binary.BigEndian.PutUint32(head, uint32(len(head)-4+len(body)))
		bufs := net.Buffers{head, body}
		_ = conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		_, err = bufs.WriteTo(conn)
		putBuffer(out)
		if err != nil {
			return
		}
	}
}
