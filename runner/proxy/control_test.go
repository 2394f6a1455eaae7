package proxy_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/proxy"
)

// TestRemote drives a link through its control API, as faultline drives
// a proxy sidecar: the faults take effect on the link's traffic.
func TestRemote(t *testing.T) {
	l := startLink(t, true, proxy.WithSeed(1))
	ctl := httptest.NewServer(proxy.ControlHandler(l))
	t.Cleanup(ctl.Close)
	r := proxy.NewRemote(ctl.URL, l.Addr(), true)
	if r.Addr() != l.Addr() || !r.HTTPAware() {
		t.Fatalf("Remote = %s http %v, want %s http true", r.Addr(), r.HTTPAware(), l.Addr())
	}
	mustNormal(t, r.Addr())

	id, err := r.Add(experiments.Fault{Kind: experiments.FaultLatency, Delay: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Add(latency) = %v", err)
	}
	if !r.Installed(id) {
		t.Errorf("Installed(%s) = false after Add", id)
	}
	if res := get(r.Addr(), "/healthz", 2*time.Second); res.err != nil || res.took < 200*time.Millisecond {
		t.Errorf("request with 200ms latency injected remotely: %+v, want at least 200ms", res)
	}
	if err := r.Remove(id); err != nil {
		t.Fatalf("Remove = %v", err)
	}
	if r.Installed(id) {
		t.Errorf("Installed(%s) = true after Remove", id)
	}
	if err := r.Remove(id); !errors.Is(err, proxy.ErrUnknownFault) {
		t.Errorf("second Remove = %v, want ErrUnknownFault", err)
	}
	mustNormal(t, r.Addr())

	id, err = r.Add(experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 1})
	if err != nil {
		t.Fatalf("Add(http_error) = %v", err)
	}
	for range 3 {
		if res := get(r.Addr(), "/healthz", time.Second); res.status != 503 {
			t.Errorf("request under http_error 100%% = %+v, want 503", res)
		}
	}
	if n := r.InjectedErrors(id); n != 3 {
		t.Errorf("InjectedErrors = %d, want 3", n)
	}
	if _, err := r.Add(experiments.Fault{Kind: experiments.FaultLatency, Delay: -time.Second}); err == nil {
		t.Errorf("Add(negative latency) = nil error, want the link's refusal")
	}
}

// TestRelay: a link that dials its upstream through the relay forwards
// traffic and faults like any other, and an upstream that is down only
// fails the connections that need it, quickly.
func TestRelay(t *testing.T) {
	up := upstream(t)
	l, err := proxy.Start(t.Context(), "relay", "127.0.0.1:0", up.Listener.Addr().String(), true, proxy.WithRelay())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	mustNormal(t, l.Addr())
	id, err := l.Add(experiments.Fault{Kind: experiments.FaultLatency, Delay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res := get(l.Addr(), "/healthz", 2*time.Second); res.err != nil || res.took < 100*time.Millisecond {
		t.Errorf("request with 100ms latency through the relay: %+v", res)
	}
	if err := l.Remove(id); err != nil {
		t.Fatal(err)
	}
	up.Close()
	if res := get(l.Addr(), "/healthz", 2*time.Second); res.err == nil && res.status < 500 || res.took > time.Second {
		t.Errorf("request with the upstream down: %+v, want a quick failure", res)
	}
}
