package observe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// benchEvents returns n events with 3 labels, spread over a few cohorts,
// as the workloads write them.
func benchEvents(n int) []Event {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	routes := []string{"/", "/cart", "/checkout", "/search", "/product", "/login", "/logout", "/api/items"}
	methods := []string{"GET", "POST"}
	events := make([]Event, n)
	for i := range events {
		ok := i%97 != 0
		e := Event{
			Time:    t0.Add(time.Duration(i) * 137 * time.Microsecond),
			Latency: time.Duration(1000+(i*7919)%250000) * time.Microsecond,
			OK:      ok,
			Status:  200,
			Labels: map[string]string{
				LabelWorkload: fmt.Sprintf("w%d", i%3),
				LabelRoute:    routes[i%len(routes)],
				LabelMethod:   methods[i%len(methods)],
			},
		}
		if !ok {
			e.Status, e.Error = 0, ErrorTimeout
		}
		events[i] = e
	}
	return events
}

func benchCSV(b *testing.B) []byte {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, benchEvents(100_000), nil); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchJSONL(b *testing.B) []byte {
	var buf bytes.Buffer
	for _, e := range benchEvents(100_000) {
		fmt.Fprintf(&buf, `{"time":%q,"latency":%.6f,"ok":%t,"status":%d,"workload":%q,"route":%q,"method":%q}`+"\n",
			e.Time.Format(time.RFC3339Nano), e.Latency.Seconds(), e.OK, e.Status,
			e.Labels[LabelWorkload], e.Labels[LabelRoute], e.Labels[LabelMethod])
	}
	return buf.Bytes()
}

// benchRead reads events from data in a loop, one event per iteration,
// and reports events per second.
func benchRead(b *testing.B, data []byte, values bool) {
	open := func() *EventReader {
		er, err := NewEventReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		return er
	}
	er := open()
	var e Event
	var vals []string
	b.SetBytes(int64(len(data)) / 100_000)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if values {
			vals, err = er.ReadValues(&e, vals)
		} else {
			e, err = er.Next()
		}
		if errors.Is(err, io.EOF) {
			er = open()
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkEventReaderCSV(b *testing.B) {
	data := benchCSV(b)
	b.Run("Next", func(b *testing.B) { benchRead(b, data, false) })
	b.Run("ReadValues", func(b *testing.B) { benchRead(b, data, true) })
}

func BenchmarkEventReaderJSONL(b *testing.B) {
	data := benchJSONL(b)
	b.Run("Next", func(b *testing.B) { benchRead(b, data, false) })
	b.Run("ReadValues", func(b *testing.B) { benchRead(b, data, true) })
}
