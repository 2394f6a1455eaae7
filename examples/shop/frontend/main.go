// Command frontend is the shop's user-facing service. Its routes use the
// cache and the store in different ways, so that one fault can be hidden
// from one route and hurt another:
//
//	GET /product/{id}  reads the item through the cache with a timeout and one
//	                   retry; if both attempts fail it reads the store directly,
//	                   and it keeps reading the store directly for a backoff
//	                   before one request tries the cache again. Losing the
//	                   cache is hidden.
//	GET /checkout      reads the price of ?item= (default 1) from the store and
//	                   records the order there, with no timeout: a store that
//	                   stops answering hangs checkout.
//	GET /browse        reads the featured items 1 to 4 through the cache only,
//	                   with a timeout and no fallback: it fails while the cache
//	                   is gone and recovers as soon as the cache is back.
//	GET /healthz       ok
//	GET /metrics       Prometheus metrics, with frontend_product_reads_total{source}
//
// Every route first spends a log-normal time on its own work (rendering).
//
// Settings (flag, or environment variable):
//
//	-listen         LISTEN_ADDR             address to serve on (default :8080)
//	-cache          CACHE_URL               base URL of the cache (required)
//	-store          STORE_URL               base URL of the store (required)
//	-median         FRONTEND_MEDIAN         median time of the frontend's own work (default 20ms)
//	-spread         FRONTEND_SPREAD         standard deviation of ln(own work) (default 0.5)
//	-cache-timeout  FRONTEND_CACHE_TIMEOUT  bound on each read from the cache (default 50ms)
//	-store-timeout  FRONTEND_STORE_TIMEOUT  bound on /product's direct reads from the store (default 1s)
//	-cache-backoff  FRONTEND_CACHE_BACKOFF  how long /product bypasses a failed cache (default 1s)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline/examples/shop/internal/service"
	"github.com/faultline/faultline/examples/shop/internal/work"
)

type config struct {
	listen       string
	cache        string
	store        string
	median       time.Duration
	spread       float64
	cacheTimeout time.Duration
	storeTimeout time.Duration
	cacheBackoff time.Duration
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("frontend", flag.ContinueOnError)
	fs.StringVar(&c.listen, "listen", ":8080", "address to serve on ($LISTEN_ADDR)")
	fs.StringVar(&c.cache, "cache", "", "base URL of the cache, such as http://cache:8080 ($CACHE_URL)")
	fs.StringVar(&c.store, "store", "", "base URL of the store, such as http://store:8080 ($STORE_URL)")
	fs.DurationVar(&c.median, "median", 20*time.Millisecond, "median time of the frontend's own work per request ($FRONTEND_MEDIAN)")
	fs.Float64Var(&c.spread, "spread", 0.5, "standard deviation of ln(own work) ($FRONTEND_SPREAD)")
	fs.DurationVar(&c.cacheTimeout, "cache-timeout", 50*time.Millisecond, "bound on each read from the cache ($FRONTEND_CACHE_TIMEOUT)")
	fs.DurationVar(&c.storeTimeout, "store-timeout", time.Second, "bound on /product's direct reads from the store ($FRONTEND_STORE_TIMEOUT)")
	fs.DurationVar(&c.cacheBackoff, "cache-backoff", time.Second, "how long /product reads the store directly after the cache failed ($FRONTEND_CACHE_BACKOFF)")
	err := service.ParseFlags(fs, args, getenv, map[string]string{
		"listen": "LISTEN_ADDR", "cache": "CACHE_URL", "store": "STORE_URL",
		"median": "FRONTEND_MEDIAN", "spread": "FRONTEND_SPREAD",
		"cache-timeout": "FRONTEND_CACHE_TIMEOUT", "store-timeout": "FRONTEND_STORE_TIMEOUT", "cache-backoff": "FRONTEND_CACHE_BACKOFF",
	})
	switch {
	case err != nil:
		return c, err
	case c.cache == "" || c.store == "":
		return c, fmt.Errorf("set both -cache and -store (or CACHE_URL and STORE_URL), such as http://cache:8080 and http://store:8080")
	case c.median < 0 || c.spread < 0 || c.cacheBackoff < 0:
		return c, fmt.Errorf("-median, -spread and -cache-backoff must not be negative")
	case c.cacheTimeout <= 0 || c.storeTimeout <= 0:
		return c, fmt.Errorf("-cache-timeout and -store-timeout must be positive")
	}
	return c, nil
}

func main() {
	c, err := parseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatalf("frontend: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := prometheus.NewRegistry()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	f := newFrontend(c, work.New(c.median, c.spread, rng), time.Now)
	if err := service.Run(ctx, "frontend", c.listen, f.handler(reg), log.Default()); err != nil {
		log.Fatalf("frontend: %v", err)
	}
}

type frontend struct {
	cacheURL, storeURL string
	work               *work.Work
	now                func() time.Time

	cache    *http.Client // bounded by -cache-timeout
	store    *http.Client // bounded by -store-timeout: /product's fallback
	checkout *http.Client // no timeout at all: the flaw /checkout shows

	backoff time.Duration
	mu      sync.Mutex
	bypass  time.Time // /product reads the store directly until then

	orders atomic.Int64
	reads  *prometheus.CounterVec
}

func newFrontend(c config, w *work.Work, now func() time.Time) *frontend {
	transport := func() *http.Transport { return &http.Transport{MaxIdleConnsPerHost: 64} }
	return &frontend{
		cacheURL: c.cache, storeURL: c.store, work: w, now: now,
		cache:    &http.Client{Timeout: c.cacheTimeout, Transport: transport()},
		store:    &http.Client{Timeout: c.storeTimeout, Transport: transport()},
		checkout: &http.Client{Transport: transport()},
		backoff:  c.cacheBackoff,
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontend_product_reads_total",
			Help: "Items /product read, by source: cache, or store when the cache failed or is bypassed.",
		}, []string{"source"}),
	}
}

func (f *frontend) handler(reg *prometheus.Registry) http.Handler {
	reg.MustRegister(f.reads)
	mux := service.NewMux(reg)
	mux.Handle("GET /product/{id}", f.product)
	mux.Handle("GET /checkout", f.checkoutItem)
	mux.Handle("GET /browse", f.browse)
	return mux
}

func (f *frontend) product(w http.ResponseWriter, r *http.Request) {
	if f.work.Do(r.Context()) != nil {
		return
	}
	doc, source, err := f.readProduct(r.Context(), r.PathValue("id"))
	f.reads.WithLabelValues(source).Inc()
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("X-Source", source)
	writeDoc(w, doc)
}

// readProduct reads an item from the cache, trying twice, and from the
// store when the cache failed or is being bypassed. It returns where the
// answer came from.
func (f *frontend) readProduct(ctx context.Context, id string) ([]byte, string, error) {
	if f.tryCache() {
		for range 2 {
			doc, err := get(ctx, f.cache, f.cacheURL+"/items/"+id)
			if err == nil || errors.Is(err, errNotFound) {
				f.cacheWorks()
				return doc, "cache", err
			}
		}
		if ctx.Err() != nil {
			return nil, "cache", ctx.Err() // our client left; the cache may be fine
		}
		f.cacheFailed()
	}
	doc, err := get(ctx, f.store, f.storeURL+"/items/"+id)
	return doc, "store", err
}

// tryCache says whether this request should read the cache. While the cache
// is bypassed, none does; when the bypass ends, the first request to ask
// tries the cache and the bypass is extended for the others until it knows.
func (f *frontend) tryCache() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Before(f.bypass) {
		return false
	}
	if !f.bypass.IsZero() {
		f.bypass = now.Add(f.backoff)
	}
	return true
}

func (f *frontend) cacheWorks() {
	f.mu.Lock()
	f.bypass = time.Time{}
	f.mu.Unlock()
}

func (f *frontend) cacheFailed() {
	f.mu.Lock()
	f.bypass = f.now().Add(f.backoff)
	f.mu.Unlock()
}

func (f *frontend) checkoutItem(w http.ResponseWriter, r *http.Request) {
	if f.work.Do(r.Context()) != nil {
		return
	}
	id := r.URL.Query().Get("item")
	if id == "" {
		id = "1"
	}
	doc, err := get(r.Context(), f.checkout, f.storeURL+"/items/"+id)
	if err != nil {
		fail(w, err)
		return
	}
	var it struct {
		Cents int `json:"cents"`
	}
	if err := json.Unmarshal(doc, &it); err != nil {
		fail(w, fmt.Errorf("item %s from the store: %w", id, err))
		return
	}
	order := "order-" + strconv.FormatInt(f.orders.Add(1), 10)
	record, _ := json.Marshal(map[string]any{"order": order, "item": id, "cents": it.Cents})
	if err := put(r.Context(), f.checkout, f.storeURL+"/items/"+order, record); err != nil {
		fail(w, err)
		return
	}
	writeDoc(w, record)
}

func (f *frontend) browse(w http.ResponseWriter, r *http.Request) {
	if f.work.Do(r.Context()) != nil {
		return
	}
	page := make([]json.RawMessage, 0, 4)
	for _, id := range []string{"1", "2", "3", "4"} {
		doc, err := get(r.Context(), f.cache, f.cacheURL+"/items/"+id)
		if err != nil {
			fail(w, err)
			return
		}
		page = append(page, doc)
	}
	body, _ := json.Marshal(page)
	writeDoc(w, body)
}

var errNotFound = errors.New("not found")

// get reads a document. A 404 is errNotFound; any other status but 200 is
// an error.
func get(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return do(c, req, http.StatusOK)
}

func put(ctx context.Context, c *http.Client, url string, doc []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(doc))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = do(c, req, http.StatusNoContent)
	return err
}

func do(c *http.Client, req *http.Request, want int) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, errNotFound)
	case resp.StatusCode != want:
		return nil, fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL, resp.StatusCode, bytes.TrimSpace(body))
	}
	return body, nil
}

// fail answers 404 for a missing item and 502 for a dependency's failure.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusBadGateway
	if errors.Is(err, errNotFound) {
		code = http.StatusNotFound
	}
	http.Error(w, err.Error(), code)
}

func writeDoc(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
}
