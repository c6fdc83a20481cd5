package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/index"
)

// aliasesRequest is the body of POST /collections/aliases, Qdrant's
// ChangeAliasesOperation: its actions apply all or none.
type aliasesRequest struct {
	Actions []aliasActionIn `json:"actions"`
}

type aliasActionIn struct {
	CreateAlias *struct {
		CollectionName string `json:"collection_name"`
		AliasName      string `json:"alias_name"`
	} `json:"create_alias"`
	DeleteAlias *struct {
		AliasName string `json:"alias_name"`
	} `json:"delete_alias"`
	RenameAlias *struct {
		OldAliasName string `json:"old_alias_name"`
		NewAliasName string `json:"new_alias_name"`
	} `json:"rename_alias"`
}

// aliasOut is Qdrant's AliasDescription.
type aliasOut struct {
	AliasName      string `json:"alias_name"`
	CollectionName string `json:"collection_name"`
}

func (h *Handler) updateAliases(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	var req aliasesRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Actions == nil {
		return nil, badRequest("actions: required")
	}
	if len(req.Actions) > h.cfg.MaxBatch {
		return nil, badRequest("actions: %d, want at most %d", len(req.Actions), h.cfg.MaxBatch)
	}
	actions := make([]index.AliasAction, len(req.Actions))
	for i, a := range req.Actions {
		var out index.AliasAction
		n := 0
		if c := a.CreateAlias; c != nil {
			n++
			if c.AliasName == "" || c.CollectionName == "" {
				return nil, badRequest("actions[%d].create_alias: alias_name and collection_name are required", i)
			}
			out.Create = &index.CreateAlias{Alias: c.AliasName, Collection: c.CollectionName}
		}
		if d := a.DeleteAlias; d != nil {
			n++
			if d.AliasName == "" {
				return nil, badRequest("actions[%d].delete_alias.alias_name: required", i)
			}
			out.Delete = &index.DeleteAlias{Alias: d.AliasName}
		}
		if rn := a.RenameAlias; rn != nil {
			n++
			if rn.OldAliasName == "" || rn.NewAliasName == "" {
				return nil, badRequest("actions[%d].rename_alias: old_alias_name and new_alias_name are required", i)
			}
			out.Rename = &index.RenameAlias{Old: rn.OldAliasName, New: rn.NewAliasName}
		}
		if n != 1 {
			return nil, badRequest("actions[%d]: want exactly one of create_alias, delete_alias, rename_alias", i)
		}
		actions[i] = out
	}
	if err := h.writeAliases(r.Context(), actions); err != nil {
		return nil, err
	}
	return true, nil
}

func (h *Handler) listAliases(*http.Request) (any, error) {
	return h.aliasesOf("")
}

func (h *Handler) collectionAliases(r *http.Request) (any, error) {
	return h.aliasesOf(mux.Vars(r)["collection"])
}

func (h *Handler) aliasesOf(collection string) (any, error) {
	aliases, err := h.db.Aliases(collection)
	if err != nil {
		return nil, err
	}
	out := make([]aliasOut, len(aliases))
	for i, a := range aliases {
		out[i] = aliasOut{AliasName: a.Name, CollectionName: a.Collection}
	}
	return map[string]any{"aliases": out}, nil
}
