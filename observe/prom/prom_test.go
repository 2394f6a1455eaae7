package prom

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/faultline/faultline/observe/prom/promtest"
)

// demoTarget is an HTTP server exposing /metrics like a service under test.
type demoTarget struct {
	addr     string
	up       prometheus.Gauge     // demo_up, 1 until a test sets it to 0
	level    *prometheus.GaugeVec // demo_level{route, zone}
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// startDemo starts the target. Route /checkout sees a steady 200ms
// request every 50ms until the test ends; route /browse saw a single
// request before the first scrape, so its rate is 0 and its quantiles
// are NaN.
func startDemo(t *testing.T) *demoTarget {
	t.Helper()
	reg := prometheus.NewRegistry()
	d := &demoTarget{
		up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_up", Help: "1 when the demo is up."}),
		level: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "demo_level", Help: "A level set by the test."},
			[]string{"route", "zone"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "demo_requests_total", Help: "Requests."},
			[]string{"route"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "demo_request_duration_seconds", Help: "Latency.",
			Buckets: []float64{0.1, 0.25, 0.5, 1}}, []string{"route"}),
	}
	reg.MustRegister(d.up, d.level, d.requests, d.duration)
	d.up.Set(1)
	d.level.WithLabelValues("/a", "z1").Set(0.25)
	d.level.WithLabelValues("/b", "z2").Set(0.5)
	d.observe("/browse", 0.2)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				d.observe("/checkout", 0.2)
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	d.addr = strings.TrimPrefix(srv.URL, "http://")
	return d
}

func (d *demoTarget) observe(route string, seconds float64) {
	d.requests.WithLabelValues(route).Inc()
	d.duration.WithLabelValues(route).Observe(seconds)
}

const (
	scrapeInterval = time.Second // also the rule evaluation interval
	alertFor       = 2 * time.Second
)

const demoRules = `groups:
  - name: demo
    rules:
      - alert: DemoDown
        expr: demo_up == 0
        for: 2s
        labels:
          severity: page
`

// TestPrometheus runs the client against one real Prometheus server
// scraping the demo target every second.
func TestPrometheus(t *testing.T) {
	demo := startDemo(t)
	srv := promtest.Start(t, promtest.Options{
		Jobs:           map[string][]string{"demo": {demo.addr}},
		ScrapeInterval: scrapeInterval,
		Rules:          demoRules,
	})
	srv.WaitScrape(t, "demo", 15*time.Second)
	c, err := New(Config{Address: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	t.Run("SignalEvents", func(t *testing.T) { t.Parallel(); testSignalEvents(t, c, demo) })
	t.Run("SignalNaN", func(t *testing.T) { t.Parallel(); testSignalNaN(t, c) })
	t.Run("SignalSplit", func(t *testing.T) { t.Parallel(); testSignalSplit(t, c) })
	t.Run("Condition", func(t *testing.T) { t.Parallel(); testCondition(t, c) })
	t.Run("AlertFirings", func(t *testing.T) { t.Parallel(); testAlertFirings(t, c, demo) })
	t.Run("Auth", func(t *testing.T) { t.Parallel(); testAuth(t, srv.URL) })
}

// waitCondition polls Condition until it is want, and returns when.
func waitCondition(t *testing.T, c *Client, query string, want bool, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		ok, detail, err := c.Condition(context.Background(), query, now)
		if err != nil {
			t.Fatalf("Condition(%s): %v", query, err)
		}
		if ok == want {
			return now
		}
		if now.After(deadline) {
			t.Fatalf("Condition(%s) is still %v (%s) after %v", query, ok, detail, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testSignalEvents(t *testing.T, c *Client, demo *demoTarget) {
	ctx := context.Background()
	seenA := waitCondition(t, c, `demo_level{route="/a"} == 0.25`, true, 5*time.Second)
	start := seenA.Truncate(time.Second)
	demo.level.WithLabelValues("/a", "z1").Set(0.75)
	waitCondition(t, c, `demo_level{route="/a"} == 0.75`, true, 5*time.Second)
	time.Sleep(1100 * time.Millisecond) // so that a grid point after the change is in range
	end := time.Now()

	step := 500 * time.Millisecond
	sig := Signal{Name: "level", Query: "demo_level", Step: step, Cohort: []string{"route", "absent"}}
	events, stats, err := c.SignalEvents(ctx, sig, start, end)
	if err != nil {
		t.Fatalf("SignalEvents: %v", err)
	}
	if stats.Series != 2 || stats.NaN != 0 || stats.Samples != len(events) {
		t.Errorf("stats = %+v, want 2 series, no NaN, %d samples", stats, len(events))
	}
	byRoute := map[string][]time.Duration{}
	for i, ev := range events {
		if i > 0 && ev.Time.Before(events[i-1].Time) {
			t.Fatalf("event %d at %v is before event %d at %v", i, ev.Time, i-1, events[i-1].Time)
		}
		if ev.Time.Before(start) || ev.Time.After(end) || ev.Time.Sub(start)%step != 0 {
			t.Errorf("event time %v is not on the grid %v + k*%v up to %v", ev.Time, start, step, end)
		}
		if !ev.OK {
			t.Errorf("event %d is not OK", i)
		}
		want := map[string]string{"route": ev.Labels["route"], "absent": "", LabelSignal: "level"}
		if !mapsEqual(ev.Labels, want) {
			t.Errorf("event labels = %v, want route, absent=\"\" and signal=level only", ev.Labels)
		}
		byRoute[ev.Labels["route"]] = append(byRoute[ev.Labels["route"]], ev.Latency)
	}
	// Route /a reads 250ms, then 750ms from the change on; /b stays 500ms.
	a, b := byRoute["/a"], byRoute["/b"]
	if len(a) < 3 || a[0] != 250*time.Millisecond || a[len(a)-1] != 750*time.Millisecond {
		t.Fatalf("route /a latencies = %v, want 250ms first and 750ms last", a)
	}
	changed := false
	for _, l := range a {
		switch {
		case l == 750*time.Millisecond:
			changed = true
		case l != 250*time.Millisecond || changed:
			t.Errorf("route /a latencies = %v, want 250ms then 750ms", a)
		}
	}
	if len(b) != len(a) {
		t.Errorf("route /b has %d events, /a %d; want one per grid point each", len(b), len(a))
	}
	for _, l := range b {
		if l != 500*time.Millisecond {
			t.Errorf("route /b latencies = %v, want all 500ms", b)
			break
		}
	}

	// Without a cohort every series label but __name__ is kept.
	sig.Cohort = nil
	sig.Query = `demo_level{route="/b"}`
	events, _, err = c.SignalEvents(ctx, sig, start, end)
	if err != nil || len(events) == 0 {
		t.Fatalf("SignalEvents(all labels) = %d events, %v", len(events), err)
	}
	want := map[string]string{"job": "demo", "instance": demo.addr, "route": "/b", "zone": "z2", LabelSignal: "level"}
	if !mapsEqual(events[0].Labels, want) {
		t.Errorf("labels without cohort = %v, want %v", events[0].Labels, want)
	}
}

func testSignalNaN(t *testing.T, c *Client) {
	ctx := context.Background()
	// p50 per route: /checkout has traffic, /browse none (NaN).
	sig := Signal{
		Name:   "p50",
		Query:  `histogram_quantile(0.5, sum by (route, le) (rate(demo_request_duration_seconds_bucket[3s])))`,
		Cohort: []string{"route"},
	}
	// The first scrapes may be too recent for rate(); wait for a value,
	// and end the range there: at end, both routes have a rate.
	end := waitCondition(t, c, sig.Query+` > 0`, true, 10*time.Second).Truncate(time.Millisecond)
	start := end.Add(-2 * time.Second)
	events, stats, err := c.SignalEvents(ctx, sig, start, end)
	if err != nil {
		t.Fatalf("SignalEvents(%s): %v", sig.Query, err)
	}
	if stats.NaN == 0 || stats.Series != 2 || stats.Samples != len(events) || len(events) == 0 {
		t.Errorf("stats = %+v for %d events, want 2 series, NaN for /browse, samples for /checkout", stats, len(events))
	}
	for _, ev := range events {
		if ev.Labels["route"] != "/checkout" {
			t.Errorf("event for route %q, want only /checkout (the /browse quantile is NaN)", ev.Labels["route"])
		}
		// 200ms requests fall in the (0.1, 0.25] bucket; the median
		// interpolates inside it.
		if ev.Latency <= 100*time.Millisecond || ev.Latency > 250*time.Millisecond {
			t.Errorf("p50 latency %v, want within (100ms, 250ms]", ev.Latency)
		}
	}

	// Only NaN: no events, no error, every point counted.
	events, stats, err = c.SignalEvents(ctx, Signal{Name: "nan", Query: "0/0"}, start, end)
	if err != nil || len(events) != 0 || stats.NaN != 3 || stats.Series != 1 {
		t.Errorf("SignalEvents(0/0) = %d events, %+v, %v; want none, 3 NaN of 1 series, no error", len(events), stats, err)
	}
}

func testSignalSplit(t *testing.T, c *Client) {
	ctx := context.Background()
	step := time.Millisecond
	end := time.Now().Truncate(time.Second)
	// Prometheus refuses one query of more than 11000 steps...
	_, _, err := c.queryRange(ctx, "vector(1)", v1.Range{Start: end.Add(-11001 * step), End: end, Step: step})
	if !errors.Is(err, ErrQuery) || !strings.Contains(err.Error(), "11,000") {
		t.Fatalf("one range query of 11002 points: error = %v, want Prometheus's resolution limit", err)
	}
	// ...so SignalEvents splits 15001 points into two.
	start := end.Add(-15 * time.Second)
	events, stats, err := c.SignalEvents(ctx, Signal{Name: "one", Query: "vector(1)", Step: step}, start, end)
	if err != nil {
		t.Fatalf("SignalEvents over 15001 points: %v", err)
	}
	if len(events) != 15001 || stats.Series != 1 || stats.Samples != 15001 {
		t.Fatalf("SignalEvents over 15001 points = %d events, %+v; want 15001 of 1 series", len(events), stats)
	}
	for i, ev := range events {
		if want := start.Add(time.Duration(i) * step); !ev.Time.Equal(want) || ev.Latency != time.Second {
			t.Fatalf("event %d = %v at %v, want 1s at %v (no gap, no duplicate)", i, ev.Latency, ev.Time, want)
		}
	}
}

func testCondition(t *testing.T, c *Client) {
	ctx := context.Background()
	now := time.Now()
	tests := []struct {
		query  string
		ok     bool
		detail string
	}{
		{`vector(1)`, true, `1 series, first {} = 1`},
		{`demo_level{route="/b"} > 0.3`, true, `1 series, first demo_level{instance=`},
		{`demo_level{route="/b"} > 1`, false, `empty result`},
		{`demo_level > 0`, true, `2 series, first `},
		{`scalar(vector(0.31))`, true, `scalar 0.31`},
		{`0`, false, `scalar 0`},
		{`0/0`, false, `scalar NaN`},
		{`demo_level{route="/b"}[3s]`, true, `samples, last = 0.5`},
		{`demo_level{route="/nope"}[3s]`, false, `empty result`},
	}
	for _, tt := range tests {
		ok, detail, err := c.Condition(ctx, tt.query, now)
		if err != nil || ok != tt.ok || !strings.Contains(detail, tt.detail) {
			t.Errorf("Condition(%s) = %v, %q, %v; want %v, %q", tt.query, ok, detail, err, tt.ok, tt.detail)
		}
	}

	_, _, err := c.Condition(ctx, `"text"`, now)
	if err == nil || !strings.Contains(err.Error(), "want a vector, a scalar or a matrix") || errors.Is(err, ErrNotPrometheus) {
		t.Errorf("Condition(string) error = %v, want one saying a vector, a scalar or a matrix is wanted", err)
	}
	_, _, err = c.Condition(ctx, `sum(demo_level`, now)
	if !errors.Is(err, ErrQuery) || !strings.Contains(err.Error(), `"sum(demo_level"`) ||
		!strings.Contains(err.Error(), "PromQL error (bad_data)") || !strings.Contains(err.Error(), c.Address()) {
		t.Errorf("Condition(syntax error) error = %v, want a PromQL error naming the query and %s", err, c.Address())
	}
	long := `sum(demo_level` + strings.Repeat(" + demo_level", 30)
	_, _, err = c.Condition(ctx, long, now)
	if err == nil || strings.Contains(err.Error(), long[:200]) || !strings.Contains(err.Error(), long[:100]) {
		t.Errorf("Condition(long syntax error) error = %v, want the query cut to %d characters", err, maxQueryInError)
	}
}

func testAlertFirings(t *testing.T, c *Client, demo *demoTarget) {
	ctx := context.Background()
	const firing = `ALERTS{alertname="DemoDown",alertstate="firing"}`
	waitCondition(t, c, firing, false, 5*time.Second)

	before := time.Now()
	demo.up.Set(0)
	t0 := time.Now()
	seen := waitCondition(t, c, firing, true, 15*time.Second)
	time.Sleep(2 * time.Second) // let it fire for a few evaluations
	demo.up.Set(1)
	t1 := time.Now()
	resolved := waitCondition(t, c, firing, false, 10*time.Second)
	end := time.Now()

	firings, err := c.AlertFirings(ctx, []string{"DemoDown"}, before.Add(-5*time.Second), end, 0)
	if err != nil {
		t.Fatalf("AlertFirings: %v", err)
	}
	if len(firings) != 1 {
		t.Fatalf("AlertFirings = %+v, want one firing", firings)
	}
	f := firings[0]
	wantLabels := map[string]string{"severity": "page", "job": "demo", "instance": demo.addr}
	if f.Alert != "DemoDown" || !mapsEqual(f.Labels, wantLabels) {
		t.Errorf("firing = %s %v, want DemoDown %v", f.Alert, f.Labels, wantLabels)
	}
	// The product's promise: detection matches for: within two scrape
	// intervals and one evaluation interval.
	delay := f.Start.Sub(t0)
	limit := alertFor + 2*scrapeInterval + scrapeInterval
	t.Logf("DemoDown (for: %v): first firing evaluation %v after demo_up=0 (bound [%v, %v]); "+
		"seen by polling after %v; fired for %v; resolution seen %v after demo_up=1",
		alertFor, delay.Round(time.Millisecond), alertFor, limit, seen.Sub(t0).Round(time.Millisecond),
		f.End.Sub(f.Start), resolved.Sub(t1).Round(time.Millisecond))
	if f.Start.Before(before.Add(alertFor)) || delay > limit {
		t.Errorf("firing started %v after demo_up=0, want within [%v, %v]", delay, alertFor, limit)
	}
	if f.End.Sub(f.Start) < time.Second || f.End.After(resolved) || f.Start.After(seen) {
		t.Errorf("firing [%v, %v] is not within the observed firing (seen %v, resolved %v)", f.Start, f.End, seen, resolved)
	}

	// All alerts; names quoted as exact names, not regexes.
	all, err := c.AlertFirings(ctx, nil, before, end, 0)
	if err != nil || len(all) != 1 || all[0].Alert != "DemoDown" {
		t.Errorf("AlertFirings(all) = %+v, %v; want the DemoDown firing", all, err)
	}
	for _, names := range [][]string{{"Demo.own"}, {`Demo"Down`}, {"DemoDown|x", `\`}} {
		got, err := c.AlertFirings(ctx, names, before, end, 0)
		if err != nil || len(got) != 0 {
			t.Errorf("AlertFirings(%q) = %+v, %v; want no firing and no error", names, got, err)
		}
	}
}

func testAuth(t *testing.T, promURL string) {
	target, err := url.Parse(promURL)
	if err != nil {
		t.Fatal(err)
	}
	const token, user, pass = "tok-s3cret-42", "ops", "pa55-s3cret"
	var authorized atomic.Int64
	proxy := func(check func(*http.Request) bool) string {
		rp := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !check(r) {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			authorized.Add(1)
			rp.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	bearerURL := proxy(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token })
	basicURL := proxy(func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == user && p == pass
	})
	ctx := context.Background()

	for _, cfg := range []Config{{Address: bearerURL, BearerToken: token}, {Address: basicURL, Username: user, Password: pass}} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		n := authorized.Load()
		if err := c.Ping(ctx); err != nil {
			t.Errorf("Ping through %s with credentials: %v", cfg.Address, err)
		}
		end := time.Now()
		if ev, _, err := c.SignalEvents(ctx, Signal{Name: "one", Query: "vector(1)"}, end.Add(-2*time.Second), end); err != nil || len(ev) != 3 {
			t.Errorf("SignalEvents through %s = %d events, %v; want 3", cfg.Address, len(ev), err)
		}
		if got := authorized.Load() - n; got != 2 {
			t.Errorf("the proxy let %d requests through, want 2", got)
		}
	}

	for _, cfg := range []Config{
		{Address: bearerURL, BearerToken: "wrong-" + token},
		{Address: bearerURL},
		{Address: basicURL, Username: user, Password: "wrong-" + pass},
		{Address: basicURL, BearerToken: token},
	} {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Ping(ctx)
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "check the credentials") ||
			!strings.Contains(err.Error(), cfg.Address) {
			t.Errorf("Ping with bad credentials: error = %v, want 401 naming %s and saying to check the credentials", err, cfg.Address)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), user+":")) {
			t.Errorf("Ping error %q contains a secret", err)
		}
	}
}

func TestPingClosedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	c, err := New(Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Ping(closed port) = %v, want unreachable naming %s", err, addr)
	}
}

func TestPingNotPrometheus(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    error
		want    string
	}{
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>Grafana</body></html>"))
		}, ErrNotPrometheus, "not a Prometheus API response"},
		{"404", http.NotFound, ErrNotPrometheus, "without /api/v1"},
		{"JSON of another shape", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
		}, ErrNotPrometheus, "want one sample of 1"},
		{"502 from a proxy", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream down", http.StatusBadGateway)
		}, nil, `server error: HTTP 502: "upstream down"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c, err := New(Config{Address: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Ping(context.Background())
			if err == nil || (tt.kind != nil && !errors.Is(err, tt.kind)) || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), srv.URL) {
				t.Errorf("Ping() = %v, want an error naming %s and containing %q", err, srv.URL, tt.want)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	c, err := New(Config{Address: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err = c.Ping(context.Background())
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 200ms") || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("Ping(slow server) = %v, want a timeout after 200ms naming %s", err, srv.URL)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Ping took %v with a 200ms timeout", took)
	}

	// The caller's own deadline is not the client's timeout.
	c, err = New(Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = c.Condition(ctx, "up", time.Now())
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Errorf("Condition(caller deadline) = %v, want context.DeadlineExceeded", err)
	}
}
