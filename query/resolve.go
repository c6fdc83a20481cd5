package query

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quiver-db/quiver/pointid"
)

// encoding gathers the documents of one call and encodes them in one
// Encode per model.
type encoding struct {
	e    *Engine
	c    Collection
	docs map[string][]*Input // by model
	n    int
}

func (e *Engine) newEncoding(c Collection) *encoding {
	return &encoding{e: e, c: c, docs: map[string][]*Input{}}
}

// add queues in's document, which fills the vector called using; where
// names the input in errors.
func (enc *encoding) add(in *Input, using, where string) error {
	model := in.Doc.Model
	if model == "" {
		vc, err := enc.c.VectorConfig(using)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		model = vc.Model
	}
	if model == "" && using != "" {
		return badRequest("%s: document without a model, and vector %q of collection %q has no model", where, using, enc.c.Name())
	}
	if model == "" {
		return badRequest("%s: document without a model, and collection %q has no model", where, enc.c.Name())
	}
	if _, ok := enc.e.cfg.Models[model]; !ok {
		return fmt.Errorf("%w: %s: model %q (this server has: %s)", ErrNoModel, where, model, enc.e.ModelNames())
	}
	if strings.TrimSpace(in.Doc.Text) == "" {
		return badRequest("%s: document text is empty", where)
	}
	enc.n++
	if enc.n > enc.e.cfg.MaxTexts {
		return badRequest("%s: more than %d text documents in one request", where, enc.e.cfg.MaxTexts)
	}
	enc.docs[model] = append(enc.docs[model], in)
	return nil
}

// run fills the Vector of every queued document, models in name order so
// that errors do not depend on map order.
func (enc *encoding) run(ctx context.Context) error {
	models := make([]string, 0, len(enc.docs))
	for m := range enc.docs {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, model := range models {
		inputs := enc.docs[model]
		texts := make([]string, len(inputs))
		for i, in := range inputs {
			texts[i] = in.Doc.Text
		}
		emb := enc.e.cfg.Models[model]
		start := time.Now()
		vecs, err := emb.Encode(ctx, texts)
		enc.e.cfg.Observer.Encoded(model, len(texts), time.Since(start))
		if err != nil {
			return fmt.Errorf("encode %d texts with %q: %w", len(texts), model, err)
		}
		if len(vecs) != len(texts) {
			return fmt.Errorf("model %q returned %d vectors for %d texts", model, len(vecs), len(texts))
		}
		for i, in := range inputs {
			if len(vecs[i]) != emb.Dim() {
				return fmt.Errorf("model %q returned a vector of size %d, want %d", model, len(vecs[i]), emb.Dim())
			}
			in.Vector = vecs[i]
		}
	}
	enc.docs = map[string][]*Input{}
	return nil
}

// Encode turns documents into vectors for writes to collection c (whose
// model stands in for a document's empty Model), one Encode call per
// model; where(i) names document i in errors.
func (e *Engine) Encode(ctx context.Context, c Collection, docs []Document, where func(i int) string) ([][]float32, error) {
	named := make([]NamedDocument, len(docs))
	for i, d := range docs {
		named[i].Document = d
	}
	return e.EncodeNamed(ctx, c, named, where)
}

// EncodeNamed turns documents into vectors for writes to collection c,
// each for the vector it names (whose model stands in for an empty
// Model), one Encode call per model; where(i) names document i in errors.
func (e *Engine) EncodeNamed(ctx context.Context, c Collection, docs []NamedDocument, where func(i int) string) ([][]float32, error) {
	enc := e.newEncoding(c)
	ins := make([]Input, len(docs))
	for i := range docs {
		ins[i].Doc = &docs[i].Document
		if err := enc.add(&ins[i], docs[i].Using, where(i)); err != nil {
			return nil, err
		}
	}
	if err := enc.run(ctx); err != nil {
		return nil, err
	}
	out := make([][]float32, len(ins))
	for i := range ins {
		out[i] = ins[i].Vector
	}
	return out, nil
}

// lookupIDs fills the Vector of inputs that name points with their
// vectors called using in from's memory.
func lookupIDs(ctx context.Context, from Collection, using string, inputs []*Input) error {
	var ids []pointid.ID
	var named []*Input
	for _, in := range inputs {
		if in.ID != nil {
			ids = append(ids, *in.ID)
			named = append(named, in)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	vecs, err := from.Vectors(ctx, using, ids)
	if err != nil {
		return err
	}
	for i, in := range named {
		in.Vector = vecs[i]
	}
	return nil
}

// ModelNames lists the engine's models in name order, for messages.
func (e *Engine) ModelNames() string {
	if len(e.cfg.Models) == 0 {
		return "no models"
	}
	names := make([]string, 0, len(e.cfg.Models))
	for n := range e.cfg.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
