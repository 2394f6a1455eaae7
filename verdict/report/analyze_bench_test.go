package report

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// BenchmarkAnalyzeCSV measures what `faultline analyze` does with a CSV
// file: read every event, then judge them (1M events, 3 labels, 12
// cohorts, a 60 s baseline of a 120 s file).
func BenchmarkAnalyzeCSV(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	routes := []string{"/cart", "/home", "/search", "/pay"}
	methods := []string{"GET", "POST", "PUT"}
	events := make([]observe.Event, n)
	for i := range events {
		r, m := routes[i%len(routes)], methods[(i/len(routes))%len(methods)]
		events[i] = observe.Event{
			Time:    start.Add(time.Duration(i) * 120 * time.Second / n),
			Latency: time.Duration(0.02 * math.Exp(0.4*rng.NormFloat64()) * float64(time.Second)),
			OK:      true,
			Labels:  map[string]string{"route": r, "method": m, "region": "eu"},
		}
	}
	var buf bytes.Buffer
	if err := observe.WriteCSV(&buf, events, nil); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	j := verdict.New(verdict.Options{})
	spec := AnalyzeSpec{BaselineEnd: start.Add(60 * time.Second), Cohort: []string{"route", "method"}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	loops := 0
	for b.Loop() {
		open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		if _, err := Analyze(open, "bench.csv", spec, j); err != nil {
			b.Fatal(err)
		}
		loops++
	}
	b.ReportMetric(float64(loops*n)/b.Elapsed().Seconds(), "events/s")
}
