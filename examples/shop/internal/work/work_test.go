package work

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestDrawIsLogNormal(t *testing.T) {
	tests := []struct {
		name   string
		median time.Duration
		spread float64
	}{
		{name: "quickstart-like", median: 10 * time.Millisecond, spread: 0.5},
		{name: "narrow", median: 20 * time.Millisecond, spread: 0.2},
		{name: "wide", median: 5 * time.Millisecond, spread: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(tt.median, tt.spread, rand.New(rand.NewPCG(1, 2)))
			const n = 20000
			logs := make([]float64, n)
			for i := range logs {
				logs[i] = math.Log(w.Draw().Seconds())
			}
			var sum, sq float64
			for _, l := range logs {
				sum += l
			}
			mean := sum / n
			for _, l := range logs {
				sq += (l - mean) * (l - mean)
			}
			sd := math.Sqrt(sq / (n - 1))
			slices.Sort(logs)
			median := time.Duration(math.Exp(logs[n/2]) * float64(time.Second))

			// With 20000 draws the standard error of the mean of ln is
			// spread/141, so 3% of the median is over 4 standard errors.
			if got, want := median, tt.median; math.Abs(float64(got-want)) > 0.03*float64(want) {
				t.Errorf("median of Draw() = %v, want %v within 3%%", got, want)
			}
			if math.Abs(sd-tt.spread) > 0.03*tt.spread {
				t.Errorf("sd of ln(Draw()) = %.3f, want %.3f within 3%%", sd, tt.spread)
			}
		})
	}
}

func TestZeroSpreadIsTheMedian(t *testing.T) {
	w := New(7*time.Millisecond, 0, rand.New(rand.NewPCG(1, 2)))
	for range 10 {
		if got := w.Draw(); got != 7*time.Millisecond {
			t.Fatalf("Draw() = %v, want 7ms with spread 0", got)
		}
	}
}

func TestZeroMedianIsNoWork(t *testing.T) {
	w := New(0, 0.5, rand.New(rand.NewPCG(1, 2)))
	if got := w.Draw(); got != 0 {
		t.Fatalf("Draw() = %v, want 0 with median 0", got)
	}
	if err := w.Do(context.Background()); err != nil {
		t.Fatalf("Do() = %v, want nil", err)
	}
}

func TestDoSleepsTheDuration(t *testing.T) {
	w := New(30*time.Millisecond, 0, rand.New(rand.NewPCG(1, 2)))
	start := time.Now()
	if err := w.Do(context.Background()); err != nil {
		t.Fatalf("Do() = %v, want nil", err)
	}
	if got := time.Since(start); got < 30*time.Millisecond {
		t.Errorf("Do() returned after %v, want at least 30ms", got)
	}
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	w := New(time.Hour, 0, rand.New(rand.NewPCG(1, 2)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.Do(ctx)
	if err != context.DeadlineExceeded {
		t.Fatalf("Do() = %v, want %v", err, context.DeadlineExceeded)
	}
	if got := time.Since(start); got > time.Second {
		t.Errorf("Do() returned after %v, want soon after the 20ms deadline", got)
	}
}
