package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/runner/journal"
)

// standIn is a staging environment the test starts: an HTTP service, a
// Toxiproxy API with a proxy "api" in front of it, a feature-flag
// service, and a directory with a flag script. It counts every request
// each of them gets.
type standIn struct {
	dir      string // the experiment's directory
	api      string // the Toxiproxy API's URL
	address  string // the proxy's address: the endpoint
	flagsURL string
	client   *toxiclient.Client

	serviceHits, apiHits atomic.Int64
	mu                   sync.Mutex
	flag                 string
	flagHits             int
}

// flagScript sets the file "flag" to its argument and fails while a
// file "broken" exists.
const flagScript = `#!/bin/sh
if [ -e broken ]; then
  echo "flag service unreachable" >&2
  exit 3
fi
echo "$1" > flag
`

const flagToken = "Bearer s3cret-token"

func startStandIn(t *testing.T) *standIn {
	t.Helper()
	s := &standIn{dir: t.TempDir()}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serviceHits.Add(1)
		io.WriteString(w, "ok\n")
	}))
	t.Cleanup(svc.Close)

	flags := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.flagHits++
		if r.Header.Get("Authorization") != flagToken {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.flag = r.Method + " " + r.URL.Path + " " + string(body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(flags.Close)
	s.flagsURL = flags.URL

	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	routes := server.Routes()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.apiHits.Add(1)
		routes.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		api.Close()
		server.Collection.Clear()
	})
	s.api = api.URL
	s.client = toxiclient.NewClient(api.URL)
	p, err := s.client.CreateProxy("api", "127.0.0.1:0", strings.TrimPrefix(svc.URL, "http://"))
	if err != nil {
		t.Fatalf("create proxy: %v", err)
	}
	s.address = p.Listen
	s.apiHits.Store(0)

	if err := os.WriteFile(filepath.Join(s.dir, "flag.sh"), []byte(flagScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *standIn) flagState() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flag, s.flagHits
}

func (s *standIn) scriptFlag() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "flag"))
	return strings.TrimSpace(string(b))
}

// experiment writes the staging experiment against the stand-in and
// returns its path.
func (s *standIn) experiment(t *testing.T) string {
	t.Helper()
	src := fmt.Sprintf(`
experiment "checkout-staging" {
  environment = "staging"
  baseline    = "5s"
  fault       = "2s"
  recovery    = "2s"
  window      = "1s"
}

component "api" {
  endpoint {
    address = %q
    ready {
      http = "/healthz"
    }
    toxiproxy {
      api   = %q
      proxy = "api"
    }
  }
}

workload "browse" {
  http {
    target = component.api
    path   = "/browse"
    rate   = 20
  }
}

failure_mode "flag-on" {
  component  = component.api
  severity   = 5
  occurrence = 4
  detection  = 3
  fault "exec" {
    command = ["./flag.sh", "on"]
    revert  = ["./flag.sh", "off"]
    timeout = "5s"
  }
  fault "http" {
    inject {
      method      = "PUT"
      url         = "%s/flags/slow"
      body        = "on"
      headers_env = { Authorization = "FLAG_TOKEN" }
    }
    revert {
      method      = "PUT"
      url         = "%s/flags/slow"
      body        = "off"
      headers_env = { Authorization = "FLAG_TOKEN" }
    }
    timeout = "2s"
  }
  fault "latency" {
    delay = "100ms"
  }
}

hypothesis "browse-recovers" {
  failure_mode = failure_mode.flag-on
  workload     = workload.browse
  expect       = "recovers"
  within       = "500ms"
}
`, s.address, s.api, s.flagsURL, s.flagsURL)
	path := filepath.Join(s.dir, "staging.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runStagingBinary runs the built binary with extra environment variables
// and returns its exit code and combined output.
func runStagingBinary(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("run faultline: %v", err)
	}
	return 0, out.String()
}

// TestRunStaging runs the binary against the stand-in with every staging
// driver, while the exec fault's revert command fails: the run reports
// the problem, journals the failed revert and exits 4; once the cause
// is gone, faultline recover runs the revert again and the journal ends
// recovered. The header's secret is never written anywhere.
func TestRunStaging(t *testing.T) {
	s := startStandIn(t)
	path := s.experiment(t)
	runDir := filepath.Join(t.TempDir(), "run")
	env := []string{"FLAG_TOKEN=" + flagToken}
	// The revert command will fail: the script refuses while "broken"
	// exists, which appears once the inject has run.
	go func() {
		for s.scriptFlag() != "on" {
			time.Sleep(10 * time.Millisecond)
		}
		os.WriteFile(filepath.Join(s.dir, "broken"), nil, 0o644)
	}()

	code, out := runStagingBinary(t, env, "run", "--allow-staging", "--run-dir", runDir, path)
	t.Logf("faultline run:\n%s", out)
	if code != int(ExitRuntime) {
		t.Errorf("run = %d, want %d (a revert failed)", code, ExitRuntime)
	}
	for _, want := range []string{
		`acting on the environment "staging", allowed by --allow-staging`,
		"api is endpoint " + s.address + " in staging, not started by faultline: GET /healthz answered 200",
		`exec on api landed: observed: ["./flag.sh" "on"] exited 0`,
		"http on api landed: observed: PUT " + s.flagsURL + "/flags/slow answered 204",
		"latency on api landed: observed: probe GET /healthz took",
		"read back: toxic faultline-",
		`problem: revert exec on api: ["./flag.sh" "off"] in ` + s.dir + " exited 3 after",
		"flag service unreachable",
		"http on api reverted",
		"latency on api reverted",
		"1 fault(s) could not be reverted",
		"faultline recover " + runDir,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q", want)
		}
	}
	if got, _ := s.flagState(); got != "PUT /flags/slow off" {
		t.Errorf("flag service after the run = %q, want turned off by the http revert", got)
	}
	if p, err := s.client.Proxy("api"); err != nil || len(p.ActiveToxics) != 0 {
		t.Errorf("proxy after the run = %+v, %v; want no toxic", p, err)
	}
	if got := s.scriptFlag(); got != "on" {
		t.Errorf("script flag after the run = %q, want still on (its revert failed)", got)
	}
	if n := s.serviceHits.Load(); n < 100 {
		t.Errorf("the service behind the proxy got %d requests, want the workload's (about 20/s)", n)
	}

	j, err := journal.ReadFile(journal.Path(runDir))
	if err != nil {
		t.Fatal(err)
	}
	if j.Outcome() != journal.OutcomeFailed || !j.NeedsRecovery() {
		t.Errorf("journal outcome %q, needs recovery %v; want failed and pending", j.Outcome(), j.NeedsRecovery())
	}
	pending := j.Pending()
	if len(pending) != 1 || pending[0].Op() != journal.OpInject || len(pending[0].Undos) != 1 || pending[0].Undos[0].Status() != journal.StatusFailed {
		t.Fatalf("pending = %+v, want the exec inject with one failed revert", pending)
	}
	var data struct {
		Kind        string   `json:"kind"`
		RevertArgv  []string `json:"revert_argv"`
		Dir         string   `json:"dir"`
		Environment string   `json:"environment"`
	}
	if err := pending[0].Decode(&data); err != nil || data.Kind != "exec" || data.Dir != s.dir || data.Environment != "staging" || fmt.Sprint(data.RevertArgv) != "[./flag.sh off]" {
		t.Errorf("pending inject data = %+v (%v), want exec with its revert argv, dir and environment", data, err)
	}
	if e := pending[0].Undos[0].Outcome; e == nil || !strings.Contains(e.Error, "flag service unreachable") {
		t.Errorf("failed revert record = %+v, want the command's stderr", pending[0].Undos[0].Outcome)
	}
	c := readConclusions(t, runDir)
	if len(c.Faults) != 3 || c.Faults[0].RevertError == "" || c.Faults[1].RevertError != "" || c.Faults[2].RevertError != "" {
		t.Errorf("faults = %+v, want three, only the exec one with a revert error", c.Faults)
	}
	checkNoSecret(t, runDir, out)

	// Recover while the cause is still there fails again and keeps the
	// journal pending.
	code, out = runStagingBinary(t, env, "recover", runDir)
	if code != int(ExitRuntime) || !strings.Contains(out, "NOT undone: exec on api") {
		t.Errorf("recover while broken = %d, want %d with the exec revert not undone:\n%s", code, ExitRuntime, out)
	}

	os.Remove(filepath.Join(s.dir, "broken"))
	code, out = runStagingBinary(t, env, "recover", runDir)
	t.Logf("faultline recover:\n%s", out)
	if code != 0 || !strings.Contains(out, `undone: exec on api (endpoint `+s.address+` in staging): in `+s.dir+`, ["./flag.sh" "off"] exited 0`) {
		t.Errorf("recover = %d, want 0 with the exec revert undone:\n%s", code, out)
	}
	if got := s.scriptFlag(); got != "off" {
		t.Errorf("script flag after recover = %q, want off", got)
	}
	j, err = journal.ReadFile(journal.Path(runDir))
	if err != nil {
		t.Fatal(err)
	}
	if j.Outcome() != journal.OutcomeRecovered || j.NeedsRecovery() {
		t.Errorf("journal after recover: outcome %q, needs recovery %v; want recovered", j.Outcome(), j.NeedsRecovery())
	}
	code, out = runStagingBinary(t, env, "recover", runDir)
	if code != 0 || !strings.Contains(out, "nothing to recover") {
		t.Errorf("second recover = %d, want 0 and nothing to recover:\n%s", code, out)
	}
	checkNoSecret(t, runDir, out)
}

// checkNoSecret fails when the header's secret is in any file of the run
// directory or in the output.
func checkNoSecret(t *testing.T, runDir, out string) {
	t.Helper()
	if strings.Contains(out, "s3cret") {
		t.Error("the output holds the header's secret value")
	}
	filepath.WalkDir(runDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("s3cret")) {
			t.Errorf("%s holds the header's secret value", path)
		}
		return nil
	})
}

// TestRunStagingRefused runs a staging experiment without
// --allow-staging and without a terminal: it exits 2 with a message that
// names the environment, what would act on it and how to allow it, and
// touches nothing: no run directory, no request to the stand-in, no
// command run.
func TestRunStagingRefused(t *testing.T) {
	s := startStandIn(t)
	path := s.experiment(t)
	out := filepath.Join(t.TempDir(), "runs")
	code, text := runStagingBinary(t, []string{"FLAG_TOKEN=" + flagToken}, "run", "--out", out, path)
	if code != int(ExitInvalid) {
		t.Errorf("run without --allow-staging = %d, want %d\n%s", code, ExitInvalid, text)
	}
	for _, want := range []string{
		`experiment "checkout-staging" acts on the environment "staging", which faultline does not start`,
		"component api: endpoint " + s.address + ", Toxiproxy " + s.api + ` proxy "api"`,
		"workload browse: GET /browse at 20 requests/s",
		`failure mode flag-on: exec ["./flag.sh" "on"], ["./flag.sh" "off"] at revert; http PUT ` + s.flagsURL + "/flags/slow",
		"latency 100ms through Toxiproxy " + s.api,
		"Nothing was started, sent or created",
		"--allow-staging",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("refusal lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused run created %s (%v)", out, err)
	}
	_, flagHits := s.flagState()
	if n, m := s.serviceHits.Load(), s.apiHits.Load(); n+m+int64(flagHits) != 0 {
		t.Errorf("the stand-in got requests: service %d, Toxiproxy API %d, flags %d; want none", n, m, flagHits)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "flag")); !os.IsNotExist(err) {
		t.Errorf("the flag script ran (%v)", err)
	}

	// Plan, validate and a dry run need no permission, and show the
	// endpoint and its faults.
	for _, args := range [][]string{{"plan", path}, {"run", "--dry-run", path}, {"validate", path}} {
		code, text := runStagingBinary(t, nil, args...)
		if code != 0 {
			t.Errorf("%v = %d, want 0\n%s", args, code, text)
		}
		if args[0] != "validate" && (!strings.Contains(text, "api  endpoint "+s.address) || !strings.Contains(text, `Environment "staging"`) || !strings.Contains(text, "http PUT "+s.flagsURL)) {
			t.Errorf("%v does not show the endpoint, the environment and the staging faults:\n%s", args, text)
		}
	}
	if n, m := s.serviceHits.Load(), s.apiHits.Load(); n+m != 0 {
		t.Errorf("plan or dry run sent requests: service %d, Toxiproxy API %d", n, m)
	}
}

// TestStagingGatePrompt checks the confirmation at a terminal: the
// environment's name goes on, anything else stops with exit 2.
func TestStagingGatePrompt(t *testing.T) {
	s := &standIn{dir: t.TempDir(), address: "127.0.0.1:1", api: "http://127.0.0.1:2", flagsURL: "http://127.0.0.1:3"}
	path := s.experiment(t)
	tests := []struct {
		name  string
		input string
		tty   bool
		want  ExitCode
	}{
		{"typed the name", "staging\n", true, ExitConfirmed},
		{"typed another", "production\n", true, ExitInvalid},
		{"no terminal", "staging\n", false, ExitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, errb := testEnv()
			e.stdin, e.stdinTTY = strings.NewReader(tt.input), tt.tty
			exp, err := load(e, e.stderr, path)
			if err != nil {
				t.Fatal(err)
			}
			err = stagingGate(context.Background(), e, runner.NewPlan(exp), false)
			got := ExitConfirmed
			if ee, ok := err.(*exitError); ok {
				got = ee.code
			}
			if got != tt.want {
				t.Errorf("stagingGate = %v (code %d), want code %d\n%s", err, got, tt.want, errb)
			}
			if tt.tty && !strings.Contains(errb.String(), `Type "staging" to go on`) {
				t.Errorf("prompt = %q, want it to ask for the environment's name", errb)
			}
		})
	}
}
