// Package promtest runs a real Prometheus server for tests: it writes a
// configuration that scrapes the given targets (and loads the given
// alerting and recording rules), starts the prometheus binary on a free
// port of 127.0.0.1 with its data in the test's temporary directory,
// waits until it is ready, and stops it when the test ends.
//
// It needs the prometheus binary (/usr/bin/prometheus, or prometheus on
// PATH; `make test` installs it with apt-get install prometheus). Without
// it, Start skips the test, unless the environment variable CI is set, in
// which case it fails the test: in CI the binary must be present.
//
// Prometheus 2.42 accepts a scrape interval and a rule evaluation
// interval of one second, the default here, and shorter ones too (down
// to 100ms has been tried); each is written in whole milliseconds.
// Whatever the interval, the first scrape comes about five seconds after
// the server is ready: Prometheus 2.42 hands discovered targets to its
// scrapers at most every five seconds. WaitScrape waits for it.
//
// promtest does not fake Prometheus and does not import the client in
// package prom, so that package's own tests can use it.
package promtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// DefaultBinary is where the Debian package installs prometheus. Start
// looks there first, then for prometheus on PATH.
const DefaultBinary = "/usr/bin/prometheus"

// Limits of the harness.
const (
	readyTimeout = 30 * time.Second // from start to /-/ready answering 200
	stopGrace    = 5 * time.Second  // from SIGTERM to SIGKILL
	logTailLines = 40               // log lines shown when a test fails
	pollEvery    = 100 * time.Millisecond
	startTries   = 3 // a free port may be taken between probe and listen
)

// Options is what the server scrapes and evaluates.
type Options struct {
	// Jobs maps a job name to its targets ("127.0.0.1:8080"). Each
	// target is scraped over HTTP at /metrics.
	Jobs map[string][]string
	// ScrapeInterval is both the scrape interval (and timeout) and the
	// rule evaluation interval. It defaults to 1s and is written in
	// whole milliseconds.
	ScrapeInterval time.Duration
	// Rules is the YAML content of one rules file ("groups: ..."), or
	// "" for none.
	Rules string
}

// Server is a running Prometheus. Its fields are read-only.
type Server struct {
	// URL is the base URL of the HTTP API, "http://127.0.0.1:<port>".
	URL string
	// Addr is the listen address, "127.0.0.1:<port>".
	Addr string
	// Dir holds prometheus.yml, rules.yml, the TSDB (data/) and the
	// server's output (prometheus.log).
	Dir string

	opts    Options
	logPath string
	api     v1.API
}

// Start writes the configuration into t.TempDir(), starts Prometheus,
// waits up to 30s for /-/ready, and registers a cleanup that stops it
// (SIGTERM, then SIGKILL after 5s) and waits for it to exit. When the
// test has failed, the cleanup logs the last 40 lines of the server's
// output.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	return start(t, opts, DefaultBinary)
}

// start is Start with the first place to look for the binary.
func start(t testing.TB, opts Options, defaultBinary string) *Server {
	t.Helper()
	bin, err := findBinary(defaultBinary)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("promtest: %v; this test needs a real Prometheus server (apt-get install prometheus)", err)
		}
		t.Fatalf("promtest: %v; CI is set, so the test must not skip: make test installs it: apt-get install prometheus", err)
	}
	if opts.ScrapeInterval == 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.ScrapeInterval < time.Millisecond {
		t.Fatalf("promtest: scrape interval %v is shorter than 1ms", opts.ScrapeInterval)
	}

	dir := t.TempDir()
	s := &Server{Dir: dir, opts: opts, logPath: filepath.Join(dir, "prometheus.log")}
	rulesFile := ""
	if opts.Rules != "" {
		rulesFile = filepath.Join(dir, "rules.yml")
		if err := os.WriteFile(rulesFile, []byte(opts.Rules), 0o644); err != nil {
			t.Fatalf("promtest: write rules: %v", err)
		}
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(configYAML(opts, rulesFile)), 0o644); err != nil {
		t.Fatalf("promtest: write config: %v", err)
	}

	for try := 1; ; try++ {
		err := s.launch(t, bin, configFile)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || try == startTries {
			t.Fatalf("promtest: %v", err)
		}
	}

	client, err := api.NewClient(api.Config{Address: s.URL})
	if err != nil {
		t.Fatalf("promtest: client for %s: %v", s.URL, err)
	}
	s.api = v1.NewAPI(client)
	return s
}

var errPortTaken = errors.New("listen address already in use")

// launch runs one attempt: pick a port, start the process, wait for
// ready. On success the process belongs to a registered cleanup; on
// failure it has been stopped already.
func (s *Server) launch(t testing.TB, bin, configFile string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	cmd := exec.Command(bin,
		"--config.file="+configFile,
		"--web.listen-address="+addr,
		"--storage.tsdb.path="+filepath.Join(s.Dir, "data"),
		"--web.enable-lifecycle",
	)
	cmd.Dir = s.Dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopGrace):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	s.Addr = addr
	s.URL = "http://" + addr
	if err := waitReady(s.URL, exited); err != nil {
		stop()
		tail := s.logTail()
		if strings.Contains(tail, "address already in use") {
			return fmt.Errorf("%s: %w", addr, errPortTaken)
		}
		if waitErr != nil {
			err = fmt.Errorf("%w (%v)", err, waitErr)
		}
		return fmt.Errorf("prometheus on %s: %w; last lines of %s:\n%s", addr, err, s.logPath, tail)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("promtest: last lines of %s:\n%s", s.logPath, s.logTail())
		}
	})
	return nil
}

// WaitScrape waits up to timeout until up{job=job} is 1 for every
// target of the job, that is until each has been scraped successfully
// once, and fails the test otherwise.
func (s *Server) WaitScrape(t testing.TB, job string, timeout time.Duration) {
	t.Helper()
	targets, ok := s.opts.Jobs[job]
	if !ok {
		t.Fatalf("promtest: WaitScrape: no job %q in the options", job)
	}
	query := fmt.Sprintf("up{job=%s}", promString(job))
	deadline := time.Now().Add(timeout)
	var missing []string
	var lastErr error
	for {
		missing, lastErr = s.notUp(query, targets)
		if lastErr == nil && len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(pollEvery)
	}
	if lastErr != nil {
		t.Fatalf("promtest: job %q not scraped within %v: %v", job, timeout, lastErr)
	}
	t.Fatalf("promtest: job %q not scraped within %v: up is not 1 for %s", job, timeout, strings.Join(missing, ", "))
}

// notUp returns the targets for which the query shows no up == 1.
func (s *Server) notUp(query string, targets []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, _, _, err := s.api.Query(ctx, query, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("query %s at %s: %w", query, s.URL, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s at %s: got %s, want a vector", query, s.URL, v.Type())
	}
	var missing []string
	for _, target := range targets {
		i := slices.IndexFunc(vec, func(smp *model.Sample) bool {
			return string(smp.Metric[model.InstanceLabel]) == target && smp.Value == 1
		})
		if i < 0 {
			missing = append(missing, target)
		}
	}
	return missing, nil
}

// logTail returns the last lines of the server's output.
func (s *Server) logTail() string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.logPath, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > logTailLines {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// findBinary returns path if it exists, else prometheus from PATH.
func findBinary(path string) (string, error) {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return path, nil
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		return "", fmt.Errorf("no prometheus binary at %s or on PATH", path)
	}
	return p, nil
}

// freeAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return addr, nil
}

// waitReady polls /-/ready until it answers 200, the process exits, or
// readyTimeout passes.
func waitReady(base string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	lastErr := errors.New("no answer yet")
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Errorf("/-/ready answered %s", resp.Status)
		} else {
			lastErr = err
		}
		select {
		case <-exited:
			return errors.New("exited before it was ready")
		case <-time.After(pollEvery):
		}
	}
	return fmt.Errorf("not ready within %v: %v", readyTimeout, lastErr)
}

// configYAML renders prometheus.yml. Strings are written as JSON, which
// YAML reads unchanged.
func configYAML(opts Options, rulesFile string) string {
	interval := fmt.Sprintf("%dms", opts.ScrapeInterval.Milliseconds())
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", interval, interval, interval)
	if rulesFile != "" {
		fmt.Fprintf(&b, "rule_files:\n  - %s\n", yamlString(rulesFile))
	}
	b.WriteString("scrape_configs:\n")
	jobs := make([]string, 0, len(opts.Jobs))
	for job := range opts.Jobs {
		jobs = append(jobs, job)
	}
	slices.Sort(jobs)
	for _, job := range jobs {
		fmt.Fprintf(&b, "  - job_name: %s\n    metrics_path: /metrics\n    static_configs:\n      - targets: [", yamlString(job))
		for i, target := range opts.Jobs[job] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(yamlString(target))
		}
		b.WriteString("]\n")
	}
	if len(jobs) == 0 {
		b.WriteString("  []\n")
	}
	return b.String()
}

// yamlString quotes s as a YAML double-quoted scalar (a JSON string).
func yamlString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// promString quotes s as a PromQL string literal, whose escapes are Go's.
func promString(s string) string {
	return strconv.Quote(s)
}
