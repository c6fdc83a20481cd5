package pointid

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzID feeds arbitrary text to the id decoders (Parse for path segments,
// UnmarshalJSON for bodies, DecodeKey for stored keys): each accepted id
// must round-trip through its string, JSON and key forms unchanged.
func FuzzID(f *testing.F) {
	for _, seed := range []string{"0", "18446744073709551615", "18446744073709551616", "-1", "1e3",
		"936da01f-9abd-4d9d-80c7-02af85c822a8", "{936da01f-9abd-4d9d-80c7-02af85c822a8}",
		"urn:uuid:936da01f-9abd-4d9d-80c7-02af85c822a8", `"7"`, "7.0", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := Parse(s); err == nil {
			roundTrip(t, id)
		}
		var id ID
		if err := json.Unmarshal([]byte(s), &id); err == nil {
			roundTrip(t, id)
		}
		if id, rest, err := DecodeKey([]byte(s)); err == nil {
			roundTrip(t, id)
			key := id.AppendKey(nil)
			if !bytes.Equal(append(key, rest...), []byte(s)) {
				t.Fatalf("DecodeKey(%q) = %v + %q, which encodes as %q", s, id, rest, key)
			}
		}
	})
}

func roundTrip(t *testing.T, id ID) {
	t.Helper()
	if back, err := Parse(id.String()); err != nil || back != id {
		t.Fatalf("Parse(%q) = %v, %v; want %v", id.String(), back, err, id)
	}
	b, err := json.Marshal(id)
	if err != nil {
		t.Fatalf("marshal %v: %v", id, err)
	}
	var back ID
	if err := json.Unmarshal(b, &back); err != nil || back != id {
		t.Fatalf("unmarshal %s = %v, %v; want %v", b, back, err, id)
	}
	if back, rest, err := DecodeKey(id.AppendKey(nil)); err != nil || back != id || len(rest) != 0 {
		t.Fatalf("key of %v decodes as %v, %q, %v", id, back, rest, err)
	}
}
