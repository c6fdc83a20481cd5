package pointid

import (
	"bytes"
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/uuid"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

func TestIDJSONRoundTrip(t *testing.T) {
	u := uuid.MustParse("936da01f-9abd-4d9d-80c7-02af85c822a8")
	for _, id := range []ID{FromNum(0), FromNum(42), FromNum(1<<64 - 1), FromUUID(u)} {
		b, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var got ID
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if got != id {
			t.Errorf("round trip of %v gave %v (json %s)", id, got, b)
		}
		parsed, err := Parse(id.String())
		if err != nil || parsed != id {
			t.Errorf("Parse(%q) = %v, %v", id.String(), parsed, err)
		}
	}
	for _, bad := range []string{`-1`, `1.5`, `"nope"`, `18446744073709551616`, `true`} {
		var id ID
		if err := json.Unmarshal([]byte(bad), &id); err == nil {
			t.Errorf("unmarshal %s: got %v, want error", bad, id)
		}
	}
}

func TestIDKeyOrder(t *testing.T) {
	r := testseed.New(t)
	ids := make([]ID, 200)
	for i := range ids {
		if r.IntN(3) == 0 {
			var u uuid.UUID
			for j := range u {
				u[j] = byte(r.Uint32())
			}
			ids[i] = FromUUID(u)
		} else {
			ids[i] = FromNum(r.Uint64() >> r.UintN(64))
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Compare(ids[j]) < 0 })
	for i := 1; i < len(ids); i++ {
		a, b := ids[i-1], ids[i]
		an, aNum := a.Num()
		bn, bNum := b.Num()
		switch {
		case aNum && bNum && an > bn:
			t.Fatalf("integer order: %v before %v", a, b)
		case !aNum && bNum:
			t.Fatalf("UUID %v sorted before integer %v", a, b)
		}
		for _, c := range ids[max(0, i-5) : i+1] {
			require.Equal(t, bytes.Compare(c.AppendKey(nil), b.AppendKey(nil)), c.Compare(b), "%v vs %v", c, b)
			require.Equal(t, bytes.Compare(b.AppendKey(nil), c.AppendKey(nil)), b.Compare(c), "%v vs %v", b, c)
		}
		got, rest, err := DecodeKey(a.AppendKey(nil))
		if err != nil || got != a || len(rest) != 0 {
			t.Fatalf("decode %v: %v %x %v", a, got, rest, err)
		}
	}
}
