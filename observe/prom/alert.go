package prom

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Firing is one interval during which an alert was firing, read from
// the raw samples of the ALERTS series.
type Firing struct {
	// Alert is the alert's name.
	Alert string
	// Labels are the alert's labels except alertname, alertstate and
	// __name__. Firings of one series share the map: treat it as
	// read-only.
	Labels map[string]string
	// Start is the first firing sample of the interval: the time of the
	// rule evaluation that found the alert firing.
	Start time.Time
	// End is the last firing sample of the interval.
	End time.Time
}

// AlertFirings returns the intervals during which the named alerts (all
// alerts when names is empty) were firing between start and end, sorted
// by Start (then alert name and labels).
//
// It reads the raw samples of ALERTS{alertstate="firing"} with one
// instant query of a range selector evaluated at end, so that times are
// the rule evaluation timestamps rather than the steps of a range
// query. Consecutive samples of one series are joined into an interval
// until a gap longer than gap, or, when gap is not positive, longer
// than twice the median spacing of that series' samples (normally the
// evaluation interval). For an alert that was already firing at start,
// Start is its first sample at or after start.
//
// Warnings from Prometheus are ignored when there are samples, and
// returned as the error when there are none.
func (c *Client) AlertFirings(ctx context.Context, names []string, start, end time.Time, gap time.Duration) ([]Firing, error) {
	query, err := alertsQuery(names, start, end)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", c.addr, err)
	}
	v, err := c.query(ctx, query, end)
	if err != nil {
		return nil, err
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, c.fail("instant query", query, ErrNotPrometheus,
			fmt.Sprintf("%v: a range selector answered %s, want a matrix", ErrNotPrometheus, describe(v)))
	}
	var firings []Firing
	for _, ss := range m {
		labels := make(map[string]string, len(ss.Metric))
		for name, value := range ss.Metric {
			switch name {
			case model.AlertNameLabel, "alertstate", model.MetricNameLabel:
			default:
				labels[string(name)] = string(value)
			}
		}
		times := make([]time.Time, len(ss.Values))
		for i, p := range ss.Values {
			times[i] = p.Timestamp.Time()
		}
		firings = append(firings, joinFirings(string(ss.Metric[model.AlertNameLabel]), labels, times, gap)...)
	}
	slices.SortStableFunc(firings, func(a, b Firing) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.Alert, b.Alert),
			strings.Compare(labelsString(a.Labels), labelsString(b.Labels)))
	})
	return firings, nil
}

// alertsQuery is the range selector of the firing ALERTS samples of the
// named alerts over [start, end]. Names are matched exactly: regular
// expression characters are escaped, and the regex is a quoted PromQL
// string.
func alertsQuery(names []string, start, end time.Time) (string, error) {
	if end.Before(start) {
		return "", fmt.Errorf("alert firings: end %s is before start %s", end.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
	}
	sel := `ALERTS{alertstate="firing"`
	if len(names) > 0 {
		quoted := make([]string, len(names))
		for i, name := range names {
			if name == "" {
				return "", fmt.Errorf("alert firings: alert name %d is empty", i+1)
			}
			quoted[i] = regexp.QuoteMeta(name)
		}
		sel += ",alertname=~" + strconv.Quote(strings.Join(quoted, "|"))
	}
	// Whole milliseconds, rounded up so that a sample at start is in.
	ms := (end.Sub(start) + time.Millisecond - 1).Milliseconds()
	return fmt.Sprintf("%s}[%dms]", sel, max(ms, 1)), nil
}

// joinFirings joins the sample times of one ALERTS series, ascending,
// into intervals: a spacing longer than gap (when positive) or than
// twice the median spacing ends an interval.
func joinFirings(alert string, labels map[string]string, times []time.Time, gap time.Duration) []Firing {
	if len(times) == 0 {
		return nil
	}
	limit := gap
	if limit <= 0 {
		limit = 2 * medianSpacing(times)
	}
	var firings []Firing
	cur := Firing{Alert: alert, Labels: labels, Start: times[0], End: times[0]}
	for _, t := range times[1:] {
		if t.Sub(cur.End) > limit {
			firings = append(firings, cur)
			cur.Start = t
		}
		cur.End = t
	}
	return append(firings, cur)
}

// medianSpacing returns the median of the spacings between consecutive
// times, or 0 for fewer than two.
func medianSpacing(times []time.Time) time.Duration {
	if len(times) < 2 {
		return 0
	}
	d := make([]time.Duration, len(times)-1)
	for i := range d {
		d[i] = times[i+1].Sub(times[i])
	}
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// labelsString writes labels as {a="1", b="2"}, sorted by name.
func labelsString(labels map[string]string) string {
	ls := make(model.LabelSet, len(labels))
	for name, value := range labels {
		ls[model.LabelName(name)] = model.LabelValue(value)
	}
	return ls.String()
}
