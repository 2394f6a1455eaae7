package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fakeStore serves items 1 to 3 and counts the reads that reach it.
type fakeStore struct {
	reads  atomic.Int64
	status atomic.Int64 // answered instead of the item when not 0
	hang   chan struct{}
}

func (s *fakeStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.reads.Add(1)
	if s.hang != nil {
		select {
		case <-s.hang:
		case <-r.Context().Done():
			return
		}
	}
	if code := s.status.Load(); code != 0 {
		http.Error(w, "fake failure", int(code))
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/items/")
	if id != "1" && id != "2" && id != "3" {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, `{"id":"`+id+`"}`)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newServer(t *testing.T, store *fakeStore, ttl, timeout time.Duration) (*httptest.Server, *clock) {
	t.Helper()
	st := httptest.NewServer(store)
	t.Cleanup(st.Close)
	clk := &clock{t: time.Unix(1700000000, 0)}
	c := newCache(st.URL, &http.Client{Timeout: timeout}, ttl, clk.now)
	srv := httptest.NewServer(c.handler(prometheus.NewRegistry()))
	t.Cleanup(srv.Close)
	return srv, clk
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Cache"), string(b)
}

func TestHitAndMiss(t *testing.T) {
	store := &fakeStore{}
	srv, clk := newServer(t, store, time.Second, time.Second)
	steps := []struct {
		name      string
		advance   time.Duration
		id        string
		want      string
		wantReads int64
	}{
		{name: "first read misses", id: "1", want: "miss", wantReads: 1},
		{name: "second read hits", id: "1", want: "hit", wantReads: 1},
		{name: "still fresh just before the TTL", advance: 999 * time.Millisecond, id: "1", want: "hit", wantReads: 1},
		{name: "another item misses", id: "2", want: "miss", wantReads: 2},
		{name: "expired at the TTL", advance: time.Millisecond, id: "1", want: "miss", wantReads: 3},
		{name: "fresh again", id: "1", want: "hit", wantReads: 3},
	}
	for _, s := range steps {
		clk.add(s.advance)
		code, result, body := get(t, srv.URL+"/items/"+s.id)
		if code != 200 || result != s.want || body != `{"id":"`+s.id+`"}` {
			t.Errorf("%s: GET /items/%s = %d X-Cache %q %q, want 200 %q with the item", s.name, s.id, code, result, body, s.want)
		}
		if got := store.reads.Load(); got != s.wantReads {
			t.Errorf("%s: store reads = %d, want %d", s.name, got, s.wantReads)
		}
	}
}

func TestZeroTTLAlwaysReadsTheStore(t *testing.T) {
	store := &fakeStore{}
	srv, _ := newServer(t, store, 0, time.Second)
	for range 3 {
		if _, result, _ := get(t, srv.URL+"/items/1"); result != "miss" {
			t.Errorf("X-Cache = %q with TTL 0, want miss", result)
		}
	}
	if got := store.reads.Load(); got != 3 {
		t.Errorf("store reads = %d, want 3", got)
	}
}

func TestNotFoundIsPassedOnAndNotKept(t *testing.T) {
	store := &fakeStore{}
	srv, _ := newServer(t, store, time.Minute, time.Second)
	for range 2 {
		if code, _, _ := get(t, srv.URL+"/items/9"); code != 404 {
			t.Errorf("GET /items/9 = %d, want 404", code)
		}
	}
	if got := store.reads.Load(); got != 2 {
		t.Errorf("store reads = %d, want 2 (a 404 is not cached)", got)
	}
}

func TestStoreFailures(t *testing.T) {
	t.Run("error status", func(t *testing.T) {
		store := &fakeStore{}
		store.status.Store(503)
		srv, _ := newServer(t, store, time.Minute, time.Second)
		if code, _, body := get(t, srv.URL+"/items/1"); code != 502 || !strings.Contains(body, "status 503") {
			t.Errorf("GET /items/1 with the store answering 503 = %d %q, want 502 naming the status", code, body)
		}
		store.status.Store(0)
		if code, result, _ := get(t, srv.URL+"/items/1"); code != 200 || result != "miss" {
			t.Errorf("GET /items/1 after the store recovered = %d %q, want 200 miss (failures are not cached)", code, result)
		}
	})
	t.Run("store down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + ln.Addr().String()
		ln.Close()
		c := newCache(down, &http.Client{Timeout: time.Second}, time.Minute, time.Now)
		srv := httptest.NewServer(c.handler(prometheus.NewRegistry()))
		defer srv.Close()
		if code, _, _ := get(t, srv.URL+"/items/1"); code != 502 {
			t.Errorf("GET /items/1 with the store down = %d, want 502", code)
		}
	})
	t.Run("store hangs", func(t *testing.T) {
		store := &fakeStore{hang: make(chan struct{})}
		defer close(store.hang)
		srv, _ := newServer(t, store, time.Minute, 100*time.Millisecond)
		start := time.Now()
		code, _, _ := get(t, srv.URL+"/items/1")
		elapsed := time.Since(start)
		if code != 502 {
			t.Errorf("GET /items/1 with the store hanging = %d, want 502", code)
		}
		if elapsed < 100*time.Millisecond || elapsed > time.Second {
			t.Errorf("GET /items/1 with the store hanging took %v, want the 100ms timeout", elapsed)
		}
	})
}

func TestFlush(t *testing.T) {
	store := &fakeStore{}
	srv, _ := newServer(t, store, time.Minute, time.Second)
	get(t, srv.URL+"/items/1")
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if err := flush(":" + port); err != nil {
		t.Fatalf("flush(:%s) = %v", port, err)
	}
	if _, result, _ := get(t, srv.URL+"/items/1"); result != "miss" {
		t.Errorf("X-Cache after flush = %q, want miss", result)
	}
	if err := flush("no-port"); err == nil {
		t.Error("flush(no-port) = nil, want an error")
	}
}

func TestMetrics(t *testing.T) {
	store := &fakeStore{}
	srv, _ := newServer(t, store, time.Minute, time.Second)
	get(t, srv.URL+"/items/1")
	get(t, srv.URL+"/items/1")
	get(t, srv.URL+"/items/1")
	_, _, metrics := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`cache_lookups_total{result="hit"} 2`,
		`cache_lookups_total{result="miss"} 1`,
		`http_request_duration_seconds_count{code="200",route="/items/{id}"} 3`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"STORE_URL": "http://store:8080", "CACHE_TTL": "200ms"}
	c, err := parseConfig([]string{"-store-timeout", "80ms"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("parseConfig() = %v", err)
	}
	want := config{listen: ":8080", store: "http://store:8080", ttl: 200 * time.Millisecond, storeTimeout: 80 * time.Millisecond}
	if c != want {
		t.Errorf("parseConfig() = %+v, want %+v", c, want)
	}
	if _, err := parseConfig(nil, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "STORE_URL") {
		t.Errorf("parseConfig() without a store = %v, want an error naming STORE_URL", err)
	}
	if _, err := parseConfig([]string{"-flush"}, func(string) string { return "" }); err != nil {
		t.Errorf("parseConfig(-flush) = %v, want no store needed", err)
	}
}
