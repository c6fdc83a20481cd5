package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

// ForUser ranks items for a user by what the user did: the user's vector
// (the trained model's fold-in of their history, or the centroid of their
// items' content vectors) against the items' vectors, by dot product. It
// is Quiver's extension of Qdrant's recommend input.
type ForUser struct {
	User userid.ID
	// KeepSeen keeps the items the user interacted with among the results;
	// by default they are left out.
	KeepSeen bool
	// Text, for a user with no history, ranks the items nearest to it by
	// the collection's text vector instead of the most popular ones.
	Text *Document
	// Explain adds to each result the past items that contributed most.
	Explain bool
}

func (*ForUser) isQuery() {}

// Users knows a collection's users and models; trainer.Trainer implements
// it. users is the collection that keeps the interactions and the model,
// items the one its item vectors are read from (the same but for a
// sharded collection: see UserKeeper).
type Users interface {
	Profile(ctx context.Context, users *index.Collection, items trainer.Items, user userid.ID, using string) (*trainer.Profile, error)
	Popular(ctx context.Context, users *index.Collection, n int) ([]trainer.Item, error)
}

// UserKeeper is a Collection whose users are kept apart from its points:
// a cluster's router over a sharded collection's shards, whose users'
// interactions and model are in the metadata group's schema copy. Users
// returns that collection, as up to date as the router's reads (a
// linearizable router first catches up with the metadata group).
type UserKeeper interface {
	Users(ctx context.Context) (*index.Collection, error)
}

// usersOf returns the collection that keeps c's users; ok is false when
// c keeps none.
func usersOf(ctx context.Context, c Collection) (users *index.Collection, ok bool, err error) {
	switch c := c.(type) {
	case *index.Collection:
		return c, true, nil
	case UserKeeper:
		users, err := c.Users(ctx)
		return users, users != nil || err != nil, err
	}
	return nil, false, nil
}

// explainTop is how many past items an explanation lists.
const explainTop = 5

func (q *ForUser) check() error {
	// Any parsed user id is valid (the zero value is user 0); JSON
	// decoding has already refused empty and malformed ones.
	if q.Text != nil && q.Text.Text == "" {
		return badRequest("recommend.text: empty")
	}
	return nil
}

// forUser answers a ForUser query.
func (e *Engine) forUser(ctx context.Context, c Collection, req *Request, q *ForUser) ([]index.ScoredPoint, error) {
	users, ok, err := usersOf(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("recommend.user %s: %w", q.User, err)
	}
	if e.cfg.Users == nil || !ok {
		return nil, badRequest("recommend.user: not supported here")
	}
	prof, err := e.cfg.Users.Profile(ctx, users, c, q.User, req.Using)
	if err != nil {
		return nil, fmt.Errorf("recommend.user %s: %w", q.User, err)
	}
	r := *req
	r.Using = prof.Using
	if !q.KeepSeen && len(prof.Seen) > 0 {
		r.Filter = withoutIDs(req.Filter, prof.Seen)
	}
	var res []index.ScoredPoint
	switch {
	case prof.Vector != nil:
		if _, err := c.VectorConfig(r.Using); err != nil {
			return nil, fmt.Errorf("using %q: %w", r.Using, err)
		}
		res, err = e.nearest(ctx, c, &r, prof.Vector, nil)
	case q.Text != nil:
		res, err = e.nearText(ctx, c, &r, q.Text)
	default:
		res, err = e.popular(ctx, c, users, &r)
	}
	if err != nil || !q.Explain || prof.Vector == nil {
		return res, err
	}
	ids := make([]pointid.ID, len(res))
	for i := range res {
		ids[i] = res[i].ID
	}
	ex, err := prof.Explain(ctx, c, ids, explainTop)
	if err != nil {
		return nil, fmt.Errorf("recommend.user %s: explain: %w", q.User, err)
	}
	for i := range res {
		res[i].Explanation = ex[i]
	}
	return res, nil
}

// withoutIDs returns f narrowed to points other than ids.
func withoutIDs(f *filter.Filter, ids []pointid.ID) *filter.Filter {
	out := &filter.Filter{MustNot: []filter.Condition{{HasID: ids}}}
	if f != nil {
		out.Must = []filter.Condition{{Filter: f}}
	}
	return out
}

// nearText ranks by a text for a user without history: the nearest points
// by the collection's first vector (in name order) that has a model.
func (e *Engine) nearText(ctx context.Context, c Collection, req *Request, doc *Document) ([]index.ScoredPoint, error) {
	cfg := c.Config()
	using, found := "", false
	for _, name := range cfg.VectorNames() {
		if vc, _ := c.VectorConfig(name); vc.Model != "" {
			using, found = name, true
			break
		}
	}
	if !found {
		return nil, badRequest("recommend.text: collection %q has no vector with a text model", c.Name())
	}
	in := Input{Doc: doc}
	enc := e.newEncoding(c)
	if err := enc.add(&in, using, "recommend.text"); err != nil {
		return nil, err
	}
	if err := enc.run(ctx); err != nil {
		return nil, err
	}
	r := *req
	r.Using = using
	return e.nearest(ctx, c, &r, in.Vector, nil)
}

// popular ranks the most interacted-with points that pass the request's
// filter, scored by their interaction counts.
func (e *Engine) popular(ctx context.Context, c Collection, users *index.Collection, req *Request) ([]index.ScoredPoint, error) {
	// Enough of the popular list to fill the page after the filter takes
	// its share, bounded by the engine's limit.
	want := min(4*(req.Offset+limitOf(req))+100, e.cfg.MaxLimit)
	items, err := e.cfg.Users.Popular(ctx, users, want)
	if err != nil {
		return nil, err
	}
	ids := make([]pointid.ID, len(items))
	count := make(map[pointid.ID]int, len(items))
	for i, it := range items {
		ids[i], count[it.ID] = it.ID, it.Count
	}
	f := &filter.Filter{Must: []filter.Condition{{HasID: ids}}}
	if req.Filter != nil {
		f.Must = append(f.Must, filter.Condition{Filter: req.Filter})
	}
	page, err := c.Scroll(ctx, index.ScrollRequest{Filter: f, Limit: len(ids), ReadOptions: req.ReadOptions})
	if err != nil {
		return nil, err
	}
	res := make([]index.ScoredPoint, len(page.Points))
	for i, r := range page.Points {
		res[i] = index.ScoredPoint{Record: r, Score: float32(count[r.ID])}
	}
	slices.SortStableFunc(res, func(a, b index.ScoredPoint) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), a.ID.Compare(b.ID))
	})
	return cut(res, req, true, nil), nil
}
