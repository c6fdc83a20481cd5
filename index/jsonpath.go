package index

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"unicode"
)

// pathStep is one step of a payload key path: an object key, an array
// element, or every element of an array.
type pathStep struct {
	kind  stepKind
	key   string // for stepKey
	index int    // for stepIndex
}

type stepKind uint8

const (
	stepKey   stepKind = iota // .key or the leading key
	stepIndex                 // [n]
	stepAll                   // []
)

// maxPathLen bounds a key path, so its steps (one per byte at most) are
// bounded too.
const maxPathLen = 1024

// parsePath parses a payload key path as Qdrant writes them: a key, then
// any mix of .key, [n] and []. A key is letters, digits, '_' and '-', or
// any text but '"' in double quotes ("a.b" is one key).
func parsePath(s string) ([]pathStep, error) {
	if s == "" {
		return nil, errors.New("empty key path")
	}
	if len(s) > maxPathLen {
		return nil, fmt.Errorf("key path of %d bytes, limit %d", len(s), maxPathLen)
	}
	var steps []pathStep
	rest := s
	for {
		key, after, err := pathKey(rest)
		if err != nil {
			return nil, fmt.Errorf("key path %q: %w", s, err)
		}
		steps = append(steps, pathStep{kind: stepKey, key: key})
		rest = after
		for strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("key path %q: unclosed [", s)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if inner == "" {
				steps = append(steps, pathStep{kind: stepAll})
				continue
			}
			n, err := strconv.ParseUint(inner, 10, 31)
			if err != nil {
				return nil, fmt.Errorf("key path %q: array index %q: want a number from 0", s, inner)
			}
			steps = append(steps, pathStep{kind: stepIndex, index: int(n)})
		}
		if rest == "" {
			return steps, nil
		}
		if rest[0] != '.' {
			return nil, fmt.Errorf("key path %q: unexpected %q after a key", s, rest[:1])
		}
		rest = rest[1:]
	}
}

// pathKey reads the key at the start of s and returns it and what follows.
func pathKey(s string) (string, string, error) {
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", "", errors.New("unclosed quote")
		}
		return s[1 : end+1], s[end+2:], nil
	}
	n := strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-'
	})
	if n < 0 {
		n = len(s)
	}
	if n == 0 {
		return "", "", errors.New("want a key (letters, digits, '_', '-', or quoted)")
	}
	return s[:n], s[n:], nil
}

// setAtPath merges value into the object at path in payload, as Qdrant's
// set_payload with a key does: missing keys along the path become
// objects, a non-object where an object is wanted is replaced by one, a
// non-array where an array step is wanted becomes [] (and the step ends
// there), an index past the end sets nothing, and at the end a non-object
// is replaced by value.
func setAtPath(payload map[string]any, path []pathStep, value map[string]any) {
	payload[path[0].key] = setIn(payload[path[0].key], path[1:], value)
}

// setIn returns cur with value set at path (see setAtPath).
func setIn(cur any, path []pathStep, value map[string]any) any {
	if len(path) == 0 {
		obj, ok := cur.(map[string]any)
		if !ok {
			return maps.Clone(value)
		}
		maps.Copy(obj, value)
		return obj
	}
	step := path[0]
	switch step.kind {
	case stepKey:
		obj, ok := cur.(map[string]any)
		if !ok {
			obj = map[string]any{}
		}
		obj[step.key] = setIn(obj[step.key], path[1:], value)
		return obj
	case stepIndex:
		arr, ok := cur.([]any)
		if !ok {
			return []any{}
		}
		if step.index < len(arr) {
			arr[step.index] = setIn(arr[step.index], path[1:], value)
		}
		return arr
	default:
		arr, ok := cur.([]any)
		if !ok {
			return []any{}
		}
		for i := range arr {
			arr[i] = setIn(arr[i], path[1:], value)
		}
		return arr
	}
}

// deleteAtPath removes what path names from payload, as Qdrant's
// delete_payload does: a missing step deletes nothing, a final key is
// removed from its object, a final [] empties its array, and a final [n]
// deletes nothing (removing one element by index would not be idempotent).
func deleteAtPath(payload map[string]any, path []pathStep) {
	if len(path) == 1 {
		delete(payload, path[0].key)
		return
	}
	if v, ok := payload[path[0].key]; ok {
		payload[path[0].key] = deleteIn(v, path[1:])
	}
}

// deleteIn returns cur with what path names removed (see deleteAtPath).
func deleteIn(cur any, path []pathStep) any {
	step, last := path[0], len(path) == 1
	switch step.kind {
	case stepKey:
		obj, ok := cur.(map[string]any)
		if !ok {
			return cur
		}
		if last {
			delete(obj, step.key)
		} else if v, ok := obj[step.key]; ok {
			obj[step.key] = deleteIn(v, path[1:])
		}
	case stepIndex:
		arr, ok := cur.([]any)
		if ok && !last && step.index < len(arr) {
			arr[step.index] = deleteIn(arr[step.index], path[1:])
		}
	default:
		arr, ok := cur.([]any)
		if !ok {
			return cur
		}
		if last {
			return []any{}
		}
		for i := range arr {
			arr[i] = deleteIn(arr[i], path[1:])
		}
	}
	return cur
}
