package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/observe/prom/promtest"
	"github.com/faultline/faultline/verdict"
)

// freePorts returns n distinct free ports on 127.0.0.1.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ls []net.Listener
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// observedDir lays out the observed example in a fresh directory as it
// expects (observed/observed.hcl beside shop/<service>/<service>), with
// its fixed addresses replaced by free ones; it returns the file and the
// new addresses by the old.
func observedDir(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for _, s := range []string{"store", "cache", "frontend"} {
		if err := os.MkdirAll(filepath.Join(dir, "shop", s), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(binDir, s), filepath.Join(dir, "shop", s, s)); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("../../examples/observed/observed.hcl")
	if err != nil {
		t.Fatal(err)
	}
	fixed := []string{"127.0.0.1:19181", "127.0.0.1:19182", "127.0.0.1:19192", "127.0.0.1:19183"}
	free := freePorts(t, len(fixed))
	addrs := map[string]string{}
	text := string(src)
	for i, a := range fixed {
		if !strings.Contains(text, a) {
			t.Fatalf("observed.hcl no longer uses %s; update this test", a)
		}
		text = strings.ReplaceAll(text, a, free[i])
		addrs[a] = free[i]
	}
	path := filepath.Join(dir, "observed", "observed.hcl")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, addrs
}

// TestRunObserved runs the observed example against a real Prometheus
// that scrapes its services and evaluates its alert rules. Each claim is
// made twice, on a workload and on a Prometheus signal: the two verdicts
// must agree, and be what the file says. Each detection alert must fire,
// with a time to detect between the rule's for: (2s) and for: plus two
// scrape intervals (1s each).
func TestRunObserved(t *testing.T) {
	if testing.Short() {
		t.Skip("the observed example takes about 3 minutes; skipped with -short")
	}
	path, addrs := observedDir(t)
	rules, err := os.ReadFile("../../examples/observed/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	srv := promtest.Start(t, promtest.Options{
		Jobs: map[string][]string{
			"store":    {addrs["127.0.0.1:19181"]},
			"cache":    {addrs["127.0.0.1:19182"]},
			"frontend": {addrs["127.0.0.1:19183"]},
		},
		ScrapeInterval: time.Second,
		Rules:          string(rules),
	})

	want := map[string]string{
		"browse-recovers-after-cache-crash": "confirmed",
		"errors-recover-after-cache-crash":  "confirmed",
		"browse-steady-through-cache-crash": "refuted",
		"errors-steady-through-cache-crash": "refuted",
		"cache-crash-detected":              "confirmed",
		"browse-recovers-after-slow-cache":  "confirmed",
		"latency-recovers-after-slow-cache": "confirmed",
		"browse-steady-through-slow-cache":  "refuted",
		"latency-steady-through-slow-cache": "refuted",
		"cache-slow-detected":               "confirmed",
	}
	// Each hypothesis on a signal and its twin on the browse workload.
	twins := map[string]string{
		"errors-recover-after-cache-crash":  "browse-recovers-after-cache-crash",
		"errors-steady-through-cache-crash": "browse-steady-through-cache-crash",
		"latency-recovers-after-slow-cache": "browse-recovers-after-slow-cache",
		"latency-steady-through-slow-cache": "browse-steady-through-slow-cache",
	}
	const (
		alertFor = 2 * time.Second
		scrape   = time.Second
	)
	const attempts = 2
	for attempt := 1; attempt <= attempts; attempt++ {
		runDir := filepath.Join(t.TempDir(), "run")
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		start := time.Now()
		code := runBinary(t, ctx, &out, "run", "--prometheus", srv.URL, "--run-dir", runDir, path)
		cancel()
		t.Logf("attempt %d: exit %d after %s", attempt, code, time.Since(start).Round(time.Second))
		c := readConclusions(t, runDir)
		for _, f := range c.Faults {
			if !f.Landed {
				t.Fatalf("fault %s on %s did not land: %s\n%s", f.Kind, f.Target, f.LandedDetail, out.String())
			}
		}

		// What was read from Prometheus: two routes per signal, a sample
		// a second over the run, all in signals.csv.
		if len(c.Signals) != 2 {
			t.Fatalf("signals read = %+v, want 2\n%s", c.Signals, out.String())
		}
		for _, s := range c.Signals {
			if s.Error != "" || s.Series != 2 || float64(s.Samples) < 2*0.9*c.DurationSeconds {
				t.Errorf("signal %s: %+v, want 2 series and about %.0f samples", s.Name, s, 2*c.DurationSeconds)
			}
		}
		if fi, err := os.Stat(filepath.Join(runDir, "signals.csv")); err != nil || fi.Size() == 0 || c.SignalSamples == 0 {
			t.Errorf("signals.csv: %v, %d samples in the conclusions", err, c.SignalSamples)
		}

		// Time to detect, for each alert.
		if len(c.Detections) != 2 {
			t.Fatalf("detections = %+v, want CacheDown and CacheSlow", c.Detections)
		}
		for _, d := range c.Detections {
			ttd := time.Duration(d.TimeToDetectSeconds * float64(time.Second))
			t.Logf("%s: %s fired %.2fs after the fault landed", d.FailureMode, d.Alert, d.TimeToDetectSeconds)
			// CacheSlow's expression is the scrape's own duration: the
			// first slow scrape is stored 300ms after its timestamp, so
			// the rule can see it that much later.
			upper := alertFor + 2*scrape
			if d.Alert == "CacheSlow" {
				upper += 300 * time.Millisecond
			}
			if d.Error != "" || !d.Fired || ttd < alertFor || ttd > upper {
				t.Errorf("%s: %+v; want it fired %s to %s after the fault landed", d.Alert, d, alertFor, upper)
			}
		}

		got := outcomes(c)
		for signal, workload := range twins {
			if got[signal] != got[workload] {
				t.Errorf("attempt %d: on the signal %s is %s, on the workload %s is %s", attempt, signal, got[signal], workload, got[workload])
			}
		}
		if t.Failed() {
			js, _ := json.MarshalIndent(c.Hypotheses, "", " ")
			t.Fatalf("%s\n%s", out.String(), js)
		}
		if code == int(ExitRefuted) && equalMaps(got, want) {
			return
		}
		msg := fmt.Sprintf("attempt %d: exit %d, outcomes = %v, want exit %d and %v", attempt, code, got, ExitRefuted, want)
		for _, h := range c.Hypotheses {
			if h.Outcome != verdict.Outcome(want[h.Name]) {
				msg += fmt.Sprintf("\n  %s: %s", h.Name, h.Reason)
			}
		}
		if attempt == attempts {
			t.Fatalf("%s\n%s", msg, out.String())
		}
		t.Logf("%s; running it again", msg)
	}
}

// abortPromQL is an experiment whose abort condition is a PromQL
// expression on whether Prometheus can scrape the store: killing the
// store must trip it within a window or two, long before the fault's
// 20s are up.
const abortPromQL = `
experiment "abort-promql" {
  baseline = "6s"
  fault    = "20s"
  recovery = "4s"
  window   = "2s"
}

telemetry "prometheus" {
  address = "http://127.0.0.1:1"
}

abort {
  promql = "up{job=\"store\"} == 0"
}

component "store" {
  process {
    command = ["%s", "-listen", self.listen]
    listen  = "%s"
    ready { http = "/healthz" }
  }
}

workload "items" {
  http {
    target = component.store
    path   = "/healthz"
    rate   = 20
  }
}

failure_mode "store-crash" {
  component  = component.store
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {}
}

hypothesis "items-steady" {
  failure_mode = failure_mode.store-crash
  workload     = workload.items
  expect       = "steady"
}
`

// TestRunAbortPromQL: the abort block's promql, evaluated on a real
// Prometheus at the end of every window, reverts the kill once
// Prometheus sees the store down; the hypothesis is aborted with the
// condition's result as its reason.
func TestRunAbortPromQL(t *testing.T) {
	addr := freePorts(t, 1)[0]
	srv := promtest.Start(t, promtest.Options{Jobs: map[string][]string{"store": {addr}}, ScrapeInterval: time.Second})
	path := writeExperiment(t, "abort-promql.hcl", fmt.Sprintf(abortPromQL, filepath.Join(binDir, "store"), addr))
	runDir := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := runBinary(t, ctx, &out, "run", "--prometheus", srv.URL, "--run-dir", runDir, path)
	if code != int(ExitInconclusive) {
		t.Fatalf("exit %d, want %d (aborted)\n%s", code, ExitInconclusive, out.String())
	}
	c := readConclusions(t, runDir)
	if len(c.Trips) != 1 || c.Trips[0].Limit != "promql" || !strings.Contains(c.Trips[0].Reason, `up{instance="`+addr+`", job="store"} = 0`) {
		t.Fatalf("trips = %+v, want one promql trip naming the store's up series\n%s", c.Trips, out.String())
	}
	if h := c.Hypotheses[0]; h.Outcome != verdict.Aborted || !strings.Contains(h.Reason, "the abort promql was true") {
		t.Errorf("hypothesis: %s (%s), want aborted by the promql", h.Outcome, h.Reason)
	}
	// The kill lands at once; Prometheus sees it at the next scrape, and
	// the condition is evaluated at the end of each 2s window: the trip
	// comes within a few windows, far short of the 20s fault.
	f := c.Faults[0]
	held := f.RevertCalled.Sub(f.Injected)
	t.Logf("kill held %s before the promql trip reverted it", held.Round(time.Millisecond))
	if held > 8*time.Second {
		t.Errorf("the kill was held %s; the trip should revert it within a few 2s windows", held)
	}
	if !strings.Contains(out.String(), "abort limit promql tripped") {
		t.Errorf("output does not report the trip:\n%s", out.String())
	}
}

// TestRunTelemetryUnreachable: a run whose telemetry does not answer
// stops before anything is created, naming the address and the block.
func TestRunTelemetryUnreachable(t *testing.T) {
	addr := freePorts(t, 1)[0]
	path := writeExperiment(t, "abort-promql.hcl", fmt.Sprintf(abortPromQL, filepath.Join(binDir, "store"), addr))
	out := t.TempDir()
	var buf bytes.Buffer
	code := runBinary(t, context.Background(), &buf, "run", "--out", out, path)
	if code != int(ExitRuntime) {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRuntime, buf.String())
	}
	for _, want := range []string{"127.0.0.1:1", "abort-promql.hcl:9:1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a run directory was created: %v", entries)
	}
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		t.Errorf("the store was started on %s", addr)
	}
}
