package promtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
)

// metricsServer serves one gauge, promtest_demo = 7, at /metrics.
func metricsServer(t *testing.T) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "promtest_demo", Help: "A constant."})
	g.Set(7)
	reg.MustRegister(g)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func query(t *testing.T, s *Server, q string) model.Vector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, _, _, err := s.api.Query(ctx, q, time.Time{})
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		t.Fatalf("query %s: got %s, want vector", q, v.Type())
	}
	return vec
}

func TestStartScrapesAndEvaluatesRules(t *testing.T) {
	t.Parallel()
	target := metricsServer(t)
	s := Start(t, Options{
		Jobs: map[string][]string{"demo": {target}},
		Rules: `groups:
  - name: demo
    rules:
      - record: promtest_demo_doubled
        expr: promtest_demo * 2
`,
	})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.URL != "http://"+s.Addr {
		t.Errorf("URL = %q, Addr = %q; want http://127.0.0.1:<port> and its host:port", s.URL, s.Addr)
	}
	s.WaitScrape(t, "demo", 10*time.Second)
	if vec := query(t, s, `promtest_demo{job="demo"}`); len(vec) != 1 || vec[0].Value != 7 {
		t.Errorf("promtest_demo = %v, want one sample of 7", vec)
	}
	// The rule is evaluated every second; give it three.
	deadline := time.Now().Add(3 * time.Second)
	for {
		vec := query(t, s, `promtest_demo_doubled`)
		if len(vec) == 1 && vec[0].Value == 14 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("promtest_demo_doubled = %v after 3s, want one sample of 14", vec)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestShortScrapeInterval(t *testing.T) {
	t.Parallel()
	target := metricsServer(t)
	const interval = 100 * time.Millisecond
	s := Start(t, Options{Jobs: map[string][]string{"demo": {target}}, ScrapeInterval: interval})
	s.WaitScrape(t, "demo", 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	// At 100ms, one second holds about ten samples; at the 1m default,
	// one or none.
	vec := query(t, s, `count_over_time(up{job="demo"}[1s])`)
	if len(vec) != 1 || vec[0].Value < 7 {
		t.Errorf("samples of up in the last second = %v, want about 10", vec)
	}
}

// fatalRecorder records a Fatal instead of failing the real test.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *fatalRecorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

func (r *fatalRecorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.msg = "SKIP " + fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// run calls f as a test body would and returns what it reported.
func (r *fatalRecorder) run(f func(testing.TB)) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msg
}

func TestStartWithoutBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	missing := t.TempDir() + "/prometheus"
	for _, tt := range []struct{ ci, want string }{
		{"", "SKIP promtest: no prometheus binary at " + missing + " or on PATH; this test needs a real Prometheus server"},
		{"true", "CI is set, so the test must not skip: make test installs it: apt-get install prometheus"},
	} {
		t.Setenv("CI", tt.ci)
		r := &fatalRecorder{TB: t}
		got := r.run(func(tb testing.TB) { start(tb, Options{}, missing) })
		if !strings.Contains(got, tt.want) || (tt.ci != "") == strings.HasPrefix(got, "SKIP") {
			t.Errorf("start without a binary, CI=%q: reported %q, want %q", tt.ci, got, tt.want)
		}
	}
}

func TestStartReportsABadRulesFile(t *testing.T) {
	if _, err := findBinary(DefaultBinary); err != nil {
		t.Skip("no prometheus binary; TestStartScrapesAndEvaluatesRules covers the skip and CI rules")
	}
	r := &fatalRecorder{TB: t}
	msg := r.run(func(tb testing.TB) {
		Start(tb, Options{Rules: "groups:\n  - name: bad\n    rules:\n      - alert: X\n        expr: sum(\n"})
	})
	if msg == "" {
		t.Fatal("Start with an invalid rules file did not fail")
	}
	for _, want := range []string{"exited before it was ready", "rules.yml", "last lines of"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Start error = %q, want it to contain %q", msg, want)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	got := configYAML(Options{
		Jobs:           map[string][]string{"b": {"127.0.0.1:2"}, `a"<x>`: {"127.0.0.1:1", "127.0.0.1:3"}},
		ScrapeInterval: 1500 * time.Millisecond,
	}, "/tmp/r.yml")
	want := `global:
  scrape_interval: 1500ms
  scrape_timeout: 1500ms
  evaluation_interval: 1500ms
rule_files:
  - "/tmp/r.yml"
scrape_configs:
  - job_name: "a\"<x>"
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:1", "127.0.0.1:3"]
  - job_name: "b"
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:2"]
`
	if got != want {
		t.Errorf("configYAML() =\n%s\nwant\n%s", got, want)
	}
}
