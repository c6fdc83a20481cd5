package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/quiver-db/quiver/index"
)

func init() {
	register("snapshot", "create or restore a collection snapshot file (server stopped)", runSnapshot)
}

func runSnapshot(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "restore") {
		return errors.New("usage: quiver snapshot create|restore --data DIR --collection NAME --file FILE")
	}
	fs := flag.NewFlagSet("snapshot "+args[0], flag.ContinueOnError)
	data := fs.String("data", envOr("QUIVER_DATA", "./quiver-data"), "data directory (env QUIVER_DATA)")
	name := fs.String("collection", "", "collection to snapshot, or the name to restore as")
	file := fs.String("file", "", "snapshot file to write or read")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || *file == "" {
		return errors.New("snapshot: --collection and --file are required")
	}
	db, err := index.Open(ctx, *data, index.Options{})
	if err != nil {
		return fmt.Errorf("open data directory %q: %w", *data, err)
	}
	if args[0] == "create" {
		err = createSnapshot(ctx, db, *name, *file)
	} else {
		err = restoreSnapshot(ctx, db, *name, *file)
	}
	return errors.Join(err, db.Close())
}

func createSnapshot(ctx context.Context, db *index.DB, name, file string) error {
	if err := db.SnapshotTo(ctx, name, file); err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	slog.Info("snapshot written", "collection", name, "file", file, "bytes", st.Size())
	return nil
}

func restoreSnapshot(ctx context.Context, db *index.DB, name, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := db.Restore(ctx, f, name)
	if err != nil {
		return err
	}
	n, err := c.Count(ctx, nil)
	if err != nil {
		return err
	}
	slog.Info("snapshot restored", "collection", name, "file", file, "points", n)
	return nil
}
