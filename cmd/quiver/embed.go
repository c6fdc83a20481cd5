package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/quiver-db/quiver/encoder"
)

func init() {
	register("embed", "print each text's vector as a JSON array, one line per text", runEmbed)
}

func runEmbed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	model := fs.String("model", envOr("QUIVER_MODEL_DIR", "models/all-MiniLM-L6-v2"), "text model directory (env QUIVER_MODEL_DIR)")
	threads := fs.Int("threads", 0, "threads (0: all cores)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: quiver embed [--model DIR] TEXT...\n\nWith no TEXT, each line of standard input is a text.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	texts := fs.Args()
	if len(texts) == 0 {
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			texts = append(texts, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
	}
	enc, err := encoder.Load(*model, encoder.Options{Threads: *threads})
	if err != nil {
		return err
	}
	vecs, err := enc.Encode(ctx, texts)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for _, v := range vecs {
		line, err := json.Marshal(v)
		if err != nil {
			return err
		}
		w.Write(line)
		w.WriteByte('\n')
	}
	return w.Flush()
}
