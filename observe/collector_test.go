package observe

import (
	"sync"
	"testing"
	"time"
)

func TestCollectorConcurrentEmit(t *testing.T) {
	const writers, each = 8, 500
	t0 := time.Unix(1_700_000_000, 0)
	var c Collector
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			// Each writer emits its events newest first, so sorting is needed.
			for i := each - 1; i >= 0; i-- {
				c.Emit(Event{Time: t0.Add(time.Duration(i*writers+w) * time.Millisecond), Status: w})
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n != writers*each {
		t.Fatalf("Len() = %d, want %d", n, writers*each)
	}
	events := c.Events()
	for i, e := range events {
		if want := t0.Add(time.Duration(i) * time.Millisecond); !e.Time.Equal(want) {
			t.Fatalf("Events()[%d].Time = %v, want %v", i, e.Time, want)
		}
	}
	// Events returns a copy: changing it leaves the collector alone.
	events[0].Status = 999
	if c.Events()[0].Status == 999 {
		t.Error("changing the slice from Events() changed the collector")
	}
}

func TestCollectorEqualTimesKeepOrder(t *testing.T) {
	t0 := time.Unix(5, 0)
	var c Collector
	c.Emit(Event{Time: t0.Add(time.Second), Status: 3})
	c.Emit(Event{Time: t0, Status: 1})
	c.Emit(Event{Time: t0, Status: 2})
	got := c.Events()
	for i, want := range []int{1, 2, 3} {
		if got[i].Status != want {
			t.Errorf("Events()[%d].Status = %d, want %d", i, got[i].Status, want)
		}
	}
}

func BenchmarkCollector(b *testing.B) {
	e := Event{Time: time.Unix(1_700_000_000, 0), Latency: time.Millisecond, OK: true, Status: 200}
	var c Collector
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Emit(e)
		}
	})
}
