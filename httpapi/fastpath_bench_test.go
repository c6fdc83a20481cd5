package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"
)

// The benchmarks below set each hand-written fast path beside what it
// replaces: encoding/json, strconv, and github.com/goccy/go-json as a
// maintained fast JSON library. Each checks, before timing, that every
// contender gives the same result, so a faster one is not faster because
// it does less. The hand-written answer encoder lost to goccy and was
// deleted (marshal uses goccy for answers now); BenchmarkEncodeAnswer
// keeps the two libraries. The README's "Hand-written fast paths" table,
// whose answer-encoder row was measured at 615beab, comes from
//
//	go test -run XXX -bench 'Decode|Parse|Encode' -benchmem -count 5 ./httpapi
//
// Beside ns/op they report cpu-ns/op, the process's CPU time per
// operation: on a shared machine wall-clock time also counts the time
// other jobs held the cores.

// benchCPU runs op in b.Loop, reporting allocations and cpu-ns/op.
func benchCPU(b *testing.B, op func() error) {
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEmbedding is a unit vector of dim float32s, as a sentence encoder
// would send it.
func benchEmbedding(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		x := rng.NormFloat64()
		v[i], norm = float32(x), norm+x*x
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm))
	}
	return v
}

// benchQueryBody is a query body of the shape clients send: a vector of
// dim numbers, a limit, search params, a payload filter.
func benchQueryBody(b *testing.B, dim int) []byte {
	vec, err := json.Marshal(benchEmbedding(rand.New(rand.NewPCG(uint64(dim), 1)), dim))
	require.NoError(b, err)
	return fmt.Appendf(nil, `{"query": %s, "limit": 10, "params": {"hnsw_ef": 128, "exact": false}, `+
		`"filter": {"must": [{"key": "genre", "match": {"value": "drama"}}, {"key": "year", "range": {"gte": 1990, "lt": 2010}}]}, `+
		`"with_payload": true, "with_vector": false}`, vec)
}

// goccyDecode decodes as decodeJSONBytes does (unknown fields refused,
// numbers kept as json.Number), with goccy/go-json.
func goccyDecode(data []byte, v any) error {
	dec := gojson.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return dec.Decode(v)
}

func BenchmarkDecodeQuery(b *testing.B) {
	decoders := []struct {
		name   string
		decode func([]byte, *queryRequest) error
	}{
		{"fast", func(data []byte, q *queryRequest) error {
			if !q.decodeFast(data) {
				return fmt.Errorf("the fast path gave up")
			}
			return nil
		}},
		{"encoding_json", func(data []byte, q *queryRequest) error { return decodeJSONBytes(data, q) }},
		{"goccy", func(data []byte, q *queryRequest) error { return goccyDecode(data, q) }},
	}
	for _, dim := range []int{100, 384} {
		body := benchQueryBody(b, dim)
		var want queryRequest
		require.NoError(b, decodeJSONBytes(body, &want))
		for _, d := range decoders {
			var got queryRequest
			require.NoError(b, d.decode(body, &got), d.name)
			require.Equal(b, want, got, d.name)
			b.Run(fmt.Sprintf("d=%d/%s", dim, d.name), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				benchCPU(b, func() error {
					var q queryRequest
					return d.decode(body, &q)
				})
			})
		}
	}
}

// BenchmarkParseFloat32 parses the 384 numbers of an embedding as the
// encoder writes them.
func BenchmarkParseFloat32(b *testing.B) {
	var toks [][]byte
	for _, f := range benchEmbedding(rand.New(rand.NewPCG(384, 1)), 384) {
		toks = append(toks, strconv.AppendFloat(nil, float64(f), 'g', -1, 32))
	}
	parsers := []struct {
		name  string
		parse func([]byte) (float32, bool)
	}{
		{"fast", parseFloat32},
		{"strconv", func(tok []byte) (float32, bool) {
			f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 32)
			return float32(f), err == nil
		}},
	}
	for _, p := range parsers {
		for _, tok := range toks {
			want, err := strconv.ParseFloat(string(tok), 32)
			require.NoError(b, err)
			got, ok := p.parse(tok)
			require.True(b, ok)
			require.Equal(b, math.Float32bits(float32(want)), math.Float32bits(got), "%s %s", p.name, tok)
		}
		b.Run(p.name, func(b *testing.B) {
			benchCPU(b, func() error {
				for _, tok := range toks {
					if _, ok := p.parse(tok); !ok {
						return fmt.Errorf("%s does not parse", tok)
					}
				}
				return nil
			})
		})
	}
}

// benchAnswer is a query's answer of n points with payloads, as a search
// over a movie collection returns it.
func benchAnswer(n int) queryResponse {
	rng := rand.New(rand.NewPCG(uint64(n), 2))
	genres := []string{"Drama", "Comedy", "Thriller", "Animation", "Sci-Fi"}
	pts := make(scoredPoints, n)
	for i := range pts {
		id := pointid.FromNum(rng.Uint64N(1 << 40))
		if i%4 == 0 {
			var u uuid.UUID
			for j := range u {
				u[j] = byte(rng.Uint32())
			}
			id = pointid.FromUUID(u)
		}
		pts[i] = scoredPoint{ID: id, Version: rng.IntN(5), Score: float32(1 - float64(i)/float64(2*n) - rng.Float64()/1e3),
			Payload: filter.Payload{
				"title":  fmt.Sprintf("Movie number %d (19%02d)", i, rng.IntN(100)),
				"year":   json.Number(strconv.Itoa(1950 + rng.IntN(75))),
				"rating": json.Number(strconv.FormatFloat(float64(rng.IntN(50))/10, 'f', -1, 64)),
				"genres": []any{genres[rng.IntN(len(genres))], genres[rng.IntN(len(genres))]},
			}}
	}
	return queryResponse{Points: pts}
}

func BenchmarkEncodeAnswer(b *testing.B) {
	encoders := []struct {
		name   string
		encode func(any) ([]byte, error)
	}{
		{"encoding_json", json.Marshal},
		{"goccy", gojson.Marshal},
	}
	for _, n := range []int{10, 100} {
		answer := benchAnswer(n)
		want, err := json.Marshal(answer)
		require.NoError(b, err)
		for _, e := range encoders {
			got, err := e.encode(answer)
			require.NoError(b, err, e.name)
			require.Equal(b, string(want), string(got), e.name)
			b.Run(fmt.Sprintf("n=%d/%s", n, e.name), func(b *testing.B) {
				b.SetBytes(int64(len(want)))
				benchCPU(b, func() error {
					_, err := e.encode(answer)
					return err
				})
			})
		}
	}
}
