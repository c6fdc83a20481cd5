package shard

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// fieldsOf lists a struct type's fields, those of embedded and nested
// structs by their path.
func fieldsOf(t reflect.Type, prefix string) []string {
	var out []string
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue // its fields are visible
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, fieldsOf(f.Type, prefix+f.Name+".")...)
			continue
		}
		out = append(out, prefix+f.Name)
	}
	slices.Sort(out)
	return out
}

// The binary form carries every field of index.SearchRequest: a field
// added there must be added to appendSearch and parseSearch (and here).
func TestSearchFormCoversTheRequest(t *testing.T) {
	require.Equal(t, []string{
		"Ef", "Exact", "Exclude", "Filter", "IVF.Ignore", "IVF.Probe", "IVF.Reorder", "Include", "Limit", "Offset",
		"Quantization.Ignore", "Quantization.NoRescore", "Quantization.Oversampling",
		"Using", "Vector", "VectorNames", "WithPayload", "WithVector",
	}, fieldsOf(reflect.TypeFor[index.SearchRequest](), ""))
}

func TestSearchRequestRoundTrip(t *testing.T) {
	flt := mustFilter(t, `{"must":[{"key":"tag","match":{"value":"b"}}]}`)
	raw, err := marshalFilter(flt)
	require.NoError(t, err)
	for _, req := range []index.SearchRequest{
		{},
		{Vector: []float32{}, ReadOptions: index.ReadOptions{Include: []string{}, Exclude: []string{""}, VectorNames: []string{}}},
		{Using: "é", Vector: []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 1e-45, float32(math.Inf(1))},
			Limit: 7, Offset: math.MaxInt, Ef: -1, Exact: true, Filter: flt,
			Quantization: index.QuantizationSearch{Ignore: true, NoRescore: true, Oversampling: 2.5},
			IVF:          index.IVFSearch{Ignore: true, Probe: 9, Reorder: math.MinInt},
			ReadOptions:  index.ReadOptions{WithPayload: true, Include: []string{"x", "y"}, WithVector: true, VectorNames: []string{"a"}}},
		{Limit: 3, ReadOptions: index.ReadOptions{Exclude: []string{"z"}}, Quantization: index.QuantizationSearch{Oversampling: math.NaN()}},
	} {
		f := raw
		if req.Filter == nil {
			f = nil
		}
		b := appendSearch(nil, req, f)
		got, err := parseSearch(b)
		require.NoError(t, err)
		require.Equal(t, req.Filter != nil, got.Filter != nil)
		require.Equal(t, req.Vector == nil, got.Vector == nil)
		require.Len(t, got.Vector, len(req.Vector))
		for i := range req.Vector {
			require.Equal(t, math.Float32bits(req.Vector[i]), math.Float32bits(got.Vector[i]), "component %d", i)
		}
		require.Equal(t, math.Float64bits(req.Quantization.Oversampling), math.Float64bits(got.Quantization.Oversampling))
		want := req
		want.Vector, got.Vector, want.Filter, got.Filter = nil, nil, nil, nil
		want.Quantization.Oversampling, got.Quantization.Oversampling = 0, 0
		require.Equal(t, want, got)

		// Every cut is refused, but those that drop whole float32s off
		// the vector's end (the form cannot tell them), as a bad request.
		fixed := len(b) - 4*len(req.Vector)
		for n := range len(b) {
			_, err := parseSearch(b[:n])
			if n < fixed || (n-fixed)%4 != 0 {
				require.ErrorIs(t, err, index.ErrBadRequest, "cut at %d of %d", n, len(b))
			}
		}
	}
	for _, bad := range [][]byte{
		append([]byte("QSR1\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...),                                    // no flags
		append(append([]byte("QSR1\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...), 0x80, 0, 0, 0, 0),          // unknown flag
		append(append([]byte("QSR1\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...), 0, 0, 0, 0, 0, 1, 2, 3, 4), // vector bytes, no vector
		append(append([]byte("QSR1\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...), reqHasVector, 0, 0, 0, 0, 1, 2, 3),
		append(append([]byte("QSR1\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...), 0, 0xff, 0xff, 0xff, 0xff, 0x0f), // a list beyond the body
		append(append([]byte("QSR1\x00\x00\x00\x00\x00\x00"), make([]byte, 8)...), 0, 0, 0, 0, 3, 'x', 'y'),
		[]byte("QSR1\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), // an integer beyond 64 bits
		[]byte(`{"Req":{}}`),
	} {
		_, err := parseSearch(bad)
		require.ErrorIs(t, err, index.ErrBadRequest, "%q", bad)
	}
}

func FuzzParseSearch(f *testing.F) {
	f.Add(appendSearch(nil, index.SearchRequest{Limit: 3, ReadOptions: index.ReadOptions{Include: []string{"a"}}, Vector: []float32{1, 2}}, []byte(`{"must":[]}`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseSearch(b)
		if err != nil {
			return
		}
		f, err := marshalFilter(req.Filter)
		require.NoError(t, err)
		again, err := parseSearch(appendSearch(nil, req, f))
		require.NoError(t, err)
		require.Equal(t, len(req.Vector), len(again.Vector))
		require.Equal(t, req.Include, again.Include)
		require.Equal(t, req.Limit, again.Limit)
	})
}
