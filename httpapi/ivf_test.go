package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIVFCollectionAPI: create with ivf_config, watch ivf_status reach
// "built", search with params.ivf over every cell to get the exact
// answer, and see bad configs and params refused by field.
func TestIVFCollectionAPI(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/v", map[string]any{
		"vectors":    map[string]any{"size": 8, "distance": "Cosine"},
		"ivf_config": map[string]any{"min_points": 500, "cells": 20},
	}, nil)
	upsertRandomPoints(ts, "v", 800, 8, "")
	type status struct {
		Status string `json:"status"`
		Points int    `json:"points"`
		Cells  int    `json:"cells"`
	}
	var info struct {
		Config struct {
			IVF map[string]any `json:"ivf_config"`
		} `json:"config"`
		IVFStatus map[string]status `json:"ivf_status"`
	}
	require.Eventually(t, func() bool {
		ts.ok("GET", "/collections/v", nil, &info)
		st := info.IVFStatus[""]
		return st.Status == "built" && st.Points >= 800
	}, 30*time.Second, 20*time.Millisecond, "ivf_status: %+v", info.IVFStatus)
	assert.Equal(t, map[string]any{"min_points": 500.0, "cells": 20.0}, info.Config.IVF)

	query := []float32{1, 0.5, -0.2, 0, 0.3, 0.1, -1, 0.4}
	var exact, scanned []hit
	ts.ok("POST", "/collections/v/points/search", map[string]any{"vector": query, "limit": 5, "params": map[string]any{"exact": true}}, &exact)
	ts.ok("POST", "/collections/v/points/search", map[string]any{"vector": query, "limit": 5,
		"params": map[string]any{"ivf": map[string]any{"probe": 20, "reorder": 1000}}}, &scanned)
	require.Len(t, exact, 5)
	assert.Equal(t, ids(exact), ids(scanned))
	assert.InDelta(t, exact[0].Score, scanned[0].Score, 1e-6)
	var q struct {
		Points []hit `json:"points"`
	}
	ts.ok("POST", "/collections/v/points/query", map[string]any{"query": query, "limit": 5,
		"params": map[string]any{"ivf": map[string]any{"probe": 20, "reorder": 1000}}}, &q)
	assert.Equal(t, ids(exact), ids(q.Points))

	for _, bad := range []struct {
		params any
		want   string
	}{
		{map[string]any{"ivf": map[string]any{"probe": -1}}, "params.ivf.probe"},
		{map[string]any{"ivf": map[string]any{"reorder": 1 << 30}}, "params.ivf.reorder"},
		{map[string]any{"ivf": map[string]any{"prob": 3}}, "prob"},
	} {
		ts.fails(http.StatusBadRequest, "POST", "/collections/v/points/search", map[string]any{"vector": query, "params": bad.params}, bad.want)
		ts.fails(http.StatusBadRequest, "POST", "/collections/v/points/query", map[string]any{"query": query, "params": bad.params}, bad.want)
	}
	for _, bad := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"vectors": map[string]any{"size": 4, "distance": "Euclid"}, "ivf_config": map[string]any{}}, "ivf_config"},
		{map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}, "ivf_config": map[string]any{"spill": 7}}, "ivf_config.spill"},
		{map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}, "ivf_config": map[string]any{"cels": 7}}, "cels"},
		{map[string]any{"vectors": map[string]any{"a": map[string]any{"size": 4, "distance": "Dot", "ivf_config": map[string]any{"probe": -2}}}}, `vectors."a".ivf_config.probe`},
	} {
		ts.fails(http.StatusBadRequest, "PUT", "/collections/bad", bad.body, bad.want)
	}
}

// TestIVFByPatch: PATCH turns the partitioned index on for a collection
// created without it, and {"disabled": true} turns it off again.
func TestIVFByPatch(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/p", map[string]any{"vectors": map[string]any{"size": 8, "distance": "Dot"}}, nil)
	upsertRandomPoints(ts, "p", 700, 8, "")
	type out struct {
		Config struct {
			IVF map[string]any `json:"ivf_config"`
		} `json:"config"`
		IVFStatus map[string]struct {
			Status string `json:"status"`
			Points int    `json:"points"`
		} `json:"ivf_status"`
	}
	var info out
	ts.ok("GET", "/collections/p", nil, &info)
	require.Nil(t, info.IVFStatus)
	ts.ok("PATCH", "/collections/p", map[string]any{"ivf_config": map[string]any{"min_points": 100}}, nil)
	require.Eventually(t, func() bool {
		info = out{}
		ts.ok("GET", "/collections/p", nil, &info)
		return info.IVFStatus[""].Status == "built" && info.IVFStatus[""].Points >= 700
	}, 30*time.Second, 20*time.Millisecond)
	assert.Equal(t, map[string]any{"min_points": 100.0}, info.Config.IVF)
	ts.ok("PATCH", "/collections/p", map[string]any{"ivf_config": map[string]any{"disabled": true}}, nil)
	info = out{}
	ts.ok("GET", "/collections/p", nil, &info)
	assert.Nil(t, info.IVFStatus)
	assert.Nil(t, info.Config.IVF)
	ts.fails(http.StatusBadRequest, "PATCH", "/collections/p", map[string]any{"ivf_config": map[string]any{"spill": 12}}, "ivf_config.spill")
}
