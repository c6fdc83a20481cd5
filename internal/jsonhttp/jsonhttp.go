// Package jsonhttp is what the programs that drive quiver serve processes
// over HTTP share (bench cluster, tests/cluster): a JSON request that
// returns the status and body instead of judging them, since those
// callers class every answer themselves (acknowledged, refused, unknown),
// and the ids of a search answer.
package jsonhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Call sends body as JSON (none when nil) with client within timeout and
// returns the status and the body read whole.
func Call(ctx context.Context, client *http.Client, method, url string, body any, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// SearchIDs decodes the ids of a search answer ({"result": [{"id": ...}]}),
// in its order.
func SearchIDs(raw []byte) ([]uint64, error) {
	var out struct {
		Result []struct {
			ID uint64 `json:"id"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("search answer: %w", err)
	}
	ids := make([]uint64, len(out.Result))
	for i, r := range out.Result {
		ids[i] = r.ID
	}
	return ids, nil
}
