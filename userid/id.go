// Package userid is a user's identifier in interactions: an unsigned
// integer or a string, as applications name their users. It stands alone,
// like pointid, because the store keys interactions by it, the API parses
// it and the recommendation package groups by it.
//
// A string of decimal digits without leading zeros that fits in 64 bits is
// the same user as that number ("42" and 42 name one user), so a client
// that sends numbers and one that sends strings agree.
package userid

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxNameLen bounds a string id, in bytes.
const MaxNameLen = 256

// ID is a user id. The zero ID is the number 0. IDs are comparable; their
// order (Compare) is the order of their key encoding: numbers first, by
// value, then names, by length and then bytes.
type ID struct {
	name   string
	num    uint64
	isName bool
}

const (
	tagNum  = 0x01
	tagName = 0x02
)

// FromNum returns the numeric id n.
func FromNum(n uint64) ID { return ID{num: n} }

// Parse returns the id a string names: a number when s is a canonical
// decimal (see the package comment), else the string itself.
func Parse(s string) (ID, error) {
	if s == "" {
		return ID{}, errors.New("user id is empty")
	}
	if len(s) > MaxNameLen {
		return ID{}, fmt.Errorf("user id of %d bytes, limit %d", len(s), MaxNameLen)
	}
	if !utf8.ValidString(s) {
		return ID{}, errors.New("user id is not valid UTF-8")
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && strconv.FormatUint(n, 10) == s {
		return FromNum(n), nil
	}
	return ID{name: s, isName: true}, nil
}

// Num returns a numeric id's value and false for a name.
func (id ID) Num() (uint64, bool) { return id.num, !id.isName }

// String returns the decimal number or the name.
func (id ID) String() string {
	if id.isName {
		return id.name
	}
	return strconv.FormatUint(id.num, 10)
}

// Compare returns -1, 0 or +1 as id sorts before, equal to or after other.
func (id ID) Compare(other ID) int {
	switch {
	case id.isName != other.isName:
		if id.isName {
			return 1
		}
		return -1
	case id.isName:
		if c := cmp.Compare(len(id.name), len(other.name)); c != 0 {
			return c
		}
		return cmp.Compare(id.name, other.name)
	}
	return cmp.Compare(id.num, other.num)
}

// MarshalJSON writes a number as a JSON number and a name as a string.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.isName {
		return json.Marshal(id.name)
	}
	return strconv.AppendUint(nil, id.num, 10), nil
}

// UnmarshalJSON reads a non-negative integer or a string.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := Parse(s)
		if err != nil {
			return err
		}
		*id = v
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("user id %.40s is neither an unsigned 64-bit integer nor a string", b)
	}
	*id = FromNum(n)
	return nil
}

// AppendKey appends the id's order-preserving, self-delimiting encoding:
// 0x01 and 8 big-endian bytes for a number, 0x02, a 2-byte length and the
// bytes for a name.
func (id ID) AppendKey(dst []byte) []byte {
	if id.isName {
		dst = append(dst, tagName)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(id.name)))
		return append(dst, id.name...)
	}
	dst = append(dst, tagNum)
	return binary.BigEndian.AppendUint64(dst, id.num)
}

// DecodeKey decodes an encoding made by AppendKey and returns the bytes
// after it.
func DecodeKey(b []byte) (ID, []byte, error) {
	if len(b) >= 9 && b[0] == tagNum {
		return FromNum(binary.BigEndian.Uint64(b[1:9])), b[9:], nil
	}
	if len(b) >= 3 && b[0] == tagName {
		n := int(binary.BigEndian.Uint16(b[1:3]))
		if n > 0 && n <= MaxNameLen && len(b) >= 3+n {
			return ID{name: string(b[3 : 3+n]), isName: true}, b[3+n:], nil
		}
	}
	return ID{}, nil, fmt.Errorf("bad user id encoding %x", b)
}
