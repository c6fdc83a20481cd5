package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/encoder"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend/eval"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

// RecHTTPConfig describes the recommendation benchmark over HTTP: the
// MovieLens movies upserted as text documents, the ratings sent as
// interactions and an iALS model trained, all through the API of a server
// on a loopback listener; then recommendations for the MovieLens users,
// and new users' first interaction followed by their next recommendation.
type RecHTTPConfig struct {
	// Dir holds movies.csv and ratings.csv. Required.
	Dir string
	// ModelDir is the text model's directory; required unless Model is
	// set.
	ModelDir string
	// Model, when set, is the text model, served as ModelName (tests use
	// a small fake); nil means the encoder loaded from ModelDir.
	Model     httpapi.Embedder
	ModelName string
	// AllRatings sends every rating. By default only the train part of
	// BENCHMARKS.md §2's split (eval.ChronoSplit) is sent, so the model
	// is the one the offline protocol scores.
	AllRatings bool
	// Requests is the recommendation requests of each kind (plain, with
	// explanations). Zero means 2000.
	Requests int
	// NewUsers is the users who arrive with no history. Zero means 200.
	NewUsers int
	// Limit is the items per recommendation. Zero means 10.
	Limit int
	// Batch is the movies per upsert request. Zero means 256.
	Batch int
	// Factors is the cf vector's size, the model's factors. Zero means 64.
	Factors int
	// Hybrid adds a hybrid vector (factors + text size + 1, Dot) that the
	// training fills with its DotHybrid, and a quality pass over it.
	Hybrid bool
	// HybridContentWeight and HybridCentroidHalfLife are sent as the
	// training's hybrid options; zero means the server's defaults.
	HybridContentWeight    float32
	HybridCentroidHalfLife float64
	// Seed fixes the model's initial factors and the new users' items.
	// Zero means 1.
	Seed uint64
	// Progress receives progress lines; nil means none.
	Progress io.Writer
	// Profile, when set, receives a CPU profile (client and server) of the
	// request passes only.
	Profile io.Writer
}

func (c *RecHTTPConfig) ensureDefaults() {
	if c.Requests == 0 {
		c.Requests = 2000
	}
	if c.NewUsers == 0 {
		c.NewUsers = 200
	}
	if c.Limit == 0 {
		c.Limit = 10
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	if c.Factors == 0 {
		c.Factors = 64
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
}

// LatencyStats summarises a sample of durations, in microseconds.
type LatencyStats struct {
	N          int     `json:"n"`
	MeanMicros float64 `json:"mean_us"`
	P50Micros  float64 `json:"p50_us"`
	P90Micros  float64 `json:"p90_us"`
	P99Micros  float64 `json:"p99_us"`
	MaxMicros  float64 `json:"max_us"`
}

// latencyStats summarises d; it sorts d in place. An empty d gives zeros.
func latencyStats(d []time.Duration) LatencyStats {
	if len(d) == 0 {
		return LatencyStats{}
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	s := LatencyStats{N: len(d), MeanMicros: micros(sum) / float64(len(d))}
	s.P50Micros = micros(percentile(d, 0.50)) // percentile sorts d
	s.P90Micros = micros(percentile(d, 0.90))
	s.P99Micros = micros(percentile(d, 0.99))
	s.MaxMicros = micros(d[len(d)-1])
	return s
}

// RecHTTPResult is what RunRecHTTP measured. Latencies over HTTP run from
// the request's first byte written to the answer's last byte read, on one
// keep-alive connection, one request at a time; "server" ones are the
// handler's own time from the answer's "time" field.
type RecHTTPResult struct {
	Movies int `json:"movies"`
	Users  int `json:"users"`
	// Ratings is "train" (BENCHMARKS.md §2's train part) or "all".
	Ratings      string  `json:"ratings"`
	Interactions int     `json:"interactions"`
	Model        string  `json:"model"`
	UpsertSecs   float64 `json:"upsert_seconds"`
	UpsertPerSec float64 `json:"upsert_movies_per_second"`
	InteractSecs float64 `json:"interact_seconds"`
	InteractRate float64 `json:"interactions_per_second"`
	// TrainSecs runs from POST .../train to the first GET that reports
	// the job done (polled every 50 ms).
	TrainSecs       float64 `json:"train_seconds"`
	TrainIterations int     `json:"train_iterations"`
	// HybridSettings is the training's hybrid options as it resolved
	// them, "" without a hybrid.
	HybridSettings string `json:"hybrid_settings,omitempty"`
	Factors        int    `json:"factors"`
	Limit          int    `json:"limit"`

	Recommend                LatencyStats `json:"recommend"`
	RecommendServer          LatencyStats `json:"recommend_server"`
	RecommendExplained       LatencyStats `json:"recommend_explained"`
	RecommendExplainedServer LatencyStats `json:"recommend_explained_server"`

	// ByHistory splits the plain recommendations by the length of the
	// user's history: the server folds in and excludes the whole history,
	// so long ones make the slow tail.
	ByHistory []HistoryLatency `json:"by_history"`

	// The new users: their cold (popular) list, then one interaction
	// (answered once fsync'd) and the next recommendation; Updated is the
	// sum of the two. Changed counts the lists that differ from the cold
	// list, FromModel the users whose profile came from the model's fold-in.
	NewUserCold      LatencyStats `json:"new_user_cold"`
	NewUserInteract  LatencyStats `json:"new_user_interact"`
	NewUserRecommend LatencyStats `json:"new_user_recommend"`
	NewUserUpdated   LatencyStats `json:"new_user_updated"`
	Changed          int          `json:"changed"`
	FromModel        int          `json:"from_model"`
	// In process, on the server's trainer: Profile (read the user's
	// interactions, fold them in) for the new users after their one
	// interaction and for the MovieLens users with their whole histories
	// (HistoryMean interactions on average); FoldInSolve is the model's
	// fold-in solve alone for one interaction.
	ProfileNewUser LatencyStats `json:"profile_new_user"`
	ProfileUsers   LatencyStats `json:"profile_users"`
	HistoryMean    float64      `json:"history_mean"`
	FoldInSolve    LatencyStats `json:"fold_in_solve"`

	// Quality is the test metrics of the served lists by cf, and by the
	// hybrid with Hybrid; none with AllRatings (no test part).
	Quality []ServedQuality `json:"quality,omitempty"`

	// LoadAvg is /proc/loadavg before the run, after training and at the end.
	LoadAvg     []string `json:"loadavg"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	WallSeconds float64  `json:"wall_seconds"`
}

// HistoryLatency is the plain recommendations for users whose history
// has Min..Max interactions.
type HistoryLatency struct {
	Min     int          `json:"min"`
	Max     int          `json:"max"`
	Latency LatencyStats `json:"latency"`
}

// historyBounds are the upper bounds of ByHistory's groups.
var historyBounds = []int{50, 200, 1000, index.MaxLimit}

// byHistory groups latencies by the history length of their request.
func byHistory(lat []time.Duration, hist []int) []HistoryLatency {
	groups := make([][]time.Duration, len(historyBounds))
	for i, d := range lat {
		g, _ := slices.BinarySearch(historyBounds, hist[i])
		groups[min(g, len(groups)-1)] = append(groups[min(g, len(groups)-1)], d)
	}
	var out []HistoryLatency
	lo := 0
	for g, ds := range groups {
		if len(ds) > 0 {
			out = append(out, HistoryLatency{Min: lo, Max: historyBounds[g], Latency: latencyStats(ds)})
		}
		lo = historyBounds[g] + 1
	}
	return out
}

const recHTTPCollection = "movies"

// recHTTPData is the MovieLens data the benchmark sends.
type recHTTPData struct {
	movies  []eval.Movie
	ml      *eval.MovieLens
	ratings []eval.Rating // the part sent, on ml's dense indices
	test    []eval.Rating // the held-out part; nil when all are sent
}

func loadRecHTTPData(dir string, all bool) (*recHTTPData, error) {
	movies, err := eval.LoadMovies(dir)
	if err != nil {
		return nil, err
	}
	ml, err := eval.LoadMovieLens(dir)
	if err != nil {
		return nil, err
	}
	d := &recHTTPData{movies: movies, ml: ml, ratings: ml.Ratings}
	if !all {
		split := eval.ChronoSplit(len(ml.UserIDs), len(ml.MovieIDs), ml.Ratings)
		d.ratings, d.test = split.Train, split.Test
	}
	return d, nil
}

// movieText is a movie's document: its title and genres.
func movieText(m eval.Movie) string {
	if m.Genres == "" || m.Genres == "(no genres listed)" {
		return m.Title
	}
	return m.Title + ". " + strings.ReplaceAll(m.Genres, "|", ", ")
}

// recServer is the server under test and the handles the benchmark keeps.
type recServer struct {
	db   *index.DB
	tr   *trainer.Trainer
	cl   *client.Client
	addr string
	stop func()
}

func startRecServer(ctx context.Context, dir string, models map[string]httpapi.Embedder) (*recServer, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := index.Open(ctx, dir, index.Options{Logger: quiet})
	if err != nil {
		return nil, err
	}
	tr := trainer.New(quiet)
	h, err := httpapi.NewHandler(httpapi.Config{DB: db, Logger: quiet, Models: models, Trainer: tr})
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	addr := ln.Addr().String()
	return &recServer{db: db, tr: tr, cl: &client.Client{URL: "http://" + addr}, addr: addr,
		stop: func() { srv.Close(); db.Close() }}, nil
}

// RunRecHTTP runs the recommendation benchmark over HTTP.
func RunRecHTTP(ctx context.Context, cfg RecHTTPConfig) (*RecHTTPResult, error) {
	cfg.ensureDefaults()
	start := time.Now()
	res := &RecHTTPResult{LoadAvg: []string{loadAvg()}, GOMAXPROCS: runtime.GOMAXPROCS(0), Limit: cfg.Limit, Factors: cfg.Factors,
		Ratings: map[bool]string{true: "all", false: "train"}[cfg.AllRatings]}
	data, err := loadRecHTTPData(cfg.Dir, cfg.AllRatings)
	if err != nil {
		return nil, err
	}
	model, name := cfg.Model, cfg.ModelName
	if model == nil {
		enc, err := encoder.Load(cfg.ModelDir, encoder.Options{})
		if err != nil {
			return nil, fmt.Errorf("text model: %w", err)
		}
		model, name = enc, enc.Name()
	}
	res.Model = name
	dir, err := os.MkdirTemp("", "quiver-bench-rec-http-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s, err := startRecServer(ctx, dir, map[string]httpapi.Embedder{name: model})
	if err != nil {
		return nil, err
	}
	defer s.stop()

	vectors := map[string]any{
		"text": map[string]any{"model": name},
		"cf":   map[string]any{"size": cfg.Factors, "distance": "Dot"},
	}
	if cfg.Hybrid {
		vectors["hybrid"] = map[string]any{"size": cfg.Factors + model.Dim() + 1, "distance": "Dot"}
	}
	if err := s.cl.CreateCollection(ctx, recHTTPCollection, vectors); err != nil {
		return nil, err
	}
	if err := upsertMovies(ctx, []*client.Client{s.cl}, cfg, data.movies, name, res); err != nil {
		return nil, err
	}
	if err := sendRatings(ctx, []*client.Client{s.cl}, cfg, data, res); err != nil {
		return nil, err
	}
	if err := trainOverHTTP(ctx, s.cl, cfg, res); err != nil {
		return nil, err
	}
	res.LoadAvg = append(res.LoadAvg, loadAvg())
	col, err := s.db.Collection(recHTTPCollection)
	if err != nil {
		return nil, err
	}
	// Training leaves compactions and a graph rebuild behind; measuring
	// during them would charge their CPU to the requests.
	waitIdle(30 * time.Second)
	if cfg.Profile != nil {
		if err := pprof.StartCPUProfile(cfg.Profile); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := recommendPass(ctx, s.addr, cfg, data, res); err != nil {
		return nil, err
	}
	if err := newUsersPass(ctx, s, col, cfg, data, res); err != nil {
		return nil, err
	}
	if err := profileUsersPass(ctx, s.tr, col, data.ml.UserIDs, res); err != nil {
		return nil, err
	}
	if data.test != nil {
		usings := []string{"cf"}
		if cfg.Hybrid {
			usings = append(usings, "hybrid")
		}
		for _, using := range usings {
			q, err := qualityPass(ctx, []string{s.addr}, data, using)
			if err != nil {
				return nil, fmt.Errorf("quality: %w", err)
			}
			res.Quality = append(res.Quality, q)
		}
	}
	res.LoadAvg = append(res.LoadAvg, loadAvg())
	res.WallSeconds = time.Since(start).Seconds()
	return res, nil
}

// upsertMovies sends the movies as text documents in the text vector,
// batch i to cls[i % len(cls)] (the nodes of a cluster in turn).
func upsertMovies(ctx context.Context, cls []*client.Client, cfg RecHTTPConfig, movies []eval.Movie, model string, res *RecHTTPResult) error {
	bar := progress.Start(cfg.Progress, "upsert movies as text", "movies", int64(len(movies)))
	defer bar.Finish()
	t := time.Now()
	for lo := 0; lo < len(movies); lo += cfg.Batch {
		batch := movies[lo:min(lo+cfg.Batch, len(movies))]
		pts := make([]client.Point, len(batch))
		for i, m := range batch {
			pts[i] = client.Point{ID: pointid.FromNum(uint64(m.ID)), Text: movieText(m), Model: model, Using: "text",
				Payload: map[string]any{"title": m.Title, "genres": strings.Split(m.Genres, "|")}}
		}
		if err := cls[lo/cfg.Batch%len(cls)].Upsert(ctx, recHTTPCollection, pts); err != nil {
			return fmt.Errorf("upsert movies: %w", err)
		}
		bar.Add(int64(len(batch)))
	}
	res.Movies = len(movies)
	res.UpsertSecs = time.Since(t).Seconds()
	res.UpsertPerSec = float64(len(movies)) / res.UpsertSecs
	return nil
}

// maxInteractionsPerCall is the API's bound on one PUT .../interactions.
const maxInteractionsPerCall = 10000

// sendRatings sends the ratings as interactions, weight the rating and
// time its timestamp, batch i to cls[i % len(cls)].
func sendRatings(ctx context.Context, cls []*client.Client, cfg RecHTTPConfig, d *recHTTPData, res *RecHTTPResult) error {
	bar := progress.Start(cfg.Progress, "interactions", "ratings", int64(len(d.ratings)))
	defer bar.Finish()
	t := time.Now()
	users := map[int32]bool{}
	for lo := 0; lo < len(d.ratings); lo += maxInteractionsPerCall {
		batch := d.ratings[lo:min(lo+maxInteractionsPerCall, len(d.ratings))]
		its := make([]client.Interaction, len(batch))
		for i, r := range batch {
			w := float64(r.Value)
			its[i] = client.Interaction{User: userid.FromNum(uint64(d.ml.UserIDs[r.User])),
				Item: pointid.FromNum(uint64(d.ml.MovieIDs[r.Item])), Weight: &w, Time: r.Time}
			users[r.User] = true
		}
		if err := cls[lo/maxInteractionsPerCall%len(cls)].Interact(ctx, recHTTPCollection, its); err != nil {
			return fmt.Errorf("interactions: %w", err)
		}
		bar.Add(int64(len(batch)))
	}
	res.Interactions, res.Users = len(d.ratings), len(users)
	res.InteractSecs = time.Since(t).Seconds()
	res.InteractRate = float64(len(d.ratings)) / res.InteractSecs
	return nil
}

// trainOverHTTP starts a training and polls it until it is done.
func trainOverHTTP(ctx context.Context, cl *client.Client, cfg RecHTTPConfig, res *RecHTTPResult) error {
	t := time.Now()
	job, err := cl.Train(ctx, recHTTPCollection, client.TrainOptions{Seed: cfg.Seed,
		HybridContentWeight: cfg.HybridContentWeight, HybridCentroidHalfLife: cfg.HybridCentroidHalfLife})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	bar := progress.Start(cfg.Progress, "train over http", "epochs", int64(job.Options.Iterations))
	defer bar.Finish()
	epochs := 0
	for job.State == string(trainer.Running) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if job, err = cl.Training(ctx, recHTTPCollection); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		bar.Add(int64(len(job.Epochs) - epochs))
		epochs = len(job.Epochs)
	}
	if job.State != string(trainer.Done) {
		return fmt.Errorf("train: job %d %s: %s", job.ID, job.State, job.Error)
	}
	res.TrainSecs = time.Since(t).Seconds()
	res.TrainIterations = job.Options.Iterations
	if o := job.Options; o.Hybrid != "" {
		res.HybridSettings = fmt.Sprintf("%s: content %g, popularity %g, centroid %s, centroid half-life %g",
			o.Hybrid, o.HybridContentWeight, o.HybridPopularityWeight, o.HybridCentroid, o.HybridCentroidHalfLife)
	}
	return nil
}

// recommendBody is the encoded recommendation query for a user.
func recommendBody(user userid.ID, limit int, explain bool) ([]byte, error) {
	return json.Marshal(client.RecommendBody(user, client.RecommendOptions{Limit: limit, Explain: explain}))
}

// recommendWarmup is the requests sent before timing, on the same
// connection.
const recommendWarmup = 200

// recommendPass asks cfg.Requests recommendations of each kind (plain,
// explained), users taken round-robin, the kinds alternating request by
// request (so drift in the machine's speed falls on both) and half the
// users apart (so neither finds the other's user's keys just read).
func recommendPass(ctx context.Context, addr string, cfg RecHTTPConfig, d *recHTTPData, res *RecHTTPResult) error {
	users := d.ml.UserIDs
	history := make([]int, len(users))
	for _, r := range d.ratings {
		history[r.User]++
	}
	conn, err := dialKeepAlive(addr)
	if err != nil {
		return err
	}
	defer conn.close()
	path := "/collections/" + recHTTPCollection + "/points/query"
	ask := func(i int, explain bool) (queryAnswer, error) {
		body, err := recommendBody(userid.FromNum(uint64(users[i%len(users)])), cfg.Limit, explain)
		if err != nil {
			return queryAnswer{}, err
		}
		a, err := conn.query(http.MethodPost, path, body)
		if err == nil && len(a.ids) != cfg.Limit {
			err = fmt.Errorf("user %d: %d items, want %d", users[i%len(users)], len(a.ids), cfg.Limit)
		}
		return a, err
	}
	for i := range recommendWarmup {
		if _, err := ask(i, i%2 == 1); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	bar := progress.Start(cfg.Progress, "recommend over http", "requests", int64(2*cfg.Requests))
	defer bar.Finish()
	var lat, srv [2][]time.Duration
	var hist []int // of lat[0]
	for i := range cfg.Requests {
		for kind, offset := range []int{0, len(users) / 2} {
			a, err := ask(i+offset, kind == 1)
			if err != nil {
				return fmt.Errorf("recommend: %w", err)
			}
			lat[kind] = append(lat[kind], a.latency)
			if kind == 0 {
				hist = append(hist, history[(i+offset)%len(users)])
			}
			srv[kind] = append(srv[kind], a.server)
		}
		bar.Add(2)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	res.ByHistory = byHistory(lat[0], hist) // before latencyStats sorts lat[0]
	res.Recommend, res.RecommendServer = latencyStats(lat[0]), latencyStats(srv[0])
	res.RecommendExplained, res.RecommendExplainedServer = latencyStats(lat[1]), latencyStats(srv[1])
	return nil
}

// newUsersPass times, for each new user, the cold list, one interaction
// and the next recommendation over HTTP, then the user's profile in
// process.
func newUsersPass(ctx context.Context, s *recServer, col *index.Collection, cfg RecHTTPConfig, d *recHTTPData, res *RecHTTPResult) error {
	conn, err := dialKeepAlive(s.addr)
	if err != nil {
		return err
	}
	defer conn.close()
	model, err := s.tr.Model(ctx, col)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	queryPath := "/collections/" + recHTTPCollection + "/points/query"
	interactPath := "/collections/" + recHTTPCollection + "/interactions?wait=true"
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	bar := progress.Start(cfg.Progress, "new users", "users", int64(cfg.NewUsers))
	defer bar.Finish()
	var cold, put, next, updated, prof, solve []time.Duration
	for j := range cfg.NewUsers {
		user, err := userid.Parse(fmt.Sprintf("bench-new-%d", j))
		if err != nil {
			return err
		}
		body, err := recommendBody(user, cfg.Limit, false)
		if err != nil {
			return err
		}
		before, err := conn.query(http.MethodPost, queryPath, body)
		if err != nil {
			return fmt.Errorf("new user %s: cold list: %w", user, err)
		}
		// A rating drawn from those sent: items in proportion to their
		// popularity, as new users' first items tend to be.
		item := pointid.FromNum(uint64(d.ml.MovieIDs[d.ratings[rng.IntN(len(d.ratings))].Item]))
		now := time.Now().Unix()
		its, err := json.Marshal(map[string]any{"interactions": []client.Interaction{{User: user, Item: item, Weight: ptr(4.0), Time: now}}})
		if err != nil {
			return err
		}
		ack, err := conn.do(http.MethodPut, interactPath, its)
		if err != nil {
			return fmt.Errorf("new user %s: interaction: %w", user, err)
		}
		after, err := conn.query(http.MethodPost, queryPath, body)
		if err != nil {
			return fmt.Errorf("new user %s: next list: %w", user, err)
		}
		cold, put, next = append(cold, before.latency), append(put, ack), append(next, after.latency)
		updated = append(updated, ack+after.latency)
		if !slices.Equal(before.ids, after.ids) {
			res.Changed++
		}

		t := time.Now()
		p, err := s.tr.Profile(ctx, col, col, user, "")
		prof = append(prof, time.Since(t))
		if err != nil {
			return fmt.Errorf("new user %s: profile: %w", user, err)
		}
		if p.Source == trainer.FromModel {
			res.FromModel++
		}
		t = time.Now()
		_, _, err = model.FoldIn([]pointid.ID{item}, []float32{4}, []int64{now})
		solve = append(solve, time.Since(t))
		if err != nil {
			return fmt.Errorf("new user %s: fold in: %w", user, err)
		}
		bar.Add(1)
	}
	res.NewUserCold, res.NewUserInteract = latencyStats(cold), latencyStats(put)
	res.NewUserRecommend, res.NewUserUpdated = latencyStats(next), latencyStats(updated)
	res.ProfileNewUser, res.FoldInSolve = latencyStats(prof), latencyStats(solve)
	return nil
}

// profileUsersPass times the profile of every MovieLens user in process.
func profileUsersPass(ctx context.Context, tr *trainer.Trainer, col *index.Collection, users []int64, res *RecHTTPResult) error {
	lat := make([]time.Duration, 0, len(users))
	seen := 0
	for _, u := range users {
		t := time.Now()
		p, err := tr.Profile(ctx, col, col, userid.FromNum(uint64(u)), "")
		lat = append(lat, time.Since(t))
		if err != nil {
			return fmt.Errorf("user %d: profile: %w", u, err)
		}
		seen += len(p.Seen)
	}
	res.ProfileUsers = latencyStats(lat)
	res.HistoryMean = float64(seen) / float64(max(len(users), 1))
	return nil
}

func ptr[T any](v T) *T { return &v }

// loadAvg is /proc/loadavg's first three fields, or "" without /proc.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
