package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client calls Quiver's API (or any server speaking Qdrant's REST dialect).
// The command line and the HTTP benchmark use it. It is safe for
// concurrent use.
type Client struct {
	// URL is the server's base URL, such as "http://localhost:6333".
	URL string
	// APIKey is sent in the api-key header when set.
	APIKey string
	// HTTP sends the requests. Nil means a client that keeps up to 256 idle
	// connections per host, so many goroutines can share it.
	HTTP *http.Client
}

// APIError is an error answer from the server.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

var defaultHTTP = &http.Client{
	Transport: &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	},
}

// Do sends body as JSON (nil sends none; a json.RawMessage is sent
// unchanged) to path and decodes the result of
// the envelope into result (nil discards it).
func (c *Client) Do(ctx context.Context, method, path string, body, result any) error {
	var rd io.Reader
	if raw, ok := body.(json.RawMessage); ok {
		rd = bytes.NewReader(raw) // sent as is: a load generator pre-encodes its bodies
	} else if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.APIKey != "" {
		req.Header.Set("api-key", c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Status.Error != "" {
			msg = e.Status.Error
		}
		return fmt.Errorf("%s %s: %w", method, path, &APIError{Status: resp.StatusCode, Message: msg})
	}
	if result == nil {
		return nil
	}
	var env struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	if err := json.Unmarshal(env.Result, result); err != nil {
		return fmt.Errorf("%s %s: decode result: %w", method, path, err)
	}
	return nil
}

// ClientPoint is a point to upsert: Vector, or Text encoded by the server
// with Model (empty: the collection's model).
type ClientPoint struct {
	ID      any // uint64, int or a UUID string
	Vector  []float32
	Text    string
	Model   string
	Payload map[string]any
}

// MarshalJSON writes the point in the upsert's list form.
func (p ClientPoint) MarshalJSON() ([]byte, error) {
	var vec any = p.Vector
	if p.Vector == nil {
		doc := map[string]string{"text": p.Text}
		if p.Model != "" {
			doc["model"] = p.Model
		}
		vec = doc
	}
	return json.Marshal(map[string]any{"id": p.ID, "vector": vec, "payload": p.Payload})
}

// Upsert writes points to a collection.
func (c *Client) Upsert(ctx context.Context, collection string, points []ClientPoint) error {
	return c.Do(ctx, http.MethodPut, "/collections/"+collection+"/points?wait=true", map[string]any{"points": points}, nil)
}

// ClientHit is one query result.
type ClientHit struct {
	ID      json.RawMessage `json:"id"`
	Score   float32         `json:"score"`
	Payload map[string]any  `json:"payload"`
}

// Query runs POST /collections/{collection}/points/query with body (a
// Qdrant QueryRequest) and returns the points.
func (c *Client) Query(ctx context.Context, collection string, body any) ([]ClientHit, error) {
	var res struct {
		Points []ClientHit `json:"points"`
	}
	err := c.Do(ctx, http.MethodPost, "/collections/"+collection+"/points/query", body, &res)
	return res.Points, err
}

// MetricSum scrapes /metrics and returns the sum of the samples of one
// series name (all label sets), or 0 when the server has none yet.
func (c *Client) MetricSum(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.URL, "/")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %w", &APIError{Status: resp.StatusCode, Message: resp.Status})
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	sum := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("metric %s: %w", name, err)
		}
		sum += v
	}
	return sum, nil
}
