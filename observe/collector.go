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

// From returns a copy of the events emitted after the first i, in the
// order they were emitted, and the number of events emitted so far: a
// caller that passes it back next time gets only the new ones.
func (c *Collector) From(i int) ([]Event, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i = max(0, min(i, len(c.events)))
	return slices.Clone(c.events[i:]), len(c.events)
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
