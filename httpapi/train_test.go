package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/trainer"
)

func TestTrainOverHTTP(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/m", `{"vectors": {"size": 2, "distance": "Dot"}}`).Code)
	var pts, its []string
	for i := range 20 {
		pts = append(pts, fmt.Sprintf(`{"id": %d, "vector": [1, %d]}`, i, i))
	}
	for u := range 10 {
		for k := range 5 {
			its = append(its, fmt.Sprintf(`{"user": %d, "item": %d}`, u, (u*3+k)%20))
		}
	}
	require.Equal(t, 200, ts.do("PUT", "/collections/m/points", `{"points": [`+strings.Join(pts, ",")+`]}`).Code)
	require.Equal(t, 404, ts.do("GET", "/collections/m/train", nil).Code, "no training yet")
	r := ts.do("POST", "/collections/m/train", `{"model": "bpr"}`)
	require.Equal(t, 400, r.Code)
	require.Contains(t, r.Error, `model "bpr"`)
	r = ts.do("POST", "/collections/m/train", `{"factors": 100000}`)
	require.Equal(t, 400, r.Code)
	require.Contains(t, r.Error, "factors 100000")
	// Without interactions the job runs and fails, saying why.
	require.Equal(t, 200, ts.do("POST", "/collections/m/train", `{}`).Code)
	job := waitJob(t, ts)
	require.Equal(t, trainer.Failed, job.State)
	require.Contains(t, job.Error, "no interactions")

	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [`+strings.Join(its, ",")+`]}`).Code)
	r = ts.do("POST", "/collections/m/train", `{"model": "ials", "factors": 4, "iterations": 3}`)
	require.Equal(t, 200, r.Code)
	job = waitJob(t, ts)
	require.Equal(t, trainer.Done, job.State, job.Error)
	require.Equal(t, 10, job.Users)
	require.Equal(t, 50, job.Interactions)
	require.Len(t, job.Epochs, 3)
	require.Equal(t, 4, job.Options.Factors)
}

func waitJob(t *testing.T, ts *testServer) trainer.Job {
	t.Helper()
	var job trainer.Job
	require.Eventually(t, func() bool {
		r := ts.do("GET", "/collections/m/train", nil)
		require.Equal(t, 200, r.Code)
		require.NoError(t, json.Unmarshal(r.Result, &job))
		return job.State != trainer.Running
	}, 30*time.Second, 20*time.Millisecond)
	return job
}

func TestBusyIs429(t *testing.T) {
	require.Equal(t, 429, statusOf(fmt.Errorf("train: %w", ErrBusy)))
}
