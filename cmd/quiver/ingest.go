package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/ingest"
)

func init() {
	register("ingest", "upsert JSON Lines or CSV records into a collection over HTTP, by text or by vector", runIngest)
}

func runIngest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	cl := clientFlags(fs)
	opts := ingest.Options{Progress: os.Stderr}
	fs.StringVar(&opts.Collection, "collection", "", "collection to write to (required)")
	format := fs.String("format", "", "jsonl or csv (default: csv for a .csv file, else jsonl)")
	fs.StringVar(&opts.IDField, "id-column", "id", "field or column holding the point id (an unsigned integer or a UUID)")
	fs.BoolVar(&opts.AutoID, "auto-id", false, "the records have no id: give each a UUID made from its content, so ingesting the file again finds its points already there")
	fs.BoolVar(&opts.Overwrite, "overwrite", false, "replace points the collection already holds (default: skip and report them)")
	types := fs.String("type", "", "comma-separated field=type forcing payload types (int, float, bool, string), e.g. year=int,zip=string; other CSV columns are inferred")
	fs.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "skip and report records that cannot become points (default: write nothing and list them)")
	text := fs.String("text", "", "comma-separated fields whose values, joined by \". \", are the text to encode (with --model or the collection's model)")
	fs.StringVar(&opts.VectorField, "vector", "", "field holding the vector (a JSON array; in CSV also space- or comma-separated numbers)")
	fs.StringVar(&opts.Model, "model", "", "text model for --text (default: the collection's)")
	fs.StringVar(&opts.Using, "using", "", "the named vector that --text or --vector fills (default: the unnamed vector)")
	payload := fs.String("payload", "", "comma-separated fields to keep as payload (default: every field but the id and vector)")
	lists := fs.String("lists", "", "comma-separated fields whose string values are '|'-separated lists (as MovieLens genres)")
	fs.IntVar(&opts.Batch, "batch", 256, "points per request")
	fs.BoolVar(&opts.Create, "create", false, "create the collection if it does not exist (with --model, or the size of the first vector)")
	fs.StringVar(&opts.Distance, "distance", "Cosine", "distance of a collection made by --create: Cosine, Dot or Euclid")
	interactions := fs.Bool("interactions", false, "the records are interactions (user, item, weight, timestamp; MovieLens ratings.csv as it is), not points")
	var iopts ingest.InteractionOptions
	fs.StringVar(&iopts.UserField, "user-column", "", "with --interactions: the user field (default: user, userId or user_id)")
	fs.StringVar(&iopts.ItemField, "item-column", "", "with --interactions: the item field, a point id (default: item, itemId, movieId or item_id)")
	fs.StringVar(&iopts.WeightField, "weight-column", "", "with --interactions: the weight field (default: weight or rating; absent means 1)")
	fs.StringVar(&iopts.TimeField, "time-column", "", "with --interactions: the Unix-seconds field (default: timestamp or time; absent means now)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: quiver ingest --collection NAME (--text FIELDS | --vector FIELD | --interactions) [flags] [FILE]\n\n"+
			"With no FILE, or FILE -, records come from standard input. Points the collection\n"+
			"holds are not replaced without --overwrite; the summary counts the points written,\n"+
			"replaced and skipped, and why each was skipped.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return errors.New("ingest: want at most one FILE")
	}
	var err error
	if opts.Types, err = ingest.ParseTypes(*types); err != nil {
		return fmt.Errorf("ingest: --type: %w", err)
	}
	opts.TextFields, opts.ListFields = splitList(*text), splitList(*lists)
	if *payload != "" {
		opts.PayloadFields = splitList(*payload)
	}
	if opts.Batch < 1 {
		return errors.New("ingest: --batch must be positive")
	}
	r := io.Reader(os.Stdin)
	opts.Format = ingest.Format(*format)
	if path := fs.Arg(0); path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		defer f.Close()
		r = f
		if opts.Format == "" {
			opts.Format = ingest.FormatOf(path)
		}
	}
	if *interactions {
		iopts.Collection, iopts.Format, iopts.SkipInvalid, iopts.Progress = opts.Collection, opts.Format, opts.SkipInvalid, os.Stderr
		if opts.Batch != 256 {
			iopts.Batch = opts.Batch
		}
		sum, err := ingest.RunInteractions(ctx, cl, r, iopts)
		if sum != nil {
			sum.Report(os.Stdout)
		}
		return err
	}
	sum, err := ingest.Run(ctx, cl, r, opts)
	if errors.Is(err, ingest.ErrNoID) {
		return fmt.Errorf("%w: name the id column with --id-column, or pass --auto-id for ids made from each point's content", err)
	}
	if sum != nil {
		sum.Report(os.Stdout)
		if sum.SkippedFor(ingest.Exists) > 0 {
			fmt.Println("(pass --overwrite to replace the points already in the collection)")
		}
	}
	return err
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
