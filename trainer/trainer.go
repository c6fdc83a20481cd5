package trainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/userid"
)

// Errors of this package, wrapped with context.
var (
	// ErrBusy marks a Start while another training runs.
	ErrBusy = errors.New("trainer: a training is running")
	// ErrNoData marks a collection without interactions to learn from.
	ErrNoData = errors.New("trainer: no interactions")
)

// Options are a training's settings; zero fields take recommend's
// defaults, except where stated.
type Options struct {
	// Factors is the vectors' dimension. Default 64, at most 512.
	Factors int `json:"factors"`
	// Iterations is the number of alternating passes. Default 15, at
	// most 100.
	Iterations int `json:"iterations"`
	// Alpha scales confidence with |weight|; Alpha0 weighs unobserved
	// pairs; Lambda regularises, scaled by (count + Alpha0·items)^Nu.
	Alpha  float32 `json:"alpha"`
	Alpha0 float32 `json:"alpha0"`
	Lambda float32 `json:"lambda"`
	Nu     float32 `json:"nu"`
	// Seed fixes the initial factors.
	Seed uint64 `json:"seed"`
}

// Validate reports every problem with the options.
func (o Options) Validate() error {
	var errs []error
	if o.Factors < 0 || o.Factors > 512 {
		errs = append(errs, fmt.Errorf("factors %d: want 1..512", o.Factors))
	}
	if o.Iterations < 0 || o.Iterations > 100 {
		errs = append(errs, fmt.Errorf("iterations %d: want 1..100", o.Iterations))
	}
	if o.Alpha < 0 || o.Alpha0 < 0 || o.Lambda < 0 || o.Nu < 0 || o.Nu > 2 {
		errs = append(errs, errors.New("alpha, alpha0 and lambda must not be negative, nu within 0..2"))
	}
	return errors.Join(errs...)
}

// withDefaults fills zero fields with recommend's defaults, so a job
// reports the settings it ran with.
func (o Options) withDefaults() Options {
	r := o.ials()
	r.EnsureDefaults()
	return Options{Factors: r.Factors, Iterations: r.Iterations, Alpha: r.Alpha, Alpha0: r.Alpha0, Lambda: r.Lambda, Nu: r.Nu, Seed: r.Seed}
}

func (o Options) ials() recommend.IALSOptions {
	return recommend.IALSOptions{Factors: o.Factors, Iterations: o.Iterations, Alpha: o.Alpha, Alpha0: o.Alpha0, Lambda: o.Lambda, Nu: o.Nu, Seed: o.Seed}
}

// State is where a job is.
type State string

// Job states.
const (
	Running State = "running"
	Done    State = "done"
	Failed  State = "failed"
)

// Epoch is one training pass as a job reports it.
type Epoch struct {
	Epoch   int     `json:"epoch"`
	Loss    float64 `json:"loss"`
	Seconds float64 `json:"seconds"`
}

// Job is a training's state as Status reports it (a copy).
type Job struct {
	ID           uint64    `json:"id"`
	Collection   string    `json:"collection"`
	Model        string    `json:"model"`
	State        State     `json:"state"`
	Options      Options   `json:"options"`
	Users        int       `json:"users"`
	Items        int       `json:"items"`
	Interactions int       `json:"interactions"`
	Epochs       []Epoch   `json:"epochs"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished,omitzero"`
	Error        string    `json:"error,omitempty"`
}

// Trainer runs trainings and holds each collection's model. It is safe
// for concurrent use.
type Trainer struct {
	log     *slog.Logger
	running atomic.Bool // invariant 2
	nextID  atomic.Uint64
	mu      struct {
		sync.Mutex
		jobs map[string]*Job // latest per collection; protected by mu
		// models are per collection handle, so a collection dropped and
		// made again under its name starts without a model; the map is
		// protected by mu.
		models map[*index.Collection]*atomic.Pointer[Model]
	}
}

// New returns a Trainer; a nil logger means slog.Default().
func New(log *slog.Logger) *Trainer {
	if log == nil {
		log = slog.Default()
	}
	t := &Trainer{log: log}
	t.mu.jobs = map[string]*Job{}
	t.mu.models = map[*index.Collection]*atomic.Pointer[Model]{}
	return t
}

// Start begins training an iALS model on c's interactions in the
// background and returns the job. It answers ErrBusy while another
// training runs.
func (t *Trainer) Start(c *index.Collection, opts Options) (Job, error) {
	if err := opts.Validate(); err != nil {
		return Job{}, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	opts = opts.withDefaults()
	if !t.running.CompareAndSwap(false, true) {
		return Job{}, ErrBusy
	}
	job := &Job{ID: t.nextID.Add(1), Collection: c.Name(), Model: "ials", State: Running, Options: opts, Epochs: []Epoch{}, Started: time.Now().UTC()}
	t.mu.Lock()
	t.mu.jobs[c.Name()] = job
	snapshot := *job
	t.mu.Unlock()
	go func() {
		defer t.running.Store(false)
		defer func() {
			if p := recover(); p != nil {
				t.finish(job, fmt.Errorf("training panicked: %v", p))
			}
		}()
		t.finish(job, t.train(c, job))
	}()
	return snapshot, nil
}

func (t *Trainer) finish(job *Job, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	job.Finished = time.Now().UTC()
	job.State = Done
	if err != nil {
		job.State, job.Error = Failed, err.Error()
		t.log.Error("training failed", "collection", job.Collection, "job", job.ID, "err", err)
		return
	}
	t.log.Info("training done", "collection", job.Collection, "job", job.ID, "users", job.Users, "items", job.Items,
		"elapsed", job.Finished.Sub(job.Started).Round(time.Millisecond))
}

// Status returns the latest job of a collection.
func (t *Trainer) Status(collection string) (Job, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	job, ok := t.mu.jobs[collection]
	if !ok {
		return Job{}, false
	}
	out := *job
	out.Epochs = append([]Epoch{}, job.Epochs...)
	return out, true
}

// train reads c's interactions, fits the model, saves it and swaps it in.
func (t *Trainer) train(c *index.Collection, job *Job) error {
	ctx := context.Background()
	users := map[userid.ID]int32{}
	items := map[pointid.ID]int32{}
	var userIDs []userid.ID
	var itemIDs []pointid.ID
	var events []recommend.Interaction
	err := c.ScanInteractions(ctx, func(it index.Interaction) error {
		u, ok := users[it.User]
		if !ok {
			u = int32(len(userIDs))
			users[it.User] = u
			userIDs = append(userIDs, it.User)
		}
		i, ok := items[it.Item]
		if !ok {
			i = int32(len(itemIDs))
			items[it.Item] = i
			itemIDs = append(itemIDs, it.Item)
		}
		events = append(events, recommend.Interaction{User: u, Item: i, Weight: it.Weight, Time: it.Time.Unix()})
		return nil
	})
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("collection %q: %w", c.Name(), ErrNoData)
	}
	t.mu.Lock()
	job.Users, job.Items, job.Interactions = len(userIDs), len(itemIDs), len(events)
	t.mu.Unlock()
	m, err := recommend.Build(len(userIDs), len(itemIDs), events, recommend.LastWins)
	if err != nil {
		return err
	}
	ro := job.Options.ials()
	ro.Progress = func(e recommend.Epoch) {
		t.mu.Lock()
		job.Epochs = append(job.Epochs, Epoch{Epoch: e.Epoch, Loss: e.Loss, Seconds: e.Duration.Seconds()})
		t.mu.Unlock()
	}
	ials, err := recommend.TrainIALS(ctx, m, ro)
	if err != nil {
		return err
	}
	model := &Model{users: users, userIDs: userIDs, items: items, itemIDs: itemIDs, ials: ials}
	data, err := model.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.SaveModel(data); err != nil {
		return err
	}
	t.slot(c).Store(model) // invariant 1: saved, then swapped
	return nil
}

func (t *Trainer) slot(c *index.Collection) *atomic.Pointer[Model] {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.mu.models[c]
	if !ok {
		p = &atomic.Pointer[Model]{}
		t.mu.models[c] = p
	}
	return p
}

// Model returns c's current model, loading the saved one on first use;
// an error wraps index.ErrNotFound when c has none.
func (t *Trainer) Model(ctx context.Context, c *index.Collection) (*Model, error) {
	p := t.slot(c)
	if m := p.Load(); m != nil {
		return m, nil
	}
	data, err := c.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m, err := loadModel(data)
	if err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.Name(), err)
	}
	p.CompareAndSwap(nil, m)
	return p.Load(), nil
}

// Forget drops what the Trainer holds of a dropped collection.
func (t *Trainer) Forget(c *index.Collection) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if job, ok := t.mu.jobs[c.Name()]; ok && job.State != Running {
		delete(t.mu.jobs, c.Name())
	}
	delete(t.mu.models, c)
}
