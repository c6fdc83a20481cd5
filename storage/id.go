package storage

import (
	"bytes"
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
	// maxIDKeyLen is the longest encoded ID: a tag and 16 UUID bytes.
	maxIDKeyLen = 17
)

// NumID returns the integer ID n.
func NumID(n uint64) ID { return ID{num: n} }

// UUIDID returns the UUID ID u.
func UUIDID(u uuid.UUID) ID { return ID{uuid: u, isUUID: true} }

// ParseID parses a decimal unsigned integer or a UUID in any form
// uuid.Parse accepts.
func ParseID(s string) (ID, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return NumID(n), nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return ID{}, fmt.Errorf("point id %q is neither an unsigned integer nor a UUID", s)
	}
	return UUIDID(u), nil
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
func (id ID) Compare(other ID) int {
	return bytes.Compare(id.AppendKey(nil), other.AppendKey(nil))
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
		*id = UUIDID(u)
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("point id %s is not an unsigned 64-bit integer or a UUID string", b)
	}
	*id = NumID(n)
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

// decodeIDKey decodes an encoding made by AppendKey and returns the bytes
// after it.
func decodeIDKey(b []byte) (ID, []byte, error) {
	if len(b) >= 9 && b[0] == idTagNum {
		return NumID(binary.BigEndian.Uint64(b[1:9])), b[9:], nil
	}
	if len(b) >= 17 && b[0] == idTagUUID {
		var u uuid.UUID
		copy(u[:], b[1:17])
		return UUIDID(u), b[17:], nil
	}
	return ID{}, nil, fmt.Errorf("%w: bad point id encoding %x", ErrCorrupt, b)
}
