package clusterapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

// sourceSnapshot fills a collection on a single node (named dense and
// sparse vectors, payloads, a payload index, interactions, a trained
// model) and returns that node's URL and the collection's snapshot file.
func sourceSnapshot(t *testing.T) (string, *index.Collection, []byte) {
	db, err := index.Open(context.Background(), t.TempDir(), index.Options{Logger: quietLogger()})
	require.NoError(t, err)
	h, err := httpapi.NewHandler(httpapi.Config{DB: db, APIKey: testKey, Logger: quietLogger()})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		db.Close()
	})
	mustCall(t, "PUT", srv.URL+"/collections/src", `{"vectors":{"content":{"size":4,"distance":"Cosine"},"cf":{"size":4,"distance":"Dot"}},"sparse_vectors":{"s":{}}}`)
	mustCall(t, "PUT", srv.URL+"/collections/src/index", `{"field_name":"w","field_schema":"integer"}`)
	var pts, its []string
	for i := range 40 {
		sparse := ""
		if i%3 == 0 {
			sparse = fmt.Sprintf(`,"s":{"indices":[%d,7],"values":[0.5,%d]}`, i, i)
		}
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":{"content":[%d,%d,0.1,0.%d]%s},"payload":{"w":%d,"name":"p%d"}}`, i, 1-i%2, i%2, i%9+1, sparse, i%5, i))
	}
	for u := range 30 {
		for k := range 4 {
			its = append(its, fmt.Sprintf(`{"user":%d,"item":%d,"timestamp":%d}`, u, (u*3+k*2)%36/2*2+u%2, 1000+k))
		}
	}
	mustCall(t, "PUT", srv.URL+"/collections/src/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
	mustCall(t, "PUT", srv.URL+"/collections/src/interactions", `{"interactions":[`+strings.Join(its, ",")+`]}`)
	mustCall(t, "POST", srv.URL+"/collections/src/train", `{"iterations":3,"seed":1,"factors":4}`)
	require.Eventually(t, func() bool {
		return mustCall(t, "GET", srv.URL+"/collections/src/train", "").(map[string]any)["state"] == "done"
	}, 20*time.Second, 20*time.Millisecond)
	src, err := db.Collection("src")
	require.NoError(t, err)
	var file bytes.Buffer
	require.NoError(t, db.Snapshot(context.Background(), "src", &file))
	return srv.URL, src, file.Bytes()
}

// upload posts file to url's snapshot upload route, as qdrant-client does.
func upload(t *testing.T, url, collection, query string, file []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("snapshot", "x.snapshot")
	require.NoError(t, err)
	_, err = fw.Write(file)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", url+"/collections/"+collection+"/snapshots/upload"+query, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("api-key", testKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

const scrollAll = `{"limit":100,"with_vector":true,"with_payload":true}`

// sameEverywhere waits until every node's scroll of collection (ids,
// every vector, payloads) is the source's.
func sameEverywhere(t *testing.T, nodes []*httpNode, collection string, want any) {
	t.Helper()
	for _, n := range nodes {
		var got any
		require.Eventually(t, func() bool {
			code, result, _ := call(t, "POST", n.url+"/collections/"+collection+"/points/scroll", scrollAll)
			got = result
			return code == http.StatusOK && assert.ObjectsAreEqual(want, got)
		}, 20*time.Second, 20*time.Millisecond, "node %s: %v", n.id, got)
	}
}

// sameRecommendations waits until every node recommends what the source
// does to its users: the model and the users' interactions came too.
func sameRecommendations(t *testing.T, nodes []*httpNode, collection string, want []any) {
	t.Helper()
	for _, n := range nodes {
		var got []any
		require.Eventually(t, func() bool {
			got = recommendations(t, n.url, collection)
			return assert.ObjectsAreEqual(want, got)
		}, 20*time.Second, 20*time.Millisecond, "node %s: %v, want %v", n.id, got, want)
	}
}

// TestSnapshotRecoveryThroughTheCluster: a snapshot uploaded to a
// follower of 3 nodes is replayed through the log: every node then holds
// its points, payload index, interactions and model, into a new
// unsharded collection, through an alias (which stays) and over a sharded
// collection (which keeps its spreading); a bad upload is a 400 that
// changes nothing; a file:// location is read on the node it reaches.
func TestSnapshotRecoveryThroughTheCluster(t *testing.T) {
	ctx := context.Background()
	srcURL, src, file := sourceSnapshot(t)
	want := mustCall(t, "POST", srcURL+"/collections/src/points/scroll", scrollAll)
	wantRecs := recommendations(t, srcURL, "src")
	require.Len(t, wantRecs, 25)
	require.Len(t, want.(map[string]any)["points"], 40)
	sum := sha256.Sum256(file)
	checksum := hex.EncodeToString(sum[:])

	peers, lns := reservePeers(t, 3)
	nodes := make([]*httpNode, 3)
	for i := range nodes {
		nodes[i] = serveSharding(t, lns[i], Config{NodeID: peers[i].ID, Peers: peers, Dir: t.TempDir()})
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.srv.Close()
			n.rep.Close()
		}
	})
	lead := leaderOf(t, nodes)
	for _, n := range nodes {
		waitReady(t, n)
	}
	follower := nodes[0]
	if follower == lead {
		follower = nodes[1]
	}

	code, raw := upload(t, follower.url, "u", "?priority=replica&checksum="+checksum, file)
	require.Equal(t, http.StatusOK, code, raw)
	sameEverywhere(t, nodes, "u", want)
	sameRecommendations(t, nodes, "u", wantRecs)
	model, err := src.LoadModel(ctx)
	require.NoError(t, err)
	wantIts := interactionsOf(t, src)
	require.Len(t, wantIts, 120)
	for _, n := range nodes {
		require.Eventually(t, func() bool {
			c, err := n.rep.DB().Collection("u")
			if err != nil {
				return false
			}
			got, err := c.LoadModel(ctx)
			return err == nil && bytes.Equal(model, got) && c.Config().PayloadIndexes["w"] == index.Integer &&
				assert.ObjectsAreEqual(wantIts, interactionsOf(t, c))
		}, 10*time.Second, 20*time.Millisecond, "node %s: model, payload index, interactions", n.id)
	}

	// Bad uploads are refused before anything changes.
	code, raw = upload(t, follower.url, "u", "?checksum=00", file)
	require.Equal(t, http.StatusBadRequest, code, raw)
	require.Contains(t, raw, "checksum")
	code, raw = upload(t, follower.url, "u", "", file[:len(file)/2])
	require.Equal(t, http.StatusBadRequest, code, raw)
	code, raw = upload(t, follower.url, "u", "", []byte("garbage"))
	require.Equal(t, http.StatusBadRequest, code, raw)
	for _, n := range nodes {
		_, result, _ := call(t, "POST", n.url+"/collections/u/points/scroll", scrollAll)
		require.True(t, assert.ObjectsAreEqual(want, result), "node %s lost the collection", n.id)
	}

	// Through an alias: its collection is replaced, and the alias stays.
	mustCall(t, "POST", follower.url+"/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"u","alias_name":"ua"}}]}`)
	code, raw = upload(t, follower.url, "ua", "", file)
	require.Equal(t, http.StatusOK, code, raw)
	sameEverywhere(t, nodes, "ua", want)
	for _, n := range nodes {
		aliases, err := n.rep.DB().Aliases("u")
		require.NoError(t, err)
		require.Equal(t, []index.Alias{{Name: "ua", Collection: "u"}}, aliases, "node %s", n.id)
	}

	// Over a sharded collection: its shard_number and replication_factor
	// stay, its old points and vectors go.
	mustCall(t, "PUT", follower.url+"/collections/sh", `{"vectors":{"x":{"size":2,"distance":"Dot"}},"shard_number":3,"replication_factor":2}`)
	mustCall(t, "PUT", follower.url+"/collections/sh/points?wait=true", `{"points":[{"id":500,"vector":{"x":[1,2]}}]}`)
	code, raw = upload(t, follower.url, "sh", "", file)
	require.Equal(t, http.StatusOK, code, raw)
	sameEverywhere(t, nodes, "sh", want)
	sameRecommendations(t, nodes, "sh", wantRecs)
	for _, n := range nodes {
		s, ok := n.rep.Sharding("sh")
		require.True(t, ok, "node %s", n.id)
		require.Equal(t, httpapi.Sharding{Shards: 3, Replicas: 2}, s)
		// The users and the model are group 0's, in the schema copy.
		require.Eventually(t, func() bool {
			c, err := n.rep.DB().Collection("sh")
			if err != nil {
				return false
			}
			got, err := c.LoadModel(ctx)
			return err == nil && bytes.Equal(model, got) && assert.ObjectsAreEqual(wantIts, interactionsOf(t, c))
		}, 10*time.Second, 20*time.Millisecond, "node %s: model, interactions", n.id)
	}

	// A file:// location names a file of the node the request reaches:
	// the follower's snapshot of u, which it sends to the leader, and a
	// file on the leader.
	snap := mustCall(t, "POST", follower.url+"/collections/u/snapshots", "").(map[string]any)
	path := filepath.Join(follower.rep.DB().SnapshotDir(), "u", snap["name"].(string))
	code, _, raw = call(t, "PUT", lead.url+"/collections/f/snapshots/recover", `{"location":"file://`+path+`"}`)
	require.Equal(t, http.StatusBadRequest, code, raw)
	require.Contains(t, raw, "not in the snapshot directory", "the follower's file is not the leader's")
	mustCall(t, "PUT", follower.url+"/collections/f/snapshots/recover", `{"location":"file://`+path+`","checksum":"`+snap["checksum"].(string)+`"}`)
	sameEverywhere(t, nodes, "f", want)
	code, _, raw = call(t, "PUT", follower.url+"/collections/f/snapshots/recover", `{"location":"file://`+path+`","checksum":"00"}`)
	require.Equal(t, http.StatusBadRequest, code, "the leader checks the checksum: %s", raw)
	dir := lead.rep.DB().SnapshotDir()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path = filepath.Join(dir, "x.snapshot")
	require.NoError(t, os.WriteFile(path, file, 0o644))
	mustCall(t, "PUT", lead.url+"/collections/g/snapshots/recover", `{"location":"file://`+path+`","checksum":"`+checksum+`"}`)
	sameEverywhere(t, nodes, "g", want)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the scratch DBs and staged uploads are gone: %v", entries)
}

// recommendations returns the ids url recommends to users 0..4 of
// collection, scored exactly (the graphs differ from node to node).
func recommendations(t *testing.T, url, collection string) []any {
	var out []any
	for u := range 5 {
		code, result, raw := call(t, "POST", url+"/collections/"+collection+"/points/query",
			fmt.Sprintf(`{"query":{"recommend":{"user":%d}},"limit":5,"params":{"exact":true}}`, u))
		if code != http.StatusOK {
			return []any{raw}
		}
		for _, p := range result.(map[string]any)["points"].([]any) {
			out = append(out, p.(map[string]any)["id"])
		}
	}
	return out
}

func interactionsOf(t *testing.T, c *index.Collection) []index.Interaction {
	var out []index.Interaction
	require.NoError(t, c.ScanInteractions(context.Background(), func(it index.Interaction) error {
		out = append(out, it)
		return nil
	}))
	return out
}

// TestSnapshotFilesOutliveARestart: a collection snapshot made on a
// cluster node is still listed after the node restarts (its DB is
// rebuilt at every start; the files are kept beside it).
func TestSnapshotFilesOutliveARestart(t *testing.T) {
	_, nodes := startHTTPNodes(t, 3)
	n1 := nodes[0]
	mustCall(t, "PUT", n1.url+"/collections/s", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustCall(t, "PUT", n1.url+"/collections/s/points?wait=true", `{"points":[{"id":1,"vector":[1,0]}]}`)
	require.Eventually(t, func() bool { return pointCount(t, n1, "s") == 1 }, 10*time.Second, 10*time.Millisecond)
	made := mustCall(t, "POST", n1.url+"/collections/s/snapshots", "").(map[string]any)
	n1 = restart(t, n1)
	waitReady(t, n1)
	listed := mustCall(t, "GET", n1.url+"/collections/s/snapshots", "").([]any)
	require.Len(t, listed, 1)
	require.Equal(t, made["name"], listed[0].(map[string]any)["name"])
}
