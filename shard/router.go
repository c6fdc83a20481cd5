package shard

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Router reads a collection spread over shards as one collection: it
// implements query.Collection (and Get) over its shards, shard i holding
// the points whose id.Shard(len(shards)) is i. A read asks its shards at
// once and the first error cancels the others. It is safe for concurrent
// use when its shards are.
type Router struct {
	name   string
	cfg    index.Config
	shards []Shard
	users  func(context.Context) (*index.Collection, error) // WithUsers'
}

// NewRouter returns the router of collection name, of schema cfg, over
// shards, in shard order.
func NewRouter(name string, cfg index.Config, shards []Shard) (*Router, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("shard router %q: no shards", name)
	}
	for i, s := range shards {
		if s == nil {
			return nil, fmt.Errorf("shard router %q: shard %d is nil", name, i)
		}
	}
	return &Router{name: name, cfg: cfg, shards: shards}, nil
}

// WithUsers makes users the source of the collection that keeps the
// sharded collection's users, their interactions and its trained model
// (group 0's schema copy, package cluster), for recommendations to users
// (query.UserKeeper). It is called only by a query that reads users,
// which for a linearizable read costs a catch-up with group 0. Call
// WithUsers before the router is used.
func (r *Router) WithUsers(users func(ctx context.Context) (*index.Collection, error)) *Router {
	r.users = users
	return r
}

// Users returns the collection WithUsers's source gives, or nil without
// one.
func (r *Router) Users(ctx context.Context) (*index.Collection, error) {
	if r.users == nil {
		return nil, nil
	}
	return r.users(ctx)
}

// Name returns the collection's name.
func (r *Router) Name() string { return r.name }

// Config returns the collection's schema, as given to NewRouter.
func (r *Router) Config() index.Config { return r.cfg }

// Shards returns the number of shards.
func (r *Router) Shards() int { return len(r.shards) }

// VectorConfig returns the config of the vector called name ("" is the
// unnamed one), or an index.ErrBadRequest error worded as the index words
// it, naming the vectors the collection has.
func (r *Router) VectorConfig(name string) (index.VectorConfig, error) {
	_, named := r.cfg.Vectors[name]
	switch {
	case !r.cfg.Named() && name == "", named:
		return r.cfg.Vector(name)
	case !r.cfg.Named():
		return index.VectorConfig{}, fmt.Errorf("%w: collection %q has no vector named %q (it has only the unnamed vector)", index.ErrBadRequest, r.name, name)
	}
	what := fmt.Sprintf("no vector named %q", name)
	if name == "" {
		what = "no unnamed vector"
	}
	has := strings.Join(r.cfg.VectorNames(), ", ")
	if len(r.cfg.SparseVectors) > 0 {
		has = strings.TrimPrefix(has+"; sparse: "+strings.Join(r.cfg.SparseNames(), ", "), "; ")
	}
	return index.VectorConfig{}, fmt.Errorf("%w: collection %q has %s (it has: %s)", index.ErrBadRequest, r.name, what, has)
}

// SparseVectorConfig is VectorConfig for sparse vectors.
func (r *Router) SparseVectorConfig(name string) (index.SparseVectorConfig, error) {
	if v, ok := r.cfg.SparseVectors[name]; ok {
		return v, nil
	}
	return index.SparseVectorConfig{}, fmt.Errorf("%w: collection %q has no sparse vector named %q (it has: %s)",
		index.ErrBadRequest, r.name, name, strings.Join(r.cfg.SparseNames(), ", "))
}

// higherIsBetter reports the score direction of the vector called using.
func (r *Router) higherIsBetter(using string) (bool, error) {
	vc, err := r.VectorConfig(using)
	if err != nil {
		return false, err
	}
	m, err := vc.Distance.Graph()
	if err != nil {
		return false, fmt.Errorf("collection %q: vector %q: %w", r.name, using, err)
	}
	return m.HigherIsBetter(), nil
}

// scatter calls fn for each shard i in which at once, each answer at its
// shard's index; the first error cancels the other calls and is returned
// wrapped with its shard's number. The remote shards' calls start
// first, and one local shard is read on the caller's goroutine, so the
// requests are on the wire while this node searches.
func scatter[T any](ctx context.Context, r *Router, which []int, fn func(ctx context.Context, i int) (T, error)) ([]T, error) {
	out := make([]T, len(r.shards))
	call := func(ctx context.Context, i int) error {
		v, err := fn(ctx, i)
		if err != nil {
			return r.shardErr(i, err)
		}
		out[i] = v
		return nil
	}
	if len(which) == 1 {
		if err := call(ctx, which[0]); err != nil {
			return nil, err
		}
		return out, nil
	}
	here := -1 // the local shard read on this goroutine
	for _, i := range which {
		if !isRemote(r.shards[i]) {
			here = i
		}
	}
	// The local call's error cancels the others, as theirs do.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	for _, remote := range []bool{true, false} {
		for _, i := range which {
			if isRemote(r.shards[i]) == remote && i != here {
				g.Go(func() error { return call(gctx, i) })
			}
		}
	}
	var err error
	if here >= 0 {
		if err = call(gctx, here); err != nil {
			cancel()
		}
	}
	if err := cmp.Or(err, g.Wait()); err != nil {
		return nil, err
	}
	return out, nil
}

// isRemote reports whether each of s's calls is a round trip to another
// node.
func isRemote(s Shard) bool {
	rs, ok := s.(Remote)
	return ok && rs.Remote()
}

func (r *Router) shardErr(i int, err error) error {
	return fmt.Errorf("collection %q: shard %d: %w", r.name, i, err)
}

// all lists every shard.
func (r *Router) all() []int {
	out := make([]int, len(r.shards))
	for i := range out {
		out[i] = i
	}
	return out
}

// route splits ids by their shard: byShard[i] are shard i's ids in the
// order asked, at[i] their indexes in ids; which lists the shards with
// some.
func (r *Router) route(ids []pointid.ID) (byShard [][]pointid.ID, at [][]int, which []int) {
	byShard, at = make([][]pointid.ID, len(r.shards)), make([][]int, len(r.shards))
	for j, id := range ids {
		i := id.Shard(len(r.shards))
		if byShard[i] == nil {
			which = append(which, i)
		}
		byShard[i] = append(byShard[i], id)
		at[i] = append(at[i], j)
	}
	return byShard, at, which
}

// errNoScore mirrors the index's refusal of a rank without a score.
var errNoScore = fmt.Errorf("%w: rank without a score", index.ErrBadRequest)

// checkWindow checks limit and offset as the index does and returns the
// limit with its default applied.
func checkWindow(limit, offset int) (int, error) {
	if limit < 0 || offset < 0 || limit+offset > index.MaxLimit {
		return 0, fmt.Errorf("%w: limit %d, offset %d: want limit+offset ≤ %d", index.ErrBadRequest, limit, offset, index.MaxLimit)
	}
	if limit == 0 {
		limit = 10
	}
	return limit, nil
}
