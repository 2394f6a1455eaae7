package observe

import (
	"slices"
	"sync"
)

// Collector gathers events from concurrent generators. Its Emit method
// is a ready emit target for HTTP.Run. The zero value is ready to use.
type Collector struct {
	mu     sync.Mutex
	events []Event
}

// Emit appends e. It is safe for concurrent use.
func (c *Collector) Emit(e Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

// Len returns the number of events gathered so far.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// Events returns a copy of the events gathered so far, sorted by Time;
// events with the same Time keep their arrival order. The Labels maps
// are shared with the emitted events and must be treated as read-only.
func (c *Collector) Events() []Event {
	c.mu.Lock()
	out := slices.Clone(c.events)
	c.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return out
}
