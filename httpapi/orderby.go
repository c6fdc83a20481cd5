package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
)

// orderByInput is Qdrant's order_by: a payload key, or {"key",
// "direction": "asc" | "desc", "start_from"}.
type orderByInput struct {
	Key       string
	Desc      bool
	StartFrom *float64
}

func (o *orderByInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &o.Key); err != nil {
			return badRequest("order_by: %v", err)
		}
		return o.check()
	}
	var in struct {
		Key       string          `json:"key"`
		Direction *string         `json:"direction"`
		StartFrom json.RawMessage `json:"start_from"`
	}
	if err := strictUnmarshal(data, &in); err != nil {
		return fmt.Errorf("order_by: %w", err)
	}
	o.Key = in.Key
	if in.Direction != nil {
		switch *in.Direction {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			return badRequest("order_by.direction %q: want asc or desc", *in.Direction)
		}
	}
	if !isNull(in.StartFrom) {
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(in.StartFrom)), 64)
		if err != nil {
			return badRequest("order_by.start_from: want a number (Quiver has no datetime payload index)")
		}
		o.StartFrom = &f
	}
	return o.check()
}

func (o *orderByInput) check() error {
	if o.Key == "" {
		return badRequest("order_by.key: required")
	}
	return nil
}

func (o *orderByInput) query() *query.OrderBy {
	return &query.OrderBy{Key: o.Key, Desc: o.Desc, StartFrom: o.StartFrom}
}

// orderedRecord is a point of an ordered scroll.
type orderedRecord struct {
	record
	OrderValue any `json:"order_value"`
}

// orderedScrollResult is a scroll's answer with order_by: Qdrant pages
// such a scroll with start_from, so next_page_offset is always null.
type orderedScrollResult struct {
	Points     []orderedRecord `json:"points"`
	NextOffset *pointid.ID     `json:"next_page_offset"`
}

// scrollOrdered answers a scroll with order_by.
func scrollOrdered(ctx context.Context, c query.Collection, req *scrollRequest, limit int) (any, error) {
	var o orderByInput
	if err := o.UnmarshalJSON(req.OrderBy); err != nil {
		return nil, err
	}
	if req.Offset != nil {
		return nil, badRequest("offset: not with order_by; page with order_by.start_from and a must_not has_id filter")
	}
	recs, err := c.ScrollOrdered(ctx, index.OrderedScrollRequest{
		Key: o.Key, Desc: o.Desc, StartFrom: o.StartFrom, Filter: req.Filter, Limit: limit, ReadOptions: req.options(true),
	})
	if err != nil {
		return nil, err
	}
	out := orderedScrollResult{Points: make([]orderedRecord, len(recs))}
	for i, rec := range recs {
		out.Points[i] = orderedRecord{record: toRecord(rec), OrderValue: rec.OrderValue}
	}
	return out, nil
}
