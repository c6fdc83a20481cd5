package shard

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/quiver-db/quiver/index"
)

// The search call's hot path: the query vector crosses as little-endian
// float32 bytes (base64 in the JSON) rather than as decimal text, which
// encoding/json parses number by number, and the bodies are read into
// and written from pooled buffers.

// maxPooledBuffer bounds the buffers kept for reuse, so one large answer
// (a scroll of vectors) does not stay pinned in the pool.
const maxPooledBuffer = 1 << 20

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// getBuffer returns an empty buffer from the pool; putBuffer gives it
// back once nothing refers to its bytes.
func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	buffers.Put(b)
}

// readAll reads r into b, at most limit bytes; more is an index.ErrTooLarge
// error (the caller names what was too large).
func readAll(b *bytes.Buffer, r io.Reader, limit int64) error {
	n, err := b.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("%w: beyond %d bytes", index.ErrTooLarge, limit)
	}
	return nil
}

// float32Bytes is v as little-endian float32s, every bit kept (NaNs,
// signed zeros); nil stays nil.
func float32Bytes(v []float32) []byte {
	if v == nil {
		return nil
	}
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

// bytesFloat32 reverses float32Bytes.
func bytesFloat32(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: vector of %d bytes: want a multiple of 4", index.ErrBadRequest, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}
