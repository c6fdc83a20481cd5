package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/quiver-db/quiver/httpapi"
)

func init() {
	register("serve", "start the HTTP server", runServe)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("QUIVER_ADDR", ":6333"), "listen address (env QUIVER_ADDR)")
	data := fs.String("data", envOr("QUIVER_DATA", "./quiver-data"), "data directory (env QUIVER_DATA)")
	model := fs.String("model", envOr("QUIVER_MODEL", "models/all-MiniLM-L6-v2"), "text model directory (env QUIVER_MODEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("create data directory %q: %w", *data, err)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           httpapi.NewHandler(httpapi.Config{Logger: slog.Default()}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	slog.Info("quiver serving", "addr", ln.Addr().String(), "data", *data, "model", *model)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("quiver shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
