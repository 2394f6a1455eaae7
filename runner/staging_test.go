package runner

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/journal"
)

// flagScript sets a flag in the file "flag" of its directory to its
// argument, and fails while a file "broken" exists there.
const flagScript = `#!/bin/sh
if [ -e broken ]; then
  echo "flag service unreachable" >&2
  exit 3
fi
echo "$1 $FAULTLINE_ENVIRONMENT $FAULTLINE_ADDRESS" > flag
echo "flag $1"
`

// writeScript writes an executable script into dir.
func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func readFlag(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "flag"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func stagingTarget(dir, address string, tp *experiments.Toxiproxy, env map[string]string) Target {
	return Target{Name: "api", Direct: address, ProbePath: "/healthz", Staging: &StagingTarget{
		Environment: "staging",
		Address:     address,
		Dir:         dir,
		RunID:       "20260101-000000-test-0001",
		Toxiproxy:   tp,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}}
}

func TestStagingExec(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "flag.sh", flagScript)
	writeScript(t, dir, "slow.sh", "#!/bin/sh\nsleep 5 &\nsleep 5\n")
	tg := stagingTarget(dir, "127.0.0.1:1", nil, nil)
	ctx := context.Background()

	drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultExec, Argv: []string{"./flag.sh", "on"}, RevertArgv: []string{"./flag.sh", "off"}, Timeout: 5 * time.Second}, tg)
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Inject(ctx); err != nil {
		t.Fatalf("Inject = %v", err)
	}
	if got := readFlag(t, dir); got != "on staging 127.0.0.1:1" {
		t.Errorf("after Inject the flag is %q, want \"on staging 127.0.0.1:1\" (argument and environment)", got)
	}
	landed := drv.Check(ctx)
	if !landed.OK || !strings.Contains(landed.Detail, `observed: ["./flag.sh" "on"] exited 0`) || !strings.Contains(landed.Detail, "it printed: flag on") {
		t.Errorf("Check = %+v, want the command's exit and output observed", landed)
	}

	// A revert that fails is an error that quotes the command's
	// stderr, and is tried again by the next Revert.
	writeScript(t, dir, "broken", "")
	err = drv.Revert(ctx)
	if err == nil || !strings.Contains(err.Error(), "exited 3") || !strings.Contains(err.Error(), "flag service unreachable") {
		t.Errorf("Revert while broken = %v, want exit 3 with the stderr tail", err)
	}
	if got := readFlag(t, dir); !strings.HasPrefix(got, "on") {
		t.Errorf("after a failed revert the flag is %q, want still on", got)
	}
	os.Remove(filepath.Join(dir, "broken"))
	if err := drv.Revert(ctx); err != nil {
		t.Fatalf("Revert once fixed = %v", err)
	}
	if got := readFlag(t, dir); !strings.HasPrefix(got, "off") {
		t.Errorf("after Revert the flag is %q, want off", got)
	}
	os.WriteFile(filepath.Join(dir, "flag"), []byte("untouched"), 0o644)
	if err := drv.Revert(ctx); err != nil || readFlag(t, dir) != "untouched" {
		t.Errorf("second Revert = %v and ran the command again (flag %q); want nothing done", err, readFlag(t, dir))
	}

	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"timeout kills the group", []string{"./slow.sh"}, "did not exit within 300ms"},
		{"missing program", []string{"./absent.sh"}, "no such file or directory"},
		{"non-zero exit", []string{"false"}, "exited 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultExec, Argv: tt.argv, RevertArgv: []string{"true"}, Timeout: 300 * time.Millisecond}, tg)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = drv.Inject(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Inject = %v, want an error with %q", err, tt.want)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Inject took %v, want the timeout and the 1s wait for output at most", took)
			}
			if l := drv.Check(ctx); l.OK || !strings.HasPrefix(l.Detail, "not observed: ") {
				t.Errorf("Check after a failed inject = %+v, want not observed", l)
			}
			if err := drv.Revert(ctx); err != nil {
				t.Errorf("Revert after a failed inject = %v", err)
			}
		})
	}
}

// flagServer is a feature-flag service: PUT /flags/slow sets the flag
// to the body, with the right bearer token.
type flagServer struct {
	mu       sync.Mutex
	flag     string
	requests int
	status   int // answer to PUT; 0 = 204
	delay    time.Duration
}

func (f *flagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	status, delay := f.status, f.delay
	f.mu.Unlock()
	time.Sleep(delay)
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, "bad token "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		return
	}
	if status != 0 {
		http.Error(w, "flag store down; your token was "+r.Header.Get("Authorization"), status)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.flag = r.Method + " " + string(body)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *flagServer) state() (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flag, f.requests
}

func flagFault(url string, status int, timeout time.Duration) *experiments.Fault {
	req := func(body string) *experiments.HTTPRequest {
		return &experiments.HTTPRequest{Method: "PUT", URL: url + "/flags/slow", Body: body, Headers: map[string]string{"Content-Type": "text/plain"},
			HeadersEnv: map[string]string{"Authorization": "FLAG_TOKEN"}, Status: status}
	}
	return &experiments.Fault{Kind: experiments.FaultHTTP, Request: req("on"), RevertRequest: req("off"), Timeout: timeout}
}

func TestStagingHTTP(t *testing.T) {
	flags := &flagServer{}
	srv := httptest.NewServer(flags)
	defer srv.Close()
	ctx := context.Background()
	tg := stagingTarget(t.TempDir(), "127.0.0.1:1", nil, map[string]string{"FLAG_TOKEN": "Bearer s3cret"})

	drv, err := NewFault(flagFault(srv.URL, 0, time.Second), tg)
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Inject(ctx); err != nil {
		t.Fatalf("Inject = %v", err)
	}
	if got, _ := flags.state(); got != "PUT on" {
		t.Errorf("after Inject the flag is %q, want \"PUT on\"", got)
	}
	if l := drv.Check(ctx); !l.OK || !strings.Contains(l.Detail, "observed: PUT "+srv.URL+"/flags/slow answered 204") {
		t.Errorf("Check = %+v, want the answer observed", l)
	}
	if err := drv.Revert(ctx); err != nil {
		t.Fatalf("Revert = %v", err)
	}
	if got, _ := flags.state(); got != "PUT off" {
		t.Errorf("after Revert the flag is %q, want \"PUT off\"", got)
	}

	tests := []struct {
		name     string
		status   int // the server's answer
		want     int // the fault's status
		delay    time.Duration
		env      map[string]string
		errWant  string
		requests int
	}{
		{"status differs", 0, 200, 0, nil, "answered 204", 1},
		{"not 2xx, secret redacted", http.StatusServiceUnavailable, 0, 0, nil, "answered 503", 1},
		{"no answer in time", 0, 0, time.Second, nil, "no answer within 200ms", 1},
		{"secret not set", 0, 0, 0, map[string]string{}, "the header Authorization takes its value from the environment variable FLAG_TOKEN, which is not set", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags.mu.Lock()
			flags.status, flags.delay, flags.requests = tt.status, tt.delay, 0
			flags.mu.Unlock()
			tg := tg
			if tt.env != nil {
				tg = stagingTarget(t.TempDir(), "127.0.0.1:1", nil, tt.env)
			}
			drv, err := NewFault(flagFault(srv.URL, tt.want, 200*time.Millisecond), tg)
			if err != nil {
				t.Fatal(err)
			}
			err = drv.Inject(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.errWant) {
				t.Errorf("Inject = %v, want an error with %q", err, tt.errWant)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Inject error %q holds the header's secret value", err)
			}
			if _, n := flags.state(); n != tt.requests {
				t.Errorf("the flag service got %d requests, want %d", n, tt.requests)
			}
		})
	}
}

// toxiproxyStandIn starts a Toxiproxy API server in this process and an
// HTTP service, with a proxy "api" in front of the service. It returns
// the API's URL, the proxy's address, and a client.
func toxiproxyStandIn(t *testing.T) (api, proxied string, client *toxiclient.Client) {
	t.Helper()
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	t.Cleanup(svc.Close)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	apiSrv := httptest.NewServer(server.Routes())
	t.Cleanup(func() {
		apiSrv.Close()
		server.Collection.Clear()
	})
	client = toxiclient.NewClient(apiSrv.URL)
	p, err := client.CreateProxy("api", "127.0.0.1:0", strings.TrimPrefix(svc.URL, "http://"))
	if err != nil {
		t.Fatalf("create proxy: %v", err)
	}
	return apiSrv.URL, p.Listen, client
}

func TestStagingToxiproxy(t *testing.T) {
	api, proxied, client := toxiproxyStandIn(t)
	ctx := context.Background()
	tg := stagingTarget(t.TempDir(), proxied, &experiments.Toxiproxy{API: api, Proxy: "api"}, nil)

	drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultLatency, Delay: 200 * time.Millisecond, Direction: "downstream", Toxicity: 1}, tg)
	if err != nil {
		t.Fatal(err)
	}
	name := drv.(*toxiproxyFault).spec.Name
	if name != "faultline-20260101-000000-test-0001-latency-1" {
		t.Errorf("toxic name = %q, want one with the run id", name)
	}
	if err := drv.Inject(ctx); err != nil {
		t.Fatalf("Inject = %v", err)
	}
	p, err := client.Proxy("api")
	if err != nil || len(p.ActiveToxics) != 1 || p.ActiveToxics[0].Name != name {
		t.Fatalf("proxy after Inject = %+v, %v; want the toxic %s", p, err, name)
	}
	if got := faultGetFrom(proxied, "/healthz", 2*time.Second); got.err != nil || got.took < 200*time.Millisecond {
		t.Errorf("GET through the proxy = %+v, want at least 200ms", got)
	}
	l := drv.Check(ctx)
	t.Logf("Check: %+v", l)
	if !l.OK || !strings.HasPrefix(l.Detail, "observed: probe GET /healthz took") || !strings.Contains(l.Detail, "read back: toxic "+name+" is latency downstream") {
		t.Errorf("Check = %+v, want the delay observed and the toxic read back", l)
	}
	if err := drv.Revert(ctx); err != nil {
		t.Fatalf("Revert = %v", err)
	}
	if p, _ := client.Proxy("api"); len(p.ActiveToxics) != 0 {
		t.Errorf("toxics after Revert = %+v, want none", p.ActiveToxics)
	}
	if err := drv.Revert(ctx); err != nil {
		t.Errorf("second Revert = %v", err)
	}
	if got := faultGetFrom(proxied, "/healthz", 2*time.Second); got.err != nil || got.took > 100*time.Millisecond {
		t.Errorf("GET through the proxy after Revert = %+v, want prompt", got)
	}

	t.Run("upstream out of reach", func(t *testing.T) {
		gone, err := client.CreateProxy("gone", "127.0.0.1:0", "127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		tg := stagingTarget(t.TempDir(), gone.Listen, &experiments.Toxiproxy{API: api, Proxy: "gone"}, nil)
		drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultTimeout, After: 0, Direction: "downstream", Toxicity: 1}, tg)
		if err != nil {
			t.Fatal(err)
		}
		if err := drv.Inject(ctx); err != nil {
			t.Fatal(err)
		}
		defer drv.Revert(ctx)
		l := drv.Check(ctx)
		if !l.OK || !strings.HasPrefix(l.Detail, "installed, not observable: read back: toxic") || !strings.Contains(l.Detail, "cannot be reached from here") {
			t.Errorf("Check = %+v, want the toxic read back and no probe", l)
		}
	})
	t.Run("unknown proxy", func(t *testing.T) {
		tg := stagingTarget(t.TempDir(), proxied, &experiments.Toxiproxy{API: api, Proxy: "nope"}, nil)
		drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second, Toxicity: 1}, tg)
		if err != nil {
			t.Fatal(err)
		}
		err = drv.Inject(ctx)
		if err == nil || !strings.Contains(err.Error(), "toxiproxy "+api) || !strings.Contains(err.Error(), `proxy "nope"`) {
			t.Errorf("Inject = %v, want an error naming the API and the proxy", err)
		}
		if err := drv.Revert(ctx); err != nil {
			t.Errorf("Revert of a toxic never added = %v, want nothing to do", err)
		}
	})
}

// TestRecoverStaging journals an inject of each staging driver as a run
// that died would leave it, then recovers: a revert command that fails
// is reported and stays pending, and the next recover succeeds once its
// cause is gone.
func TestRecoverStaging(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "flag.sh", flagScript)
	flags := &flagServer{}
	srv := httptest.NewServer(flags)
	defer srv.Close()
	api, proxied, client := toxiproxyStandIn(t)
	env := map[string]string{"FLAG_TOKEN": "Bearer s3cret"}
	tg := stagingTarget(dir, proxied, &experiments.Toxiproxy{API: api, Proxy: "api"}, env)

	runDir := t.TempDir()
	w, err := journal.Create(runDir, journal.Record{RunID: tg.Staging.RunID, Experiment: "staging", PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, f := range []*experiments.Fault{
		{Kind: experiments.FaultExec, Argv: []string{"./flag.sh", "on"}, RevertArgv: []string{"./flag.sh", "off"}, Timeout: 5 * time.Second},
		flagFault(srv.URL, 0, time.Second),
		{Kind: experiments.FaultLatency, Delay: 100 * time.Millisecond, Toxicity: 1},
	} {
		drv, err := NewFault(f, tg)
		if err != nil {
			t.Fatal(err)
		}
		id, err := w.Intent(journal.OpInject, "api", newInjectData("fm", f, &tg, drv))
		if err != nil {
			t.Fatal(err)
		}
		if err := drv.Inject(ctx); err != nil {
			t.Fatalf("Inject %s = %v", f.Kind, err)
		}
		if err := w.Done(id, nil); err != nil {
			t.Fatal(err)
		}
	}
	w.Close() // no revert, no end: the run died

	raw, _ := os.ReadFile(journal.Path(runDir))
	if strings.Contains(string(raw), "s3cret") {
		t.Errorf("the journal holds the header's secret value:\n%s", raw)
	}

	writeScript(t, dir, "broken", "")
	lookup := WithLookupEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	res, err := Recover(ctx, runDir, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 1 || !strings.Contains(res.Failed[0], "flag service unreachable") || len(res.Done) != 2 {
		t.Errorf("Recover while the revert command fails: done %q, failed %q; want the exec revert failed, the other two done", res.Done, res.Failed)
	}
	if got, _ := flags.state(); got != "PUT off" {
		t.Errorf("after Recover the http flag is %q, want \"PUT off\"", got)
	}
	if p, _ := client.Proxy("api"); len(p.ActiveToxics) != 0 {
		t.Errorf("after Recover the proxy has toxics %+v, want none", p.ActiveToxics)
	}
	j, err := journal.ReadFile(journal.Path(runDir))
	if err != nil {
		t.Fatal(err)
	}
	if !j.NeedsRecovery() || len(j.Pending()) != 1 || j.Pending()[0].Op() != journal.OpInject {
		t.Errorf("journal after a failed recover: needs recovery %v, pending %d; want the exec inject pending", j.NeedsRecovery(), len(j.Pending()))
	}

	os.Remove(filepath.Join(dir, "broken"))
	res, err = Recover(ctx, runDir, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 || len(res.Done) != 1 || !strings.Contains(res.Done[0], `["./flag.sh" "off"] exited 0`) {
		t.Errorf("second Recover: done %q, failed %q; want the exec revert run", res.Done, res.Failed)
	}
	if got := readFlag(t, dir); !strings.HasPrefix(got, "off staging "+proxied) {
		t.Errorf("after the second Recover the flag is %q, want off", got)
	}
	j, err = journal.ReadFile(journal.Path(runDir))
	if err != nil {
		t.Fatal(err)
	}
	if j.NeedsRecovery() || j.Outcome() != journal.OutcomeRecovered {
		t.Errorf("journal after recovery: needs recovery %v, outcome %q; want recovered", j.NeedsRecovery(), j.Outcome())
	}
}

func TestStagingPreflight(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "flag.sh", flagScript)
	src := `
experiment "s" {
  environment = "staging"
}
component "api" {
  endpoint {
    address = "127.0.0.1:1"
  }
}
workload "w" {
  http {
    target = component.api
    rate   = 1
  }
}
failure_mode "f" {
  component  = component.api
  severity   = 1
  occurrence = 1
  detection  = 1
  fault "exec" {
    command = ["./flag.sh", "on"]
    revert  = ["./missing.sh"]
  }
  fault "http" {
    inject {
      url         = "http://127.0.0.1:2/on"
      headers_env = { Authorization = "FLAG_TOKEN" }
    }
    revert {
      url = "http://127.0.0.1:2/off"
    }
  }
}
hypothesis "h" {
  failure_mode = failure_mode.f
  workload     = workload.w
  expect       = "steady"
}
`
	exp, diags := experiments.Parse(filepath.Join(dir, "s.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	err := NewPlan(exp).StagingPreflight(func(string) (string, bool) { return "", false })
	for _, want := range []string{"s.hcl:21): cannot run ./missing.sh", "s.hcl:25): the header Authorization reads the environment variable FLAG_TOKEN, which is not set"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("StagingPreflight = %v, want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "flag.sh") {
		t.Errorf("StagingPreflight = %v, want nothing said of ./flag.sh, which exists", err)
	}
	if err := NewPlan(exp).StagingPreflight(func(string) (string, bool) { return "x", true }); err == nil {
		t.Error("StagingPreflight with the variable set still misses ./missing.sh: want an error")
	}
}
