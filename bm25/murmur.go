package bm25

import (
	"encoding/binary"
	"math/bits"
)

// murmur3 is MurmurHash3's x86 32-bit variant with seed 0, the hash
// FastEmbed's token ids use (Python's mmh3.hash).
func murmur3(data []byte) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h uint32
	n := len(data)
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		data = data[4:]
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	var k uint32
	for i := len(data) - 1; i >= 0; i-- {
		k = k<<8 | uint32(data[i])
	}
	if len(data) > 0 {
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// TokenID is a token's term id: |int32(murmur3(token))|, as FastEmbed
// computes it. The most negative hash maps to 2^31, which a uint32 holds.
func TokenID(token string) uint32 {
	h := int64(int32(murmur3([]byte(token))))
	if h < 0 {
		h = -h
	}
	return uint32(h)
}
