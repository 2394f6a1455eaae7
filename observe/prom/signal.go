package prom

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/faultline/faultline/observe"
)

// LabelSignal is the event label that carries the Signal's name.
const LabelSignal = observe.LabelSignal

// DefaultStep is the resolution of a Signal whose Step is zero.
const DefaultStep = time.Second

// maxPoints is the most points per series Prometheus returns for one
// range query; longer ranges are split into several queries.
const maxPoints = 11000

// Signal is a PromQL range query whose samples are judged as events.
type Signal struct {
	// Name is the value of the "signal" label of every event.
	Name string
	// Query is the PromQL expression, evaluated as a range query.
	Query string
	// Step is the resolution (DefaultStep when zero, at least 1ms).
	Step time.Duration
	// Cohort lists the series labels kept as event labels. When empty,
	// all labels of the series are kept except __name__.
	Cohort []string
}

// SignalStats counts what a range query returned.
type SignalStats struct {
	// Series is the number of distinct series.
	Series int
	// Samples is the number of samples turned into events.
	Samples int
	// NaN is the number of NaN samples skipped.
	NaN int
}

// SignalEvents runs s.Query as a range query over [start, end] at
// s.Step and turns each sample into an observe.Event: Time is the
// sample's time, Latency the value read as seconds (negative values
// become 0, values beyond the largest Duration become the largest
// Duration), OK is true, and Labels hold the series' Cohort labels (a
// label the series lacks is "") plus LabelSignal = s.Name, which wins
// over a series label of that name. Events of one series share their
// Labels map.
//
// NaN samples, which histogram_quantile returns for a window without
// traffic, are skipped and counted. Events are sorted by time; samples
// of one time keep Prometheus's series order. Sample times lie on the
// grid start + k*Step, start truncated to the millisecond. A range of
// more than 11000 points is split into several queries on the same grid.
//
// Warnings from Prometheus are ignored when there are events, and
// returned as the error when there are none.
func (c *Client) SignalEvents(ctx context.Context, s Signal, start, end time.Time) ([]observe.Event, SignalStats, error) {
	var stats SignalStats
	if s.Step == 0 {
		s.Step = DefaultStep
	}
	switch {
	case s.Query == "":
		return nil, stats, fmt.Errorf("prometheus %s: signal %q has no query", c.addr, s.Name)
	case s.Step < time.Millisecond:
		return nil, stats, c.fail("range query", s.Query, nil, fmt.Sprintf("signal %q: step %v is shorter than 1ms", s.Name, s.Step))
	case end.Before(start):
		return nil, stats, c.fail("range query", s.Query, nil, fmt.Sprintf("signal %q: end %s is before start %s",
			s.Name, end.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano)))
	}

	type series struct {
		labels map[string]string
	}
	seen := map[model.Fingerprint]*series{}
	var events []observe.Event
	var warnings v1.Warnings
	for _, r := range splitRange(start, end, s.Step, maxPoints) {
		m, w, err := c.queryRange(ctx, s.Query, r)
		if err != nil {
			return nil, stats, err
		}
		warnings = append(warnings, w...)
		for _, ss := range m {
			if len(ss.Histograms) > 0 {
				return nil, stats, c.fail("range query", s.Query, nil, fmt.Sprintf(
					"signal %q: series %s holds native histograms; use histogram_quantile() to get numbers", s.Name, ss.Metric))
			}
			fp := ss.Metric.Fingerprint()
			sr, ok := seen[fp]
			if !ok {
				sr = &series{labels: eventLabels(ss.Metric, s.Cohort, s.Name)}
				seen[fp] = sr
			}
			for _, p := range ss.Values {
				v := float64(p.Value)
				if math.IsNaN(v) {
					stats.NaN++
					continue
				}
				events = append(events, observe.Event{
					Time:    p.Timestamp.Time(),
					Latency: latency(v),
					OK:      true,
					Labels:  sr.labels,
				})
			}
		}
	}
	stats.Series = len(seen)
	stats.Samples = len(events)
	if len(events) == 0 && len(warnings) > 0 {
		return nil, stats, c.warned("range query", s.Query, warnings)
	}
	slices.SortStableFunc(events, func(a, b observe.Event) int { return a.Time.Compare(b.Time) })
	return events, stats, nil
}

// eventLabels returns the labels of the events of one series.
func eventLabels(m model.Metric, cohort []string, signal string) map[string]string {
	labels := make(map[string]string, len(cohort)+1)
	if len(cohort) == 0 {
		for name, value := range m {
			if name != model.MetricNameLabel {
				labels[string(name)] = string(value)
			}
		}
	} else {
		for _, name := range cohort {
			labels[name] = string(m[model.LabelName(name)])
		}
	}
	labels[LabelSignal] = signal
	return labels
}

// latency reads a sample value as seconds.
func latency(v float64) time.Duration {
	const maxSeconds = float64(math.MaxInt64) / 1e9
	switch {
	case v <= 0 || math.IsNaN(v):
		return 0
	case v >= maxSeconds:
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(v * 1e9)
}

// splitRange cuts [start, end] at step into ranges of at most points
// points each, all on the grid start + k*step (start truncated to the
// millisecond, as Prometheus reads it), without overlap. It returns at
// least one range.
func splitRange(start, end time.Time, step time.Duration, points int) []v1.Range {
	start = start.Truncate(time.Millisecond)
	if end.Sub(start)/step < time.Duration(points) {
		return []v1.Range{{Start: start, End: end, Step: step}}
	}
	span := time.Duration(points-1) * step // first to last point of a full range; no overflow, span < end-start
	var ranges []v1.Range
	for from := start; !from.After(end); from = from.Add(span + step) {
		to := from.Add(span)
		if to.After(end) {
			to = end
		}
		ranges = append(ranges, v1.Range{Start: from, End: to, Step: step})
	}
	return ranges
}
