package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/trainer"
)

// trainRequest is the body of POST .../train.
type trainRequest struct {
	Model string `json:"model"`
	trainer.Options
}

// startTraining answers POST .../train: the job, started in the
// background; 429 while another training runs.
func (h *Handler) startTraining(r *http.Request) (any, error) {
	if err := checkQueryParams(r); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req trainRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if h.cfg.Replica != nil && !h.trainer.Publishes() {
		return nil, fmt.Errorf("%w: training: this cluster node's trainer would install the model here only", ErrNotSupported)
	}
	if req.Model != "" && req.Model != "ials" {
		return nil, badRequest("model %q: want \"ials\" (bpr and biased MF are in package recommend, not yet served)", req.Model)
	}
	// A sharded collection's item vectors are in its shards: the
	// router reads them (c, its schema copy, keeps the interactions), on
	// the shards' leaders, so training sees every point acknowledged
	// before it (a replica here may lag by a commit).
	items, err := h.readerNamed(c.Name(), ReadLinearizable)
	if err != nil {
		return nil, err
	}
	job, err := h.trainer.Start(c, items, req.Options)
	if errors.Is(err, trainer.ErrBusy) {
		return nil, ErrBusy
	}
	if err != nil {
		return nil, err
	}
	return job, nil
}

// trainingStatus answers GET .../train: the collection's latest job.
func (h *Handler) trainingStatus(r *http.Request) (any, error) {
	// On a cluster node the job is the leader's, which trained:
	// consistency=majority reads it there.
	if err := checkQueryParams(r, "consistency"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	job, ok := h.trainer.Status(c.Name())
	if !ok {
		return nil, fmt.Errorf("%w: collection %q has had no training since the server started", index.ErrNotFound, c.Name())
	}
	return job, nil
}
