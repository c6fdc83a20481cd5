package shard

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quiver-db/quiver/index"
)

// The stream form of the RPC: the same calls as over HTTP, framed on a
// connection the caller keeps open (in a cluster, one of the Raft port's
// authenticated connections, cluster.Mux). A scatter makes a call per
// remote shard per search, and over HTTP/1.1 the headers, the routing
// and net/http's goroutine hand-offs cost both nodes more CPU than
// the search's own bytes; a frame costs one write and one read a side.
//
// A call, every integer big-endian:
//
//	u32 length of what follows
//	u8  streamVersion
//	u8  flags (streamLeader: ClientConfig.Leader)
//	u32 the caller's remaining time, in milliseconds
//	u8  length, method
//	u16 length, collection
//	u32 shard
//	u8  length, content type of the body
//	u8  length, content type the caller accepts ("" for any)
//	the body
//
// An answer:
//
//	u32 length of what follows
//	u16 HTTP status (200, or an error's, its body errorWire as JSON)
//	u8  length, content type of the body
//	the body
//
// A connection carries one call at a time: the caller writes a call and
// reads its answer before the next.

// StreamGroup is the cluster.Mux group whose connections carry the
// stream form: a name no Raft group takes (those are "0" and
// Placement.Group's "shard/…").
const StreamGroup = "rpc/shard/1"

const (
	streamVersion = 1
	streamLeader  = 1 << 0
	// maxStreamHead bounds a call's fixed fields and names; a body comes
	// on top of it.
	maxStreamHead = 1 + 1 + 4 + 1 + 255 + 2 + 0xffff + 4 + 1 + 255 + 1 + 255
)

// streamCall is one call of the stream form.
type streamCall struct {
	Leader      bool
	Timeout     time.Duration
	Method      string
	Collection  string
	Shard       int
	ContentType string
	Accept      string
	Body        []byte
}

// appendCall appends c's frame to dst.
func appendCall(dst []byte, c streamCall) ([]byte, error) {
	if len(c.Method) > 255 || len(c.ContentType) > 255 || len(c.Accept) > 255 || len(c.Collection) > 0xffff || c.Shard < 0 || c.Shard > 0xffffffff {
		return nil, fmt.Errorf("stream call %s of %q/%d: a field beyond its frame's width", c.Method, c.Collection, c.Shard)
	}
	n := 1 + 1 + 4 + 1 + len(c.Method) + 2 + len(c.Collection) + 4 + 1 + len(c.ContentType) + 1 + len(c.Accept) + len(c.Body)
	if n > 0xffffffff {
		return nil, fmt.Errorf("%w: stream call %s of %d bytes", index.ErrTooLarge, c.Method, n)
	}
	var flags byte
	if c.Leader {
		flags |= streamLeader
	}
	ms := min(max(c.Timeout.Milliseconds(), 1), 0xffffffff)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, streamVersion, flags)
	dst = binary.BigEndian.AppendUint32(dst, uint32(ms))
	dst = append(append(dst, byte(len(c.Method))), c.Method...)
	dst = append(binary.BigEndian.AppendUint16(dst, uint16(len(c.Collection))), c.Collection...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Shard))
	dst = append(append(dst, byte(len(c.ContentType))), c.ContentType...)
	dst = append(append(dst, byte(len(c.Accept))), c.Accept...)
	return append(dst, c.Body...), nil
}

// readCall reads one call from r into buf (reset first), its body at
// most maxBody bytes. The call's strings are copies; its Body is buf's
// bytes. io.EOF before the first byte means the caller hung up between
// calls.
func readCall(r *bufio.Reader, buf *bytes.Buffer, maxBody int64) (streamCall, error) {
	n, err := readFrameLength(r)
	if err != nil {
		return streamCall{}, err
	}
	if int64(n) > maxBody+maxStreamHead {
		return streamCall{}, fmt.Errorf("%w: stream call of %d bytes, beyond %d", index.ErrTooLarge, n, maxBody+maxStreamHead)
	}
	// The buffer grows as bytes arrive, not by the length the caller
	// sent.
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r, int64(n))); err != nil {
		return streamCall{}, fmt.Errorf("stream call: %w", err)
	}
	if buf.Len() != int(n) {
		return streamCall{}, fmt.Errorf("stream call: %w", io.ErrUnexpectedEOF)
	}
	c, err := parseCall(buf.Bytes())
	if err == nil && int64(len(c.Body)) > maxBody {
		return streamCall{}, fmt.Errorf("%w: stream call's body of %d bytes, beyond %d", index.ErrTooLarge, len(c.Body), maxBody)
	}
	return c, err
}

// readFrameLength reads a frame's leading length.
func readFrameLength(r *bufio.Reader) (uint32, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("stream frame: %w", err)
		}
		return 0, err
	}
	return binary.BigEndian.Uint32(head[:]), nil
}

// frameReader takes a frame's fields in order; a field beyond the frame
// sets err, after which every field is empty.
type frameReader struct {
	b   []byte
	err error
}

func (f *frameReader) take(n int) []byte {
	if f.err != nil || n > len(f.b) {
		f.err = errShortFrame
		return nil
	}
	out := f.b[:n]
	f.b = f.b[n:]
	return out
}

func (f *frameReader) u8() int {
	b := f.take(1)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (f *frameReader) u16() int {
	b := f.take(2)
	if b == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(b))
}

func (f *frameReader) u32() uint32 {
	b := f.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (f *frameReader) str8() string  { return string(f.take(f.u8())) }
func (f *frameReader) str16() string { return string(f.take(f.u16())) }

var errShortFrame = fmt.Errorf("%w: stream frame: a field runs past its end", index.ErrBadRequest)

// parseCall reads a call's frame, after its length.
func parseCall(b []byte) (streamCall, error) {
	f := &frameReader{b: b}
	if v := f.u8(); f.err == nil && v != streamVersion {
		return streamCall{}, fmt.Errorf("%w: stream call of version %d, want %d", index.ErrBadRequest, v, streamVersion)
	}
	flags := f.u8()
	c := streamCall{Leader: flags&streamLeader != 0, Timeout: time.Duration(f.u32()) * time.Millisecond}
	c.Method = f.str8()
	c.Collection = f.str16()
	c.Shard = int(f.u32())
	c.ContentType = f.str8()
	c.Accept = f.str8()
	c.Body = f.b
	if f.err != nil {
		return streamCall{}, f.err
	}
	return c, nil
}

// appendAnswer appends an answer's frame to dst.
func appendAnswer(dst []byte, status int, ctype string, body []byte) []byte {
	if len(ctype) > 255 {
		ctype = ctype[:255]
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(2+1+len(ctype)+len(body)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(status))
	dst = append(append(dst, byte(len(ctype))), ctype...)
	return append(dst, body...)
}

// readAnswer reads one answer from r into buf (reset first), at most
// limit bytes of body, and returns its status and content type; the body
// is buf's bytes.
func readAnswer(r *bufio.Reader, buf *bytes.Buffer, limit int64) (status int, ctype string, err error) {
	n, err := readFrameLength(r)
	if err != nil {
		return 0, "", err
	}
	if n < 3 {
		return 0, "", fmt.Errorf("stream answer of %d bytes: %w", n, errShortFrame)
	}
	if int64(n) > limit+3+255 {
		return 0, "", fmt.Errorf("%w: answer beyond %d bytes", index.ErrTooLarge, limit)
	}
	var head [3]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, "", fmt.Errorf("stream answer: %w", err)
	}
	status = int(binary.BigEndian.Uint16(head[:2]))
	clen := int(head[2])
	if 3+clen > int(n) {
		return 0, "", fmt.Errorf("stream answer: %w", errShortFrame)
	}
	var ct [255]byte
	if _, err := io.ReadFull(r, ct[:clen]); err != nil {
		return 0, "", fmt.Errorf("stream answer: %w", err)
	}
	buf.Reset()
	rest := int64(n) - 3 - int64(clen)
	if _, err := buf.ReadFrom(io.LimitReader(r, rest)); err != nil {
		return 0, "", fmt.Errorf("stream answer: %w", err)
	}
	if int64(buf.Len()) != rest {
		return 0, "", fmt.Errorf("stream answer: %w", io.ErrUnexpectedEOF)
	}
	return status, string(ct[:clen]), nil
}
