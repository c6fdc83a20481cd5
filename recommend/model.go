package recommend

import (
	"math"
	"time"
)

// Scorer ranks items for a user. Score writes a score for every item into
// dst (len = number of items), higher is better; items the user already has
// get scores too, and the caller excludes them. Implementations are safe for
// concurrent use.
type Scorer interface {
	Score(u int, dst []float32)
}

// Epoch is what a training loop reports after each pass.
type Epoch struct {
	Epoch    int // 1-based
	Loss     float64
	Duration time.Duration
}

// ProgressFunc receives one Epoch per pass; it runs on the training
// goroutine, so it should be quick.
type ProgressFunc func(Epoch)

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
