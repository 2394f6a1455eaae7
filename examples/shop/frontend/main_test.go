package main

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline/examples/shop/internal/work"
)

// fake stands for the cache or the store: it serves items 1 to 4, records
// PUTs, counts the requests that reach it, and can fail or hang on demand.
type fake struct {
	requests atomic.Int64
	failures atomic.Int64 // the next this many requests answer 500
	hang     chan struct{}

	mu   sync.Mutex
	puts map[string]string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if f.hang != nil {
		select {
		case <-f.hang:
		case <-r.Context().Done():
			return
		}
	}
	if f.failures.Add(-1) >= 0 {
		http.Error(w, "fake failure", 500)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/items/")
	if r.Method == http.MethodPut {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		if f.puts == nil {
			f.puts = map[string]string{}
		}
		f.puts[id] = string(body)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if id < "1" || id > "4" || len(id) != 1 {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, `{"id":"`+id+`","cents":250}`)
}

// serve starts h, or returns the URL of a closed port when h is nil.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	if h == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		return "http://" + ln.Addr().String()
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newServer starts a frontend with no work of its own, a 50ms cache timeout
// and a 1s backoff, in front of the given cache and store (nil: down).
func newServer(t *testing.T, cache, store http.Handler) (string, *frontend, *clock) {
	t.Helper()
	c := config{
		cache: serve(t, cache), store: serve(t, store),
		cacheTimeout: 50 * time.Millisecond, storeTimeout: time.Second, cacheBackoff: time.Second,
	}
	clk := &clock{t: time.Unix(1700000000, 0)}
	f := newFrontend(c, work.New(0, 0, rand.New(rand.NewPCG(1, 2))), clk.now)
	return serve(t, f.handler(prometheus.NewRegistry())), f, clk
}

func fetch(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Source"), string(b)
}

func TestProduct(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	failOnce := &fake{}
	failOnce.failures.Store(1)
	failTwice := &fake{}
	failTwice.failures.Store(2)

	tests := []struct {
		name        string
		cache       *fake // nil: the cache is down
		want        string
		wantCalls   int64 // requests that reached the cache
		wantStore   int64 // requests that reached the store
		maxDuration time.Duration
	}{
		{name: "from the cache", cache: &fake{}, want: "cache", wantCalls: 1},
		{name: "a retry hides one cache error", cache: failOnce, want: "cache", wantCalls: 2},
		{name: "two cache errors fall back to the store", cache: failTwice, want: "store", wantCalls: 2, wantStore: 1},
		{name: "cache down falls back to the store", want: "store", wantStore: 1},
		{name: "hung cache times out twice, then the store", cache: &fake{hang: hang}, want: "store", wantCalls: 2, wantStore: 1, maxDuration: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fake{}
			var cache http.Handler
			if tt.cache != nil {
				cache = tt.cache
			}
			url, _, _ := newServer(t, cache, store)
			start := time.Now()
			code, source, body := fetch(t, url+"/product/2")
			elapsed := time.Since(start)
			if code != 200 || source != tt.want || body != `{"id":"2","cents":250}` {
				t.Errorf("GET /product/2 = %d X-Source %q %q, want 200 from %s", code, source, body, tt.want)
			}
			if tt.cache != nil {
				if got := tt.cache.requests.Load(); got != tt.wantCalls {
					t.Errorf("cache requests = %d, want %d", got, tt.wantCalls)
				}
			}
			if got := store.requests.Load(); got != tt.wantStore {
				t.Errorf("store requests = %d, want %d", got, tt.wantStore)
			}
			if tt.maxDuration > 0 && (elapsed > tt.maxDuration || elapsed < 100*time.Millisecond) {
				t.Errorf("GET /product/2 took %v, want two 50ms cache timeouts and then the store, under %v", elapsed, tt.maxDuration)
			}
		})
	}
}

func TestProductNotFoundDoesNotFallBack(t *testing.T) {
	store := &fake{}
	url, _, _ := newServer(t, &fake{}, store)
	if code, _, _ := fetch(t, url+"/product/9"); code != 404 {
		t.Errorf("GET /product/9 = %d, want 404", code)
	}
	if got := store.requests.Load(); got != 0 {
		t.Errorf("store requests = %d, want 0: a 404 from the cache is an answer", got)
	}
}

func TestProductBypassesAFailedCache(t *testing.T) {
	cache, store := &fake{}, &fake{}
	cache.failures.Store(2)
	url, _, clk := newServer(t, cache, store)

	if _, source, _ := fetch(t, url+"/product/1"); source != "store" {
		t.Fatalf("first GET /product/1 from %q, want store after two cache errors", source)
	}
	clk.add(999 * time.Millisecond)
	if _, source, _ := fetch(t, url+"/product/1"); source != "store" {
		t.Errorf("GET /product/1 within the backoff from %q, want store", source)
	}
	if got := cache.requests.Load(); got != 2 {
		t.Errorf("cache requests = %d, want 2: the cache is bypassed during the backoff", got)
	}
	clk.add(time.Millisecond)
	if _, source, _ := fetch(t, url+"/product/1"); source != "cache" {
		t.Errorf("GET /product/1 after the backoff from %q, want cache", source)
	}
	if _, source, _ := fetch(t, url+"/product/1"); source != "cache" {
		t.Errorf("GET /product/1 after the cache answered from %q, want cache", source)
	}
	if got, want := store.requests.Load(), int64(2); got != want {
		t.Errorf("store requests = %d, want %d", got, want)
	}
}

func TestOneRequestProbesTheCacheAfterTheBackoff(t *testing.T) {
	_, f, clk := newServer(t, &fake{}, &fake{})
	if !f.tryCache() || !f.tryCache() {
		t.Fatal("tryCache() = false before any failure, want every request to use the cache")
	}
	f.cacheFailed()
	if f.tryCache() {
		t.Error("tryCache() = true right after a failure, want the backoff")
	}
	clk.add(time.Second)
	if !f.tryCache() {
		t.Error("tryCache() = false after the backoff, want one probe")
	}
	if f.tryCache() {
		t.Error("tryCache() = true for a second request while the probe runs, want false")
	}
	f.cacheWorks()
	if !f.tryCache() {
		t.Error("tryCache() = false after the probe succeeded, want true")
	}
}

func TestAClientLeavingDoesNotBypassTheCache(t *testing.T) {
	_, f, _ := newServer(t, &fake{}, &fake{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.readProduct(ctx, "1"); err == nil {
		t.Fatal("readProduct() with a cancelled context = nil error, want the context's error")
	}
	if !f.tryCache() {
		t.Error("tryCache() = false after a client left, want the cache still used")
	}
}

func TestCheckoutHangsWhileTheStoreHangs(t *testing.T) {
	store := &fake{hang: make(chan struct{})}
	url, _, _ := newServer(t, &fake{}, store)

	type result struct {
		code int
		body string
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/checkout?item=3")
		if err != nil {
			done <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b)}
	}()
	select {
	case r := <-done:
		t.Fatalf("GET /checkout returned %d %q while the store hangs, want it to wait: it has no timeout", r.code, r.body)
	case <-time.After(300 * time.Millisecond):
	}
	close(store.hang)
	select {
	case r := <-done:
		var order struct {
			Order, Item string
			Cents       int
		}
		if err := json.Unmarshal([]byte(r.body), &order); r.code != 200 || err != nil || order.Item != "3" || order.Cents != 250 {
			t.Fatalf("GET /checkout after the store answered = %d %q, want 200 with an order for item 3 at 250 cents", r.code, r.body)
		}
		store.mu.Lock()
		recorded := store.puts[order.Order]
		store.mu.Unlock()
		if recorded != r.body {
			t.Errorf("store has %q under %q, want the order %q", recorded, order.Order, r.body)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("GET /checkout still waiting 2s after the store answered")
	}
}

func TestBrowseUsesOnlyTheCache(t *testing.T) {
	t.Run("cache up", func(t *testing.T) {
		store := &fake{}
		url, _, _ := newServer(t, &fake{}, store)
		code, _, body := fetch(t, url+"/browse")
		var page []struct{ ID string }
		if err := json.Unmarshal([]byte(body), &page); code != 200 || err != nil || len(page) != 4 || page[3].ID != "4" {
			t.Errorf("GET /browse = %d %q, want 200 with items 1 to 4", code, body)
		}
		if got := store.requests.Load(); got != 0 {
			t.Errorf("store requests = %d, want 0", got)
		}
	})
	t.Run("cache down", func(t *testing.T) {
		store := &fake{}
		url, _, _ := newServer(t, nil, store)
		start := time.Now()
		if code, _, _ := fetch(t, url+"/browse"); code != 502 {
			t.Errorf("GET /browse with the cache down = %d, want 502", code)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("GET /browse with the cache down took %v, want a quick failure", elapsed)
		}
		if got := store.requests.Load(); got != 0 {
			t.Errorf("store requests = %d, want 0: /browse has no fallback", got)
		}
	})
}

func TestMetrics(t *testing.T) {
	url, _, _ := newServer(t, nil, &fake{})
	fetch(t, url+"/product/1")
	fetch(t, url+"/product/2")
	fetch(t, url+"/browse")
	_, _, metrics := fetch(t, url+"/metrics")
	for _, want := range []string{
		`frontend_product_reads_total{source="store"} 2`,
		`http_request_duration_seconds_count{code="200",route="/product/{id}"} 2`,
		`http_request_duration_seconds_count{code="502",route="/browse"} 1`,
		`http_request_duration_seconds_bucket{code="200",route="/product/{id}",le="0.001"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"CACHE_URL": "http://cache:8080", "STORE_URL": "http://store:8080", "FRONTEND_CACHE_TIMEOUT": "80ms"}
	c, err := parseConfig([]string{"-median", "5ms"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("parseConfig() = %v", err)
	}
	want := config{
		listen: ":8080", cache: "http://cache:8080", store: "http://store:8080",
		median: 5 * time.Millisecond, spread: 0.5,
		cacheTimeout: 80 * time.Millisecond, storeTimeout: time.Second, cacheBackoff: time.Second,
	}
	if c != want {
		t.Errorf("parseConfig() = %+v, want %+v", c, want)
	}
	if _, err := parseConfig(nil, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "CACHE_URL") {
		t.Errorf("parseConfig() without URLs = %v, want an error naming CACHE_URL", err)
	}
}
