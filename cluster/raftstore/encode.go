package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// logFormat is the first byte of every stored entry, so a later layout can
// be told from this one.
const logFormat byte = 1

// encodeLog appends l to buf: format, index, term, type, appended-at (Unix
// nanoseconds, 0 for unset), then data and extensions, each length-prefixed.
func encodeLog(buf []byte, l *raft.Log) []byte {
	buf = append(buf, logFormat)
	buf = binary.BigEndian.AppendUint64(buf, l.Index)
	buf = binary.BigEndian.AppendUint64(buf, l.Term)
	buf = append(buf, byte(l.Type))
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	buf = binary.BigEndian.AppendUint64(buf, uint64(at))
	buf = binary.AppendUvarint(buf, uint64(len(l.Data)))
	buf = append(buf, l.Data...)
	buf = binary.AppendUvarint(buf, uint64(len(l.Extensions)))
	return append(buf, l.Extensions...)
}

var errShort = errors.New("truncated entry")

// decodeLog reads what encodeLog wrote; it copies, so l outlives b.
func decodeLog(b []byte, l *raft.Log) error {
	const head = 1 + 8 + 8 + 1 + 8
	if len(b) < head {
		return errShort
	}
	if b[0] != logFormat {
		return fmt.Errorf("entry format %d, want %d", b[0], logFormat)
	}
	l.Index = binary.BigEndian.Uint64(b[1:])
	l.Term = binary.BigEndian.Uint64(b[9:])
	l.Type = raft.LogType(b[17])
	l.AppendedAt = time.Time{}
	if at := int64(binary.BigEndian.Uint64(b[18:])); at != 0 {
		l.AppendedAt = time.Unix(0, at)
	}
	rest := b[head:]
	var err error
	if l.Data, rest, err = chunk(rest); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if l.Extensions, rest, err = chunk(rest); err != nil {
		return fmt.Errorf("extensions: %w", err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d trailing bytes", len(rest))
	}
	return nil
}

// chunk splits a length-prefixed copy off b; nil for length 0.
func chunk(b []byte) ([]byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, errShort
	}
	b = b[k:]
	if n == 0 {
		return nil, b, nil
	}
	return append([]byte(nil), b[:n]...), b[n:], nil
}
