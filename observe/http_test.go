package observe

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The machine running these tests may be heavily loaded, so the tests
// never depend on how fast a request is served: timeouts and
// concurrency are generous wherever the test expects success, and
// run lengths follow events rather than the wall clock where it matters.

// run runs h for d against its BaseURL and returns the events sorted by
// time.
func run(t *testing.T, h HTTP, client *http.Client, d time.Duration) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var c Collector
	if err := h.Run(ctx, client, SystemClock{}, c.Emit); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	return c.Events()
}

// checkSchedule asserts one event per scheduled request: event i is at
// Schedule(events[0].Time, rate, i), none missing, none repeated.
func checkSchedule(t *testing.T, events []Event, rate float64) {
	t.Helper()
	if len(events) == 0 {
		t.Fatal("no events")
	}
	for i, e := range events {
		if want := Schedule(events[0].Time, rate, i); !e.Time.Equal(want) {
			t.Fatalf("event %d at start+%v, want start+%v: requests missing or repeated", i, e.Time.Sub(events[0].Time), want.Sub(events[0].Time))
		}
	}
}

func TestHTTPRunRateAndLabels(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/items" || r.URL.RawQuery != "page=2" ||
			r.Header.Get("X-Test") != "yes" || string(body) != `{"q":1}` {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		served.Add(1)
		io.WriteString(w, strings.Repeat("x", 4096))
	}))
	defer srv.Close()

	h := HTTP{
		Name:        "browse",
		BaseURL:     srv.URL + "/",
		Method:      http.MethodPost,
		Path:        "/items?page=2",
		Headers:     map[string]string{"X-Test": "yes"},
		Body:        `{"q":1}`,
		Rate:        200,
		Timeout:     10 * time.Second,
		Concurrency: 256,
		Labels:      map[string]string{"team": "checkout"},
	}
	client := NewHTTPClient(h.Concurrency)
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var c Collector
	if err := h.Run(ctx, client, SystemClock{}, c.Emit); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	events := c.Events()
	if len(events) == 0 {
		t.Fatal("no events")
	}
	// Requests due before the deadline: at most all of them are sent, and
	// at least 90% even if cancellation finds the sender behind.
	due := 0
	for Schedule(events[0].Time, h.Rate, due).Before(deadline) {
		due++
	}
	if n := len(events); n > due || n*10 < due*9 {
		t.Errorf("%d events, %d requests due before the deadline (about 200 in 1s at 200/s); want 90%% to 100%%", n, due)
	}
	if int(served.Load()) != len(events) {
		t.Errorf("server answered %d requests, generator emitted %d events", served.Load(), len(events))
	}
	checkSchedule(t, events, h.Rate)
	want := map[string]string{
		LabelWorkload: "browse", LabelRoute: "/items", LabelMethod: "POST",
		LabelStatusClass: "2xx", "team": "checkout",
	}
	for i, e := range events {
		if !e.OK || e.Status != 200 || e.Error != "" || e.Latency <= 0 {
			t.Fatalf("event %d = %+v, want OK, status 200, no error, positive latency", i, e)
		}
		if !maps.Equal(e.Labels, want) {
			t.Fatalf("event %d labels = %v, want %v", i, e.Labels, want)
		}
	}
}

func TestHTTPRunReusesConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	// One request at a time, 20ms apart: each should find the previous
	// one's connection idle.
	events := run(t, HTTP{Name: "k", BaseURL: srv.URL, Rate: 50, Timeout: 10 * time.Second, Concurrency: 1}, nil, 400*time.Millisecond)
	if len(events) < 10 {
		t.Fatalf("%d events in 400ms at 50/s, want at least 10", len(events))
	}
	if c := conns.Load(); c > int64(len(events)/4) {
		t.Errorf("server saw %d connections for %d requests, want at most %d (keep-alive)", c, len(events), len(events)/4)
	}
}

func TestNewHTTPClient(t *testing.T) {
	c := NewHTTPClient(12)
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("NewHTTPClient(12).Transport is %T, want *http.Transport", c.Transport)
	}
	if tr.MaxIdleConnsPerHost != 12 || tr.MaxIdleConns != 12 || tr.DisableKeepAlives || tr.Proxy != nil {
		t.Errorf("transport idle per host %d, idle %d, keep-alives off %v, proxy set %v; want 12, 12, false, false",
			tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.DisableKeepAlives, tr.Proxy != nil)
	}
	if c.CheckRedirect == nil || c.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Error("client follows redirects, want the 3xx answer returned")
	}
}

// sleepy answers /slow after 300ms (or when the client gives up) and
// /fast at once.
func sleepy() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, "ok")
	}))
}

func TestHTTPRunSlowAnswersAndTimeouts(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		slowOK   bool
		slowMin  time.Duration // least latency of a /slow event
		slowErr  string
		slowCode int
	}{
		{name: "timeout above delay", timeout: 10 * time.Second, slowOK: true, slowMin: 300 * time.Millisecond, slowCode: 200},
		{name: "timeout below delay", timeout: 100 * time.Millisecond, slowOK: false, slowMin: 100 * time.Millisecond, slowErr: ErrorTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sleepy()
			defer srv.Close()
			client := NewHTTPClient(32)
			defer client.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			var c Collector
			var wg sync.WaitGroup
			for _, path := range []string{"/fast", "/slow"} {
				h := HTTP{Name: path, BaseURL: srv.URL, Path: path, Rate: 20, Timeout: tt.timeout, Concurrency: 64}
				wg.Go(func() {
					if err := h.Run(ctx, client, SystemClock{}, c.Emit); err != nil {
						t.Errorf("Run(%s) = %v", path, err)
					}
				})
			}
			wg.Wait()
			var slow, fast, fastOK int
			for _, e := range c.Events() {
				switch e.Labels[LabelRoute] {
				case "/fast":
					// With a 100ms timeout a loaded machine may time out
					// some fast requests too; most must pass.
					fast++
					if e.OK && e.Status == 200 {
						fastOK++
					}
				case "/slow":
					slow++
					if e.OK != tt.slowOK || e.Error != tt.slowErr || e.Status != tt.slowCode {
						t.Errorf("slow event = %+v, want OK %v, error %q, status %d", e, tt.slowOK, tt.slowErr, tt.slowCode)
					}
					if e.Latency < tt.slowMin {
						t.Errorf("slow event latency %v, want at least %v", e.Latency, tt.slowMin)
					}
					if wantClass := StatusClass(tt.slowCode); e.Labels[LabelStatusClass] != wantClass {
						t.Errorf("slow event status_class %q, want %q", e.Labels[LabelStatusClass], wantClass)
					}
				default:
					t.Errorf("event with route %q", e.Labels[LabelRoute])
				}
			}
			if slow < 5 || fast < 5 {
				t.Errorf("%d slow and %d fast events in 0.5s at 20/s each, want at least 5 of each", slow, fast)
			}
			if fastOK*2 < fast {
				t.Errorf("%d of %d fast events OK, want most", fastOK, fast)
			}
		})
	}
}

// TestHTTPRunNoCoordinatedOmission stalls every request on the server for
// 500ms. Requests that fall due during the stall must either carry the
// wait since their scheduled time in their latency, or, when the
// concurrency limit is reached, be failed events; none may be dropped
// or timed from when the sender got round to them.
func TestHTTPRunNoCoordinatedOmission(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		// maxSent is the most requests falling due in the stall that may
		// be sent; the others must be concurrency-limit failures.
		maxSent  int
		minLimit int // least concurrency-limit failures in the stall
	}{
		{name: "room for all", concurrency: 256, maxSent: 1 << 30, minLimit: 0},
		{name: "concurrency 1", concurrency: 1, maxSent: 1, minLimit: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock() // waits out the stall
				io.WriteString(w, "ok")
				mu.Unlock()
			}))
			defer srv.Close()
			client := NewHTTPClient(tt.concurrency)
			defer client.CloseIdleConnections()

			// The run ends 200ms after the stall, however late the
			// stall comes on a loaded machine.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var stallStart, stallEnd time.Time
			stalled := make(chan struct{})
			go func() {
				defer close(stalled)
				defer cancel()
				time.Sleep(200 * time.Millisecond)
				mu.Lock()
				stallStart = time.Now()
				time.Sleep(500 * time.Millisecond)
				stallEnd = time.Now()
				mu.Unlock()
				time.Sleep(200 * time.Millisecond)
			}()
			h := HTTP{Name: "co", BaseURL: srv.URL, Path: "/", Rate: 100, Timeout: 10 * time.Second, Concurrency: tt.concurrency}
			var c Collector
			if err := h.Run(ctx, client, SystemClock{}, c.Emit); err != nil {
				t.Fatalf("Run() = %v", err)
			}
			<-stalled
			events := c.Events()
			checkSchedule(t, events, h.Rate)

			// sent counts the requests due in the stall that were sent,
			// but for those due in its first 10ms: one of those may have
			// been served and answered just before the stall took hold,
			// freeing its slot, on a busy machine.
			var inStall, sent, limited, longWait int
			for _, e := range events {
				if e.Time.Before(stallStart) || !e.Time.Before(stallEnd) {
					continue
				}
				inStall++
				if e.Error == ErrorConcurrencyLimit {
					limited++
					if e.OK || e.Status != 0 || e.Labels[LabelStatusClass] != StatusClassError {
						t.Errorf("concurrency-limit event = %+v, want failed, status 0, class error", e)
					}
					continue
				}
				if e.Time.Sub(stallStart) >= 10*time.Millisecond {
					sent++
				}
				// The answer cannot come before the stall ends, and the
				// latency counts from the scheduled time.
				if want := stallEnd.Sub(e.Time); e.Latency < want || !e.OK {
					t.Errorf("event due %v into the stall: OK %v latency %v, want OK and at least %v",
						e.Time.Sub(stallStart), e.OK, e.Latency, want)
				}
				if e.Time.Sub(stallStart) <= 100*time.Millisecond && e.Latency >= 400*time.Millisecond {
					longWait++
				}
			}
			if inStall < 30 {
				t.Fatalf("%d events fell due in the 500ms stall at 100/s, want at least 30", inStall)
			}
			if sent > tt.maxSent {
				t.Errorf("%d requests due in the stall were sent, want at most %d", sent, tt.maxSent)
			}
			if limited < tt.minLimit {
				t.Errorf("%d concurrency-limit failures in the stall, want at least %d", limited, tt.minLimit)
			}
			if tt.maxSent > 1 && longWait < 5 {
				t.Errorf("%d requests due in the first 100ms of the stall waited 400ms or more, want at least 5", longWait)
			}
		})
	}
}

func TestHTTPRunStatusClasses(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ok     bool
		class  string
	}{
		{name: "200", status: 200, ok: true, class: "2xx"},
		{name: "302 not followed", status: 302, ok: true, class: "3xx"},
		{name: "404", status: 404, ok: true, class: "4xx"},
		{name: "500", status: 500, ok: false, class: "5xx"},
		{name: "503", status: 503, ok: false, class: "5xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/" {
					w.WriteHeader(http.StatusOK) // a followed redirect would land here
					return
				}
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			events := run(t, HTTP{Name: "s", BaseURL: srv.URL, Rate: 50, Timeout: 10 * time.Second, Concurrency: 64}, nil, 100*time.Millisecond)
			checkSchedule(t, events, 50)
			for _, e := range events {
				if e.OK != tt.ok || e.Status != tt.status || e.Error != "" || e.Labels[LabelStatusClass] != tt.class {
					t.Errorf("event = %+v, want OK %v, status %d, class %q, no error", e, tt.ok, tt.status, tt.class)
				}
			}
		})
	}
}

func TestHTTPRunConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	events := run(t, HTTP{Name: "gone", BaseURL: "http://" + addr, Rate: 50, Timeout: 10 * time.Second, Concurrency: 64}, nil, 100*time.Millisecond)
	checkSchedule(t, events, 50)
	for _, e := range events {
		if e.OK || e.Status != 0 || e.Labels[LabelStatusClass] != StatusClassError || !strings.Contains(e.Error, "connection refused") {
			t.Errorf("event = %+v, want failed, status 0, class error, error naming the refused connection", e)
		}
	}
}

func TestHTTPRunReturnsAfterInFlightRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	client := NewHTTPClient(256)
	sent := &countingTransport{next: client.Transport}
	client.Transport = sent
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var c Collector
	var returned atomic.Bool
	emit := func(e Event) {
		if returned.Load() {
			t.Errorf("emit(%+v) called after Run returned", e)
		}
		c.Emit(e)
	}
	h := HTTP{Name: "hang", BaseURL: srv.URL, Rate: 100, Timeout: 200 * time.Millisecond, Concurrency: 256}
	done := make(chan error)
	go func() { done <- h.Run(ctx, client, SystemClock{}, emit) }()
	select {
	case err := <-done:
		returned.Store(true)
		if err != nil {
			t.Fatalf("Run() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after its context ended with a 200ms request timeout")
	}
	events := c.Events()
	checkSchedule(t, events, h.Rate)
	for _, e := range events {
		if e.Error != ErrorTimeout || e.Latency < h.Timeout {
			t.Fatalf("event = %+v, want a timeout after at least %v", e, h.Timeout)
		}
	}
	// Requests in flight when the context ended were waited for, not
	// abandoned: every request sent has its event.
	if n := sent.n.Load(); int(n) != len(events) {
		t.Errorf("%d requests sent, %d events emitted", n, len(events))
	}

	client.CloseIdleConnections()
	srv.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Run, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestHTTPRunInvalid(t *testing.T) {
	good := HTTP{Name: "w", BaseURL: "http://127.0.0.1:1", Rate: 1, Timeout: time.Second, Concurrency: 1}
	tests := []struct {
		name   string
		change func(h *HTTP)
		want   string
	}{
		{name: "no name", change: func(h *HTTP) { h.Name = "" }, want: "no name"},
		{name: "zero rate", change: func(h *HTTP) { h.Rate = 0 }, want: "rate"},
		{name: "negative timeout", change: func(h *HTTP) { h.Timeout = -1 }, want: "timeout"},
		{name: "zero concurrency", change: func(h *HTTP) { h.Concurrency = 0 }, want: "concurrency"},
		{name: "relative base", change: func(h *HTTP) { h.BaseURL = "127.0.0.1:8080" }, want: "base URL"},
		{name: "path without slash", change: func(h *HTTP) { h.Path = "items" }, want: "path"},
		{name: "bad method", change: func(h *HTTP) { h.Method = "GE T" }, want: "method"},
		{name: "reserved label", change: func(h *HTTP) { h.Labels = map[string]string{LabelRoute: "x"} }, want: "label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good
			tt.change(&h)
			emitted := false
			err := h.Run(t.Context(), nil, SystemClock{}, func(Event) { emitted = true })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run() = %v, want an error about %q", err, tt.want)
			}
			if emitted {
				t.Error("Run with invalid settings emitted events")
			}
		})
	}
}

func TestStatusClass(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{0, StatusClassError}, {99, StatusClassError}, {100, "1xx"}, {200, "2xx"}, {299, "2xx"},
		{301, "3xx"}, {404, "4xx"}, {503, "5xx"}, {599, "5xx"}, {1000, StatusClassError},
	}
	for _, tt := range tests {
		if got := StatusClass(tt.status); got != tt.want {
			t.Errorf("StatusClass(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

// countingTransport counts the requests that reach the transport.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}
