package ingest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Type is a column's payload type.
type Type uint8

const (
	// TypeAuto infers the type of a CSV column from its values and keeps
	// the JSON type of a JSON Lines field.
	TypeAuto Type = iota
	// TypeInt is a signed 64-bit integer.
	TypeInt
	// TypeFloat is a finite number.
	TypeFloat
	// TypeBool is true or false.
	TypeBool
	// TypeString is text.
	TypeString
)

var typeNames = [...]string{TypeAuto: "auto", TypeInt: "int", TypeFloat: "float", TypeBool: "bool", TypeString: "string"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// ParseType parses a type name: auto, int, float, bool or string.
func ParseType(s string) (Type, error) {
	for t, name := range typeNames {
		if strings.EqualFold(s, name) {
			return Type(t), nil
		}
	}
	return 0, fmt.Errorf("type %q: want int, float, bool, string or auto", s)
}

// ParseTypes parses a list such as "year=int,title=string" into a map from
// field to type.
func ParseTypes(spec string) (map[string]Type, error) {
	out := map[string]Type{}
	for _, item := range strings.Split(spec, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		field, name, ok := strings.Cut(item, "=")
		if !ok || strings.TrimSpace(field) == "" {
			return nil, fmt.Errorf("%q: want field=type", item)
		}
		t, err := ParseType(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out[strings.TrimSpace(field)] = t
	}
	return out, nil
}

// jsonNumber is JSON's number grammar. A CSV value counts as a number only
// in this form, so "007", "+1", "1e" and "NaN" stay strings and a number is
// stored exactly as written.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// isInt reports whether s is an integer in JSON form that fits in int64.
func isInt(s string) bool {
	if !jsonNumber.MatchString(s) || strings.ContainsAny(s, ".eE") {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// isFloat reports whether s is a finite number in JSON form.
func isFloat(s string) bool {
	if !jsonNumber.MatchString(s) {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsInf(f, 0)
}

func isBool(s string) bool { return strings.EqualFold(s, "true") || strings.EqualFold(s, "false") }

// inferType returns the narrowest of int, float and bool that every
// non-empty value has, and string when none fits or all are empty.
func inferType(values func(yield func(string) bool)) Type {
	canInt, canFloat, canBool, seen := true, true, true, false
	for v := range values {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		seen = true
		canInt = canInt && isInt(v)
		canFloat = canFloat && isFloat(v)
		canBool = canBool && isBool(v)
		if !canInt && !canFloat && !canBool {
			return TypeString
		}
	}
	switch {
	case !seen:
		return TypeString
	case canInt:
		return TypeInt
	case canFloat:
		return TypeFloat
	case canBool:
		return TypeBool
	}
	return TypeString
}

// convertCell turns a CSV cell into a value of type t. An empty cell of a
// numeric or boolean column has no value (ok false): the field is left out
// of the payload rather than stored as "".
func convertCell(s string, t Type) (v any, ok bool, err error) {
	if t == TypeString || t == TypeAuto {
		return s, true, nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false, nil
	}
	return parseAs(s, t)
}

func parseAs(s string, t Type) (any, bool, error) {
	switch t {
	case TypeInt:
		if isInt(s) {
			return json.Number(s), true, nil
		}
	case TypeFloat:
		if isFloat(s) {
			return json.Number(s), true, nil
		}
	case TypeBool:
		if isBool(s) {
			return strings.EqualFold(s, "true"), true, nil
		}
	case TypeString, TypeAuto:
		return s, true, nil
	}
	return nil, false, fmt.Errorf("%q is not %s", s, article(t))
}

// convertValue turns a JSON value into one of type t (TypeAuto keeps it).
func convertValue(v any, t Type) (any, bool, error) {
	if t == TypeAuto || v == nil {
		return v, true, nil
	}
	switch x := v.(type) {
	case string:
		if t == TypeString {
			return x, true, nil
		}
		return convertCell(x, t)
	case json.Number:
		if t == TypeString {
			return x.String(), true, nil
		}
		return parseAs(x.String(), t)
	case bool:
		if t == TypeString {
			return strconv.FormatBool(x), true, nil
		}
		if t == TypeBool {
			return x, true, nil
		}
	}
	return nil, false, fmt.Errorf("%v is not %s", v, article(t))
}

func article(t Type) string {
	if t == TypeInt {
		return "an int"
	}
	return "a " + t.String()
}
