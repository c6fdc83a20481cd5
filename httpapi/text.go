package httpapi

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// resolver turns the text documents and point ids of one request into
// vectors. Documents are encoded in one Encode call per model, however many
// points or queries of the request hold them.
type resolver struct {
	h    *Handler
	col  *index.Collection
	docs map[string][]*vectorInput // by model
	n    int
}

func (h *Handler) newResolver(col *index.Collection) *resolver {
	return &resolver{h: h, col: col, docs: map[string][]*vectorInput{}}
}

// addDoc queues v's document for encoding; where names the input in
// errors.
func (rs *resolver) addDoc(v *vectorInput, where string) error {
	d := v.Doc
	model := d.Model
	if model == "" {
		model = rs.col.Config().Model
	}
	if model == "" {
		return badRequest("%s: document without a model, and collection %q has no model", where, rs.col.Name())
	}
	if _, ok := rs.h.cfg.Models[model]; !ok {
		return fmt.Errorf("%w: %s: model %q (this server has: %s)", ErrNoModel, where, model, rs.h.modelNames())
	}
	if strings.TrimSpace(d.Text) == "" {
		return badRequest("%s: document text is empty", where)
	}
	rs.n++
	if rs.n > rs.h.cfg.MaxTexts {
		return badRequest("%s: more than %d text documents in one request", where, rs.h.cfg.MaxTexts)
	}
	rs.docs[model] = append(rs.docs[model], v)
	return nil
}

// encode fills the Vector of every queued document.
func (rs *resolver) encode(ctx context.Context) error {
	for model, inputs := range rs.docs {
		texts := make([]string, len(inputs))
		for i, v := range inputs {
			texts[i] = v.Doc.Text
		}
		start := time.Now()
		vecs, err := rs.h.cfg.Models[model].Encode(ctx, texts)
		rs.h.metrics.encoded(model, len(texts), time.Since(start))
		if err != nil {
			return fmt.Errorf("encode %d texts with %q: %w", len(texts), model, err)
		}
		if len(vecs) != len(texts) {
			return fmt.Errorf("model %q returned %d vectors for %d texts", model, len(vecs), len(texts))
		}
		for i, v := range inputs {
			if len(vecs[i]) != rs.h.cfg.Models[model].Dim() {
				return fmt.Errorf("model %q returned a vector of size %d, want %d", model, len(vecs[i]), rs.h.cfg.Models[model].Dim())
			}
			v.Vector = vecs[i]
		}
	}
	rs.docs = map[string][]*vectorInput{}
	return nil
}

// lookupIDs fills the Vector of inputs that name points, reading them from
// from (the request's collection or its lookup_from collection).
func lookupIDs(ctx context.Context, from *index.Collection, inputs []*vectorInput) error {
	var ids []pointid.ID
	for _, v := range inputs {
		if v.ID != nil {
			ids = append(ids, *v.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	recs, err := from.Get(ctx, ids, index.ReadOptions{WithVector: true})
	if err != nil {
		return err
	}
	vecs := make(map[pointid.ID][]float32, len(recs))
	for _, r := range recs {
		vecs[r.ID] = r.Vector
	}
	for _, v := range inputs {
		if v.ID == nil {
			continue
		}
		vec, ok := vecs[*v.ID]
		if !ok {
			return fmt.Errorf("%w: point %s in collection %q", index.ErrNotFound, *v.ID, from.Name())
		}
		v.Vector = vec
	}
	return nil
}

func (h *Handler) modelNames() string {
	if len(h.cfg.Models) == 0 {
		return "no models"
	}
	names := make([]string, 0, len(h.cfg.Models))
	for n := range h.cfg.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
