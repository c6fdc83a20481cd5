package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// Command is one replicated write; exactly one field is set.
type Command struct {
	Create *CreateCollection
	// CreateSharded is group 0's: the schema collection (empty; the
	// points are in the shard groups) and the placement.
	CreateSharded *CreateShardedCollection
	Drop          *DropCollection
	Apply         *ApplyOperations
	PayloadIndex  *SetPayloadIndex
	Config        *UpdateConfig
	Interact      *RecordInteractions
	// The later kinds (kinds.go).
	Aliases *UpdateAliases
	Forget  *ForgetUser
	Model   *InstallModel
	Peer    *SetPeer
	// Replicas changes a shard's replicas (replicas.go).
	Replicas *ChangeReplicas
}

// RecordInteractions records users' interactions with a collection's
// points, as index.Collection.Interact. Every Time must be set: "now"
// differs from one replica to the next, so the proposer fills it in.
type RecordInteractions struct {
	Collection   string
	Interactions []index.Interaction
}

// SetPayloadIndex creates a collection's payload index on Key, as
// index.Collection.CreatePayloadIndex, or with Type "" deletes it, as
// DeletePayloadIndex.
type SetPayloadIndex struct {
	Collection string
	Key        string
	Type       index.FieldType
}

// UpdateConfig changes a collection's config, as
// index.Collection.UpdateConfig.
type UpdateConfig struct {
	Collection string
	Update     index.ConfigUpdate
}

// CreateCollection creates an empty collection, as index.DB.Create.
type CreateCollection struct {
	Name   string
	Config index.Config
}

// CreateShardedCollection creates a sharded collection: in group 0 an
// empty collection of Placement.Config, as index.DB.Create, and the
// placement (Placement.Created is set when applied).
type CreateShardedCollection struct {
	Name      string
	Placement Placement
}

// DropCollection drops a collection, as index.DB.Drop.
type DropCollection struct {
	Name string
}

// ApplyOperations applies operations to a collection, as
// index.Collection.Apply.
type ApplyOperations struct {
	Collection string
	Ops        []index.Operation
}

// commandVersion is the envelope version this build writes and reads.
// A change to the envelope, or to the JSON of a type it holds, takes a
// new version; a node refuses entries of a version it does not know,
// so a mixed-version cluster stops rather than diverges.
const commandVersion = 1

// Command kinds in the envelope.
const (
	kindCreate = "create"
	kindDrop   = "drop"
	kindApply  = "apply"
	// Added after the first release of version 1: a node that predates
	// them refuses the entry as an unknown kind and stops, as it would a
	// new version.
	kindPayloadIndex  = "payload_index"
	kindConfig        = "config"
	kindInteract      = "interact"
	kindShardedCreate = "create_sharded"
)

// envelope is a command as it is in the log, in JSON. The index's types
// travel in their own JSON (field names, pointid.ID's MarshalJSON, nil
// slices as null and empty ones as [], which Apply tells apart), except
// where a selector holds a filter.Filter, which has no MarshalJSON and
// goes in Qdrant's filter JSON (filter.Marshal).
type envelope struct {
	Version    int           `json:"v"`
	Kind       string        `json:"kind"`
	Collection string        `json:"collection"`
	Config     *index.Config `json:"config,omitempty"`
	Ops        []wireOp      `json:"ops,omitempty"`
	// Key and FieldType are a payload_index command's; Update a config
	// command's.
	Key       string              `json:"key,omitempty"`
	FieldType index.FieldType     `json:"field_type,omitempty"`
	Update    *index.ConfigUpdate `json:"update,omitempty"`
	// Interactions are an interact command's.
	Interactions []index.Interaction `json:"interactions,omitempty"`
	// Replicas are a create_sharded command's placement (Config is its
	// config).
	Replicas [][]Peer `json:"replicas,omitempty"`
	// The later kinds' fields (kinds.go).
	Aliases []index.AliasAction `json:"aliases,omitempty"`
	User    *userid.ID          `json:"user,omitempty"`
	Model   []byte              `json:"model,omitempty"`
	Content string              `json:"content,omitempty"`
	// VectorsOnly is an install_model command's, sent to a shard group.
	VectorsOnly bool            `json:"vectors_only,omitempty"`
	Peer        *SetPeer        `json:"peer,omitempty"`
	Change      *ChangeReplicas `json:"change,omitempty"`
}

type wireOp struct {
	Upsert        []index.Point
	Delete        *wireSelector
	Payload       *wirePayloadUpdate
	UpdateVectors []index.PointVectors
	DeleteVectors *wireVectorDeletion
}

type wireSelector struct {
	IDs []pointid.ID
	// Filter is omitted when nil: a JSON null would decode to a
	// RawMessage "null", not nil.
	Filter json.RawMessage `json:",omitempty"`
}

type wirePayloadUpdate struct {
	Kind    index.PayloadUpdateKind
	Points  wireSelector
	Payload map[string]any
	Key     string
	Keys    []string
}

type wireVectorDeletion struct {
	Points wireSelector
	Names  []string
}

// errEncode marks a command that cannot be encoded: a NaN or an infinity
// where JSON has none, which the index refuses anyway.
func errEncode(err error) error {
	return fmt.Errorf("%w: command: %w", index.ErrBadRequest, err)
}

// encode returns the command's log entry.
func (c Command) encode() ([]byte, error) {
	env := envelope{Version: commandVersion}
	set := c.laterSet()
	for _, isSet := range []bool{c.Create != nil, c.CreateSharded != nil, c.Drop != nil, c.Apply != nil, c.PayloadIndex != nil, c.Config != nil, c.Interact != nil} {
		if isSet {
			set++
		}
	}
	switch {
	case set != 1:
		return nil, fmt.Errorf("%w: command: want exactly one kind, got %d", index.ErrBadRequest, set)
	case c.later():
		if err := c.encodeLater(&env); err != nil {
			return nil, err
		}
	case c.Create != nil:
		env.Kind, env.Collection, env.Config = kindCreate, c.Create.Name, &c.Create.Config
	case c.CreateSharded != nil:
		env.Kind, env.Collection = kindShardedCreate, c.CreateSharded.Name
		env.Config, env.Replicas = &c.CreateSharded.Placement.Config, c.CreateSharded.Placement.Replicas
	case c.Drop != nil:
		env.Kind, env.Collection = kindDrop, c.Drop.Name
	case c.PayloadIndex != nil:
		env.Kind, env.Collection, env.Key, env.FieldType = kindPayloadIndex, c.PayloadIndex.Collection, c.PayloadIndex.Key, c.PayloadIndex.Type
	case c.Config != nil:
		env.Kind, env.Collection, env.Update = kindConfig, c.Config.Collection, &c.Config.Update
	case c.Interact != nil:
		for i, it := range c.Interact.Interactions {
			if it.Time.IsZero() {
				return nil, fmt.Errorf("%w: command: interactions[%d].timestamp: unset (the proposer sets now)", index.ErrBadRequest, i)
			}
		}
		env.Kind, env.Collection, env.Interactions = kindInteract, c.Interact.Collection, c.Interact.Interactions
	default:
		env.Kind, env.Collection = kindApply, c.Apply.Collection
		env.Ops = make([]wireOp, len(c.Apply.Ops))
		for i, op := range c.Apply.Ops {
			var err error
			if env.Ops[i], err = toWire(op); err != nil {
				return nil, errEncode(fmt.Errorf("operations[%d]: %w", i, err))
			}
		}
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, errEncode(err)
	}
	return raw, nil
}

// decodeCommand reads a log entry. Payload numbers decode as json.Number,
// so the index marshals each payload back to the bytes the client sent
// (a float64 would round integers above 2^53).
func decodeCommand(data []byte) (Command, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		return Command{}, fmt.Errorf("%w: decode command: %w", index.ErrBadRequest, err)
	}
	if env.Version != commandVersion {
		return Command{}, fmt.Errorf("%w: command version %d, this node reads %d", index.ErrBadRequest, env.Version, commandVersion)
	}
	if cmd, ok, err := decodeLater(env); ok {
		return cmd, err
	}
	switch env.Kind {
	case kindCreate:
		if env.Config == nil {
			return Command{}, fmt.Errorf("%w: create command without config", index.ErrBadRequest)
		}
		return Command{Create: &CreateCollection{Name: env.Collection, Config: *env.Config}}, nil
	case kindShardedCreate:
		if env.Config == nil {
			return Command{}, fmt.Errorf("%w: create_sharded command without config", index.ErrBadRequest)
		}
		p := Placement{Config: *env.Config, Replicas: env.Replicas}
		return Command{CreateSharded: &CreateShardedCollection{Name: env.Collection, Placement: p}}, nil
	case kindDrop:
		return Command{Drop: &DropCollection{Name: env.Collection}}, nil
	case kindPayloadIndex:
		return Command{PayloadIndex: &SetPayloadIndex{Collection: env.Collection, Key: env.Key, Type: env.FieldType}}, nil
	case kindInteract:
		return Command{Interact: &RecordInteractions{Collection: env.Collection, Interactions: env.Interactions}}, nil
	case kindConfig:
		if env.Update == nil {
			return Command{}, fmt.Errorf("%w: config command without update", index.ErrBadRequest)
		}
		return Command{Config: &UpdateConfig{Collection: env.Collection, Update: *env.Update}}, nil
	case kindApply:
		ops := make([]index.Operation, len(env.Ops))
		for i, w := range env.Ops {
			var err error
			if ops[i], err = fromWire(w); err != nil {
				return Command{}, fmt.Errorf("%w: decode command: operations[%d]: %w", index.ErrBadRequest, i, err)
			}
		}
		return Command{Apply: &ApplyOperations{Collection: env.Collection, Ops: ops}}, nil
	}
	return Command{}, fmt.Errorf("%w: unknown command kind %q", index.ErrBadRequest, env.Kind)
}

func toWire(op index.Operation) (wireOp, error) {
	w := wireOp{Upsert: op.Upsert, UpdateVectors: op.UpdateVectors}
	var err error
	if op.Delete != nil {
		w.Delete = new(wireSelector)
		if *w.Delete, err = selectorToWire(*op.Delete); err != nil {
			return wireOp{}, err
		}
	}
	if u := op.Payload; u != nil {
		w.Payload = &wirePayloadUpdate{Kind: u.Kind, Payload: u.Payload, Key: u.Key, Keys: u.Keys}
		if w.Payload.Points, err = selectorToWire(u.Points); err != nil {
			return wireOp{}, err
		}
	}
	if d := op.DeleteVectors; d != nil {
		w.DeleteVectors = &wireVectorDeletion{Names: d.Names}
		if w.DeleteVectors.Points, err = selectorToWire(d.Points); err != nil {
			return wireOp{}, err
		}
	}
	return w, nil
}

func fromWire(w wireOp) (index.Operation, error) {
	op := index.Operation{Upsert: w.Upsert, UpdateVectors: w.UpdateVectors}
	var err error
	if w.Delete != nil {
		op.Delete = new(index.Selector)
		if *op.Delete, err = selectorFromWire(*w.Delete); err != nil {
			return index.Operation{}, err
		}
	}
	if u := w.Payload; u != nil {
		op.Payload = &index.PayloadUpdate{Kind: u.Kind, Payload: u.Payload, Key: u.Key, Keys: u.Keys}
		if op.Payload.Points, err = selectorFromWire(u.Points); err != nil {
			return index.Operation{}, err
		}
	}
	if d := w.DeleteVectors; d != nil {
		op.DeleteVectors = &index.VectorDeletion{Names: d.Names}
		if op.DeleteVectors.Points, err = selectorFromWire(d.Points); err != nil {
			return index.Operation{}, err
		}
	}
	return op, nil
}

func selectorToWire(s index.Selector) (wireSelector, error) {
	w := wireSelector{IDs: s.IDs}
	if s.Filter != nil {
		raw, err := filter.Marshal(s.Filter)
		if err != nil {
			return wireSelector{}, err
		}
		w.Filter = raw
	}
	return w, nil
}

func selectorFromWire(w wireSelector) (index.Selector, error) {
	s := index.Selector{IDs: w.IDs}
	if w.Filter != nil {
		f, err := filter.Parse(w.Filter)
		if err != nil {
			return index.Selector{}, err
		}
		s.Filter = f
	}
	return s, nil
}

// check validates c against db as applying it would, writing nothing.
// The leader runs it on the command decoded from the entry it is about
// to propose, so it checks what the replicas will apply. It can pass and
// the apply still fail, when entries ahead of it in the log change the
// collection (a drop, a delete of a point the command updates); that
// failure is deterministic all the same (see apply).
func (c Command) check(db *index.DB) error {
	switch {
	case c.Create != nil:
		if err := index.CheckCreate(c.Create.Name, c.Create.Config); err != nil {
			return err
		}
		if _, err := db.Collection(c.Create.Name); err == nil {
			return fmt.Errorf("collection %q: %w", c.Create.Name, index.ErrExists)
		}
		return nil
	case c.CreateSharded != nil:
		if err := c.CreateSharded.Placement.check(); err != nil {
			return err
		}
		return Command{Create: &CreateCollection{Name: c.CreateSharded.Name, Config: c.CreateSharded.Placement.Config}}.check(db)
	case c.Drop != nil:
		_, err := db.Collection(c.Drop.Name)
		return err
	case c.PayloadIndex != nil:
		col, err := db.Collection(c.PayloadIndex.Collection)
		if err != nil {
			return err
		}
		return col.CheckPayloadIndex(c.PayloadIndex.Key, c.PayloadIndex.Type)
	case c.Config != nil:
		col, err := db.Collection(c.Config.Collection)
		if err != nil {
			return err
		}
		return col.CheckConfigUpdate(c.Config.Update)
	case c.Interact != nil:
		col, err := db.Collection(c.Interact.Collection)
		if err != nil {
			return err
		}
		return col.CheckInteractions(c.Interact.Interactions)
	default:
		col, err := db.Collection(c.Apply.Collection)
		if err != nil {
			return err
		}
		return col.Check(c.Apply.Ops)
	}
}

// apply runs c against db. Replicas apply the same entries in the same
// order, one at a time (the FSM is the only writer), from the same
// state, with the same limits (doc.go), and what the index stores or
// refuses depends on nothing else (no clock; randomness only in the HNSW
// graph's levels, which change no point and no error), so the same
// command fails with the same error everywhere or nowhere. The exceptions are the machine's, not the command's: a full
// disk or a storage failure; deterministic tells them apart.
//
// ctx must not be cancelled by a request: a cancelled apply would be a
// failure only this replica has.
func (c Command) apply(ctx context.Context, db *index.DB) error {
	switch {
	case c.Create != nil:
		_, err := db.Create(ctx, c.Create.Name, c.Create.Config)
		return err
	case c.CreateSharded != nil:
		_, err := db.Create(ctx, c.CreateSharded.Name, c.CreateSharded.Placement.Config)
		return err
	case c.Drop != nil:
		return db.Drop(ctx, c.Drop.Name)
	case c.PayloadIndex != nil:
		col, err := db.Collection(c.PayloadIndex.Collection)
		if err != nil {
			return err
		}
		if c.PayloadIndex.Type == "" {
			return col.DeletePayloadIndex(ctx, c.PayloadIndex.Key)
		}
		return col.CreatePayloadIndex(ctx, c.PayloadIndex.Key, c.PayloadIndex.Type)
	case c.Config != nil:
		col, err := db.Collection(c.Config.Collection)
		if err != nil {
			return err
		}
		return col.UpdateConfig(ctx, c.Config.Update)
	case c.Interact != nil:
		col, err := db.Collection(c.Interact.Collection)
		if err != nil {
			return err
		}
		return col.Interact(ctx, c.Interact.Interactions)
	default:
		col, err := db.Collection(c.Apply.Collection)
		if err != nil {
			return err
		}
		return col.Apply(ctx, c.Apply.Ops)
	}
}

// deterministic reports whether err is the command's own failure, the
// same on every replica, rather than this machine's.
func deterministic(err error) bool {
	for _, e := range []error{index.ErrBadRequest, index.ErrNotFound, index.ErrExists, index.ErrTooLarge} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
