package cluster

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/userid"
)

func ptr(x float64) *float64 { return &x }

// sampleOps uses every field of every operation, ids of both kinds, nil
// and empty lists (which Apply tells apart) and awkward numbers.
func sampleOps() []index.Operation {
	u := pointid.FromUUID(uuid.MustParse("3f2b8c1e-9d4a-4b6e-8f10-2a5c7d9e0b13"))
	big := pointid.FromNum(math.MaxUint64)
	f := &filter.Filter{
		Must: []filter.Condition{
			{Field: &filter.FieldCondition{Key: "tag", Match: filter.NewMatchValue("a<b>&")}},
			{Field: &filter.FieldCondition{Key: "n", Range: &filter.Range{GT: ptr(0.1), LTE: ptr(1e300)}, Match: filter.NewMatchAny(1.5, "x", true)}},
			{HasID: []pointid.ID{u, big}},
		},
		Should:  []filter.Condition{{IsEmpty: "e"}, {IsNull: "a.b[].c"}, {Filter: &filter.Filter{MustNot: []filter.Condition{{Field: &filter.FieldCondition{Key: "k", Match: filter.NewMatchExcept(2.0, "y")}}}}}},
		MustNot: []filter.Condition{},
	}
	return []index.Operation{
		{Upsert: []index.Point{
			{ID: pointid.FromNum(7), Vector: []float32{0.1, -3.4028235e38, 1e-45}, Payload: map[string]any{
				"int": 1<<60 + 1, "float": 0.1, "s": "é\u2028<", "null": nil, "list": []any{1, "two", false}, "obj": map[string]any{"x": []int{}},
			}},
			{ID: u, Vectors: map[string][]float32{"a": {1, 2}, "b": {}}, Sparse: map[string]sparse.Vector{"t": {Indices: []uint32{3, 1 << 31}, Values: []float32{0.5, -2}}}},
			{ID: big, Vectors: map[string][]float32{}, Payload: map[string]any{}},
		}},
		{Upsert: []index.Point{}},
		{Delete: &index.Selector{IDs: []pointid.ID{}}},
		{Delete: &index.Selector{Filter: &filter.Filter{}}},
		{Delete: &index.Selector{Filter: f}},
		{Payload: &index.PayloadUpdate{Kind: index.PayloadSet, Points: index.Selector{IDs: []pointid.ID{u}}, Payload: map[string]any{"n": 3}, Key: `a[0]."b.c"`}},
		{Payload: &index.PayloadUpdate{Kind: index.PayloadDeleteKeys, Points: index.Selector{Filter: f}, Keys: []string{"a", "b.c"}}},
		{Payload: &index.PayloadUpdate{Kind: index.PayloadClear, Points: index.Selector{IDs: []pointid.ID{big}}}},
		{UpdateVectors: []index.PointVectors{{ID: u, Vectors: map[string][]float32{"a": {3, 4}}, Sparse: map[string]sparse.Vector{"t": {Indices: []uint32{}, Values: []float32{}}}}}},
		{UpdateVectors: []index.PointVectors{}},
		{DeleteVectors: &index.VectorDeletion{Points: index.Selector{Filter: f}, Names: []string{"a", "t"}}},
		{DeleteVectors: &index.VectorDeletion{Points: index.Selector{IDs: []pointid.ID{pointid.FromNum(0)}}, Names: []string{}}},
	}
}

// takePayloads returns each payload as the index will store it (its
// JSON) and clears it, so the rest compares with require.Equal.
func takePayloads(t *testing.T, ops []index.Operation) []string {
	var out []string
	take := func(p *map[string]any) {
		raw, err := json.Marshal(*p)
		require.NoError(t, err)
		out = append(out, string(raw))
		*p = nil
	}
	for _, op := range ops {
		for i := range op.Upsert {
			take(&op.Upsert[i].Payload)
		}
		if op.Payload != nil {
			take(&op.Payload.Payload)
		}
	}
	return out
}

func roundTrip(t *testing.T, c Command) Command {
	t.Helper()
	raw, err := c.encode()
	require.NoError(t, err)
	got, err := decodeCommand(raw)
	require.NoError(t, err)
	return got
}

func TestCommandRoundTrip(t *testing.T) {
	got := roundTrip(t, Command{Apply: &ApplyOperations{Collection: "c", Ops: sampleOps()}})
	require.NotNil(t, got.Apply)
	want := sampleOps()
	require.Equal(t, takePayloads(t, want), takePayloads(t, got.Apply.Ops), "payloads as stored")
	require.Equal(t, want, got.Apply.Ops)
	require.Equal(t, "c", got.Apply.Collection)

	cfg := index.Config{
		HNSW:           index.HNSWConfig{M: 12, EfConstruction: 50},
		Vectors:        map[string]index.VectorConfig{"a": {Size: 2, Distance: index.Cosine}, "b": {Size: 3, Distance: index.Dot, Space: 9}},
		SparseVectors:  map[string]index.SparseVectorConfig{"t": {}},
		PayloadIndexes: map[string]index.FieldType{"tag": index.Keyword, "n": index.Float},
	}
	require.Equal(t, Command{Create: &CreateCollection{Name: "c", Config: cfg}}, roundTrip(t, Command{Create: &CreateCollection{Name: "c", Config: cfg}}))
	require.Equal(t, Command{Drop: &DropCollection{Name: "c"}}, roundTrip(t, Command{Drop: &DropCollection{Name: "c"}}))
	for _, pi := range []SetPayloadIndex{{Collection: "c", Key: "a.b", Type: index.Float}, {Collection: "c", Key: "k"}} {
		require.Equal(t, Command{PayloadIndex: &pi}, roundTrip(t, Command{PayloadIndex: &pi}))
	}
	ef, q := 77, 0.97
	u := UpdateConfig{Collection: "c", Update: index.ConfigUpdate{
		HNSW:               &index.HNSWUpdate{Ef: &ef},
		Quantization:       &index.QuantizationConfig{Scalar: &index.ScalarQuantization{Type: "int8", Quantile: &q}},
		VectorQuantization: map[string]index.QuantizationConfig{"a": {Disabled: true}},
		IVF:                &index.IVFConfig{Cells: 40, MinPoints: 5},
		VectorIVF:          map[string]index.IVFConfig{"b": {Disabled: true}},
		Vectors:            map[string]index.HNSWUpdate{"a": {EfConstruction: &ef}},
	}}
	require.Equal(t, Command{Config: &u}, roundTrip(t, Command{Config: &u}))
	at := time.Date(2026, 12, 3, 7, 50, 1, 0, time.UTC)
	its := RecordInteractions{Collection: "c", Interactions: []index.Interaction{
		{User: userid.FromNum(7), Item: pointid.FromNum(1), Weight: 4.5, Time: at},
		{User: mustUser("ann"), Item: pointid.FromNum(1 << 62), Time: at.Add(time.Second)},
	}}
	require.Equal(t, Command{Interact: &its}, roundTrip(t, Command{Interact: &its}))
}

// TestWireTypesCoverIndexTypes fails when an index type that the
// envelope mirrors gains a field, which the envelope would drop.
func TestWireTypesCoverIndexTypes(t *testing.T) {
	for _, pair := range [][2]any{
		{index.Operation{}, wireOp{}},
		{index.Selector{}, wireSelector{}},
		{index.PayloadUpdate{}, wirePayloadUpdate{}},
		{index.VectorDeletion{}, wireVectorDeletion{}},
	} {
		it, wt := reflect.TypeOf(pair[0]), reflect.TypeOf(pair[1])
		require.Equal(t, it.NumField(), wt.NumField(), "%s has fields %s lacks: extend it and bump commandVersion", it, wt)
		for i := range it.NumField() {
			require.Equal(t, it.Field(i).Name, wt.Field(i).Name)
		}
	}
}

func TestCommandRefused(t *testing.T) {
	for name, c := range map[string]Command{
		"none": {},
		"two":  {Drop: &DropCollection{Name: "a"}, Create: &CreateCollection{Name: "a"}},
		"now":  {Interact: &RecordInteractions{Collection: "c", Interactions: []index.Interaction{{User: userid.FromNum(1), Item: pointid.FromNum(1)}}}},
		"NaN":  {Apply: &ApplyOperations{Collection: "c", Ops: []index.Operation{{Upsert: []index.Point{{ID: pointid.FromNum(1), Vector: []float32{float32(math.NaN())}}}}}}},
	} {
		_, err := c.encode()
		require.ErrorIs(t, err, index.ErrBadRequest, name)
	}
	for name, raw := range map[string]string{
		"version":   `{"v":2,"kind":"drop","collection":"c"}`,
		"kind":      `{"v":1,"kind":"rename","collection":"c"}`,
		"no config": `{"v":1,"kind":"create","collection":"c"}`,
		"no update": `{"v":1,"kind":"config","collection":"c"}`,
		"garbage":   `{"v":`,
	} {
		_, err := decodeCommand([]byte(raw))
		require.ErrorIs(t, err, index.ErrBadRequest, name)
	}
}
