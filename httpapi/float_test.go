package httpapi

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// checkParseFloat32 holds parseFloat32 to strconv on one JSON number.
func checkParseFloat32(t *testing.T, s string) {
	l := &lexer{data: []byte(s)}
	tok, ok := l.number()
	if !ok || l.pos != len(s) {
		return // not a JSON number: the lexer never passes it on
	}
	want, err := strconv.ParseFloat(string(tok), 32)
	got, ok := parseFloat32(tok)
	require.Equal(t, err == nil, ok, "%q", s)
	if ok {
		require.Equal(t, math.Float32bits(float32(want)), math.Float32bits(got), "%q: want %v, got %v", s, float32(want), got)
	}
}

func TestParseFloat32AgreesWithStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1", "0.5", "0.0065612425", "-0.042065546", "1.2345678e-05", "1E+2",
		"3.4028235e38", "3.4028236e38", "1e39", "-1e39", "1e-46", "1.4e-45", "7e-46", "123456789012345", "1234567890123456",
		"16777217", "16777219", "0.000000000000000000001", "1e22", "1e23", "9007199254740993", "2.5e-1", "33554433e-1",
		// Halfway between float32 neighbours: the fast path must not decide these.
		"16777217.0", "1.00000005960464477539", "0.500000029802322387695"} {
		checkParseFloat32(t, s)
	}
	rng := testseed.New(t)
	for range 200000 {
		f := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		checkParseFloat32(t, strconv.FormatFloat(float64(f), 'g', -1, 32))
		checkParseFloat32(t, strconv.FormatFloat(float64(f), 'e', rng.IntN(17), 64))
		// Midpoints between neighbours, written out exactly.
		mid := (float64(f) + float64(math.Nextafter32(f, float32(math.Inf(1))))) / 2
		checkParseFloat32(t, strconv.FormatFloat(mid, 'g', -1, 64))
		checkParseFloat32(t, strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)), 'f', rng.IntN(12), 64))
	}
}

func FuzzParseFloat32(f *testing.F) {
	for _, s := range []string{"0.1", "-2.5e-3", "16777217", "1e39"} {
		f.Add(s)
	}
	f.Fuzz(checkParseFloat32)
}
