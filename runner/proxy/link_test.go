package proxy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/proxy"
)

// upstream is a real HTTP server on a loopback socket.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = io.WriteString(w, strings.Repeat("x", n))
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func startLink(t *testing.T, httpAware bool, opts ...proxy.Option) *proxy.Link {
	t.Helper()
	up := upstream(t)
	l, err := proxy.Start(context.Background(), "api", "127.0.0.1:0", up.Listener.Addr().String(), httpAware, opts...)
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

type result struct {
	status int
	body   int
	took   time.Duration
	err    error
	header http.Header
}

// get makes one request on a fresh keep-alive connection, as most
// clients do: the server does not close it after answering.
func get(addr, path string, timeout time.Duration) result {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	return do(&http.Client{Timeout: timeout, Transport: tr}, addr, path)
}

func do(c *http.Client, addr, path string) result {
	begin := time.Now()
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return result{err: err, took: time.Since(begin)}
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return result{status: resp.StatusCode, body: int(n), took: time.Since(begin), err: err, header: resp.Header}
}

func mustNormal(t *testing.T, addr string) {
	t.Helper()
	if r := get(addr, "/bytes?n=2000", 2*time.Second); r.err != nil || r.status != 200 || r.body != 2000 || r.took > 500*time.Millisecond {
		t.Fatalf("request through the proxy = %+v, want 200 with 2000 bytes quickly", r)
	}
}

func TestToxic(t *testing.T) {
	tests := []struct {
		name string
		f    experiments.Fault
		want proxy.ToxicSpec
	}{
		{name: "latency", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: 200 * time.Millisecond, Jitter: 20*time.Millisecond + time.Microsecond},
			want: proxy.ToxicSpec{Type: "latency", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"latency": 200, "jitter": 21}}},
		{name: "jitter", f: experiments.Fault{Kind: experiments.FaultJitter, Jitter: 50 * time.Millisecond, Direction: "upstream", Toxicity: 0.5},
			want: proxy.ToxicSpec{Type: "latency", Stream: "upstream", Toxicity: 0.5, Attributes: map[string]int64{"latency": 50, "jitter": 50}}},
		{name: "bandwidth", f: experiments.Fault{Kind: experiments.FaultBandwidth, RateBytes: 125_400},
			want: proxy.ToxicSpec{Type: "bandwidth", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"rate": 125}}},
		{name: "bandwidth below 1 KB/s", f: experiments.Fault{Kind: experiments.FaultBandwidth, RateBytes: 100},
			want: proxy.ToxicSpec{Type: "bandwidth", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"rate": 1}}},
		{name: "timeout", f: experiments.Fault{Kind: experiments.FaultTimeout, After: 1500 * time.Microsecond},
			want: proxy.ToxicSpec{Type: "timeout", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"timeout": 2}}},
		{name: "blackhole", f: experiments.Fault{Kind: experiments.FaultBlackhole},
			want: proxy.ToxicSpec{Type: "timeout", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"timeout": 0}}},
		{name: "reset", f: experiments.Fault{Kind: experiments.FaultReset, After: time.Second},
			want: proxy.ToxicSpec{Type: "reset_peer", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"timeout": 1000}}},
		{name: "slow_close", f: experiments.Fault{Kind: experiments.FaultSlowClose, Delay: 3 * time.Second},
			want: proxy.ToxicSpec{Type: "slow_close", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"delay": 3000}}},
		{name: "limit_data", f: experiments.Fault{Kind: experiments.FaultLimitData, Bytes: 4096},
			want: proxy.ToxicSpec{Type: "limit_data", Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{"bytes": 4096}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := proxy.Toxic(tt.f)
			if err != nil {
				t.Fatalf("Toxic(%+v) = %v", tt.f, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Toxic(%s) = %+v, want %+v", tt.f.Kind, got, tt.want)
			}
		})
	}
}

func TestAddRefuses(t *testing.T) {
	tcp := startLink(t, false)
	web := startLink(t, true)
	tests := []struct {
		name string
		link *proxy.Link
		f    experiments.Fault
		want string
	}{
		{name: "http_error on a TCP link", link: tcp, f: experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 1}, want: "needs an HTTP-aware proxy"},
		{name: "bad status", link: web, f: experiments.Fault{Kind: experiments.FaultHTTPError, Status: 42, Fraction: 1}, want: "not an HTTP status code"},
		{name: "bad fraction", link: web, f: experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503}, want: "fraction 0 is not in (0, 1]"},
		{name: "bad direction", link: tcp, f: experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second, Direction: "sideways"}, want: "direction \"sideways\""},
		{name: "bad toxicity", link: tcp, f: experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second, Toxicity: 2}, want: "toxicity 2"},
		{name: "zero rate", link: tcp, f: experiments.Fault{Kind: experiments.FaultBandwidth}, want: "rate must be positive"},
		{name: "process kind", link: tcp, f: experiments.Fault{Kind: experiments.FaultKill}, want: "not a TCP proxy fault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.link.Add(tt.f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add(%+v) = %v, want an error containing %q", tt.f, err, tt.want)
			}
		})
	}
	if err := tcp.Remove("latency-99"); !errors.Is(err, proxy.ErrUnknownFault) {
		t.Errorf("Remove(unknown) = %v, want ErrUnknownFault", err)
	}
}

// TestTCPFaults applies each TCP kind on a TCP link and on an HTTP-aware
// one, checks the effect from a client, removes it and checks traffic is
// normal again.
func TestTCPFaults(t *testing.T) {
	tests := []struct {
		name   string
		f      experiments.Fault
		path   string
		limit  time.Duration
		effect func(r result) string // "" when the effect is seen
	}{
		{
			name: "latency", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: 300 * time.Millisecond},
			path: "/healthz", limit: 3 * time.Second,
			effect: func(r result) string {
				if r.err != nil || r.took < 300*time.Millisecond {
					return fmt.Sprintf("took %v (err %v), want >= 300ms", r.took, r.err)
				}
				return ""
			},
		},
		{
			name: "upstream latency", f: experiments.Fault{Kind: experiments.FaultLatency, Delay: 300 * time.Millisecond, Direction: "upstream"},
			path: "/healthz", limit: 3 * time.Second,
			effect: func(r result) string {
				if r.err != nil || r.took < 300*time.Millisecond {
					return fmt.Sprintf("took %v (err %v), want >= 300ms", r.took, r.err)
				}
				return ""
			},
		},
		{
			name: "bandwidth", f: experiments.Fault{Kind: experiments.FaultBandwidth, RateBytes: 10_000},
			path: "/bytes?n=3000", limit: 3 * time.Second,
			effect: func(r result) string {
				if r.err != nil || r.body != 3000 || r.took < 250*time.Millisecond {
					return fmt.Sprintf("3000 bytes at 10 KB/s took %v (err %v), want >= 250ms", r.took, r.err)
				}
				return ""
			},
		},
		{
			name: "timeout", f: experiments.Fault{Kind: experiments.FaultTimeout, After: 300 * time.Millisecond},
			path: "/healthz", limit: 3 * time.Second,
			effect: func(r result) string {
				if r.err == nil || r.took < 300*time.Millisecond || r.took > 2*time.Second {
					return fmt.Sprintf("got %+v, want no answer and the connection closed after about 300ms", r)
				}
				return ""
			},
		},
		{
			name: "blackhole", f: experiments.Fault{Kind: experiments.FaultBlackhole},
			path: "/healthz", limit: 500 * time.Millisecond,
			effect: func(r result) string {
				var ne net.Error
				if !errors.As(r.err, &ne) || !ne.Timeout() {
					return fmt.Sprintf("got %+v, want a client timeout", r)
				}
				return ""
			},
		},
		{
			name: "reset", f: experiments.Fault{Kind: experiments.FaultReset},
			path: "/healthz", limit: 3 * time.Second,
			effect: func(r result) string {
				if r.err == nil {
					return fmt.Sprintf("got %+v, want the connection cut", r)
				}
				return ""
			},
		},
		{
			name: "limit_data", f: experiments.Fault{Kind: experiments.FaultLimitData, Bytes: 500},
			path: "/bytes?n=2000", limit: 3 * time.Second,
			effect: func(r result) string {
				if r.err == nil || r.body >= 2000 {
					return fmt.Sprintf("got %+v, want the response cut short", r)
				}
				return ""
			},
		},
	}
	for _, httpAware := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/http=%v", tt.name, httpAware), func(t *testing.T) {
				l := startLink(t, httpAware)
				mustNormal(t, l.Addr())
				id, err := l.Add(tt.f)
				if err != nil {
					t.Fatalf("Add = %v", err)
				}
				if !l.Installed(id) {
					t.Errorf("Installed(%q) = false after Add", id)
				}
				r := get(l.Addr(), tt.path, tt.limit)
				if httpAware && r.err == nil && r.status == http.StatusBadGateway {
					// Through the HTTP layer a cut upstream is a 502.
					r.err = errors.New("502 from the HTTP layer")
				}
				if msg := tt.effect(r); msg != "" {
					t.Errorf("with %s: %s", tt.name, msg)
				}
				if err := l.Remove(id); err != nil {
					t.Fatalf("Remove = %v", err)
				}
				if l.Installed(id) {
					t.Errorf("Installed(%q) = true after Remove", id)
				}
				mustNormal(t, l.Addr())
				if err := l.Remove(id); !errors.Is(err, proxy.ErrUnknownFault) {
					t.Errorf("second Remove = %v, want ErrUnknownFault", err)
				}
			})
		}
	}
}

// TestTimeoutPassesServerClose pins a Toxiproxy behaviour the docs
// describe: a timeout drops data but passes on a close, so a client whose
// server closes after answering (Connection: close) gets no answer and an
// early end of the connection rather than a hang.
func TestTimeoutPassesServerClose(t *testing.T) {
	l := startLink(t, false)
	if _, err := l.Add(experiments.Fault{Kind: experiments.FaultBlackhole}); err != nil {
		t.Fatalf("Add = %v", err)
	}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	r := do(c, l.Addr(), "/healthz")
	if r.err == nil || r.took > time.Second {
		t.Errorf("GET with Connection: close through a blackhole = %+v, want an early error", r)
	}
}

func TestJitterSpreads(t *testing.T) {
	l := startLink(t, false)
	if _, err := l.Add(experiments.Fault{Kind: experiments.FaultJitter, Jitter: 100 * time.Millisecond}); err != nil {
		t.Fatalf("Add = %v", err)
	}
	// Each added delay is uniform in [0, 200ms): the chance that 8 in a
	// row stay under 50ms is 4^-8.
	var longest time.Duration
	for range 8 {
		r := get(l.Addr(), "/healthz", 2*time.Second)
		if r.err != nil {
			t.Fatalf("GET = %v", r.err)
		}
		longest = max(longest, r.took)
	}
	if longest < 50*time.Millisecond {
		t.Errorf("longest of 8 requests with 100ms jitter took %v, want >= 50ms", longest)
	}
}

func TestSlowClose(t *testing.T) {
	l := startLink(t, false)
	id, err := l.Add(experiments.Fault{Kind: experiments.FaultSlowClose, Delay: 600 * time.Millisecond})
	if err != nil {
		t.Fatalf("Add = %v", err)
	}
	// The delay starts when the server's close reaches the proxy, a
	// little before the client has read the last byte.
	if gap := closeGap(t, l.Addr()); gap < 550*time.Millisecond {
		t.Errorf("close came %v after the response, want about 600ms", gap)
	}
	if err := l.Remove(id); err != nil {
		t.Fatalf("Remove = %v", err)
	}
	if gap := closeGap(t, l.Addr()); gap > 450*time.Millisecond {
		t.Errorf("after Remove the close came %v after the response, want prompt", gap)
	}
}

// closeGap sends a request with Connection: close and measures the time
// from the end of the response to the end of the connection.
func closeGap(t *testing.T, addr string) time.Duration {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	end := time.Now()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the response read %v, want EOF", err)
	}
	return time.Since(end)
}

func TestKeepAliveConnectionsPickUpFaults(t *testing.T) {
	l := startLink(t, false)
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	reused := func() (result, bool) {
		var info httptrace.GotConnInfo
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { info = i }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, "http://"+l.Addr()+"/healthz", nil)
		begin := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return result{err: err}, info.Reused
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return result{status: resp.StatusCode, took: time.Since(begin)}, info.Reused
	}
	if r, _ := reused(); r.err != nil {
		t.Fatalf("first GET = %v", r.err)
	}
	id, err := l.Add(experiments.Fault{Kind: experiments.FaultLatency, Delay: 500 * time.Millisecond})
	if err != nil {
		t.Fatalf("Add = %v", err)
	}
	r, ok := reused()
	if !ok || r.err != nil || r.took < 500*time.Millisecond {
		t.Errorf("GET on the open connection = %+v (reused %v), want it delayed >= 500ms", r, ok)
	}
	if err := l.Remove(id); err != nil {
		t.Fatalf("Remove = %v", err)
	}
	r, ok = reused()
	if !ok || r.err != nil || r.took > 400*time.Millisecond {
		t.Errorf("GET on the open connection after Remove = %+v (reused %v), want it prompt", r, ok)
	}
}

func TestRemoveReleasesHeldConnections(t *testing.T) {
	for _, kind := range []experiments.FaultKind{experiments.FaultBlackhole, experiments.FaultTimeout} {
		t.Run(string(kind), func(t *testing.T) {
			l := startLink(t, false)
			id, err := l.Add(experiments.Fault{Kind: kind, After: time.Hour})
			if err != nil {
				t.Fatalf("Add = %v", err)
			}
			held := make(chan result, 1)
			go func() { held <- get(l.Addr(), "/healthz", 10*time.Second) }()
			time.Sleep(200 * time.Millisecond)
			select {
			case r := <-held:
				t.Fatalf("request through %s returned %+v while the fault was on", kind, r)
			default:
			}
			begin := time.Now()
			if err := l.Remove(id); err != nil {
				t.Fatalf("Remove = %v", err)
			}
			select {
			case r := <-held:
				if r.err == nil {
					t.Errorf("held request = %+v, want its connection closed", r)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("held request still waiting 3s after Remove")
			}
			t.Logf("held request released %v after Remove", time.Since(begin))
			mustNormal(t, l.Addr())
		})
	}
}

func TestHTTPError(t *testing.T) {
	l := startLink(t, true, proxy.WithSeed(7))
	mustNormal(t, l.Addr())
	id, err := l.Add(experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 0.5})
	if err != nil {
		t.Fatalf("Add = %v", err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	var injected, passed int
	for range 200 {
		r := do(client, l.Addr(), "/healthz")
		switch {
		case r.err != nil:
			t.Fatalf("GET = %v", r.err)
		case r.status == 503 && r.header.Get(proxy.InjectedHeader) == "http_error" && r.body == len(proxy.InjectedBody):
			injected++
		case r.status == 200 && r.header.Get(proxy.InjectedHeader) == "":
			passed++
		default:
			t.Fatalf("GET = %+v, want 503 from the proxy or 200 from upstream", r)
		}
	}
	// Binomial(200, 0.5): 60..140 is more than 5 standard deviations.
	if injected < 60 || injected > 140 || injected+passed != 200 {
		t.Errorf("injected %d, passed %d of 200 at fraction 0.5", injected, passed)
	}
	if got := l.InjectedErrors(id); got != int64(injected) {
		t.Errorf("InjectedErrors(%q) = %d, want %d", id, got, injected)
	}
	if err := l.Remove(id); err != nil {
		t.Fatalf("Remove = %v", err)
	}
	for range 20 {
		if r := do(client, l.Addr(), "/healthz"); r.err != nil || r.status != 200 {
			t.Fatalf("GET after Remove = %+v, want 200", r)
		}
	}
}

func TestHTTPErrorSeedRepeats(t *testing.T) {
	pattern := func() string {
		l := startLink(t, true, proxy.WithSeed(42))
		if _, err := l.Add(experiments.Fault{Kind: experiments.FaultHTTPError, Status: 500, Fraction: 0.3}); err != nil {
			t.Fatalf("Add = %v", err)
		}
		var b strings.Builder
		for range 40 {
			r := get(l.Addr(), "/healthz", 2*time.Second)
			if r.err != nil {
				t.Fatalf("GET = %v", r.err)
			}
			b.WriteString(strconv.Itoa(r.status / 100))
		}
		return b.String()
	}
	a, b := pattern(), pattern()
	if a != b {
		t.Errorf("same seed gave %s and %s", a, b)
	}
	if !strings.Contains(a, "5") || !strings.Contains(a, "2") {
		t.Errorf("pattern %s at fraction 0.3, want both outcomes", a)
	}
}

func TestClose(t *testing.T) {
	up := upstream(t)
	before := runtime.NumGoroutine()
	for _, httpAware := range []bool{false, true} {
		l, err := proxy.Start(context.Background(), "api", "127.0.0.1:0", up.Listener.Addr().String(), httpAware)
		if err != nil {
			t.Fatalf("Start = %v", err)
		}
		mustNormal(t, l.Addr())
		if _, err := l.Add(experiments.Fault{Kind: experiments.FaultBlackhole}); err != nil {
			t.Fatalf("Add = %v", err)
		}
		held := make(chan result, 1)
		go func() { held <- get(l.Addr(), "/healthz", 10*time.Second) }()
		time.Sleep(100 * time.Millisecond)
		if err := l.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		select {
		case r := <-held:
			if r.err == nil {
				t.Errorf("held request = %+v after Close, want an error", r)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("held request still waiting after Close")
		}
		if c, err := net.DialTimeout("tcp", l.Addr(), time.Second); err == nil {
			c.Close()
			t.Errorf("dial %s after Close succeeded", l.Addr())
		}
		if _, err := l.Add(experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second}); err == nil {
			t.Errorf("Add after Close succeeded")
		}
	}
	up.CloseClientConnections()
	var n int
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= before {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines after Close, want %d:\n%s", n, before, buf[:runtime.Stack(buf, true)])
}
