package filter

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/quiver-db/quiver/pointid"
)

func payload(t *testing.T, s string) Payload {
	t.Helper()
	var p Payload
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// The filters are spelled as in Qdrant's documentation.
func TestMatchesQdrantExamples(t *testing.T) {
	points := map[uint64]string{
		1: `{"city": "London", "color": "green", "price": 10}`,
		2: `{"city": "London", "color": "red", "price": 30.5}`,
		3: `{"city": ["Berlin", "Moscow"], "color": "blue", "count": 0}`,
		4: `{"city": null, "color": "red", "tags": []}`,
		5: `{"country": {"name": "Germany", "cities": [{"name": "Berlin", "population": 3.7}, {"name": "Munich", "population": 1.5}]}}`,
		6: `{"good": true, "color": "green", "price": 10}`,
	}
	cases := []struct {
		filter string
		want   []uint64
	}{
		{`{}`, []uint64{1, 2, 3, 4, 5, 6}},
		{`{"must": [{"key": "city", "match": {"value": "London"}}]}`, []uint64{1, 2}},
		{`{"must": {"key": "city", "match": {"value": "Berlin"}}}`, []uint64{3}},
		{`{"must": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`, []uint64{2}},
		{`{"should": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`, []uint64{1, 2, 4}},
		{`{"must_not": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`, []uint64{3, 5, 6}},
		{`{"must": [{"key": "color", "match": {"any": ["red", "blue"]}}]}`, []uint64{2, 3, 4}},
		{`{"must": [{"key": "color", "match": {"except": ["red", "blue"]}}]}`, []uint64{1, 6}},
		{`{"must": [{"key": "price", "range": {"gt": 10}}]}`, []uint64{2}},
		{`{"must": [{"key": "price", "range": {"gte": 10, "lt": 30.5}}]}`, []uint64{1, 6}},
		{`{"must": [{"key": "price", "match": {"value": 10}}]}`, []uint64{1, 6}},
		{`{"must": [{"key": "good", "match": {"value": true}}]}`, []uint64{6}},
		{`{"must": [{"key": "count", "match": {"value": false}}]}`, nil},
		{`{"must": [{"has_id": [1, 3, 100]}]}`, []uint64{1, 3}},
		{`{"must": [{"is_empty": {"key": "city"}}]}`, []uint64{4, 5, 6}},
		{`{"must": [{"is_empty": {"key": "tags"}}, {"is_null": {"key": "city"}}]}`, []uint64{4}},
		{`{"must": [{"key": "country.cities[].population", "range": {"gte": 3.0}}]}`, []uint64{5}},
		{`{"must": [{"key": "country.name", "match": {"value": "Germany"}}]}`, []uint64{5}},
		{`{"must": [{"must_not": [{"key": "color", "match": {"value": "red"}}]}], "should": {"key": "price", "range": {"lte": 10}}}`, []uint64{1, 6}},
	}
	for _, tc := range cases {
		f, err := Parse([]byte(tc.filter))
		if err != nil {
			t.Errorf("parse %s: %v", tc.filter, err)
			continue
		}
		var got []uint64
		for id := uint64(1); id <= 6; id++ {
			if f.Matches(pointid.FromNum(id), payload(t, points[id])) {
				got = append(got, id)
			}
		}
		if len(got) != len(tc.want) || (len(got) > 0 && !equalIDs(got, tc.want)) {
			t.Errorf("%s: matched %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func equalIDs(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{
		`[]`,
		`{"mustt": []}`,
		`{"must": [{"key": "a"}]}`,
		`{"must": [{"key": "a", "match": {"value": [1]}}]}`,
		`{"must": [{"key": "a", "match": {"text": "x"}}]}`,
		`{"must": [{"key": "a", "match": {"value": 1, "any": [1]}}]}`,
		`{"must": [{"key": "a", "range": {"gt": "x"}}]}`,
		`{"must": [{"key": "a", "range": {"gtx": 1}}]}`,
		`{"must": [{"has_id": [-1]}]}`,
		`{"must": [{"is_empty": {"field": "a"}}]}`,
		`{"must": [{"geo_radius": {}}]}`,
		`{"must": [{"key": "a", "geo_radius": {}}]}`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) succeeded, want an error", bad)
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%s): %v does not wrap ErrInvalid", bad, err)
		}
	}
}
