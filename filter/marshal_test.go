package filter

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// Parse reads back what Marshal writes, condition for condition, nil and
// empty lists kept apart.
func TestMarshalRoundTrips(t *testing.T) {
	lo, hi := 1.5, 9.0
	for _, f := range []*Filter{
		{},
		{Must: []Condition{}},
		{
			Must: []Condition{
				{Field: &FieldCondition{Key: "city", Match: NewMatchValue("London")}},
				{Field: &FieldCondition{Key: "n", Range: &Range{GTE: &lo, LT: &hi}}},
				{HasID: []pointid.ID{pointid.FromNum(3)}},
			},
			Should:  []Condition{{IsEmpty: "e"}, {IsNull: "a.b[].c"}, {Field: &FieldCondition{Key: "t", Match: NewMatchAny("x", "y")}}},
			MustNot: []Condition{{Filter: &Filter{Must: []Condition{{Field: &FieldCondition{Key: "k", Match: NewMatchExcept(2.0, "z")}}}}}},
		},
	} {
		raw, err := Marshal(f)
		require.NoError(t, err)
		got, err := Parse(raw)
		require.NoError(t, err, "%s", raw)
		require.Equal(t, f, got, "%s", raw)
	}
	_, err := Marshal(&Filter{Must: []Condition{{}}})
	require.ErrorIs(t, err, ErrInvalid)
}
