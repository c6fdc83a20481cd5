package filter

import "fmt"

// Limits on a filter's JSON, checked before it is decoded: decoding nests
// one call per level, each reading its subtree, so work grows with size
// times depth, and both are bounded here.
const (
	// MaxBytes bounds a filter's JSON.
	MaxBytes = 1 << 20
	// MaxDepth bounds the nesting of its objects and arrays; a nested
	// filter takes three levels (the filter, its list, the condition).
	MaxDepth = 100
	// MaxObjects bounds its objects, so its conditions.
	MaxObjects = 10000
)

// checkShape reports a filter beyond the limits, in one pass over data.
func checkShape(data []byte) error {
	if len(data) > MaxBytes {
		return fmt.Errorf("%w: filter of %d bytes, limit %d", ErrInvalid, len(data), MaxBytes)
	}
	depth, objects := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			if depth++; depth > MaxDepth {
				return fmt.Errorf("%w: filter nested more than %d levels deep", ErrInvalid, MaxDepth)
			}
			if b == '{' {
				if objects++; objects > MaxObjects {
					return fmt.Errorf("%w: filter with more than %d conditions", ErrInvalid, MaxObjects)
				}
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return nil
}
