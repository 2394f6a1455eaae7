// Command shop is the quickstart's front service. Its three routes use the
// prices service in three ways, so that one fault has three outcomes:
//
//	/catalog   answers from a cache refreshed in the background;
//	/checkout  asks prices on every request, with no timeout;
//	/quote     asks prices with a 250ms timeout and one retry.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

var items = []string{"apple", "bread", "cheese", "dates"}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	pricesURL := flag.String("prices", os.Getenv("PRICES_URL"), "base URL of the prices service (default $PRICES_URL)")
	refresh := flag.Duration("refresh", 500*time.Millisecond, "catalog cache refresh interval")
	work := flag.Duration("work", 15*time.Millisecond, "median of the simulated work per request")
	spread := flag.Float64("spread", 0.5, "standard deviation of ln(work): the work is log-normal, like the latency of real services")
	flag.Parse()
	if *pricesURL == "" {
		log.Fatal("shop: no prices URL: set -prices or PRICES_URL")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s := &shop{
		prices: *pricesURL,
		// No timeout: the flaw /checkout demonstrates.
		plain:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		guarded: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 250 * time.Millisecond},
		cache:   map[string]int{},
		work:    *work,
		spread:  *spread,
	}
	go s.refreshLoop(ctx, *refresh)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /catalog", s.catalog)
	mux.HandleFunc("GET /checkout", s.checkout)
	mux.HandleFunc("GET /quote", s.quote)

	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("shop: serving on %s, prices at %s", *listen, *pricesURL)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("shop: %v", err)
	}
}

type shop struct {
	prices  string
	plain   *http.Client
	guarded *http.Client

	work   time.Duration
	spread float64

	mu    sync.RWMutex
	cache map[string]int
}

// simulate stands for the shop's own work on a request (rendering,
// business rules): a log-normal duration around the median, like the
// latency of a real service.
func (s *shop) simulate() {
	time.Sleep(time.Duration(float64(s.work) * math.Exp(s.spread*rand.NormFloat64())))
}

func (s *shop) refreshLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, item := range items {
			if cents, err := s.lookup(ctx, s.guarded, item); err == nil {
				s.mu.Lock()
				s.cache[item] = cents
				s.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *shop) catalog(w http.ResponseWriter, _ *http.Request) {
	s.simulate()
	s.mu.RLock()
	out := make(map[string]int, len(s.cache))
	for k, v := range s.cache {
		out[k] = v
	}
	s.mu.RUnlock()
	if len(out) == 0 {
		http.Error(w, "catalog not loaded yet", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, out)
}

func (s *shop) checkout(w http.ResponseWriter, r *http.Request) {
	s.simulate()
	cents, err := s.lookup(r.Context(), s.plain, "bread")
	if err != nil {
		http.Error(w, "prices: "+err.Error(), http.StatusBadGateway)
		return
	}
	writeJSON(w, map[string]int{"total": cents})
}

func (s *shop) quote(w http.ResponseWriter, r *http.Request) {
	s.simulate()
	cents, err := s.lookup(r.Context(), s.guarded, "cheese")
	if err != nil {
		cents, err = s.lookup(r.Context(), s.guarded, "cheese")
	}
	if err != nil {
		http.Error(w, "prices: "+err.Error(), http.StatusBadGateway)
		return
	}
	writeJSON(w, map[string]int{"quote": cents})
}

func (s *shop) lookup(ctx context.Context, c *http.Client, item string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.prices+"/price?item="+item, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	var body struct {
		Cents int `json:"cents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	return body.Cents, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
