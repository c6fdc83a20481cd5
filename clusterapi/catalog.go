package clusterapi

import (
	"context"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

var _ httpapi.CatalogWriter = (*Replica)(nil)

// UpdateAliases implements httpapi.CatalogWriter.
func (r *Replica) UpdateAliases(ctx context.Context, actions []index.AliasAction) error {
	return r.apply(ctx, cluster.Command{Aliases: &cluster.UpdateAliases{Actions: actions}})
}

// ForgetUser implements httpapi.CatalogWriter.
func (r *Replica) ForgetUser(ctx context.Context, collection string, user userid.ID) error {
	return r.apply(ctx, cluster.Command{Forget: &cluster.ForgetUser{Collection: collection, User: user}})
}

// Trainer is the node's trainer, for the API (httpapi.Config.Trainer): a
// training on the leader publishes its model to the log, and every node
// serves the model its FSM installed.
func (r *Replica) Trainer() *trainer.Trainer { return r.node.Trainer() }
