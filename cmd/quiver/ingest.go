package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/internal/progress"
)

func init() {
	register("ingest", "upsert JSON Lines or CSV records into a collection over HTTP, by text or by vector", runIngest)
}

// ingestFlags are the options of quiver ingest.
type ingestFlags struct {
	file, format, collection  string
	idField, vecField, model  string
	textFields, payloadFields []string
	listFields                []string
	batch                     int
	create                    bool
	distance                  string
}

func runIngest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	cl := clientFlags(fs)
	var f ingestFlags
	fs.StringVar(&f.collection, "collection", "", "collection to write to (required)")
	fs.StringVar(&f.format, "format", "", "jsonl or csv (default: from the file name; jsonl for standard input)")
	fs.StringVar(&f.idField, "id", "id", "field holding the point id (an unsigned integer or a UUID); records without it are numbered from 1")
	text := fs.String("text", "", "comma-separated fields whose values, joined by \". \", are the text to encode (with --model or the collection's model)")
	fs.StringVar(&f.vecField, "vector", "", "field holding the vector (a JSON array; in CSV also space- or comma-separated numbers)")
	fs.StringVar(&f.model, "model", "", "text model for --text (default: the collection's)")
	payload := fs.String("payload", "", "comma-separated fields to keep as payload (default: every field but the id and vector)")
	lists := fs.String("lists", "", "comma-separated fields whose string values are '|'-separated lists (as MovieLens genres)")
	fs.IntVar(&f.batch, "batch", 256, "points per request")
	fs.BoolVar(&f.create, "create", false, "create the collection if it does not exist (with --model, or the size of the first vector)")
	fs.StringVar(&f.distance, "distance", "Cosine", "distance of a collection made by --create: Cosine, Dot or Euclid")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: quiver ingest --collection NAME (--text FIELDS | --vector FIELD) [flags] [FILE]\n\nWith no FILE, or FILE -, records come from standard input.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	f.file = fs.Arg(0)
	f.textFields, f.payloadFields, f.listFields = splitList(*text), splitList(*payload), splitList(*lists)
	switch {
	case f.collection == "":
		return errors.New("ingest: --collection is required")
	case (len(f.textFields) == 0) == (f.vecField == ""):
		return errors.New("ingest: want exactly one of --text and --vector")
	case f.batch < 1:
		return errors.New("ingest: --batch must be positive")
	}
	records, err := readRecords(f.file, f.format)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	points := make([]client.Point, len(records))
	for i, rec := range records {
		if points[i], err = f.point(rec, i); err != nil {
			return fmt.Errorf("ingest: record %d: %w", i+1, err)
		}
	}
	if f.create && len(points) > 0 {
		if err := f.ensureCollection(ctx, cl, points[0]); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	return upsertAll(ctx, cl, f, points)
}

// upsertAll sends the points in batches and reports the rate.
func upsertAll(ctx context.Context, cl *client.Client, f ingestFlags, points []client.Point) error {
	before := serverTimes(ctx, cl)
	bar := progress.Start(os.Stderr, "ingest "+f.collection, "points", int64(len(points)))
	start := time.Now()
	for i := 0; i < len(points); i += f.batch {
		end := min(i+f.batch, len(points))
		if err := cl.Upsert(ctx, f.collection, points[i:end]); err != nil {
			bar.Finish()
			return fmt.Errorf("ingest: points %d..%d: %w", i+1, end, err)
		}
		bar.Add(int64(end - i))
	}
	bar.Finish()
	elapsed := time.Since(start)
	fmt.Printf("ingested %d points into %s in %s: %.0f points/s\n", len(points), f.collection, elapsed.Round(time.Millisecond), float64(len(points))/max(elapsed.Seconds(), 1e-9))
	// The server's metrics say where the time went: text encoding, graph
	// inserts, synced commits; the rest is HTTP, JSON and validation.
	after := serverTimes(ctx, cl)
	if after == nil || before == nil {
		return nil
	}
	wall := elapsed.Seconds()
	rest := wall
	fmt.Printf("where the %.1fs went (server metrics):", wall)
	for _, m := range serverTimeMetrics {
		d := after[m.name] - before[m.name]
		rest -= d
		fmt.Printf(" %s %.1fs (%.1f%%),", m.label, d, 100*d/wall)
	}
	fmt.Printf(" HTTP, JSON and the rest %.1fs (%.1f%%)\n", rest, 100*rest/wall)
	return nil
}

// serverTimeMetrics are the server's cumulative timings that upsertAll
// reports, summed over models and collections.
var serverTimeMetrics = []struct{ name, label string }{
	{"quiver_encoder_duration_seconds_sum", "text encoder"},
	{"quiver_upsert_graph_seconds_total", "graph inserts"},
	{"quiver_upsert_commit_seconds_total", "commits with fsync"},
}

// serverTimes scrapes serverTimeMetrics; nil when the server has no
// /metrics (another Qdrant-dialect server).
func serverTimes(ctx context.Context, cl *client.Client) map[string]float64 {
	out := map[string]float64{}
	for _, m := range serverTimeMetrics {
		v, err := cl.MetricSum(ctx, m.name)
		if err != nil {
			return nil
		}
		out[m.name] = v
	}
	return out
}

func (f ingestFlags) ensureCollection(ctx context.Context, cl *client.Client, first client.Point) error {
	var exists struct{ Exists bool }
	if err := cl.Do(ctx, http.MethodGet, "/collections/"+f.collection+"/exists", nil, &exists); err != nil {
		return err
	}
	if exists.Exists {
		return nil
	}
	vectors := map[string]any{"distance": f.distance}
	if first.Vector != nil {
		vectors["size"] = len(first.Vector)
	} else if f.model != "" {
		vectors["model"] = f.model
	} else {
		return errors.New("--create with --text needs --model")
	}
	return cl.Do(ctx, http.MethodPut, "/collections/"+f.collection, map[string]any{"vectors": vectors}, nil)
}

// point turns record i into a point.
func (f ingestFlags) point(rec map[string]any, i int) (client.Point, error) {
	p := client.Point{ID: pointid.FromNum(uint64(i + 1)), Model: f.model, Payload: map[string]any{}}
	for _, field := range f.listFields {
		if s, ok := rec[field].(string); ok {
			items := []any{}
			for _, item := range strings.Split(s, "|") {
				if item = strings.TrimSpace(item); item != "" {
					items = append(items, item)
				}
			}
			rec[field] = items
		}
	}
	if v, ok := rec[f.idField]; ok {
		id, err := parseID(v)
		if err != nil {
			return p, err
		}
		p.ID = id
	}
	if f.vecField != "" {
		vec, err := parseVector(rec[f.vecField])
		if err != nil {
			return p, fmt.Errorf("field %q: %w", f.vecField, err)
		}
		p.Vector = vec
	} else {
		var parts []string
		for _, field := range f.textFields {
			if s := strings.TrimSpace(fmt.Sprint(valueOr(rec[field], ""))); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			return p, fmt.Errorf("no text in fields %s", strings.Join(f.textFields, ", "))
		}
		p.Text = strings.Join(parts, ". ")
	}
	if len(f.payloadFields) > 0 {
		for _, field := range f.payloadFields {
			if v, ok := rec[field]; ok {
				p.Payload[field] = v
			}
		}
		return p, nil
	}
	for k, v := range rec {
		if k != f.idField && k != f.vecField {
			p.Payload[k] = v
		}
	}
	return p, nil
}

func valueOr(v, def any) any {
	if v == nil {
		return def
	}
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ", ")
	}
	return v
}

func parseID(v any) (pointid.ID, error) {
	switch x := v.(type) {
	case json.Number:
		return pointid.Parse(x.String())
	case string:
		return pointid.Parse(x)
	}
	return pointid.ID{}, fmt.Errorf("id %v: want an unsigned integer or a UUID", v)
}

func parseVector(v any) ([]float32, error) {
	switch x := v.(type) {
	case []any:
		out := make([]float32, len(x))
		for i, e := range x {
			n, ok := e.(json.Number)
			f, err := n.Float64()
			if !ok || err != nil {
				return nil, fmt.Errorf("component %d is %v, not a number", i, e)
			}
			out[i] = float32(f)
		}
		return out, nil
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") {
			var out []float32
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, err
			}
			return out, nil
		}
		fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		out := make([]float32, len(fields))
		for i, f := range fields {
			n, err := strconv.ParseFloat(f, 32)
			if err != nil {
				return nil, fmt.Errorf("component %d: %w", i, err)
			}
			out[i] = float32(n)
		}
		return out, nil
	}
	return nil, fmt.Errorf("missing or not a vector: %v", v)
}

// readRecords reads JSON Lines (one object a line) or CSV with a header.
func readRecords(path, format string) ([]map[string]any, error) {
	r := io.Reader(os.Stdin)
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
		if format == "" && strings.EqualFold(filepath.Ext(path), ".csv") {
			format = "csv"
		}
	}
	switch format {
	case "", "jsonl":
		return readJSONL(r)
	case "csv":
		return readCSV(r)
	}
	return nil, fmt.Errorf("--format %q: want jsonl or csv", format)
}

func readJSONL(r io.Reader) ([]map[string]any, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	var out []map[string]any
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var rec map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber() // ids and payload integers beyond 2^53 stay exact
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

func readCSV(r io.Reader) ([]map[string]any, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	var out []map[string]any
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		rec := make(map[string]any, len(header))
		for i, h := range header {
			if i < len(row) {
				rec[h] = row[i]
			}
		}
		out = append(out, rec)
	}
}

// clientFlags binds the flags that say which server to talk to.
func clientFlags(fs *flag.FlagSet) *client.Client {
	c := &client.Client{}
	fs.StringVar(&c.URL, "url", envOr("QUIVER_URL", "http://localhost:6333"), "server URL (env QUIVER_URL)")
	fs.StringVar(&c.APIKey, "api-key", os.Getenv("QUIVER_API_KEY"), "api-key header (env QUIVER_API_KEY)")
	return c
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
