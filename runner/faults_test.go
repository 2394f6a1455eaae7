package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/process"
	"github.com/faultline/faultline/runner/process/processtest"
	"github.com/faultline/faultline/runner/proxy"
)

// TestMain lets the runner's tests re-execute their own binary as a
// target process (package processtest); otherwise it runs the tests.
func TestMain(m *testing.M) {
	processtest.Main()
	os.Exit(m.Run())
}

// faultTarget starts a target process in role, with a proxy in front when
// proxied, and returns the Target the drivers take.
func faultTarget(t *testing.T, role string, proxied, httpAware bool, probePath string) Target {
	t.Helper()
	addr := processtest.FreeAddr(t)
	readyPath := "/healthz"
	if role == "tcp" {
		readyPath = ""
	}
	proc, err := process.Start(context.Background(), process.Spec{
		Name:          role,
		Argv:          processtest.Argv(role, addr),
		Env:           []string{processtest.Env()},
		Listen:        addr,
		ReadyHTTPPath: readyPath,
		ReadyTimeout:  10 * time.Second,
	})
	if err != nil {
		t.Fatalf("start target: %v", err)
	}
	t.Cleanup(func() { proc.Stop(context.Background()) })
	tg := Target{Name: role, Proc: proc, Direct: addr, ProbePath: probePath}
	if proxied {
		l, err := proxy.Start(context.Background(), role, "127.0.0.1:0", addr, httpAware, proxy.WithSeed(1))
		if err != nil {
			t.Fatalf("start proxy: %v", err)
		}
		t.Cleanup(func() { l.Close() })
		tg.Link = l
	}
	return tg
}

type faultGet struct {
	status int
	took   time.Duration
	err    error
	header http.Header
}

// faultGetFrom makes one request from outside, on a fresh keep-alive
// connection.
func faultGetFrom(addr, path string, timeout time.Duration) faultGet {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: timeout, Transport: tr}
	begin := time.Now()
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return faultGet{err: err, took: time.Since(begin)}
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return faultGet{status: resp.StatusCode, took: time.Since(begin), err: err, header: resp.Header}
}

func faultMustServe(t *testing.T, addr string) {
	t.Helper()
	if r := faultGetFrom(addr, "/healthz", 2*time.Second); r.err != nil || r.status != 200 || r.took > time.Second {
		t.Fatalf("GET %s/healthz = %+v, want 200 promptly", addr, r)
	}
}

func faultCycle(t *testing.T, tg Target, f *experiments.Fault, effect func(t *testing.T)) {
	t.Helper()
	drv, err := NewFault(f, tg)
	if err != nil {
		t.Fatalf("NewFault(%s) = %v", f.Kind, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := drv.Inject(ctx); err != nil {
		t.Fatalf("Inject = %v", err)
	}
	landed := drv.Check(ctx)
	t.Logf("Check: %+v", landed)
	if !landed.OK || !strings.HasPrefix(landed.Detail, "observed: ") {
		t.Errorf("Check() = %+v, want an observed effect", landed)
	}
	effect(t)
	if err := drv.Revert(ctx); err != nil {
		t.Fatalf("Revert = %v", err)
	}
	if err := drv.Revert(ctx); err != nil {
		t.Errorf("second Revert = %v", err)
	}
	if got := drv.Check(ctx); got.OK {
		t.Errorf("Check after Revert = %+v, want not OK", got)
	}
}

func TestProxyFaults(t *testing.T) {
	tests := []struct {
		name      string
		f         experiments.Fault
		httpAware bool
		effect    func(t *testing.T, addr string)
	}{
		{
			name: "latency", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: 200 * time.Millisecond, Jitter: 50 * time.Millisecond},
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/healthz", 3*time.Second); r.err != nil || r.took < 150*time.Millisecond {
					t.Errorf("GET through latency = %+v, want >= 150ms", r)
				}
			},
		},
		{
			name: "jitter", f: experiments.Fault{Kind: experiments.FaultJitter, Jitter: 100 * time.Millisecond},
			effect: func(t *testing.T, addr string) {
				var longest time.Duration
				for range 8 {
					r := faultGetFrom(addr, "/healthz", 3*time.Second)
					if r.err != nil {
						t.Fatalf("GET through jitter = %v", r.err)
					}
					longest = max(longest, r.took)
				}
				if longest < 50*time.Millisecond {
					t.Errorf("longest of 8 GETs through 100ms jitter took %v, want >= 50ms", longest)
				}
			},
		},
		{
			name: "bandwidth", f: experiments.Fault{Kind: experiments.FaultBandwidth, RateBytes: 20_000},
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/bytes?n=6000", 3*time.Second); r.err != nil || r.took < 200*time.Millisecond {
					t.Errorf("GET of 6000 bytes at 20 KB/s = %+v, want >= 200ms", r)
				}
			},
		},
		{
			name: "timeout", f: experiments.Fault{Kind: experiments.FaultTimeout, After: 300 * time.Millisecond},
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/healthz", 2*time.Second); r.err == nil || r.took < 250*time.Millisecond {
					t.Errorf("GET through timeout = %+v, want no answer after about 300ms", r)
				}
			},
		},
		{
			name: "blackhole", f: experiments.Fault{Kind: experiments.FaultBlackhole},
			effect: func(t *testing.T, addr string) {
				var ne net.Error
				if r := faultGetFrom(addr, "/healthz", 500*time.Millisecond); !errors.As(r.err, &ne) || !ne.Timeout() {
					t.Errorf("GET through blackhole = %+v, want a client timeout", r)
				}
			},
		},
		{
			name: "blackhole behind HTTP layer", f: experiments.Fault{Kind: experiments.FaultBlackhole}, httpAware: true,
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/healthz", 500*time.Millisecond); r.err == nil {
					t.Errorf("GET through blackhole = %+v, want a client timeout", r)
				}
			},
		},
		{
			name: "reset", f: experiments.Fault{Kind: experiments.FaultReset},
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/healthz", 2*time.Second); r.err == nil {
					t.Errorf("GET through reset = %+v, want the connection cut", r)
				}
			},
		},
		{
			name: "reset behind HTTP layer", f: experiments.Fault{Kind: experiments.FaultReset}, httpAware: true,
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/healthz", 2*time.Second); r.err == nil && r.status != http.StatusBadGateway {
					t.Errorf("GET through reset = %+v, want an error or 502", r)
				}
			},
		},
		{
			name: "slow_close", f: experiments.Fault{Kind: experiments.FaultSlowClose, Delay: 400 * time.Millisecond},
			effect: func(t *testing.T, addr string) {
				// Through the proxy the connection stays open: a second
				// check after Inject observes it the same way.
			},
		},
		{
			name: "limit_data", f: experiments.Fault{Kind: experiments.FaultLimitData, Bytes: 1000},
			effect: func(t *testing.T, addr string) {
				if r := faultGetFrom(addr, "/bytes?n=5000", 2*time.Second); r.err == nil {
					t.Errorf("GET of 5000 bytes through a 1000-byte limit = %+v, want it cut", r)
				}
			},
		},
		{
			name: "limit_data upstream", f: experiments.Fault{Kind: experiments.FaultLimitData, Bytes: 400, Direction: "upstream"},
			effect: func(t *testing.T, addr string) {},
		},
		{
			name: "http_error", f: experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 0.5}, httpAware: true,
			effect: func(t *testing.T, addr string) {
				var injected int
				for range 40 {
					r := faultGetFrom(addr, "/healthz", 2*time.Second)
					if r.status == 503 && r.header.Get(proxy.InjectedHeader) == "http_error" {
						injected++
					}
				}
				if injected == 0 {
					t.Errorf("no injected 503 in 40 GETs at fraction 0.5")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := faultTarget(t, "serve", true, tt.httpAware, "/healthz")
			faultMustServe(t, tg.Link.Addr())
			f := tt.f
			faultCycle(t, tg, &f, func(t *testing.T) { tt.effect(t, tg.Link.Addr()) })
			faultMustServe(t, tg.Link.Addr())
		})
	}
}

// TestBandwidthLimitsBigResponses runs the bandwidth check against a probe
// path with a large response, so one request shows the limit.
func TestBandwidthLimitsBigResponses(t *testing.T) {
	tg := faultTarget(t, "serve", true, false, "/bytes?n=20000")
	f := &experiments.Fault{Kind: experiments.FaultBandwidth, RateBytes: 100_000}
	faultCycle(t, tg, f, func(t *testing.T) {})
}

func TestHTTPErrorCountsWorkloadTraffic(t *testing.T) {
	tg := faultTarget(t, "serve", true, true, "/healthz")
	drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultHTTPError, Status: 500, Fraction: 1}, tg)
	if err != nil {
		t.Fatalf("NewFault = %v", err)
	}
	ctx := context.Background()
	if err := drv.Inject(ctx); err != nil {
		t.Fatalf("Inject = %v", err)
	}
	defer drv.Revert(ctx)
	for range 3 {
		if r := faultGetFrom(tg.Link.Addr(), "/", time.Second); r.status != 500 {
			t.Fatalf("workload GET = %+v, want 500", r)
		}
	}
	got := drv.Check(ctx)
	if !got.OK || !strings.Contains(got.Detail, "already answered 3 workload requests") {
		t.Errorf("Check() = %+v, want the 3 workload requests counted", got)
	}
}

// TestTCPTargets checks targets probed without an HTTP path: one that
// speaks first (a banner), where effects are observed, and one that
// waits for the client, where they are reported as not observable.
func TestTCPTargets(t *testing.T) {
	tests := []struct {
		name     string
		role     string
		f        experiments.Fault
		observed bool
	}{
		{name: "latency on a banner", role: "tcp", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: 200 * time.Millisecond}, observed: true},
		{name: "blackhole on a banner", role: "tcp", f: experiments.Fault{Kind: experiments.FaultBlackhole}, observed: true},
		{name: "reset on a banner", role: "tcp", f: experiments.Fault{Kind: experiments.FaultReset}, observed: true},
		{name: "limit_data on a banner", role: "tcp", f: experiments.Fault{Kind: experiments.FaultLimitData, Bytes: 3}, observed: true},
		{name: "bandwidth on a banner", role: "tcp", f: experiments.Fault{Kind: experiments.FaultBandwidth, RateBytes: 100_000}},
		{name: "latency on a silent target", role: "serve", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: 200 * time.Millisecond}},
		{name: "timeout on a silent target", role: "serve", f: experiments.Fault{Kind: experiments.FaultTimeout, After: time.Second}},
		{name: "slow_close on a silent target", role: "serve", f: experiments.Fault{Kind: experiments.FaultSlowClose, Delay: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := faultTarget(t, tt.role, true, false, "")
			drv, err := NewFault(&tt.f, tg)
			if err != nil {
				t.Fatalf("NewFault = %v", err)
			}
			ctx := context.Background()
			if err := drv.Inject(ctx); err != nil {
				t.Fatalf("Inject = %v", err)
			}
			got := drv.Check(ctx)
			t.Logf("Check: %+v", got)
			want := "installed, not observable: "
			if tt.observed {
				want = "observed: "
			}
			if !got.OK || !strings.HasPrefix(got.Detail, want) {
				t.Errorf("Check() = %+v, want OK with %q", got, want)
			}
			if err := drv.Revert(ctx); err != nil {
				t.Fatalf("Revert = %v", err)
			}
		})
	}
}

// TestCheckSeesWhatIsThere makes faults that are injected but do not take
// effect, and expects the checks to say so.
func TestCheckSeesWhatIsThere(t *testing.T) {
	t.Run("latency drawn on no connection", func(t *testing.T) {
		tg := faultTarget(t, "serve", true, false, "/healthz")
		f := &experiments.Fault{Kind: experiments.FaultLatency, Delay: 300 * time.Millisecond, Toxicity: 1e-9}
		drv, err := NewFault(f, tg)
		if err != nil {
			t.Fatalf("NewFault = %v", err)
		}
		if err := drv.Inject(context.Background()); err != nil {
			t.Fatalf("Inject = %v", err)
		}
		defer drv.Revert(context.Background())
		if got := drv.Check(context.Background()); got.OK || !strings.HasPrefix(got.Detail, "not observed: ") {
			t.Errorf("Check() = %+v, want not observed", got)
		}
	})
	t.Run("toxic removed behind the driver's back", func(t *testing.T) {
		tg := faultTarget(t, "serve", true, false, "/healthz")
		drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultBlackhole}, tg)
		if err != nil {
			t.Fatalf("NewFault = %v", err)
		}
		if err := drv.Inject(context.Background()); err != nil {
			t.Fatalf("Inject = %v", err)
		}
		if err := tg.Link.Remove(drv.(*proxyFault).id); err != nil {
			t.Fatalf("Remove = %v", err)
		}
		if got := drv.Check(context.Background()); got.OK {
			t.Errorf("Check() = %+v, want not OK", got)
		}
		if err := drv.Revert(context.Background()); err != nil {
			t.Errorf("Revert of a fault already gone = %v", err)
		}
	})
	t.Run("pause resumed behind the driver's back", func(t *testing.T) {
		tg := faultTarget(t, "serve", false, false, "/healthz")
		drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultPause}, tg)
		if err != nil {
			t.Fatalf("NewFault = %v", err)
		}
		if err := drv.Inject(context.Background()); err != nil {
			t.Fatalf("Inject = %v", err)
		}
		if err := tg.Proc.Resume(); err != nil {
			t.Fatalf("Resume = %v", err)
		}
		if got := drv.Check(context.Background()); got.OK {
			t.Errorf("Check() = %+v, want not OK", got)
		}
		if err := drv.Revert(context.Background()); err != nil {
			t.Errorf("Revert = %v", err)
		}
	})
}

func TestProcessFaults(t *testing.T) {
	tests := []struct {
		name   string
		f      experiments.Fault
		effect func(t *testing.T, tg Target, oldPID int)
	}{
		{
			name: "kill", f: experiments.Fault{Kind: experiments.FaultKill},
			effect: func(t *testing.T, tg Target, oldPID int) {
				if !processtest.Gone(oldPID) {
					t.Errorf("pid %d still runs", oldPID)
				}
				if r := faultGetFrom(tg.Direct, "/healthz", 500*time.Millisecond); r.err == nil {
					t.Errorf("GET on a killed process = %+v, want an error", r)
				}
			},
		},
		{
			name: "kill with SIGTERM", f: experiments.Fault{Kind: experiments.FaultKill, Signal: "SIGTERM"},
			effect: func(t *testing.T, tg Target, oldPID int) {
				if got := tg.Proc.ExitStatus(); got != "signal: terminated" {
					t.Errorf("ExitStatus() = %q, want signal: terminated", got)
				}
			},
		},
		{
			name: "pause", f: experiments.Fault{Kind: experiments.FaultPause},
			effect: func(t *testing.T, tg Target, oldPID int) {
				if r := faultGetFrom(tg.Direct, "/healthz", 300*time.Millisecond); r.err == nil {
					t.Errorf("GET on a paused process = %+v, want a timeout", r)
				}
			},
		},
		{
			name: "restart", f: experiments.Fault{Kind: experiments.FaultRestart},
			effect: func(t *testing.T, tg Target, oldPID int) {
				if tg.Proc.PID() == oldPID {
					t.Errorf("PID() = %d, the old one", oldPID)
				}
				faultMustServe(t, tg.Direct)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := faultTarget(t, "serve", false, false, "/healthz")
			old := tg.Proc.PID()
			f := tt.f
			faultCycle(t, tg, &f, func(t *testing.T) { tt.effect(t, tg, old) })
			if got := tg.Proc.State(); got != process.StateRunning {
				t.Errorf("State() after Revert = %s, want running", got)
			}
			faultMustServe(t, tg.Direct)
		})
	}
}

func TestRevertAfterFailedInject(t *testing.T) {
	tg := faultTarget(t, "ignore-term", false, false, "/healthz")
	old := tg.Proc.PID()
	drv, err := NewFault(&experiments.Fault{Kind: experiments.FaultKill, Signal: "TERM"}, tg)
	if err != nil {
		t.Fatalf("NewFault = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := drv.Inject(ctx); err == nil {
		t.Fatalf("Inject(SIGTERM) into a process ignoring it = nil, want an error")
	}
	if got := drv.Check(context.Background()); got.OK {
		t.Errorf("Check() = %+v, want not OK", got)
	}
	if err := drv.Revert(context.Background()); err != nil {
		t.Fatalf("Revert = %v", err)
	}
	if tg.Proc.PID() == old {
		t.Errorf("Revert kept pid %d after a half-done kill, want a fresh process", old)
	}
	faultMustServe(t, tg.Direct)
}

func TestNewFaultRefuses(t *testing.T) {
	tcp := faultTarget(t, "serve", true, false, "/healthz")
	bare := Target{Name: "bare", Direct: tcp.Direct}
	tests := []struct {
		name string
		f    experiments.Fault
		t    Target
		want string
	}{
		{name: "proxy kind without a proxy", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second}, t: bare, want: "has no proxy"},
		{name: "http_error on a TCP proxy", f: experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 1}, t: tcp, want: "forwards TCP only"},
		{name: "process kind without a process", f: experiments.Fault{Kind: experiments.FaultKill}, t: bare, want: "not a process faultline started"},
		{name: "unknown signal", f: experiments.Fault{Kind: experiments.FaultKill, Signal: "SIGNOPE"}, t: tcp, want: "unknown signal"},
		{name: "bad direction", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second, Direction: "up"}, t: tcp, want: "direction"},
		{name: "unknown kind", f: experiments.Fault{Kind: "melt"}, t: tcp, want: "unknown fault kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFault(&tt.f, tt.t)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewFault(%s) = %v, want an error containing %q", tt.f.Kind, err, tt.want)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		err  bool
	}{
		{in: "SIGTERM", want: syscall.SIGTERM},
		{in: "term", want: syscall.SIGTERM},
		{in: "KILL", want: syscall.SIGKILL},
		{in: "9", want: syscall.SIGKILL},
		{in: "0", err: true},
		{in: "SIGFOO", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSignal(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseSignal(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestAttempts(t *testing.T) {
	tests := []struct {
		hit  float64
		want int
	}{
		{hit: 1, want: 3},
		{hit: 0.75, want: 7},
		{hit: 0.5, want: 14},
		{hit: 0.1, want: maxAttempts},
		{hit: 0, want: maxAttempts},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.hit), func(t *testing.T) {
			if got := attempts(tt.hit); got != tt.want {
				t.Errorf("attempts(%v) = %d, want %d", tt.hit, got, tt.want)
			}
		})
	}
}
