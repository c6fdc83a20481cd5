package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

func parseCSV(t *testing.T, in string, opts ParseOptions) *Parsed {
	t.Helper()
	opts.Format = CSV
	if opts.VectorField == "" && opts.TextFields == nil {
		opts.TextFields = []string{"title"}
	}
	p, err := Parse(strings.NewReader(in), opts)
	require.NoError(t, err)
	return p
}

func payloads(p *Parsed) []map[string]any {
	out := make([]map[string]any, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.Point.Payload
	}
	return out
}

func TestCSVTypeInference(t *testing.T) {
	in := "id,title,year,rating,seen,zip,mixed,blank\n" +
		"1,Heat,1995,8.5,true,02134,1,\n" +
		"2,Alien,1979,7,FALSE,10001,x,\n" +
		"3,Up,,1e1,,90210,2,\n"
	p := parseCSV(t, in, ParseOptions{})
	types := map[string]string{}
	for _, c := range p.Columns {
		types[c.Name] = c.String()
	}
	require.Equal(t, map[string]string{
		"id": "id id", "title": "title string", "year": "year int", "rating": "rating float",
		"seen": "seen bool", "zip": "zip string", "mixed": "mixed string", "blank": "blank string",
	}, types, "a leading zero keeps zip a string; one non-number keeps mixed one")
	require.Equal(t, []map[string]any{
		{"title": "Heat", "year": json.Number("1995"), "rating": json.Number("8.5"), "seen": true, "zip": "02134", "mixed": "1", "blank": ""},
		{"title": "Alien", "year": json.Number("1979"), "rating": json.Number("7"), "seen": false, "zip": "10001", "mixed": "x", "blank": ""},
		{"title": "Up", "rating": json.Number("1e1"), "zip": "90210", "mixed": "2", "blank": ""},
	}, payloads(p), "empty cells of typed columns are left out; numbers keep their text")
	raw, err := json.Marshal(p.Records[0].Point.Payload)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"year":1995`, "sent as a JSON number")
}

func TestCSVInferenceEdges(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   Type
	}{
		{[]string{"1", "-2", "0"}, TypeInt},
		{[]string{"1", "2.5"}, TypeFloat},
		{[]string{"9223372036854775808"}, TypeFloat}, // beyond int64: a float, exact as text
		{[]string{"+1"}, TypeString},
		{[]string{"-0.5", "1E-3"}, TypeFloat},
		{[]string{"NaN"}, TypeString},
		{[]string{"Inf"}, TypeString},
		{[]string{"1e999"}, TypeString}, // not finite
		{[]string{"0x10"}, TypeString},
		{[]string{"True", "false"}, TypeBool},
		{[]string{"1", "true"}, TypeString},
		{[]string{" 12 ", ""}, TypeInt},
		{[]string{"", ""}, TypeString},
	} {
		got := inferType(func(yield func(string) bool) {
			for _, v := range tc.values {
				if !yield(v) {
					return
				}
			}
		})
		require.Equal(t, tc.want, got, "%q", tc.values)
	}
}

func TestCSVForcedTypes(t *testing.T) {
	in := "id,title,year,code\n1,Heat,1995,7\n2,Alien,1979,08\n"
	p := parseCSV(t, in, ParseOptions{Types: map[string]Type{"year": TypeString, "code": TypeString}})
	require.Equal(t, "1995", p.Records[0].Point.Payload["year"])
	require.Equal(t, "08", p.Records[1].Point.Payload["code"])

	_, err := Parse(strings.NewReader(in), ParseOptions{Format: CSV, TextFields: []string{"title"}, Types: map[string]Type{"code": TypeInt}})
	var inv *InvalidError
	require.True(t, errors.As(err, &inv), "%v", err)
	require.Equal(t, []Skip{{Line: 3, Reason: Invalid, Detail: `column "code": "08" is not an int`}}, inv.Rows)

	_, err = Parse(strings.NewReader(in), ParseOptions{Format: CSV, TextFields: []string{"title"}, Types: map[string]Type{"yaer": TypeInt}})
	require.ErrorContains(t, err, `"yaer"`, "a typo in a type's column is refused")
	_, err = Parse(strings.NewReader(in), ParseOptions{Format: CSV, TextFields: []string{"title"}, Types: map[string]Type{"id": TypeInt}})
	require.ErrorContains(t, err, "no payload type")

	types, err := ParseTypes("year=int, title=string,rating=FLOAT")
	require.NoError(t, err)
	require.Equal(t, map[string]Type{"year": TypeInt, "title": TypeString, "rating": TypeFloat}, types)
	for _, bad := range []string{"year", "=int", "year=number"} {
		_, err := ParseTypes(bad)
		require.Error(t, err, bad)
	}
}

func TestCSVQuoted(t *testing.T) {
	in := "id,title,genres\n" +
		"1,\"Heat, the film\",Crime|Drama\n" +
		"2,\"A \"\"quoted\"\" word\",\n" +
		"3,\"two\nlines\",Drama\n" +
		"4,Up,Animation| Comedy |\n"
	p := parseCSV(t, in, ParseOptions{ListFields: []string{"genres"}})
	require.Len(t, p.Records, 4)
	require.Equal(t, "Heat, the film", p.Records[0].Point.Text)
	require.Equal(t, `A "quoted" word`, p.Records[1].Point.Text)
	require.Equal(t, "two\nlines", p.Records[2].Point.Text)
	require.Equal(t, []any{"Animation", "Comedy"}, p.Records[3].Point.Payload["genres"])
	require.Equal(t, []any{}, p.Records[1].Point.Payload["genres"])
	lines := []int{}
	for _, r := range p.Records {
		lines = append(lines, r.Line)
	}
	require.Equal(t, []int{2, 3, 4, 6}, lines, "a record's line is where it starts")

	_, err := Parse(strings.NewReader("id,title\n1,\"open\n"), ParseOptions{Format: CSV, TextFields: []string{"title"}})
	require.ErrorContains(t, err, "line", "a quoting error names its line")
}

func TestCSVBadRows(t *testing.T) {
	in := "id,title,vec\n" +
		"1,Heat,1 2\n" +
		"2,Alien\n" + // too few fields
		"x,Up,1 2\n" + // bad id
		"4,Big,1 two\n" + // bad vector
		",Nope,1 2\n" + // no id
		"6,Jaws,\"[3, 4]\"\n"
	opts := ParseOptions{Format: CSV, VectorField: "vec"}
	_, err := Parse(strings.NewReader(in), opts)
	var inv *InvalidError
	require.True(t, errors.As(err, &inv), "%v", err)
	var lines []int
	for _, r := range inv.Rows {
		lines = append(lines, r.Line)
	}
	require.Equal(t, []int{3, 4, 5, 6}, lines)
	require.Contains(t, inv.Rows[0].Detail, "2 fields, the header has 3")
	require.Contains(t, err.Error(), "line 4: ")

	opts.SkipInvalid = true
	p, err := Parse(strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Equal(t, 6, p.Read)
	require.Len(t, p.Records, 2)
	require.Equal(t, []float32{3, 4}, p.Records[1].Point.Vector)
	require.Len(t, p.Skipped, 4)
	require.Equal(t, map[string]any{"title": "Heat"}, p.Records[0].Point.Payload, "the vector is not payload")
}

func TestIDs(t *testing.T) {
	in := "title,year\nHeat,1995\nAlien,1979\nHeat,1995\n"
	_, err := Parse(strings.NewReader(in), ParseOptions{Format: CSV, TextFields: []string{"title"}})
	require.ErrorIs(t, err, ErrNoID, "never numbered from 1")

	opts := ParseOptions{Format: CSV, TextFields: []string{"title"}, AutoID: true}
	p, err := Parse(strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Len(t, p.Records, 2)
	require.True(t, p.Records[0].Point.ID.IsUUID())
	require.Equal(t, []Skip{{Line: 4, Reason: Duplicate, Detail: fmt.Sprintf("id %s, first on line 2", p.Records[0].Point.ID)}}, p.Skipped,
		"the same content is the same id")
	again, err := Parse(strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Equal(t, p.Records, again.Records, "content ids are stable across runs")

	_, err = Parse(strings.NewReader("id,title\n1,a\n"), opts)
	require.ErrorContains(t, err, "have an id field")

	p = parseCSV(t, "movieId,title\n7,a\n8,b\n7,c\n", ParseOptions{IDField: "movieId"})
	require.Equal(t, pointid.FromNum(7), p.Records[0].Point.ID)
	require.Equal(t, "a", p.Records[0].Point.Text, "the first of a duplicate id is kept")
	require.Equal(t, []Skip{{Line: 4, Reason: Duplicate, Detail: "id 7, first on line 2"}}, p.Skipped)
}

func TestJSONL(t *testing.T) {
	in := `{"id": 1, "vector": [0.5, -1], "name": "a", "n": 18446744073709551615, "tags": "x|y"}` + "\n" +
		"\n" +
		`{"id": "5c56c793-69f3-4fbf-87e6-c4bf54c28c26", "vector": [1, 2], "name": "b", "year": "1951"}` + "\n" +
		`{"id": 3, "vector": [1, "two"]}` + "\n" +
		`not json` + "\n" +
		`[1, 2]` + "\n" +
		`{"id": 1, "vector": [3, 4]}` + "\n"
	opts := ParseOptions{VectorField: "vector", ListFields: []string{"tags"}, Types: map[string]Type{"year": TypeInt}, SkipInvalid: true}
	p, err := Parse(strings.NewReader(in), opts)
	require.NoError(t, err)
	require.Equal(t, 6, p.Read)
	require.Len(t, p.Records, 2)
	require.Equal(t, pointid.FromNum(1), p.Records[0].Point.ID)
	require.Equal(t, []float32{0.5, -1}, p.Records[0].Point.Vector)
	require.Equal(t, map[string]any{"name": "a", "n": json.Number("18446744073709551615"), "tags": []any{"x", "y"}}, p.Records[0].Point.Payload)
	require.True(t, p.Records[1].Point.ID.IsUUID())
	require.Equal(t, 3, p.Records[1].Line)
	require.Equal(t, json.Number("1951"), p.Records[1].Point.Payload["year"], "--type converts JSON strings too")
	var reasons []string
	for _, s := range p.Skipped {
		reasons = append(reasons, fmt.Sprintf("%d %s", s.Line, s.Reason))
	}
	require.Equal(t, []string{"4 invalid", "5 invalid", "6 invalid", "7 duplicate id in the input"}, reasons)

	docs := `{"id": 10, "title": "Heat", "genres": ["Crime", "Drama"], "year": 1995}` + "\n" +
		`{"id": 11, "title": "", "genres": []}` + "\n"
	_, err = Parse(strings.NewReader(docs), ParseOptions{TextFields: []string{"title", "genres"}, Model: "m"})
	var inv *InvalidError
	require.True(t, errors.As(err, &inv), "%v", err)
	require.Equal(t, []Skip{{Line: 2, Reason: Invalid, Detail: "no text in fields title, genres"}}, inv.Rows)
	p, err = Parse(strings.NewReader(docs), ParseOptions{TextFields: []string{"title", "genres"}, Model: "m", PayloadFields: []string{"year"}, SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, "Heat. Crime, Drama", p.Records[0].Point.Text)
	require.Equal(t, "m", p.Records[0].Point.Model)
	require.Nil(t, p.Records[0].Point.Vector)
	require.Equal(t, map[string]any{"year": json.Number("1995")}, p.Records[0].Point.Payload)
}

// TestCSVNumbersRoundTrip writes random integer, float and string columns
// and checks that each is typed as written and its values come back exact.
func TestCSVNumbersRoundTrip(t *testing.T) {
	rng := testseed.New(t)
	for range 50 {
		rows := 1 + rng.IntN(20)
		var b strings.Builder
		b.WriteString("id,title,i,f,s\n")
		want := make([]map[string]any, rows)
		for r := range rows {
			i := fmt.Sprint(rng.Int64N(1<<62) - 1<<61)
			f := strconv.FormatFloat(rng.NormFloat64()*1e6, 'f', 1+rng.IntN(4), 64)
			s := fmt.Sprintf("0%d", rng.IntN(1000)) // a leading zero: kept as text
			fmt.Fprintf(&b, "%d,t%d,%s,%s,%s\n", r, r, i, f, s)
			want[r] = map[string]any{"title": fmt.Sprintf("t%d", r), "i": json.Number(i), "f": json.Number(f), "s": s}
		}
		p := parseCSV(t, b.String(), ParseOptions{})
		require.Equal(t, want, payloads(p), b.String())
		require.Equal(t, TypeInt, p.Columns[2].Type)
		require.Equal(t, TypeFloat, p.Columns[3].Type)
		require.Equal(t, TypeString, p.Columns[4].Type)
	}
}
