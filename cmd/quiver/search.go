package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/quiver-db/quiver/pointid"
)

func init() {
	register("search", "query a collection over HTTP by text, vector or point id and print the hits", runSearch)
}

func runSearch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	cl := clientFlags(fs)
	collection := fs.String("collection", "", "collection to query (required)")
	vector := fs.String("vector", "", "query vector as a JSON array")
	id := fs.String("id", "", "query by this stored point's vector")
	model := fs.String("model", "", "text model (default: the collection's)")
	limit := fs.Int("limit", 10, "number of hits")
	ef := fs.Int("ef", 0, "hnsw_ef for this query (0: the collection's default)")
	filter := fs.String("filter", "", "Qdrant filter as JSON")
	payload := fs.String("payload", "", "comma-separated payload fields to show (default: all)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: quiver search --collection NAME [flags] [TEXT...]\n\nThe words after the flags are the query text, unless --vector or --id is given.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if *collection == "" {
		return errors.New("search: --collection is required")
	}
	var query any
	switch {
	case *vector != "" && *id == "" && text == "":
		var v []float32
		if err := json.Unmarshal([]byte(*vector), &v); err != nil {
			return fmt.Errorf("search: --vector: %w", err)
		}
		query = v
	case *id != "" && *vector == "" && text == "":
		pid, err := pointid.Parse(*id)
		if err != nil {
			return fmt.Errorf("search: --id: %w", err)
		}
		query = pid
	case text != "" && *vector == "" && *id == "":
		doc := map[string]string{"text": text}
		if *model != "" {
			doc["model"] = *model
		}
		query = doc
	default:
		return errors.New("search: want exactly one of TEXT, --vector and --id")
	}
	body := map[string]any{"query": query, "limit": *limit, "with_payload": true}
	if fields := splitList(*payload); len(fields) > 0 {
		body["with_payload"] = fields
	}
	if *ef > 0 {
		body["params"] = map[string]any{"hnsw_ef": *ef}
	}
	if *filter != "" {
		body["filter"] = json.RawMessage(*filter)
	}
	hits, err := cl.Query(ctx, *collection, body)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "rank\tid\tscore\tpayload")
	for i, h := range hits {
		p, err := json.Marshal(h.Payload)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%d\t%s\t%.4f\t%s\n", i+1, h.ID, h.Score, p)
	}
	return w.Flush()
}
