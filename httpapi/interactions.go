package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// interactionIn is one interaction of PUT .../interactions.
type interactionIn struct {
	User      *userid.ID  `json:"user"`
	Item      *pointid.ID `json:"item"`
	Weight    *float64    `json:"weight"`
	Timestamp *timestamp  `json:"timestamp"`
}

// timestamp is Unix seconds (a JSON number) or an RFC 3339 string.
type timestamp struct{ time.Time }

func (t *timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return badRequest("timestamp %q: want Unix seconds or RFC 3339", s)
		}
		t.Time = v
		return nil
	}
	secs, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || secs < 0 || secs > 1<<40 {
		return badRequest("timestamp %.30s: want Unix seconds (a non-negative integer) or RFC 3339", b)
	}
	t.Time = time.Unix(secs, 0)
	return nil
}

type interactionsRequest struct {
	Interactions []interactionIn `json:"interactions"`
}

func (h *Handler) putInteractions(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req interactionsRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Interactions == nil {
		return nil, badRequest("interactions: required")
	}
	if len(req.Interactions) > min(h.cfg.MaxBatch, index.MaxInteractions) {
		return nil, badRequest("interactions: %d in one request, limit %d", len(req.Interactions), min(h.cfg.MaxBatch, index.MaxInteractions))
	}
	its := make([]index.Interaction, len(req.Interactions))
	for i, in := range req.Interactions {
		switch {
		case in.User == nil:
			return nil, badRequest("interactions[%d].user: required", i)
		case in.Item == nil:
			return nil, badRequest("interactions[%d].item: required", i)
		}
		its[i] = index.Interaction{User: *in.User, Item: *in.Item}
		if in.Weight != nil {
			// A zero weight is refused: the index reads it as "not given".
			if *in.Weight == 0 || *in.Weight > 1e30 || *in.Weight < -1e30 {
				return nil, badRequest("interactions[%d].weight %v: want a non-zero number within ±1e30 (omit it for 1)", i, *in.Weight)
			}
			its[i].Weight = float32(*in.Weight)
		}
		if in.Timestamp != nil {
			its[i].Time = in.Timestamp.Time
		}
	}
	if err := h.writer.Interact(r.Context(), c.Name(), its); err != nil {
		var ie *index.InteractionError
		if errors.As(err, &ie) {
			return nil, badRequest("%s", message(ie))
		}
		return nil, err
	}
	return h.updated(), nil
}

// interactionOut is one interaction as GET .../users/{user} shows it.
type interactionOut struct {
	Item      pointid.ID `json:"item"`
	Weight    float32    `json:"weight"`
	Timestamp int64      `json:"timestamp"`
}

type userAnswer struct {
	User           userid.ID        `json:"user"`
	Interactions   []interactionOut `json:"interactions"`
	NextPageOffset *pointid.ID      `json:"next_page_offset"`
	// HasVector says whether the user's history gives a vector to rank
	// by, and VectorSource where it comes from ("ials": the trained
	// model's fold-in; "hybrid": its DotHybrid's, in a collection without
	// cf; "centroid": the user's items' content vectors).
	HasVector    bool    `json:"has_vector"`
	VectorSource *string `json:"vector_source"`
}

func (h *Handler) getUser(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "offset", "limit", "consistency"); err != nil {
		return nil, err
	}
	c, user, err := h.collectionUser(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var from *pointid.ID
	if s := q.Get("offset"); s != "" {
		id, err := pointid.Parse(s)
		if err != nil {
			return nil, badRequest("query parameter offset: %v", err)
		}
		from = &id
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > h.cfg.MaxLimit {
			return nil, badRequest("query parameter limit=%q: want 1..%d", s, h.cfg.MaxLimit)
		}
	}
	page, err := c.UserInteractions(r.Context(), user, from, limit)
	if err != nil {
		return nil, err
	}
	out := userAnswer{User: user, Interactions: make([]interactionOut, len(page.Interactions)), NextPageOffset: page.Next}
	for i, it := range page.Interactions {
		out.Interactions[i] = interactionOut{Item: it.Item, Weight: it.Weight, Timestamp: it.Time.Unix()}
	}
	items, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	prof, err := h.trainer.Profile(r.Context(), c, items, user, "")
	if err != nil {
		return nil, err
	}
	if out.HasVector = prof.Vector != nil; out.HasVector {
		out.VectorSource = &prof.Source
	}
	return out, nil
}

func (h *Handler) deleteUser(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "timeout"); err != nil {
		return nil, err
	}
	c, user, err := h.collectionUser(r)
	if err != nil {
		return nil, err
	}
	if err := h.forgetUser(r.Context(), c, user); err != nil {
		return nil, err
	}
	return true, nil
}

func (h *Handler) collectionUser(r *http.Request) (*index.Collection, userid.ID, error) {
	c, err := h.collection(r)
	if err != nil {
		return nil, userid.ID{}, err
	}
	user, err := userid.Parse(mux.Vars(r)["user"])
	if err != nil {
		return nil, userid.ID{}, badRequest("user: %v", err)
	}
	return c, user, nil
}
