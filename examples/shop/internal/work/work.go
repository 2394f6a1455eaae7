// Package work simulates the time a shop service spends on a request of its
// own: a database lookup, rendering a page. The durations are log-normal, as
// the latencies of real services are: most requests take about the median,
// and a few take several times as long.
//
// It owns the simulated delay only; the services decide when to spend it.
package work

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Work draws log-normal durations. It is safe for concurrent use.
type Work struct {
	median time.Duration
	spread float64

	mu  sync.Mutex
	rng *rand.Rand
}

// New returns a Work whose durations have the given median and spread, the
// standard deviation of their natural logarithm (0 makes every duration the
// median; 0.5 puts one request in forty above 2.7 times the median). A zero
// median means no work at all.
func New(median time.Duration, spread float64, rng *rand.Rand) *Work {
	return &Work{median: median, spread: spread, rng: rng}
}

// Draw returns the next duration.
func (w *Work) Draw() time.Duration {
	if w.median <= 0 {
		return 0
	}
	w.mu.Lock()
	z := w.rng.NormFloat64()
	w.mu.Unlock()
	return time.Duration(float64(w.median) * math.Exp(w.spread*z))
}

// Do spends the next duration, or less if ctx ends first, in which case it
// returns ctx's error.
func (w *Work) Do(ctx context.Context) error {
	d := w.Draw()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
