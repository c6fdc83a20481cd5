package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/internal/progress"
)

func init() {
	register("train", "train a collection's recommendation model on its interactions, over HTTP, with progress", runTrain)
}

func runTrain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cl := clientFlags(fs)
	collection := fs.String("collection", "", "collection to train (required)")
	var o client.TrainOptions
	fs.StringVar(&o.Model, "model", "ials", "model: ials")
	fs.IntVar(&o.Factors, "factors", 0, "vector dimension (0: the size of --vector, else 64)")
	fs.StringVar(&o.Vector, "vector", "", "named vector that receives the item factors (default cf)")
	fs.StringVar(&o.Content, "content", "", "vector cold items' factors are mapped from (default: the only other named vector)")
	fs.StringVar(&o.Weights, "weights", "", "binary (default) or raw interaction weights")
	fs.IntVar(&o.Iterations, "iterations", 0, "alternating passes (0: the server's default, 15)")
	alpha := fs.Float64("alpha", 0, "confidence scale of a weight (0: default)")
	lambda := fs.Float64("lambda", 0, "regularisation (0: default)")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the initial factors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *collection == "" {
		return errors.New("train: --collection is required")
	}
	o.Alpha, o.Lambda = float32(*alpha), float32(*lambda)
	job, err := cl.Train(ctx, *collection, o)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	total := job.Options.Iterations
	if total == 0 {
		total = 15
	}
	bar := progress.Start(os.Stderr, "train "+*collection, "epochs", int64(total))
	shown := 0
	for job.State == "running" {
		select {
		case <-ctx.Done():
			bar.Finish()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if job, err = cl.Training(ctx, *collection); err != nil {
			bar.Finish()
			return fmt.Errorf("train: %w", err)
		}
		bar.Add(int64(len(job.Epochs) - shown))
		shown = len(job.Epochs)
	}
	bar.Finish()
	if job.State != "done" {
		return fmt.Errorf("train: %s: %s", job.State, job.Error)
	}
	fmt.Printf("trained on %d interactions of %d users with %d items\n", job.Interactions, job.Users, job.Items)
	for _, e := range job.Epochs {
		fmt.Printf("epoch %2d  loss %.1f  %.3fs\n", e.Epoch, e.Loss, e.Seconds)
	}
	return nil
}
