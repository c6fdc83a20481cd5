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
	Model      string  `json:"model"`
	Factors    int     `json:"factors"`
	Iterations int     `json:"iterations"`
	Alpha      float32 `json:"alpha"`
	Alpha0     float32 `json:"alpha0"`
	Lambda     float32 `json:"lambda"`
	Nu         float32 `json:"nu"`
	Seed       uint64  `json:"seed"`
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
	if req.Model != "" && req.Model != "ials" {
		return nil, badRequest("model %q: want \"ials\" (bpr and biased MF are in package recommend, not yet served)", req.Model)
	}
	job, err := h.trainer.Start(c, trainer.Options{
		Factors: req.Factors, Iterations: req.Iterations, Alpha: req.Alpha, Alpha0: req.Alpha0,
		Lambda: req.Lambda, Nu: req.Nu, Seed: req.Seed,
	})
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
	if err := checkQueryParams(r); err != nil {
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
