package observe

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"
)

// jumpClock is a Clock whose SleepUntil returns at once, moving the
// clock forward to the wake-up time.
type jumpClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps int // calls that had to move the clock
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
		c.sleeps++
	}
	return nil
}

func (c *jumpClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestScheduleNoDrift(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	const n = 1_000_000
	tests := []struct {
		name string
		p, q int64 // rate = p/q requests per second
	}{
		{name: "200/s", p: 200, q: 1},
		{name: "3/s", p: 3, q: 1},
		{name: "7/s", p: 7, q: 1},
		{name: "1000/s", p: 1000, q: 1},
		{name: "0.5/s", p: 1, q: 2},
		{name: "2.5/s", p: 5, q: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate := float64(tt.p) / float64(tt.q)
			prev := start
			for i := int64(0); i <= n; i++ {
				// Exact: round(i * 1e9 * q / p) nanoseconds, half up.
				num := i * int64(time.Second) * tt.q
				want := start.Add(time.Duration((2*num + tt.p) / (2 * tt.p)))
				got := Schedule(start, rate, int(i))
				if !got.Equal(want) {
					t.Fatalf("Schedule(start, %v, %d) = start+%v, want start+%v", rate, i, got.Sub(start), want.Sub(start))
				}
				if got.Before(prev) {
					t.Fatalf("Schedule(start, %v, %d) = %v is before request %d at %v", rate, i, got, i-1, prev)
				}
				prev = got
			}
		})
	}
}

func TestScheduleInexactRate(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	const rate = 0.3 // not exact in binary: compare with exact arithmetic on the float's value
	for _, i := range []int{1, 3, 10, 12345, 999_999, 1_000_000} {
		exact := new(big.Rat).Quo(new(big.Rat).SetInt64(int64(i)*int64(time.Second)), new(big.Rat).SetFloat64(rate))
		f, _ := exact.Float64()
		got := Schedule(start, rate, i).Sub(start)
		if diff := float64(got) - f; diff > 1 || diff < -1 {
			t.Errorf("Schedule(start, %v, %d) = start+%v, want start+%.1fns within 1ns", rate, i, got, f)
		}
	}
}

func TestPaceFiresEveryRequestOnSchedule(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &jumpClock{now: start}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const rate, n = 200.0, 1000
	var fired []time.Time
	pace(ctx, clock, start, rate, func(i int, at time.Time) {
		if i != len(fired) {
			t.Fatalf("fire(%d), want fire(%d)", i, len(fired))
		}
		if now := clock.Now(); now.Before(at) {
			t.Fatalf("request %d fired at %v, before its time %v", i, now, at)
		}
		fired = append(fired, at)
		if len(fired) == n {
			cancel()
		}
	})
	if len(fired) != n {
		t.Fatalf("pace fired %d requests, want %d (stopped by cancel)", len(fired), n)
	}
	for i, at := range fired {
		if want := Schedule(start, rate, i); !at.Equal(want) {
			t.Fatalf("request %d scheduled at %v, want %v", i, at, want)
		}
	}
	// Request 0 is due at start; each later one needed the clock moved.
	if clock.sleeps != n-1 {
		t.Errorf("clock moved %d times, want %d", clock.sleeps, n-1)
	}
}

func TestPaceCatchesUpWithoutSkipping(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &jumpClock{now: start}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const rate = 100.0 // one request every 10ms
	var fired []int
	var lateFires int
	pace(ctx, clock, start, rate, func(i int, at time.Time) {
		fired = append(fired, i)
		if clock.Now().After(at) {
			lateFires++
		}
		if i == 10 {
			// A stall from 100ms to 1.105s: requests 11 (110ms) to 110
			// (1.1s) fall due meanwhile.
			clock.advance(time.Second + 5*time.Millisecond)
		}
		if i == 200 {
			cancel()
		}
	})
	if len(fired) != 201 {
		t.Fatalf("pace fired %d requests, want 201", len(fired))
	}
	for i, got := range fired {
		if got != i {
			t.Fatalf("fired[%d] = request %d, want %d: a request was skipped or repeated", i, got, i)
		}
	}
	// Requests 11..110 were overdue after the stall and fired at once,
	// late, each still with its own scheduled time.
	if lateFires != 100 {
		t.Errorf("%d requests fired late, want 100", lateFires)
	}
}

func TestPaceStopsAtDeadline(t *testing.T) {
	start := time.Now()
	clock := &jumpClock{now: start}
	// The jump clock covers the 10s in far less than 10s of real time, so
	// the context's timer has not fired: pace must stop by the deadline.
	ctx, cancel := context.WithDeadline(t.Context(), start.Add(10*time.Second))
	defer cancel()
	calls := 0
	pace(ctx, clock, start, 200, func(int, time.Time) { calls++ })
	if calls != 2000 {
		t.Errorf("pace until a deadline 10s after start at 200/s fired %d requests, want 2000", calls)
	}
}

func TestPaceStopsWhenCancelled(t *testing.T) {
	clock := &jumpClock{now: time.Unix(0, 0)}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := 0
	pace(ctx, clock, clock.Now(), 10, func(int, time.Time) { calls++ })
	if calls != 0 {
		t.Errorf("pace with a cancelled context fired %d requests, want 0", calls)
	}
}

func TestSystemClockSleepUntil(t *testing.T) {
	var c SystemClock
	if err := c.SleepUntil(t.Context(), c.Now().Add(-time.Hour)); err != nil {
		t.Errorf("SleepUntil(past) = %v, want nil", err)
	}
	if err := c.SleepUntil(t.Context(), c.Now().Add(time.Millisecond)); err != nil {
		t.Errorf("SleepUntil(1ms ahead) = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.SleepUntil(ctx, c.Now().Add(time.Hour)); err != context.Canceled {
		t.Errorf("SleepUntil(cancelled ctx, 1h ahead) = %v, want %v", err, context.Canceled)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if err := c.SleepUntil(ctx, c.Now().Add(time.Hour)); err != context.DeadlineExceeded {
		t.Errorf("SleepUntil(ctx ending in 10ms, 1h ahead) = %v, want %v", err, context.DeadlineExceeded)
	}
}
