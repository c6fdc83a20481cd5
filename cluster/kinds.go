package cluster

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

// The command kinds added after the first six: aliases, forgetting a
// user, a trained model, and a peer's HTTP URL. They are in the same
// envelope version: a node that predates them refuses the entry as an
// unknown kind and stops.
const (
	kindAliases = "aliases"
	kindForget  = "forget_user"
	kindModel   = "install_model"
	kindPeer    = "peer"
)

// UpdateAliases applies alias actions, in order, all or none, as
// index.DB.UpdateAliases.
type UpdateAliases struct {
	Actions []index.AliasAction
}

// ForgetUser removes every interaction of a user and the user's row of
// the collection's model, as trainer.Trainer.ForgetUser.
type ForgetUser struct {
	Collection string
	User       userid.ID
}

// InstallModel installs a model trained on the leader, as
// trainer.Trainer.Install: the model's saved form and the item vectors
// it implies, the same on every replica (doc.go says why the leader
// trains rather than every replica).
//
// A sharded collection's model goes to every shard group with
// VectorsOnly set, then to group 0: each shard writes the vectors of its
// own points (trainer.Trainer.InstallVectors), and group 0's schema copy
// keeps the model itself, next to the interactions it was trained on.
type InstallModel struct {
	Collection  string
	Model       trainer.Trained
	VectorsOnly bool
}

// SetPeer records the HTTP URL of node ID, where followers forward to
// when it leads; with URL "" it forgets the node. Membership itself is
// Raft's configuration (Node.AddVoter, RemoveServer); this is what Raft's
// configuration has no room for.
type SetPeer struct {
	ID  string
	URL string
}

// later reports whether c is of a kind this file handles.
func (c Command) later() bool {
	return c.Aliases != nil || c.Forget != nil || c.Model != nil || c.Peer != nil || c.Replicas != nil
}

// laterSet counts the fields of the later kinds that are set.
func (c Command) laterSet() int {
	n := 0
	for _, set := range []bool{c.Aliases != nil, c.Forget != nil, c.Model != nil, c.Peer != nil, c.Replicas != nil} {
		if set {
			n++
		}
	}
	return n
}

// encodeLater fills env from a command of a later kind.
func (c Command) encodeLater(env *envelope) error {
	switch {
	case c.Aliases != nil:
		if c.Aliases.Actions == nil {
			return fmt.Errorf("%w: command: aliases without actions", index.ErrBadRequest)
		}
		env.Kind, env.Aliases = kindAliases, c.Aliases.Actions
	case c.Forget != nil:
		env.Kind, env.Collection, env.User = kindForget, c.Forget.Collection, &c.Forget.User
	case c.Model != nil:
		if len(c.Model.Model.Model) == 0 {
			return fmt.Errorf("%w: command: install_model without a model", index.ErrBadRequest)
		}
		env.Kind, env.Collection, env.Model, env.Content = kindModel, c.Model.Collection, c.Model.Model.Model, c.Model.Model.Content
		env.VectorsOnly = c.Model.VectorsOnly
	case c.Replicas != nil:
		env.Kind, env.Collection, env.Change = kindReplicas, c.Replicas.Collection, c.Replicas
	default:
		if c.Peer.ID == "" {
			return fmt.Errorf("%w: command: peer without an id", index.ErrBadRequest)
		}
		env.Kind, env.Peer = kindPeer, c.Peer
	}
	return nil
}

// decodeLater reads an entry of a later kind; ok is false for other kinds.
func decodeLater(env envelope) (cmd Command, ok bool, err error) {
	switch env.Kind {
	case kindAliases:
		if env.Aliases == nil {
			return Command{}, true, fmt.Errorf("%w: aliases command without actions", index.ErrBadRequest)
		}
		return Command{Aliases: &UpdateAliases{Actions: env.Aliases}}, true, nil
	case kindForget:
		if env.User == nil {
			return Command{}, true, fmt.Errorf("%w: forget_user command without a user", index.ErrBadRequest)
		}
		return Command{Forget: &ForgetUser{Collection: env.Collection, User: *env.User}}, true, nil
	case kindModel:
		if len(env.Model) == 0 {
			return Command{}, true, fmt.Errorf("%w: install_model command without a model", index.ErrBadRequest)
		}
		return Command{Model: &InstallModel{Collection: env.Collection, Model: trainer.Trained{Model: env.Model, Content: env.Content},
			VectorsOnly: env.VectorsOnly}}, true, nil
	case kindPeer:
		if env.Peer == nil || env.Peer.ID == "" {
			return Command{}, true, fmt.Errorf("%w: peer command without an id", index.ErrBadRequest)
		}
		return Command{Peer: env.Peer}, true, nil
	case kindReplicas:
		if env.Change == nil {
			return Command{}, true, fmt.Errorf("%w: shard_replicas command without a change", index.ErrBadRequest)
		}
		return Command{Replicas: env.Change}, true, nil
	}
	return Command{}, false, nil
}

// checkCommand validates cmd against the FSM's state as applying it
// would, writing nothing (Command.check).
func (f *fsm) checkCommand(cmd Command) error {
	switch {
	case !cmd.later():
		return cmd.check(f.db)
	case cmd.Aliases != nil:
		return f.db.CheckAliases(cmd.Aliases.Actions)
	case cmd.Forget != nil:
		_, err := f.db.Collection(cmd.Forget.Collection)
		return err
	case cmd.Model != nil:
		col, err := f.db.Collection(cmd.Model.Collection)
		if err != nil {
			return err
		}
		return f.trainer.CheckInstall(col, cmd.Model.Model)
	case cmd.Replicas != nil:
		return f.checkReplicas(cmd.Replicas)
	default:
		return nil
	}
}

// applyCommand runs cmd against the FSM's state (Command.apply says why
// the outcome is the same on every replica).
func (f *fsm) applyCommand(ctx context.Context, cmd Command) error {
	switch {
	case !cmd.later():
		return cmd.apply(ctx, f.db)
	case cmd.Aliases != nil:
		return f.db.UpdateAliases(cmd.Aliases.Actions)
	case cmd.Forget != nil:
		col, err := f.db.Collection(cmd.Forget.Collection)
		if err != nil {
			return err
		}
		return f.trainer.ForgetUser(ctx, col, cmd.Forget.User)
	case cmd.Model != nil:
		col, err := f.db.Collection(cmd.Model.Collection)
		if err != nil {
			return err
		}
		if cmd.Model.VectorsOnly {
			_, err = f.trainer.InstallVectors(ctx, col, cmd.Model.Model)
		} else {
			_, err = f.trainer.Install(ctx, col, cmd.Model.Model)
		}
		return err
	case cmd.Replicas != nil:
		return f.changeReplicas(cmd.Replicas)
	default:
		f.peers.set(cmd.Peer.ID, cmd.Peer.URL)
		return nil
	}
}
