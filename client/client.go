// Package client calls Quiver's HTTP API, or any server speaking Qdrant's
// REST dialect. It is its own package, apart from httpapi, so that programs
// which only talk to a server (quiver ingest and search, load generators)
// do not link the server's storage engine and metrics: it imports neither
// httpapi, index nor storage, and defines the few wire types it needs.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// Client sends requests to one server. It is safe for concurrent use; its
// fields must not change once requests are in flight.
type Client struct {
	// URL is the server's base URL, such as "http://localhost:6333".
	URL string
	// APIKey is sent in the api-key header when set.
	APIKey string
	// HTTP sends the requests. Nil means a shared client that keeps up to
	// 256 idle connections per host, so many goroutines can share it.
	HTTP *http.Client
}

// APIError is an error answer from the server.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the envelope's status.error, or the body when it has none.
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

// ErrInsufficientStorage matches (errors.Is) an *APIError with status 507:
// the server refused a write because its disk is (nearly) full. Nothing of
// the write was applied; it succeeds once the server has space again.
var ErrInsufficientStorage = errors.New("client: server is out of disk space")

// Is makes errors.Is match ErrInsufficientStorage to a 507 answer.
func (e *APIError) Is(target error) bool {
	return target == ErrInsufficientStorage && e.Status == http.StatusInsufficientStorage
}

var defaultHTTP = &http.Client{
	Transport: &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	},
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP == nil {
		return defaultHTTP
	}
	return c.HTTP
}

// errorBody is the error envelope of Qdrant's dialect.
type errorBody struct {
	Status struct {
		Error string `json:"error"`
	} `json:"status"`
}

// Do sends body as JSON (nil sends none; a json.RawMessage is sent
// unchanged) to path and decodes the envelope's result into result (nil
// discards it). An answer other than 200 is an *APIError, wrapped with the
// method and path.
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
	resp, err := c.httpClient().Do(req)
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

func collectionPath(collection string) string {
	return "/collections/" + url.PathEscape(collection)
}

// Exists reports whether the server has the collection.
func (c *Client) Exists(ctx context.Context, collection string) (bool, error) {
	var res struct {
		Exists bool `json:"exists"`
	}
	err := c.Do(ctx, http.MethodGet, collectionPath(collection)+"/exists", nil, &res)
	return res.Exists, err
}

// CreateCollection creates a collection; vectors is the request's
// "vectors" object, such as {"size": 100, "distance": "Cosine"} or
// {"model": "all-MiniLM-L6-v2"}.
func (c *Client) CreateCollection(ctx context.Context, collection string, vectors map[string]any) error {
	return c.Do(ctx, http.MethodPut, collectionPath(collection), map[string]any{"vectors": vectors}, nil)
}

// Point is a point to upsert: Vector, or when Vector is nil Text, encoded
// by the server with Model (empty: the collection's model).
type Point struct {
	ID     pointid.ID
	Vector []float32
	Text   string
	Model  string
	// Using names the vector of a collection with named vectors that
	// Vector or Text fills; empty means the unnamed vector.
	Using   string
	Payload map[string]any
}

// MarshalJSON writes the point in the upsert's list form.
func (p Point) MarshalJSON() ([]byte, error) {
	var vec any = p.Vector
	if p.Vector == nil {
		doc := map[string]string{"text": p.Text}
		if p.Model != "" {
			doc["model"] = p.Model
		}
		vec = doc
	}
	if p.Using != "" {
		vec = map[string]any{p.Using: vec}
	}
	return json.Marshal(map[string]any{"id": p.ID, "vector": vec, "payload": p.Payload})
}

// Upsert writes points to a collection and waits until they are applied.
func (c *Client) Upsert(ctx context.Context, collection string, points []Point) error {
	return c.Do(ctx, http.MethodPut, collectionPath(collection)+"/points?wait=true", map[string]any{"points": points}, nil)
}

// Record is a stored point as the server returns it.
type Record struct {
	ID      pointid.ID     `json:"id"`
	Payload map[string]any `json:"payload"`
	Vector  []float32      `json:"vector"`
}

// RetrieveOptions says what Retrieve returns besides the ids.
type RetrieveOptions struct {
	WithPayload bool
	WithVector  bool
}

// Retrieve returns the points among ids that the collection holds, in no
// promised order; ids it does not hold are left out. The server bounds the
// ids of one call (Quiver: 10000 by default).
func (c *Client) Retrieve(ctx context.Context, collection string, ids []pointid.ID, opts RetrieveOptions) ([]Record, error) {
	var out []Record
	err := c.Do(ctx, http.MethodPost, collectionPath(collection)+"/points", map[string]any{
		"ids": ids, "with_payload": opts.WithPayload, "with_vector": opts.WithVector,
	}, &out)
	return out, err
}

// Hit is one query result.
type Hit struct {
	ID      pointid.ID     `json:"id"`
	Score   float32        `json:"score"`
	Payload map[string]any `json:"payload"`
	// Explanation is set on a recommendation for a user asked with
	// Explain: the past items that contributed most to the score.
	Explanation []Contribution `json:"explanation"`
}

// Contribution is one past item's share of a recommendation's score.
type Contribution struct {
	ID           pointid.ID `json:"id"`
	Contribution float32    `json:"contribution"`
}

// Query runs POST /collections/{collection}/points/query with body (a
// Qdrant QueryRequest) and returns the points.
func (c *Client) Query(ctx context.Context, collection string, body any) ([]Hit, error) {
	var res struct {
		Points []Hit `json:"points"`
	}
	err := c.Do(ctx, http.MethodPost, collectionPath(collection)+"/points/query", body, &res)
	return res.Points, err
}

// RecommendOptions shape a recommendation for a user; zero fields take
// the server's defaults.
type RecommendOptions struct {
	// Limit is the number of items. Zero means the server's default (10).
	Limit int
	// KeepSeen keeps the items the user interacted with; by default the
	// server leaves them out.
	KeepSeen bool
	// Explain asks for each item's contributing past items.
	Explain bool
	// WithPayload returns the items' payloads.
	WithPayload bool
}

// RecommendBody is the query body RecommendUser sends, for callers that
// encode it once and send it themselves (load generators).
func RecommendBody(user userid.ID, opts RecommendOptions) map[string]any {
	rec := map[string]any{"user": user}
	if opts.KeepSeen {
		rec["exclude_seen"] = false
	}
	body := map[string]any{"query": map[string]any{"recommend": rec}}
	if opts.Limit > 0 {
		body["limit"] = opts.Limit
	}
	if opts.Explain {
		body["with_explanation"] = true
	}
	if opts.WithPayload {
		body["with_payload"] = true
	}
	return body
}

// RecommendUser returns items for a user, ranked by the user's history as
// it is now (the trained model's fold-in, or without a model the centroid
// of the user's items; the most popular items for a user without history).
func (c *Client) RecommendUser(ctx context.Context, collection string, user userid.ID, opts RecommendOptions) ([]Hit, error) {
	return c.Query(ctx, collection, RecommendBody(user, opts))
}

// MetricSum scrapes /metrics and returns the sum of the samples of one
// series name (all label sets), or 0 when the server has none yet.
func (c *Client) MetricSum(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.URL, "/")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	if c.APIKey != "" {
		req.Header.Set("api-key", c.APIKey) // /metrics wants it unless the server serves it openly
	}
	resp, err := c.httpClient().Do(req)
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

// Interaction is what a user did with a point. A nil Weight means 1 and a
// zero Time means now (Unix seconds otherwise).
type Interaction struct {
	User   userid.ID  `json:"user"`
	Item   pointid.ID `json:"item"`
	Weight *float64   `json:"weight,omitempty"`
	Time   int64      `json:"timestamp,omitempty"`
}

// Interact records interactions; it returns once they are durable.
func (c *Client) Interact(ctx context.Context, collection string, its []Interaction) error {
	return c.Do(ctx, http.MethodPut, collectionPath(collection)+"/interactions?wait=true", map[string]any{"interactions": its}, nil)
}

// TrainOptions are the settings of a training; zero fields take the
// server's defaults.
type TrainOptions struct {
	Model      string  `json:"model,omitempty"`
	Factors    int     `json:"factors,omitempty"`
	Iterations int     `json:"iterations,omitempty"`
	Alpha      float32 `json:"alpha,omitempty"`
	Alpha0     float32 `json:"alpha0,omitempty"`
	Lambda     float32 `json:"lambda,omitempty"`
	Nu         float32 `json:"nu,omitempty"`
	Seed       uint64  `json:"seed,omitempty"`
	// Vector receives the item factors; Content is what cold items'
	// factors are mapped from (the server's defaults: "cf", and the only
	// other named vector).
	Vector  string `json:"vector,omitempty"`
	Content string `json:"content,omitempty"`
	// Weights is "binary" or "raw"; empty means the server's default.
	Weights string `json:"weights,omitempty"`
	// Hybrid names the vector that receives the hybrid's item vectors
	// (the server's default: "hybrid", if the collection has it); the
	// other Hybrid fields tune it, zero meaning the server's defaults.
	Hybrid                 string  `json:"hybrid,omitempty"`
	HybridContentWeight    float32 `json:"hybrid_content_weight,omitempty"`
	HybridPopularityWeight float32 `json:"hybrid_popularity_weight,omitempty"`
	HybridCentroid         string  `json:"hybrid_centroid,omitempty"`
	HybridCentroidHalfLife float64 `json:"hybrid_centroid_half_life,omitempty"`
}

// TrainingJob is a training's state as the server reports it.
type TrainingJob struct {
	ID           uint64 `json:"id"`
	State        string `json:"state"`
	Users        int    `json:"users"`
	Items        int    `json:"items"`
	Interactions int    `json:"interactions"`
	Options      struct {
		Iterations int `json:"iterations"`
		// The hybrid's settings as the training resolved them.
		Hybrid                 string  `json:"hybrid"`
		HybridContentWeight    float32 `json:"hybrid_content_weight"`
		HybridPopularityWeight float32 `json:"hybrid_popularity_weight"`
		HybridCentroid         string  `json:"hybrid_centroid"`
		HybridCentroidHalfLife float64 `json:"hybrid_centroid_half_life"`
	} `json:"options"`
	Epochs []struct {
		Epoch   int     `json:"epoch"`
		Loss    float64 `json:"loss"`
		Seconds float64 `json:"seconds"`
	} `json:"epochs"`
	Error string `json:"error"`
}

// Train starts a training on the collection's interactions.
func (c *Client) Train(ctx context.Context, collection string, opts TrainOptions) (TrainingJob, error) {
	var job TrainingJob
	err := c.Do(ctx, http.MethodPost, collectionPath(collection)+"/train", opts, &job)
	return job, err
}

// Training returns the collection's latest training.
func (c *Client) Training(ctx context.Context, collection string) (TrainingJob, error) {
	var job TrainingJob
	err := c.Do(ctx, http.MethodGet, collectionPath(collection)+"/train", nil, &job)
	return job, err
}
