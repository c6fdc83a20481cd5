package cluster

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// A Mux given a key (MuxOptions.Key) authenticates both ends of every
// connection before a group sees a byte of it: the header says version
// muxAuthVersion, then the acceptor sends a random nonce, the dialer
// answers with its own nonce and the MAC of the acceptor's, and the
// acceptor answers with the MAC of the dialer's. Each MAC is
// HMAC-SHA256(key, role, nonce, group), so a captured exchange proves
// nothing on another connection, and a node without the key can neither
// join a group's traffic nor pose as a peer to one that dials it. The
// bytes after the handshake are not encrypted: run the nodes on a private
// network (no TLS between nodes yet).
const (
	muxAuthVersion = 2
	muxNonceLen    = 32
	muxMACLen      = sha256.Size
)

// MuxOptions configures ListenMux.
type MuxOptions struct {
	// Key, when set, must be the same on every node: connections are
	// authenticated with it (muxauth.go), and a peer without it is
	// refused. Empty means none, as before.
	Key []byte
}

// errMuxAuth marks a connection refused by the handshake.
var errMuxAuth = errors.New("cluster: mux: peer failed authentication")

func muxMAC(key []byte, role byte, nonce []byte, group string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte{role})
	h.Write(nonce)
	h.Write([]byte(group))
	return h.Sum(nil)
}

// acceptAuth runs the acceptor's side of the handshake on conn, whose
// header named group, within the header's deadline.
func acceptAuth(conn net.Conn, key []byte, group string) error {
	deadline := time.Now().Add(muxHeaderTimeout)
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	ours := make([]byte, muxNonceLen)
	if _, err := rand.Read(ours); err != nil {
		return fmt.Errorf("cluster: mux nonce: %w", err)
	}
	if _, err := conn.Write(ours); err != nil {
		return err
	}
	reply := make([]byte, muxNonceLen+muxMACLen)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return err
	}
	theirs, mac := reply[:muxNonceLen], reply[muxNonceLen:]
	if !hmac.Equal(mac, muxMAC(key, 'd', ours, group)) {
		return errMuxAuth
	}
	if _, err := conn.Write(muxMAC(key, 'a', theirs, group)); err != nil {
		return err
	}
	return conn.SetDeadline(time.Time{})
}

// dialAuth runs the dialer's side of the handshake on conn, after the
// header, within timeout (zero: muxHeaderTimeout).
func dialAuth(conn net.Conn, key []byte, group string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = muxHeaderTimeout
	}
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	theirs := make([]byte, muxNonceLen)
	if _, err := io.ReadFull(conn, theirs); err != nil {
		return fmt.Errorf("%w (no challenge: does the peer have the cluster key?): %w", errMuxAuth, err)
	}
	ours := make([]byte, muxNonceLen)
	if _, err := rand.Read(ours); err != nil {
		return fmt.Errorf("cluster: mux nonce: %w", err)
	}
	if _, err := conn.Write(append(ours, muxMAC(key, 'd', theirs, group)...)); err != nil {
		return err
	}
	mac := make([]byte, muxMACLen)
	if _, err := io.ReadFull(conn, mac); err != nil {
		return fmt.Errorf("%w (refused: is the cluster key the same on both nodes?): %w", errMuxAuth, err)
	}
	if !hmac.Equal(mac, muxMAC(key, 'a', ours, group)) {
		return fmt.Errorf("%w: the peer does not know the cluster key", errMuxAuth)
	}
	return conn.SetDeadline(time.Time{})
}
