package prom

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSplitRange(t *testing.T) {
	tests := []struct {
		name       string
		start, end time.Time
		step       time.Duration
		points     int
		want       []v1.Range
	}{
		{"single point", t0, t0, time.Second, 5,
			[]v1.Range{{Start: t0, End: t0, Step: time.Second}}},
		{"exactly the limit", t0, t0.Add(4 * time.Second), time.Second, 5,
			[]v1.Range{{Start: t0, End: t0.Add(4 * time.Second), Step: time.Second}}},
		{"one point over", t0, t0.Add(5 * time.Second), time.Second, 5, []v1.Range{
			{Start: t0, End: t0.Add(4 * time.Second), Step: time.Second},
			{Start: t0.Add(5 * time.Second), End: t0.Add(5 * time.Second), Step: time.Second}}},
		{"end off the grid", t0, t0.Add(11500 * time.Millisecond), time.Second, 5, []v1.Range{
			{Start: t0, End: t0.Add(4 * time.Second), Step: time.Second},
			{Start: t0.Add(5 * time.Second), End: t0.Add(9 * time.Second), Step: time.Second},
			{Start: t0.Add(10 * time.Second), End: t0.Add(11500 * time.Millisecond), Step: time.Second}}},
		{"end just before the next chunk", t0, t0.Add(9999 * time.Millisecond), time.Second, 5, []v1.Range{
			{Start: t0, End: t0.Add(4 * time.Second), Step: time.Second},
			{Start: t0.Add(5 * time.Second), End: t0.Add(9 * time.Second), Step: time.Second}}},
		{"start truncated to the millisecond", t0.Add(1500 * time.Microsecond), t0.Add(time.Second), time.Second, 5,
			[]v1.Range{{Start: t0.Add(time.Millisecond), End: t0.Add(time.Second), Step: time.Second}}},
		{"huge step does not overflow", t0, t0.Add(24 * time.Hour), 365 * 24 * time.Hour, maxPoints,
			[]v1.Range{{Start: t0, End: t0.Add(24 * time.Hour), Step: 365 * 24 * time.Hour}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitRange(tt.start, tt.end, tt.step, tt.points)
			if !rangesEqual(got, tt.want) {
				t.Errorf("splitRange() = %v, want %v", got, tt.want)
			}
		})
	}
}

func rangesEqual(a, b []v1.Range) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) || a[i].Step != b[i].Step {
			return false
		}
	}
	return true
}

// TestSplitRangeCoversTheGrid checks, for many spans, that the ranges
// hold every grid point of [start, end] once and none more than the
// limit.
func TestSplitRangeCoversTheGrid(t *testing.T) {
	const points = 7
	step := 250 * time.Millisecond
	for n := range 40 {
		end := t0.Add(time.Duration(n) * 90 * time.Millisecond)
		var got []time.Time
		for _, r := range splitRange(t0, end, step, points) {
			k := 0
			for ts := r.Start; !ts.After(r.End); ts = ts.Add(r.Step) {
				got = append(got, ts)
				k++
			}
			if k > points {
				t.Fatalf("end +%v: range %v holds %d points, limit %d", end.Sub(t0), r, k, points)
			}
		}
		var want []time.Time
		for ts := t0; !ts.After(end); ts = ts.Add(step) {
			want = append(want, ts)
		}
		if len(got) != len(want) {
			t.Fatalf("end +%v: %d grid points, want %d", end.Sub(t0), len(got), len(want))
		}
		for i := range want {
			if !got[i].Equal(want[i]) {
				t.Fatalf("end +%v: point %d = %v, want %v", end.Sub(t0), i, got[i], want[i])
			}
		}
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		v    float64
		want time.Duration
	}{
		{0.31, 310 * time.Millisecond},
		{0, 0},
		{-2, 0},
		{math.Inf(-1), 0},
		{math.Inf(1), time.Duration(math.MaxInt64)},
		{1e300, time.Duration(math.MaxInt64)},
		{2.5e-7, 250 * time.Nanosecond},
	}
	for _, tt := range tests {
		if got := latency(tt.v); got != tt.want {
			t.Errorf("latency(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestEventLabels(t *testing.T) {
	m := model.Metric{"__name__": "x", "route": "/a", "zone": "z1", "signal": "theirs"}
	got := eventLabels(m, nil, "p99")
	want := map[string]string{"route": "/a", "zone": "z1", "signal": "p99"}
	if !mapsEqual(got, want) {
		t.Errorf("eventLabels(all) = %v, want %v", got, want)
	}
	got = eventLabels(m, []string{"route", "missing"}, "p99")
	want = map[string]string{"route": "/a", "missing": "", "signal": "p99"}
	if !mapsEqual(got, want) {
		t.Errorf("eventLabels(cohort) = %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func times(offsets ...float64) []time.Time {
	ts := make([]time.Time, len(offsets))
	for i, s := range offsets {
		ts[i] = t0.Add(time.Duration(s * float64(time.Second)))
	}
	return ts
}

func TestJoinFirings(t *testing.T) {
	type span struct{ start, end float64 }
	tests := []struct {
		name  string
		times []time.Time
		gap   time.Duration
		want  []span
	}{
		{"none", nil, 0, nil},
		{"one sample", times(3), 0, []span{{3, 3}}},
		{"two samples", times(3, 9), 0, []span{{3, 9}}},
		{"steady", times(1, 2, 3, 4), 0, []span{{1, 4}}},
		{"jitter within twice the median", times(1, 2, 3.9, 5, 6), 0, []span{{1, 6}}},
		{"two intervals", times(1, 2, 3, 10, 11, 12), 0, []span{{1, 3}, {10, 12}}},
		{"gap just at twice the median joins", times(1, 2, 3, 5, 6), 0, []span{{1, 6}}},
		{"three intervals", times(0, 1, 5, 6, 7, 20), 0, []span{{0, 1}, {5, 7}, {20, 20}}},
		{"explicit gap splits", times(1, 2, 3, 5, 6), 1500 * time.Millisecond, []span{{1, 3}, {5, 6}}},
		{"explicit gap joins", times(1, 2, 3, 10, 11), 10 * time.Second, []span{{1, 11}}},
		{"explicit gap splits two samples", times(3, 9), time.Second, []span{{3, 3}, {9, 9}}},
	}
	labels := map[string]string{"severity": "page"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := joinFirings("A", labels, tt.times, tt.gap)
			if len(got) != len(tt.want) {
				t.Fatalf("joinFirings() = %v, want %v", got, tt.want)
			}
			for i, w := range tt.want {
				f := got[i]
				if f.Alert != "A" || f.Labels["severity"] != "page" ||
					!f.Start.Equal(t0.Add(time.Duration(w.start*1e9))) || !f.End.Equal(t0.Add(time.Duration(w.end*1e9))) {
					t.Errorf("joinFirings()[%d] = %+v, want [%v, %v]s after t0", i, f, w.start, w.end)
				}
			}
		})
	}
}

func TestAlertsQuery(t *testing.T) {
	q, err := alertsQuery(nil, t0, t0.Add(90*time.Second))
	if want := `ALERTS{alertstate="firing"}[90000ms]`; err != nil || q != want {
		t.Errorf("alertsQuery(nil) = %q, %v; want %q", q, err, want)
	}
	q, err = alertsQuery([]string{"A.b", `q"u\o+te`}, t0, t0.Add(1500*time.Microsecond))
	if err != nil {
		t.Fatalf("alertsQuery: %v", err)
	}
	if want := `ALERTS{alertstate="firing",alertname=~"A\\.b|q\"u\\\\o\\+te"}[2ms]`; q != want {
		t.Errorf("alertsQuery() = %s, want %s", q, want)
	}
	// The PromQL string reads back as a regex that matches exactly the names.
	lit := q[strings.Index(q, "=~")+2 : strings.LastIndex(q, "}")]
	re, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("unquote %s: %v", lit, err)
	}
	rx := regexp.MustCompile("^(?:" + re + ")$")
	for name, want := range map[string]bool{"A.b": true, `q"u\o+te`: true, "Axb": false, `q"u\oote`: false} {
		if rx.MatchString(name) != want {
			t.Errorf("regex %s matches %q = %v, want %v", re, name, !want, want)
		}
	}
	if _, err := alertsQuery([]string{"ok", ""}, t0, t0); err == nil || !strings.Contains(err.Error(), "alert name 2 is empty") {
		t.Errorf("alertsQuery(empty name) error = %v, want one naming name 2", err)
	}
	if _, err := alertsQuery(nil, t0, t0.Add(-time.Second)); err == nil {
		t.Error("alertsQuery(end before start) gave no error")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		addr    string
		wantErr string
	}{
		{"plain", Config{Address: "http://127.0.0.1:9090"}, "http://127.0.0.1:9090", ""},
		{"trailing slash and path", Config{Address: "https://prom.example/sub/"}, "https://prom.example/sub", ""},
		{"empty", Config{}, "", "address is empty"},
		{"no scheme", Config{Address: "127.0.0.1:9090"}, "", "no http:// or https:// scheme"},
		{"bad URL", Config{Address: "http://bob:hunter2@h:port"}, "", "not a URL"},
		{"ftp", Config{Address: "ftp://h"}, "", "scheme must be http or https"},
		{"no host", Config{Address: "http:///x"}, "", "has no host"},
		{"query", Config{Address: "http://h/?a=1"}, "", "no query or fragment"},
		{"user info", Config{Address: "http://bob:hunter2@h"}, "", "carries credentials"},
		{"token and basic", Config{Address: "http://h", BearerToken: "t", Username: "u"}, "", "use one"},
		{"password alone", Config{Address: "http://h", Password: "p"}, "", "without a username"},
		{"negative timeout", Config{Address: "http://h", Timeout: -time.Second}, "", "negative timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New(%+v) error = %v, want one containing %q", tt.cfg, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("New error %q repeats the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%+v) = %v", tt.cfg, err)
			}
			if c.Address() != tt.addr {
				t.Errorf("Address() = %q, want %q", c.Address(), tt.addr)
			}
			if c.timeout != DefaultTimeout {
				t.Errorf("timeout = %v, want the default %v", c.timeout, DefaultTimeout)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 200)
	got := truncate(long, maxQueryInError)
	if n := len([]rune(got)); n != maxQueryInError || !strings.HasSuffix(got, "...") {
		t.Errorf("truncate(200 runes) has %d runes (%q), want %d ending in ...", n, got, maxQueryInError)
	}
	if got := truncate("up", maxQueryInError); got != "up" {
		t.Errorf("truncate(up) = %q", got)
	}
}
