package storage

import (
	"fmt"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// Payload codecs: the first byte of a stored payload.
const (
	codecRaw  = 0
	codecZstd = 1
)

// minCompress is the payload size below which compression is not tried:
// a zstd frame's overhead leaves nothing to gain.
const minCompress = 64

var (
	zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
)

// PayloadStats counts payload bytes before and after compression, for all
// payloads written by this process.
type PayloadStats struct {
	RawBytes, StoredBytes, Payloads, Compressed int64
}

var payloadStats struct {
	raw, stored, payloads, compressed atomic.Int64
}

// ReadPayloadStats returns the process-wide payload compression counters.
func ReadPayloadStats() PayloadStats {
	return PayloadStats{
		RawBytes:    payloadStats.raw.Load(),
		StoredBytes: payloadStats.stored.Load(),
		Payloads:    payloadStats.payloads.Load(),
		Compressed:  payloadStats.compressed.Load(),
	}
}

// encodePayload stores p zstd-compressed when that is smaller, raw otherwise.
func encodePayload(p []byte) []byte {
	out := append(make([]byte, 0, len(p)+1), codecRaw)
	out = append(out, p...)
	if len(p) >= minCompress {
		z := zstdEnc.EncodeAll(p, []byte{codecZstd})
		if len(z) < len(out) {
			out = z
			payloadStats.compressed.Add(1)
		}
	}
	payloadStats.payloads.Add(1)
	payloadStats.raw.Add(int64(len(p)))
	payloadStats.stored.Add(int64(len(out)))
	return out
}

func decodePayload(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: empty payload value", ErrCorrupt)
	}
	switch v[0] {
	case codecRaw:
		return v[1:], nil
	case codecZstd:
		p, err := zstdDec.DecodeAll(v[1:], nil)
		if err != nil {
			return nil, fmt.Errorf("%w: payload: %v", ErrCorrupt, err)
		}
		return p, nil
	}
	return nil, fmt.Errorf("%w: payload codec %d", ErrCorrupt, v[0])
}
