package httpapi

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// randomScored makes points with the ids, scores, payloads and vectors
// an answer can hold, extremes included.
func randomScored(rng *rand.Rand, n int) scoredPoints {
	floats := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-30, 1e20, 1e21, 3.4e38,
		math.SmallestNonzeroFloat32, 123456789, 0.33333334}
	pick := func() float32 {
		if rng.IntN(2) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return math.Float32frombits(rng.Uint32() &^ (1 << 30)) // never NaN or Inf
	}
	// Strings encoding/json escapes or repairs: HTML, control bytes,
	// invalid UTF-8, the JavaScript line separators.
	texts := []string{"<Tom & Jerry>", "tab\there \"quoted\" back\\slash", "\x00\x1f\x7f", "bad \xff\xfe utf-8",
		"cut \xe2\x82", "line\u2028para\u2029", "日本語 ✓ 🎬", ""}
	out := make(scoredPoints, n)
	for i := range out {
		p := scoredPoint{ID: pointid.FromNum(rng.Uint64() >> rng.IntN(64)), Version: rng.IntN(3), Score: pick()}
		if rng.IntN(3) == 0 {
			var u uuid.UUID
			for j := range u {
				u[j] = byte(rng.Uint32())
			}
			p.ID = pointid.FromUUID(u)
		}
		if rng.IntN(2) == 0 {
			p.Payload = filter.Payload{
				"title": texts[rng.IntN(len(texts))], texts[rng.IntN(len(texts))]: json.Number("1999"),
				"tags": []any{"a", json.Number("-2.5e-3"), nil, true, map[string]any{"z": 1, "a": []any{}},
					math.Float64frombits(rng.Uint64() &^ (1 << 62)), float64(pick()), rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))},
				"nested": map[string]any{texts[rng.IntN(len(texts))]: texts[rng.IntN(len(texts))]},
			}
		}
		if rng.IntN(2) == 0 {
			p.Vector = make([]float32, rng.IntN(5))
			for j := range p.Vector {
				p.Vector[j] = pick()
			}
		}
		out[i] = p
	}
	return out
}

// requireMarshalAgrees holds marshal to json.Marshal on one value, and
// goccy itself when json.Marshal succeeds, so that marshal's fallback to
// encoding/json cannot hide a difference.
func requireMarshalAgrees(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := marshal(v)
	require.Equal(t, wantErr, err)
	require.Equal(t, string(want), string(got))
	if wantErr == nil {
		direct, err := gojson.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(direct))
	}
}

func TestMarshalAnswerAgreesWithEncodingJSON(t *testing.T) {
	rng := testseed.New(t)
	times := []float64{0, 1e-7, 9.5e-7, 1e-6, 0.000123, 0.5, 123.456, 1e21, 1.5e300}
	envelopeOf := func(result any) envelope {
		tm := rng.ExpFloat64() / 1e4
		if rng.IntN(4) == 0 {
			tm = times[rng.IntN(len(times))]
		}
		return envelope{Result: result, Status: "ok", Time: tm}
	}
	for i := range 500 {
		points := randomScored(rng, i%7)
		if i%50 == 0 {
			points = nil
		}
		for _, result := range []any{queryResponse{Points: points}, points} {
			require.True(t, isAnswer(result))
			requireMarshalAgrees(t, envelopeOf(result))
		}
	}
	for i := range 50 {
		var batch queryResponses
		var lists scoredPointLists
		for j := range i % 4 {
			batch = append(batch, queryResponse{Points: randomScored(rng, j)})
			lists = append(lists, randomScored(rng, j))
		}
		requireMarshalAgrees(t, envelopeOf(batch))
		requireMarshalAgrees(t, envelopeOf(lists))
	}
	nan := envelopeOf(scoredPoints{{Score: float32(math.NaN())}})
	_, err := marshal(nan)
	require.Error(t, err, "NaN has no JSON form")
	requireMarshalAgrees(t, nan) // and the error is encoding/json's
}

func TestWriteResultAnswer(t *testing.T) {
	rec := httptest.NewRecorder()
	writeResult(rec, time.Now(), queryResponse{Points: scoredPoints{{ID: pointid.FromNum(7), Score: 0.5}}})
	require.Equal(t, http.StatusOK, rec.Code)
	var got struct {
		Result queryResponse `json:"result"`
		Status string        `json:"status"`
		Time   float64       `json:"time"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, "ok", got.Status)
	require.Equal(t, scoredPoints{{ID: pointid.FromNum(7), Score: 0.5}}, got.Result.Points)

	rec = httptest.NewRecorder()
	writeResult(rec, time.Now(), scoredPoints{{Score: float32(math.Inf(1))}})
	require.Equal(t, http.StatusInternalServerError, rec.Code)
}
