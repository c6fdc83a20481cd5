package userid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

func TestParseCanonicalNumbers(t *testing.T) {
	for s, num := range map[string]bool{"42": true, "0": true, "18446744073709551615": true,
		"042": false, "18446744073709551616": false, "-1": false, "alice": false, "4 2": false} {
		id, err := Parse(s)
		require.NoError(t, err)
		_, isNum := id.Num()
		require.Equal(t, num, isNum, s)
		require.Equal(t, s, id.String())
	}
	a, _ := Parse("42")
	require.Equal(t, FromNum(42), a)
	for _, bad := range []string{"", string(make([]byte, MaxNameLen+1)), "\xff"} {
		_, err := Parse(bad)
		require.Error(t, err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, in := range []string{`42`, `"alice"`, `"42"`, `"éa"`} {
		var id ID
		require.NoError(t, json.Unmarshal([]byte(in), &id))
		out, err := json.Marshal(id)
		require.NoError(t, err)
		var back ID
		require.NoError(t, json.Unmarshal(out, &back))
		require.Equal(t, id, back)
	}
	var id ID
	for _, bad := range []string{`-1`, `1.5`, `true`, `""`, `null`} {
		require.Error(t, json.Unmarshal([]byte(bad), &id), bad)
	}
}

func TestKeyOrderAndDecode(t *testing.T) {
	r := testseed.New(t)
	ids := make([]ID, 300)
	for i := range ids {
		if r.IntN(2) == 0 {
			ids[i] = FromNum(r.Uint64() >> r.UintN(64))
		} else {
			ids[i], _ = Parse(fmt.Sprintf("u%x", r.Uint64()>>r.UintN(64)))
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Compare(ids[j]) < 0 })
	for i := 1; i < len(ids); i++ {
		a, b := ids[i-1].AppendKey(nil), ids[i].AppendKey(nil)
		require.Equal(t, ids[i-1].Compare(ids[i]), bytes.Compare(a, b), "%v %v", ids[i-1], ids[i])
		got, rest, err := DecodeKey(append(a, 7))
		require.NoError(t, err)
		require.Equal(t, ids[i-1], got)
		require.Equal(t, []byte{7}, rest)
	}
	_, _, err := DecodeKey([]byte{tagName, 0, 9, 'x'})
	require.Error(t, err)
}
