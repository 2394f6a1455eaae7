// Command cache is the shop's read cache in front of the store. An item read
// within the TTL of the last read from the store is answered from memory (a
// hit); otherwise the cache asks the store, with a timeout, and keeps the
// answer (a miss). The TTL sets the share of reads that reach the store.
//
//	GET    /items/{id}  the item, with "X-Cache: hit" or "X-Cache: miss";
//	                    502 when the store fails or times out, 404 passed through
//	DELETE /items       forget every item (204)
//	GET    /healthz     ok
//	GET    /metrics     Prometheus metrics, with cache_lookups_total{result}
//
// Settings (flag, or environment variable):
//
//	-listen         LISTEN_ADDR          address to serve on (default :8080)
//	-store          STORE_URL            base URL of the store (required)
//	-ttl            CACHE_TTL            how long an item is served from memory (default 1s)
//	-store-timeout  CACHE_STORE_TIMEOUT  bound on each read from the store (default 250ms)
//
// "cache -flush" sends DELETE /items to the cache on -listen and exits: the
// image has no shell, so this is the command to run inside the container to
// empty the cache.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline/examples/shop/internal/service"
)

type config struct {
	listen       string
	store        string
	ttl          time.Duration
	storeTimeout time.Duration
	flush        bool
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("cache", flag.ContinueOnError)
	fs.StringVar(&c.listen, "listen", ":8080", "address to serve on ($LISTEN_ADDR)")
	fs.StringVar(&c.store, "store", "", "base URL of the store, such as http://store:8080 ($STORE_URL)")
	fs.DurationVar(&c.ttl, "ttl", time.Second, "how long an item is served from memory ($CACHE_TTL)")
	fs.DurationVar(&c.storeTimeout, "store-timeout", 250*time.Millisecond, "bound on each read from the store ($CACHE_STORE_TIMEOUT)")
	fs.BoolVar(&c.flush, "flush", false, "empty the cache serving on -listen, then exit")
	err := service.ParseFlags(fs, args, getenv, map[string]string{
		"listen": "LISTEN_ADDR", "store": "STORE_URL", "ttl": "CACHE_TTL", "store-timeout": "CACHE_STORE_TIMEOUT",
	})
	switch {
	case err != nil:
		return c, err
	case c.store == "" && !c.flush:
		return c, fmt.Errorf("no store URL: set -store or STORE_URL, such as http://store:8080")
	case c.ttl < 0 || c.storeTimeout <= 0:
		return c, fmt.Errorf("-ttl must not be negative and -store-timeout must be positive")
	}
	return c, nil
}

func main() {
	c, err := parseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatalf("cache: %v", err)
	}
	if c.flush {
		if err := flush(c.listen); err != nil {
			log.Fatalf("cache: flush: %v", err)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := prometheus.NewRegistry()
	client := &http.Client{Timeout: c.storeTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	h := newCache(c.store, client, c.ttl, time.Now).handler(reg)
	if err := service.Run(ctx, "cache", c.listen, h, log.Default()); err != nil {
		log.Fatalf("cache: %v", err)
	}
}

type entry struct {
	doc     []byte
	expires time.Time
}

type cache struct {
	store  string
	client *http.Client
	ttl    time.Duration
	now    func() time.Time

	lookups *prometheus.CounterVec

	mu      sync.Mutex
	entries map[string]entry
}

func newCache(store string, client *http.Client, ttl time.Duration, now func() time.Time) *cache {
	return &cache{
		store: store, client: client, ttl: ttl, now: now,
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_lookups_total",
			Help: "Item lookups by result: hit (from memory), miss (read from the store) or error (the store failed).",
		}, []string{"result"}),
		entries: map[string]entry{},
	}
}

func (c *cache) handler(reg *prometheus.Registry) http.Handler {
	reg.MustRegister(c.lookups)
	mux := service.NewMux(reg)
	mux.Handle("GET /items/{id}", c.get)
	mux.Handle("DELETE /items", c.flush)
	return mux
}

func (c *cache) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && c.now().Before(e.expires) {
		c.lookups.WithLabelValues("hit").Inc()
		reply(w, "hit", e.doc)
		return
	}

	doc, status, err := c.read(r.Context(), id)
	if err != nil {
		c.lookups.WithLabelValues("error").Inc()
		http.Error(w, "store: "+err.Error(), http.StatusBadGateway)
		return
	}
	c.lookups.WithLabelValues("miss").Inc()
	if status == http.StatusNotFound {
		http.Error(w, "no item "+id, http.StatusNotFound)
		return
	}
	c.mu.Lock()
	c.entries[id] = entry{doc: doc, expires: c.now().Add(c.ttl)}
	c.mu.Unlock()
	reply(w, "miss", doc)
}

// read asks the store for an item. A 404 is an answer; any other status
// but 200 is an error.
func (c *cache) read(ctx context.Context, id string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.store+"/items/"+id, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return nil, 0, err
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound:
		return nil, 0, fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(doc))
	}
	return doc, resp.StatusCode, nil
}

func (c *cache) flush(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func reply(w http.ResponseWriter, result string, doc []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Cache", result)
	w.Write(doc)
}

// flush asks the cache listening on addr to forget every item.
func flush(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	req, err := http.NewRequest(http.MethodDelete, "http://"+net.JoinHostPort(host, port)+"/items", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE /items answered %s, want 204", resp.Status)
	}
	return nil
}
