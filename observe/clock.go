package observe

import (
	"context"
	"math"
	"time"
)

// Clock is the time source of a generator: it reads the time and waits
// for a moment to come.
type Clock interface {
	Now() time.Time
	// SleepUntil waits until t or until ctx is done, whichever comes
	// first, and returns ctx.Err() in the second case. It returns at
	// once when t has already passed.
	SleepUntil(ctx context.Context, t time.Time) error
}

// SystemClock is the wall clock (with its monotonic reading).
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// SleepUntil waits on a timer until t or until ctx is done.
func (SystemClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Schedule returns when request i (counting from 0) of a constant-rate
// arrival process is due: start + i/rate, rounded to the nanosecond.
// Each time is computed from start, not from the previous one, so
// rounding never accumulates into drift; it is exact to the nanosecond
// while i*1e9 stays below 2^53 (for example 10^6 requests at any rate).
// rate is in requests per second and must be positive.
func Schedule(start time.Time, rate float64, i int) time.Time {
	return start.Add(time.Duration(math.Round(float64(i) * float64(time.Second) / rate)))
}

// pace calls fire for request 0, 1, 2, ... at Schedule(start, rate, i)
// until ctx is done. It never skips a request: when fire or the clock
// ran late, the overdue requests are fired at once, each with its own
// scheduled time, so the caller can measure latency from it. When ctx
// has a deadline, no request scheduled at or after it is fired, even if
// the context's own timer runs late on a loaded machine (the deadline
// is compared with the clock's times). fire must not block for long; it
// runs on pace's goroutine.
func pace(ctx context.Context, clock Clock, start time.Time, rate float64, fire func(i int, at time.Time)) {
	deadline, hasDeadline := ctx.Deadline()
	for i := 0; ; i++ {
		at := Schedule(start, rate, i)
		if hasDeadline && !at.Before(deadline) {
			return
		}
		if err := clock.SleepUntil(ctx, at); err != nil {
			return
		}
		if ctx.Err() != nil {
			return
		}
		fire(i, at)
	}
}
