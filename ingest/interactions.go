package ingest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// UnknownItem is the reason for an interaction whose item the collection
// does not hold.
const UnknownItem Reason = "item not in the collection"

// InteractionOptions configure RunInteractions. Empty field names are
// found in the header or keys: user or userId, item, itemId or movieId,
// weight or rating, timestamp or time.
type InteractionOptions struct {
	Collection                                   string
	Format                                       Format
	UserField, ItemField, WeightField, TimeField string
	// SkipInvalid skips and reports records that are not interactions;
	// by default they fail the run before anything is written.
	SkipInvalid bool
	// Batch is the interactions per request; zero means 1000.
	Batch int
	// Progress receives a progress bar; nil means none.
	Progress io.Writer
}

// InteractionSummary says what RunInteractions did.
type InteractionSummary struct {
	Read, Written int
	Skipped       []Skip
	Elapsed       time.Duration
}

// Report prints the summary.
func (s *InteractionSummary) Report(w io.Writer) {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Written) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "read %d interactions: %d written, %d skipped, in %v (%.0f interactions/s)\n",
		s.Read, s.Written, len(s.Skipped), s.Elapsed.Round(time.Millisecond), rate)
	byReason := map[Reason][]Skip{}
	for _, sk := range s.Skipped {
		byReason[sk.Reason] = append(byReason[sk.Reason], sk)
	}
	for _, r := range slices.Sorted(func(yield func(Reason) bool) {
		for r := range byReason {
			if !yield(r) {
				return
			}
		}
	}) {
		list := byReason[r]
		shown := make([]string, 0, 10)
		for _, sk := range list[:min(10, len(list))] {
			shown = append(shown, sk.String())
		}
		more := ""
		if len(list) > 10 {
			more = fmt.Sprintf("; … and %d more", len(list)-10)
		}
		fmt.Fprintf(w, "skipped %d, %s: %s%s\n", len(list), r, strings.Join(shown, "; "), more)
	}
}

type lined struct {
	line int
	it   client.Interaction
}

// RunInteractions reads interactions (MovieLens ratings.csv works as it
// is) and records them in batches. Interactions naming items the
// collection does not hold are skipped and reported, not sent.
func RunInteractions(ctx context.Context, cl *client.Client, r io.Reader, opts InteractionOptions) (*InteractionSummary, error) {
	if opts.Collection == "" {
		return nil, errors.New("ingest: the collection is required")
	}
	if opts.Batch == 0 {
		opts.Batch = 1000
	}
	recs, sum, err := readInteractions(r, &opts)
	if err != nil {
		return sum, err
	}
	bar := progress.Start(opts.Progress, "interactions "+opts.Collection, "interactions", int64(len(recs)))
	start := time.Now()
	err = writeInteractions(ctx, cl, opts, recs, sum, bar)
	bar.Finish()
	sum.Elapsed = time.Since(start)
	slices.SortStableFunc(sum.Skipped, func(a, b Skip) int { return a.Line - b.Line })
	return sum, err
}

func writeInteractions(ctx context.Context, cl *client.Client, opts InteractionOptions, recs []lined, sum *InteractionSummary, bar *progress.Bar) error {
	known := map[pointid.ID]bool{}
	for lo := 0; lo < len(recs); lo += opts.Batch {
		batch := recs[lo:min(lo+opts.Batch, len(recs))]
		where := fmt.Sprintf("ingest: lines %d..%d", batch[0].line, batch[len(batch)-1].line)
		var ask []pointid.ID
		asked := map[pointid.ID]bool{}
		for _, rec := range batch {
			if _, ok := known[rec.it.Item]; !ok && !asked[rec.it.Item] {
				asked[rec.it.Item] = true
				ask = append(ask, rec.it.Item)
			}
		}
		if len(ask) > 0 {
			found, err := cl.Retrieve(ctx, opts.Collection, ask, client.RetrieveOptions{})
			if err != nil {
				return fmt.Errorf("%s: which items exist: %w", where, err)
			}
			for _, id := range ask {
				known[id] = false
			}
			for _, f := range found {
				known[f.ID] = true
			}
		}
		its := make([]client.Interaction, 0, len(batch))
		for _, rec := range batch {
			if !known[rec.it.Item] {
				sum.Skipped = append(sum.Skipped, Skip{Line: rec.line, Reason: UnknownItem, Detail: "item " + rec.it.Item.String()})
				continue
			}
			its = append(its, rec.it)
		}
		if len(its) > 0 {
			if err := cl.Interact(ctx, opts.Collection, its); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		sum.Written += len(its)
		bar.Add(int64(len(batch)))
	}
	return nil
}

// readInteractions parses every record first, so a bad one fails the run
// before anything is written (unless SkipInvalid).
func readInteractions(r io.Reader, opts *InteractionOptions) ([]lined, *InteractionSummary, error) {
	sum := &InteractionSummary{}
	var recs []lined
	var invalid []Skip
	add := func(line int, fields map[string]string) {
		sum.Read++
		it, err := opts.interaction(fields)
		if err != nil {
			invalid = append(invalid, Skip{Line: line, Reason: Invalid, Detail: err.Error()})
			return
		}
		recs = append(recs, lined{line, it})
	}
	var err error
	if opts.Format == CSV {
		err = readInteractionsCSV(r, opts, add)
	} else {
		err = readInteractionsJSONL(r, add)
	}
	if err != nil {
		return nil, sum, err
	}
	if len(invalid) > 0 && !opts.SkipInvalid {
		return nil, sum, &InvalidError{Rows: invalid}
	}
	sum.Skipped = invalid
	return recs, sum, nil
}

func readInteractionsCSV(r io.Reader, opts *InteractionOptions, add func(int, map[string]string)) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("ingest: CSV header: %w", err)
	}
	header = slices.Clone(header)
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("ingest: line %d: %w", line, err)
		}
		fields := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(row) {
				fields[h] = row[i]
			}
		}
		add(line, fields)
	}
}

func readInteractionsJSONL(r io.Reader, add func(int, map[string]string)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	for line := 1; ; line++ {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("ingest: record %d: %w", line, err)
		}
		fields := make(map[string]string, len(obj))
		for k, v := range obj {
			switch x := v.(type) {
			case string:
				fields[k] = x
			case json.Number:
				fields[k] = x.String()
			default:
				fields[k] = fmt.Sprint(x)
			}
		}
		add(line, fields)
	}
}

// field returns the value of name, or of the first alias present.
func field(fields map[string]string, name string, aliases ...string) (string, string) {
	if name != "" {
		return name, fields[name]
	}
	for _, a := range aliases {
		if v, ok := fields[a]; ok {
			return a, v
		}
	}
	return aliases[0], ""
}

func (o *InteractionOptions) interaction(fields map[string]string) (client.Interaction, error) {
	var it client.Interaction
	name, s := field(fields, o.UserField, "user", "userId", "user_id")
	if s == "" {
		return it, fmt.Errorf("no %s", name)
	}
	u, err := userid.Parse(s)
	if err != nil {
		return it, fmt.Errorf("%s: %w", name, err)
	}
	it.User = u
	name, s = field(fields, o.ItemField, "item", "itemId", "movieId", "item_id")
	if s == "" {
		return it, fmt.Errorf("no %s", name)
	}
	if it.Item, err = pointid.Parse(s); err != nil {
		return it, fmt.Errorf("%s: %w", name, err)
	}
	name, s = field(fields, o.WeightField, "weight", "rating")
	if s != "" {
		w, err := strconv.ParseFloat(s, 64)
		if err != nil || w == 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return it, fmt.Errorf("%s %q: want a non-zero finite number", name, s)
		}
		it.Weight = &w
	}
	name, s = field(fields, o.TimeField, "timestamp", "time")
	if s != "" {
		if it.Time, err = strconv.ParseInt(s, 10, 64); err != nil || it.Time <= 0 {
			return it, fmt.Errorf("%s %q: want Unix seconds", name, s)
		}
	}
	return it, nil
}
