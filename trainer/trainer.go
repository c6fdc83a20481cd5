package trainer

import (
	"cmp"
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
	ID           uint64  `json:"id"`
	Collection   string  `json:"collection"`
	Model        string  `json:"model"`
	State        State   `json:"state"`
	Options      Options `json:"options"`
	Users        int     `json:"users"`
	Items        int     `json:"items"`
	Interactions int     `json:"interactions"`
	// ColdItems counts the points without interactions that got item
	// vectors mapped from their content.
	ColdItems int       `json:"cold_items"`
	Epochs    []Epoch   `json:"epochs"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished,omitzero"`
	Error     string    `json:"error,omitempty"`
}

// Trainer runs trainings and holds each collection's model. It is safe
// for concurrent use.
type Trainer struct {
	log     *slog.Logger
	running atomic.Bool // invariant 2
	// forgetMu serialises ForgetUser's model rewrites.
	forgetMu sync.Mutex
	profiles profileCache
	nextID   atomic.Uint64
	// publish, when set (SetPublisher, before the first Start), receives
	// each trained model instead of install.
	publish atomic.Pointer[Publisher]
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
// training runs, and an index.ErrBadRequest error for options that do not
// fit the collection. Content vectors are read from items: c itself,
// but for a sharded collection, whose c keeps the interactions and the
// model while items is the router over its shards.
func (t *Trainer) Start(c *index.Collection, items Items, opts Options) (Job, error) {
	if err := opts.Validate(); err != nil {
		return Job{}, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	opts, err := fitOptions(c, opts)
	if err != nil {
		return Job{}, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
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
		t.finish(job, t.train(c, items, job))
	}()
	return snapshot, nil
}

// fitOptions fills opts' defaults from the collection: the vector that
// receives the item factors (which must be a Dot vector of the factors'
// size; an unnamed default that does not exist means none), the content
// vector cold items are mapped from, and the hybrid's vector (see
// fitHybrid).
func fitOptions(c *index.Collection, opts Options) (Options, error) {
	target := cmp.Or(opts.Vector, defaultVector)
	size := 0
	cfg := c.Config()
	vc, err := c.VectorConfig(target)
	switch {
	case err == nil && cfg.Named():
		if vc.Distance != index.Dot {
			return opts, fmt.Errorf("vector %q has distance %s; item factors need Dot", target, vc.Distance)
		}
		size = vc.Size
	case opts.Vector != "":
		return opts, fmt.Errorf("vector: %w", err)
	}
	opts = opts.withDefaults(size)
	if size == 0 {
		opts.Vector = ""
	} else if opts.Factors != size {
		return opts, fmt.Errorf("factors %d, but vector %q has size %d", opts.Factors, target, size)
	}
	hybrid, explicit := cmp.Or(opts.Hybrid, defaultHybrid), opts.Hybrid != ""
	_, err = c.VectorConfig(hybrid)
	hasHybrid := err == nil && cfg.Named() && hybrid != opts.Vector
	if explicit && !hasHybrid {
		return opts, fmt.Errorf("hybrid %q: want another vector of the collection", opts.Hybrid)
	}
	if opts.Content != "" {
		if _, err := c.VectorConfig(opts.Content); err != nil || opts.Content == opts.Vector || (hasHybrid && opts.Content == hybrid) {
			return opts, fmt.Errorf("content %q: want another vector of the collection", opts.Content)
		}
	} else if opts.Vector != "" || hasHybrid {
		var others []string
		for _, name := range cfg.VectorNames() {
			if name != opts.Vector && (!hasHybrid || name != hybrid) {
				others = append(others, name)
			}
		}
		if len(others) == 1 {
			opts.Content = others[0]
		}
	}
	opts.Hybrid = ""
	if hasHybrid {
		err := fitHybrid(c, opts, hybrid)
		switch {
		case err == nil:
			opts.Hybrid = hybrid
		case explicit:
			return opts, err
		}
	}
	return opts, nil
}

// fitHybrid checks that the vector named hybrid can hold the hybrid's item
// vectors: Dot, of size factors + content size + 1. An option naming a
// vector that does not fit is refused; the default name that does not fit
// means no hybrid.
func fitHybrid(c *index.Collection, opts Options, hybrid string) error {
	if opts.Content == "" {
		return fmt.Errorf("hybrid %q: needs a content vector (option content)", hybrid)
	}
	hc, err := c.VectorConfig(hybrid)
	if err != nil {
		return fmt.Errorf("hybrid: %w", err)
	}
	cc, err := c.VectorConfig(opts.Content)
	if err != nil {
		return fmt.Errorf("hybrid content: %w", err)
	}
	if hc.Distance != index.Dot {
		return fmt.Errorf("hybrid %q has distance %s; want Dot", hybrid, hc.Distance)
	}
	if want := opts.Factors + cc.Size + 1; hc.Size != want {
		return fmt.Errorf("hybrid %q has size %d; want factors %d + content %d + 1 = %d", hybrid, hc.Size, opts.Factors, cc.Size, want)
	}
	return nil
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
func (t *Trainer) train(c *index.Collection, vectors Items, job *Job) error {
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
	// The rating model learns from the raw weights, iALS from the recipe's.
	raw, err := recommend.Build(len(userIDs), len(itemIDs), events, recommend.LastWins)
	if err != nil {
		return err
	}
	ratings, err := recommend.TrainRatings(raw, recommend.RatingsOptions{})
	if err != nil {
		return fmt.Errorf("rating model: %w", err)
	}
	ratingLike := looksLikeRatings(events)
	rec := job.Options.recipe()
	if rec.binary {
		for k := range events {
			events[k].Weight = sign(events[k].Weight)
		}
	}
	m, err := recommend.Build(len(userIDs), len(itemIDs), events, recommend.LastWins)
	if err != nil {
		return err
	}
	m = recommend.RecencyWeighted(m, rec.beta, rec.halfLife)
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
	counts := make([]uint32, len(itemIDs))
	for i := range counts {
		counts[i] = uint32(m.ItemCount(i))
	}
	model := &Model{users: users, userIDs: userIDs, items: items, itemIDs: itemIDs, counts: counts,
		recipe: rec, vector: job.Options.Vector, ials: ials, ratings: ratings}
	model.rankByCount()
	if job.Options.Hybrid != "" {
		ho := job.Options.dotHybrid(ratingLike)
		if model.hybrid, err = buildHybrid(ctx, c, vectors, model, ho, job.Options.Content); err != nil {
			return err
		}
		model.hybridVector = job.Options.Hybrid
		t.mu.Lock()
		job.Options.HybridCentroid = "uniform"
		if ho.Centroid.RatingWeight {
			job.Options.HybridCentroid = "rating"
		}
		t.mu.Unlock()
	}
	data, err := model.MarshalBinary()
	if err != nil {
		return err
	}
	if publish := t.publish.Load(); publish != nil {
		return (*publish)(ctx, c, Trained{Model: data, Content: job.Options.Content})
	}
	cold, err := t.install(ctx, c, model, data, job.Options.Content)
	if err != nil {
		return err
	}
	t.mu.Lock()
	job.ColdItems = cold
	t.mu.Unlock()
	return nil
}

// install saves model (data is its saved form), writes its item vectors
// and swaps it in; it returns how many cold items got mapped vectors.
func (t *Trainer) install(ctx context.Context, c *index.Collection, model *Model, data []byte, content string) (int, error) {
	// Saved before the vectors are written: a crash between the two
	// leaves a model whose vectors Model repairs at the next load.
	if err := c.SaveModel(data); err != nil {
		return 0, err
	}
	cold, err := writeVectors(ctx, c, model, content)
	if err != nil {
		return 0, err
	}
	t.slot(c).Store(model) // invariant 1: saved, then swapped
	return cold, nil
}

// writeVectors writes the item vectors and hybrid vectors model implies
// for c's points; it returns how many cold items got mapped vectors.
func writeVectors(ctx context.Context, c *index.Collection, model *Model, content string) (int, error) {
	if model.vector == "" && model.hybrid == nil {
		return 0, nil
	}
	vecs, cold, err := itemVectors(ctx, c, model, content)
	if err != nil {
		return 0, err
	}
	if model.vector != "" {
		if _, err := c.ReplaceVectors(ctx, model.vector, vecs); err != nil {
			return 0, err
		}
	}
	if model.hybrid != nil {
		if _, err := c.ReplaceVectors(ctx, model.hybridVector, hybridVectors(model, cold)); err != nil {
			return 0, err
		}
	}
	return len(cold), nil
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
	// A replicated DB (publish set) is rebuilt from its log, which
	// installs a model and its vectors in one command: nothing to repair,
	// and a write outside the log would make this replica diverge.
	if !t.Publishes() {
		if err := repairVectors(ctx, c, m); err != nil {
			return nil, fmt.Errorf("collection %q: repair item vectors: %w", c.Name(), err)
		}
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
	t.profiles.forget(c)
}

// ForgetUser removes every trace of a user from c: the interactions, and
// the user's row of the saved model (saved again, then swapped in). A
// training running meanwhile may still learn from the interactions it has
// read; forget again after it ends to be sure.
func (t *Trainer) ForgetUser(ctx context.Context, c *index.Collection, user userid.ID) error {
	if err := c.ForgetUser(ctx, user); err != nil {
		return err
	}
	t.forgetMu.Lock() // two forgets must not each drop one user from the same model
	defer t.forgetMu.Unlock()
	m, err := t.Model(ctx, c)
	if errors.Is(err, index.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	out, err := m.withoutUser(user)
	if err != nil || out == m {
		return err
	}
	data, err := out.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.SaveModel(data); err != nil {
		return fmt.Errorf("collection %q: forget user %s: %w", c.Name(), user, err)
	}
	t.slot(c).CompareAndSwap(m, out) // a retrain that landed meanwhile wins
	return nil
}
