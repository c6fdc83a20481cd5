package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/pointid"
)

// Options configures Run.
type Options struct {
	ParseOptions
	// Collection is the collection written to; required.
	Collection string
	// Batch is the points per request, and the ids per existence check.
	// Zero means 256.
	Batch int
	// Overwrite replaces points the collection already holds. False means
	// they are left as they are and reported as skipped (Exists).
	Overwrite bool
	// Create makes the collection when it does not exist: sized by the
	// first vector, or with Model for text.
	Create bool
	// Distance is the distance of a collection Create makes. Empty means
	// Cosine.
	Distance string
	// Progress receives the progress bar; nil means none.
	Progress io.Writer
}

// Validate reports every problem with the options.
func (o *Options) Validate() error {
	errs := []error{o.ParseOptions.Validate()}
	if o.Collection == "" {
		errs = append(errs, errors.New("a collection is required"))
	}
	if o.Batch < 0 {
		errs = append(errs, fmt.Errorf("batch %d: want a positive number", o.Batch))
	}
	if o.Create && o.VectorField == "" && o.Model == "" {
		errs = append(errs, errors.New("creating a collection for text needs a model"))
	}
	return errors.Join(errs...)
}

// Summary is what Run did. Every record of the input is counted once, in
// Written, Replaced or Skipped.
type Summary struct {
	Read     int
	Written  int // new points
	Replaced int // points that existed and were overwritten
	Skipped  []Skip
	Columns  []Column
	Elapsed  time.Duration
	// ServerTimes is where the server spent its time, from its metrics;
	// nil when it has none (another server of Qdrant's dialect).
	ServerTimes []ServerTime
}

// SkippedFor counts the skipped records with reason r.
func (s *Summary) SkippedFor(r Reason) int {
	n := 0
	for _, sk := range s.Skipped {
		if sk.Reason == r {
			n++
		}
	}
	return n
}

// ServerTime is the time the server spent on one kind of work.
type ServerTime struct {
	Label   string
	Seconds float64
}

// serverTimeMetrics are the server's cumulative timings that a summary
// reports, summed over models and collections.
var serverTimeMetrics = []struct{ name, label string }{
	{"quiver_encoder_duration_seconds_sum", "text encoder"},
	{"quiver_upsert_graph_seconds_total", "graph inserts"},
	{"quiver_upsert_commit_seconds_total", "commits with fsync"},
}

// Run parses the input and writes its points in batches. Before each batch
// it asks the server which of the batch's ids exist, so that existing
// points are replaced only with Overwrite and every replacement is
// counted. The check and the write are two requests: a point another
// writer adds in between is overwritten uncounted.
//
// On an error after parsing, Run returns the summary so far with it:
// Written and Replaced say what reached the server.
func Run(ctx context.Context, cl *client.Client, r io.Reader, opts Options) (*Summary, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if opts.Batch == 0 {
		opts.Batch = 256
	}
	parsed, err := Parse(r, opts.ParseOptions)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Read: parsed.Read, Skipped: parsed.Skipped, Columns: parsed.Columns}
	if opts.Create && len(parsed.Records) > 0 {
		if err := ensureCollection(ctx, cl, opts, parsed.Records[0].Point); err != nil {
			return sum, fmt.Errorf("ingest: %w", err)
		}
	}
	before := serverTimes(ctx, cl)
	bar := progress.Start(opts.Progress, "ingest "+opts.Collection, "points", int64(len(parsed.Records)))
	start := time.Now()
	err = writeAll(ctx, cl, opts, parsed.Records, sum, bar)
	bar.Finish()
	sum.Elapsed = time.Since(start)
	slices.SortStableFunc(sum.Skipped, func(a, b Skip) int { return a.Line - b.Line })
	if err != nil {
		return sum, err
	}
	if after := serverTimes(ctx, cl); before != nil && after != nil {
		for i, m := range serverTimeMetrics {
			sum.ServerTimes = append(sum.ServerTimes, ServerTime{Label: m.label, Seconds: after[i] - before[i]})
		}
	}
	return sum, nil
}

func writeAll(ctx context.Context, cl *client.Client, opts Options, recs []Record, sum *Summary, bar *progress.Bar) error {
	ids := make([]pointid.ID, 0, opts.Batch)
	points := make([]client.Point, 0, opts.Batch)
	for lo := 0; lo < len(recs); lo += opts.Batch {
		batch := recs[lo:min(lo+opts.Batch, len(recs))]
		where := fmt.Sprintf("ingest: lines %d..%d", batch[0].Line, batch[len(batch)-1].Line)
		ids = ids[:0]
		for _, rec := range batch {
			ids = append(ids, rec.Point.ID)
		}
		found, err := cl.Retrieve(ctx, opts.Collection, ids, client.RetrieveOptions{})
		if err != nil {
			return fmt.Errorf("%s: which exist: %w", where, err)
		}
		exists := make(map[pointid.ID]bool, len(found))
		for _, f := range found {
			exists[f.ID] = true
		}
		points = points[:0]
		replaced := 0
		for _, rec := range batch {
			switch {
			case !exists[rec.Point.ID]:
			case opts.Overwrite:
				replaced++
			default:
				sum.Skipped = append(sum.Skipped, Skip{Line: rec.Line, Reason: Exists, Detail: "id " + rec.Point.ID.String()})
				continue
			}
			points = append(points, rec.Point)
		}
		if len(points) > 0 {
			if err := cl.Upsert(ctx, opts.Collection, points); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		sum.Written += len(points) - replaced
		sum.Replaced += replaced
		bar.Add(int64(len(batch)))
	}
	return nil
}

func ensureCollection(ctx context.Context, cl *client.Client, opts Options, first client.Point) error {
	ok, err := cl.Exists(ctx, opts.Collection)
	if err != nil || ok {
		return err
	}
	distance := opts.Distance
	if distance == "" {
		distance = "Cosine"
	}
	vectors := map[string]any{"distance": distance}
	if first.Vector != nil {
		vectors["size"] = len(first.Vector)
	} else {
		vectors["model"] = opts.Model
	}
	if opts.Using != "" {
		vectors = map[string]any{opts.Using: vectors}
	}
	return cl.CreateCollection(ctx, opts.Collection, vectors)
}

// serverTimes scrapes serverTimeMetrics; nil when the server has no
// /metrics.
func serverTimes(ctx context.Context, cl *client.Client) []float64 {
	out := make([]float64, len(serverTimeMetrics))
	for i, m := range serverTimeMetrics {
		v, err := cl.MetricSum(ctx, m.name)
		if err != nil {
			return nil
		}
		out[i] = v
	}
	return out
}
