package httpapi

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/userid"
)

// CatalogWriter takes the replicable writes beside Writer's: aliases and
// forgetting a user. A Writer or Replica that implements it takes them
// (package clusterapi's proposes them to Raft). Without it a single node
// writes them to its DB and trainer, and a cluster node refuses them:
// writing them locally would change this node only.
type CatalogWriter interface {
	// UpdateAliases applies alias actions, in order, all or none.
	UpdateAliases(ctx context.Context, actions []index.AliasAction) error
	// ForgetUser removes a user's interactions and model row.
	ForgetUser(ctx context.Context, collection string, user userid.ID) error
}

// catalogWriter returns the CatalogWriter of this server's writes, nil
// for a single node's own DB; a cluster node without one is refused.
func (h *Handler) catalogWriter(what string) (CatalogWriter, error) {
	if cw, ok := h.writer.(CatalogWriter); ok {
		return cw, nil
	}
	if h.cfg.Replica != nil {
		return nil, fmt.Errorf("%w: %s: this cluster node's replica does not replicate it", ErrNotSupported, what)
	}
	return nil, nil
}

func (h *Handler) writeAliases(ctx context.Context, actions []index.AliasAction) error {
	cw, err := h.catalogWriter("aliases")
	switch {
	case err != nil:
		return err
	case cw != nil:
		return cw.UpdateAliases(ctx, actions)
	}
	return h.db.UpdateAliases(actions)
}

func (h *Handler) forgetUser(ctx context.Context, c *index.Collection, user userid.ID) error {
	cw, err := h.catalogWriter("forgetting a user")
	switch {
	case err != nil:
		return err
	case cw != nil:
		return cw.ForgetUser(ctx, c.Name(), user)
	}
	return h.trainer.ForgetUser(ctx, c, user)
}
