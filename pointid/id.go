// Package pointid is a point's identifier: the unsigned integer or UUID that
// Qdrant's API accepts, with its JSON forms and an order-preserving key
// encoding. It stands alone, below storage, index and the API, because every
// layer names points (filters by has_id, the HTTP types, a cluster's shard
// routing) and none of them should import the store to do so.
package pointid

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// ID is a point's external identifier: an unsigned 64-bit integer or a UUID,
// the two forms Qdrant accepts. The zero ID is the integer 0. IDs are
// comparable, so they can be map keys; their order (Compare) is the order of
// their key encoding: every integer before every UUID, integers by value,
// UUIDs by their 16 bytes.
type ID struct {
	uuid   uuid.UUID
	num    uint64
	isUUID bool
}

const (
	idTagNum  = 0x01
	idTagUUID = 0x02
	// MaxKeyLen is the longest encoded ID: a tag and 16 UUID bytes.
	MaxKeyLen = 17
)

// FromNum returns the integer ID n.
func FromNum(n uint64) ID { return ID{num: n} }

// FromUUID returns the UUID ID u.
func FromUUID(u uuid.UUID) ID { return ID{uuid: u, isUUID: true} }

// Parse parses a decimal unsigned integer or a UUID in any form
// uuid.Parse accepts.
func Parse(s string) (ID, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return FromNum(n), nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return ID{}, fmt.Errorf("point id %q is neither an unsigned integer nor a UUID", s)
	}
	return FromUUID(u), nil
}

// IsUUID reports whether the ID is a UUID.
func (id ID) IsUUID() bool { return id.isUUID }

// Num returns the integer value of an integer ID and false for a UUID.
func (id ID) Num() (uint64, bool) { return id.num, !id.isUUID }

// UUID returns the UUID of a UUID ID and false for an integer.
func (id ID) UUID() (uuid.UUID, bool) { return id.uuid, id.isUUID }

// String returns the decimal integer or the canonical UUID form.
func (id ID) String() string {
	if id.isUUID {
		return id.uuid.String()
	}
	return strconv.FormatUint(id.num, 10)
}

// Compare returns -1, 0 or +1 as id sorts before, equal to or after other.
// It allocates nothing; TestIDKeyOrder holds it to the key encoding's order.
func (id ID) Compare(other ID) int {
	switch {
	case id.isUUID != other.isUUID:
		if id.isUUID {
			return 1
		}
		return -1
	case id.isUUID:
		return bytes.Compare(id.uuid[:], other.uuid[:])
	}
	return cmp.Compare(id.num, other.num)
}

// MarshalJSON writes an integer ID as a JSON number and a UUID as a string.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.isUUID {
		return json.Marshal(id.uuid.String())
	}
	return strconv.AppendUint(nil, id.num, 10), nil
}

// UnmarshalJSON reads a JSON number (a non-negative integer) or a UUID string.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		u, err := uuid.Parse(s)
		if err != nil {
			return fmt.Errorf("point id %q is not a UUID", s)
		}
		*id = FromUUID(u)
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("point id %s is not an unsigned 64-bit integer or a UUID string", b)
	}
	*id = FromNum(n)
	return nil
}

// AppendKey appends the ID's order-preserving key encoding to dst:
// 0x01 and 8 big-endian bytes for an integer, 0x02 and 16 bytes for a UUID.
func (id ID) AppendKey(dst []byte) []byte {
	if id.isUUID {
		dst = append(dst, idTagUUID)
		return append(dst, id.uuid[:]...)
	}
	dst = append(dst, idTagNum)
	return binary.BigEndian.AppendUint64(dst, id.num)
}

// DecodeKey decodes an encoding made by AppendKey and returns the bytes
// after it.
func DecodeKey(b []byte) (ID, []byte, error) {
	if len(b) >= 9 && b[0] == idTagNum {
		return FromNum(binary.BigEndian.Uint64(b[1:9])), b[9:], nil
	}
	if len(b) >= 17 && b[0] == idTagUUID {
		var u uuid.UUID
		copy(u[:], b[1:17])
		return FromUUID(u), b[17:], nil
	}
	return ID{}, nil, fmt.Errorf("bad point id encoding %x", b)
}
