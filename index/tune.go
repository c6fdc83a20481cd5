package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/quiver-db/quiver/hnsw"
)

// ConfigUpdate changes what a live collection's config lets change without
// rebuilding the graphs: their ef_construct and ef, and their
// quantization. Nil fields keep their value.
type ConfigUpdate struct {
	// Quantization replaces the collection-level quantization (the
	// unnamed vector's, and the default of named vectors without their
	// own); Disabled removes it.
	Quantization *QuantizationConfig
	// VectorQuantization replaces named vectors' own quantization, by
	// name; Disabled turns quantization off for that vector whatever the
	// collection's. "" is the unnamed vector (the same as Quantization).
	VectorQuantization map[string]QuantizationConfig
	// IVF replaces the collection-level ivf_config; Disabled removes it.
	IVF *IVFConfig
	// VectorIVF replaces named vectors' own ivf_config, by name, as
	// VectorQuantization does; "" is the unnamed vector.
	VectorIVF map[string]IVFConfig
	// HNSW updates the collection-level graph parameters: the unnamed
	// vector's, and the defaults of named vectors without their own.
	HNSW *HNSWUpdate
	// Vectors updates one vector's graph parameters, by name; "" is the
	// unnamed vector (the same as HNSW).
	Vectors map[string]HNSWUpdate
}

// HNSWUpdate is a change of graph parameters; nil fields keep their value.
type HNSWUpdate struct {
	// M cannot change: a graph's link lists are sized by it when the graph
	// is created. An update that sets it to the value in force is accepted
	// as a no-op, any other is refused.
	M *int
	// EfConstruction applies to the inserts after the update; the points
	// already in the graph keep the links they were built with.
	EfConstruction *int
	// Ef is the default candidate list size of the searches after the
	// update (those that name no hnsw_ef).
	Ef *int
}

// check refuses the values that Config would read as "the default".
func (u HNSWUpdate) check(field string) error {
	var errs []error
	for _, f := range []struct {
		name string
		v    *int
	}{{"m", u.M}, {"ef_construct", u.EfConstruction}, {"ef", u.Ef}} {
		if f.v != nil && *f.v < 1 {
			errs = append(errs, fmt.Errorf("%s.%s %d: want at least 1", field, f.name, *f.v))
		}
	}
	return errors.Join(errs...)
}

// apply returns h with u's fields set.
func (u HNSWUpdate) apply(h HNSWConfig) HNSWConfig {
	if u.M != nil {
		h.M = *u.M
	}
	if u.EfConstruction != nil {
		h.EfConstruction = *u.EfConstruction
	}
	if u.Ef != nil {
		h.Ef = *u.Ef
	}
	return h
}

// UpdateConfig applies u, stores the new config in the catalog (so it
// survives a restart) and applies it to the graphs. It fails with
// ErrBadRequest, changing nothing, when u names a vector the collection
// lacks, changes m, or sets a value out of range.
func (c *Collection) UpdateConfig(ctx context.Context, u ConfigUpdate) error {
	// snapMu for writing keeps writes, graph saves, ReplaceVectors and
	// payload index changes (which also store the config) away meanwhile.
	c.snapMu.Lock()
	defer c.snapMu.Unlock()
	c.mu.RLock()
	closed := c.mu.closed
	c.mu.RUnlock()
	if closed {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	next, err := c.updatedConfig(u)
	if err != nil {
		return fmt.Errorf("%w: collection %q: %w", ErrBadRequest, c.name, err)
	}
	raw, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.catalog.SetConfig(c.store, raw); err != nil {
		return err
	}
	c.tuned.Store(&next)
	if err := c.tuneGraphs(next); err != nil {
		return fmt.Errorf("collection %q: %w", c.name, err)
	}
	// Trains and encodes each graph whose quantization changed: a pass
	// over its vectors, while writes wait on snapMu.
	if err := c.quantizeGraphs(ctx, next); err != nil {
		return fmt.Errorf("collection %q: %w", c.name, err)
	}
	c.retunePartitions(next)
	c.log.Info("collection config updated", "hnsw", next.HNSW)
	return nil
}

// CheckConfigUpdate validates u as UpdateConfig would, changing nothing.
func (c *Collection) CheckConfigUpdate(u ConfigUpdate) error {
	if _, err := c.updatedConfig(u); err != nil {
		return fmt.Errorf("%w: collection %q: %w", ErrBadRequest, c.name, err)
	}
	return nil
}

// updatedConfig returns the current config with u applied, checked.
func (c *Collection) updatedConfig(u ConfigUpdate) (Config, error) {
	next := c.Config()
	next.Vectors = maps.Clone(next.Vectors)
	var errs []error
	if u.HNSW != nil {
		errs = append(errs, u.HNSW.check("hnsw_config"))
	}
	for name, upd := range u.Vectors {
		errs = append(errs, upd.check(fmt.Sprintf("vectors.%q.hnsw_config", name)))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	if u.HNSW != nil {
		next.HNSW = u.HNSW.apply(next.HNSW)
	}
	for _, name := range slices.Sorted(maps.Keys(u.Vectors)) {
		upd := u.Vectors[name]
		if name == "" && !next.Named() {
			next.HNSW = upd.apply(next.HNSW)
			continue
		}
		v, ok := next.Vectors[name]
		if !ok {
			return Config{}, fmt.Errorf("vectors: no vector named %q (the collection has: %s)", name, strings.Join(next.VectorNames(), ", "))
		}
		v.HNSW = upd.apply(v.HNSW)
		next.Vectors[name] = v
	}
	if err := applyQuantization(&next, u); err != nil {
		return Config{}, err
	}
	if err := applyIVF(&next, u); err != nil {
		return Config{}, err
	}
	if err := next.Validate(); err != nil {
		return Config{}, err
	}
	for _, sp := range c.spaces {
		v, _ := next.Vector(sp.name)
		if m := orDefault(v.HNSW.M, hnsw.DefaultM); m != sp.g().Options().M {
			field := "hnsw_config.m"
			if sp.name != "" {
				field = fmt.Sprintf("hnsw_config.m (of vector %q)", sp.name)
			}
			errs = append(errs, fmt.Errorf("%s %d: m sizes the graph's link lists when it is created and cannot change (it is %d)",
				field, m, sp.g().Options().M))
		}
	}
	return next, errors.Join(errs...)
}

// tuneGraphs sets every graph's ef_construct and ef to cfg's.
func (c *Collection) tuneGraphs(cfg Config) error {
	for _, sp := range c.spaces {
		v, _ := cfg.Vector(sp.name)
		g := sp.g()
		err := errors.Join(g.SetEfConstruction(orDefault(v.HNSW.EfConstruction, hnsw.DefaultEfConstruction)),
			g.SetEf(orDefault(v.HNSW.Ef, hnsw.DefaultEf)))
		if err != nil {
			return fmt.Errorf("vector %q: %w", sp.name, err)
		}
	}
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// applyQuantization sets u's quantization changes in next.
func applyQuantization(next *Config, u ConfigUpdate) error {
	return applyOverride(next, u.Quantization, u.VectorQuantization, &next.Quantization,
		func(v *VectorConfig) **QuantizationConfig { return &v.Quantization },
		func(q QuantizationConfig) bool { return q.Disabled })
}

// applyIVF sets u's ivf_config changes in next.
func applyIVF(next *Config, u ConfigUpdate) error {
	return applyOverride(next, u.IVF, u.VectorIVF, &next.IVF,
		func(v *VectorConfig) **IVFConfig { return &v.IVF },
		func(q IVFConfig) bool { return q.Disabled })
}

// applyOverride sets a per-vector setting with a collection default, such
// as the quantization: collection replaces the collection's (field), and
// each of vectors a named vector's own (own of it), "" standing for the
// unnamed vector. Disabled removes the collection's; on a named vector it
// is kept, so that it overrides the collection's.
func applyOverride[T any](next *Config, collection *T, vectors map[string]T, field **T, own func(*VectorConfig) **T, disabled func(T) bool) error {
	setCollection := func(q T) {
		*field = &q
		if disabled(q) {
			*field = nil
		}
	}
	if collection != nil {
		setCollection(*collection)
	}
	for _, name := range slices.Sorted(maps.Keys(vectors)) {
		q := vectors[name]
		if name == "" && !next.Named() {
			setCollection(q)
			continue
		}
		v, ok := next.Vectors[name]
		if !ok {
			return fmt.Errorf("vectors: no vector named %q (the collection has: %s)", name, strings.Join(next.VectorNames(), ", "))
		}
		*own(&v) = &q
		next.Vectors[name] = v
	}
	return nil
}
