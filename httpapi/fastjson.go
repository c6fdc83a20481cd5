package httpapi

import (
	"strconv"
	"unsafe"
)

// The query routes are the hot path of the server, and encoding/json
// costs more there than the search it serves on small collections: it
// scans the body once to validate it and again per custom unmarshaler,
// and reflects over every field. The lexer below reads the common shape
// of a query body (a vector, limit, offset, params, with_payload,
// with_vector, score_threshold, filter) in one pass. On anything else it
// gives up and the body goes through encoding/json, so there is one
// grammar and one set of error messages; a fuzz test holds the two
// decoders to the same results.

// lexer walks a JSON text. Its methods report false when the text is not
// what they expect; the caller then gives up.
type lexer struct {
	data []byte
	pos  int
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (l *lexer) peek() byte {
	l.skipSpace()
	if l.pos == len(l.data) {
		return 0
	}
	return l.data[l.pos]
}

// consume eats c if it comes next.
func (l *lexer) consume(c byte) bool {
	if l.peek() != c {
		return false
	}
	l.pos++
	return true
}

// atEnd reports whether only white space is left.
func (l *lexer) atEnd() bool {
	l.skipSpace()
	return l.pos == len(l.data)
}

// plainString reads a string without escapes or control characters and
// returns its bytes (no copy).
func (l *lexer) plainString() ([]byte, bool) {
	if !l.consume('"') {
		return nil, false
	}
	start := l.pos
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch {
		case c == '"':
			l.pos++
			return l.data[start : l.pos-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		l.pos++
	}
	return nil, false
}

// number returns the next JSON number's text, checked against the
// grammar of RFC 8259.
func (l *lexer) number() ([]byte, bool) {
	l.skipSpace()
	d, i := l.data, l.pos
	digits := func() bool {
		s := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	tok := d[l.pos:i]
	l.pos = i
	return tok, true
}

// float32 reads a number that fits a float32.
func (l *lexer) float32() (float32, bool) {
	tok, ok := l.number()
	if !ok {
		return 0, false
	}
	return parseFloat32(tok)
}

// int reads an integer that fits an int; 5.0 and 1e3 give up, as they
// would fail to decode into an int.
func (l *lexer) int() (int, bool) {
	tok, ok := l.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(unsafe.String(unsafe.SliceData(tok), len(tok)))
	return n, err == nil
}

// bool reads true or false.
func (l *lexer) bool() (bool, bool) {
	l.skipSpace()
	rest := l.data[l.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		l.pos += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		l.pos += 5
		return false, true
	}
	return false, false
}

// floats reads an array of numbers into a new slice.
func (l *lexer) floats() ([]float32, bool) {
	if !l.consume('[') {
		return nil, false
	}
	out := make([]float32, 0, 128)
	if l.consume(']') {
		return out, true
	}
	for {
		f, ok := l.float32()
		if !ok {
			return nil, false
		}
		out = append(out, f)
		switch l.peek() {
		case ',':
			l.pos++
		case ']':
			l.pos++
			return out, true
		default:
			return nil, false
		}
	}
}

// object calls member for each key of an object; member reads the value.
func (l *lexer) object(member func(key []byte) bool) bool {
	if !l.consume('{') {
		return false
	}
	if l.consume('}') {
		return true
	}
	for {
		key, ok := l.plainString()
		if !ok || !l.consume(':') || !member(key) {
			return false
		}
		switch l.peek() {
		case ',':
			l.pos++
		case '}':
			l.pos++
			return true
		default:
			return false
		}
	}
}

// skipValue steps over any JSON value and returns its text. It checks
// nesting and strings, not every literal: the text goes on to
// encoding/json, which checks the rest.
func (l *lexer) skipValue() ([]byte, bool) {
	l.skipSpace()
	start, depth := l.pos, 0
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch c {
		case '"':
			if !l.skipString() {
				return nil, false
			}
			if depth == 0 {
				return l.data[start:l.pos], true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return nil, false
			}
			depth--
			if depth == 0 {
				l.pos++
				return l.data[start:l.pos], true
			}
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return l.data[start:l.pos], l.pos > start
			}
		}
		l.pos++
	}
	return l.data[start:l.pos], depth == 0 && l.pos > start
}

// skipString steps over a string, escapes included.
func (l *lexer) skipString() bool {
	l.pos++ // the opening quote
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case '\\':
			l.pos += 2
			continue
		case '"':
			l.pos++
			return true
		}
		l.pos++
	}
	return false
}
