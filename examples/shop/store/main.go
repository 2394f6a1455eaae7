// Command store is the shop's database: an in-memory key/value store of JSON
// documents, seeded with a catalogue of items. Every read and write takes a
// log-normal service time, like a real database.
//
//	GET /items/{id}   the document, or 404
//	PUT /items/{id}   store the JSON body under id (204)
//	GET /healthz      ok
//	GET /metrics      Prometheus metrics
//
// Settings (flag, or environment variable):
//
//	-listen  LISTEN_ADDR   address to serve on (default :8080)
//	-median  STORE_MEDIAN  median service time (default 5ms)
//	-spread  STORE_SPREAD  standard deviation of ln(service time) (default 0.5)
//	-items   STORE_ITEMS   catalogue items seeded at start, ids 1 to N (default 100)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline/examples/shop/internal/service"
	"github.com/faultline/faultline/examples/shop/internal/work"
)

type config struct {
	listen string
	median time.Duration
	spread float64
	items  int
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	fs.StringVar(&c.listen, "listen", ":8080", "address to serve on ($LISTEN_ADDR)")
	fs.DurationVar(&c.median, "median", 5*time.Millisecond, "median service time of a read or write ($STORE_MEDIAN)")
	fs.Float64Var(&c.spread, "spread", 0.5, "standard deviation of ln(service time) ($STORE_SPREAD)")
	fs.IntVar(&c.items, "items", 100, "catalogue items seeded at start, with ids 1 to N ($STORE_ITEMS)")
	err := service.ParseFlags(fs, args, getenv, map[string]string{
		"listen": "LISTEN_ADDR", "median": "STORE_MEDIAN", "spread": "STORE_SPREAD", "items": "STORE_ITEMS",
	})
	switch {
	case err != nil:
		return c, err
	case c.median < 0, c.spread < 0, c.items < 0:
		return c, fmt.Errorf("-median, -spread and -items must not be negative")
	}
	return c, nil
}

func main() {
	c, err := parseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Fatalf("store: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := prometheus.NewRegistry()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	s := newStore(work.New(c.median, c.spread, rng), c.items)
	if err := service.Run(ctx, "store", c.listen, s.handler(reg), log.Default()); err != nil {
		log.Fatalf("store: %v", err)
	}
}

// maxDocument bounds a PUT body.
const maxDocument = 1 << 20

type store struct {
	work *work.Work

	mu   sync.RWMutex
	docs map[string][]byte
}

func newStore(w *work.Work, items int) *store {
	s := &store{work: w, docs: make(map[string][]byte, items)}
	for i := 1; i <= items; i++ {
		id := strconv.Itoa(i)
		s.docs[id], _ = json.Marshal(item{ID: id, Name: names[i%len(names)], Cents: price(id)})
	}
	return s
}

func (s *store) handler(reg *prometheus.Registry) http.Handler {
	mux := service.NewMux(reg)
	mux.Handle("GET /items/{id}", s.get)
	mux.Handle("PUT /items/{id}", s.put)
	return mux
}

func (s *store) get(w http.ResponseWriter, r *http.Request) {
	if s.work.Do(r.Context()) != nil {
		return // the client has gone
	}
	s.mu.RLock()
	doc, ok := s.docs[r.PathValue("id")]
	s.mu.RUnlock()
	if !ok {
		http.Error(w, "no item "+r.PathValue("id"), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
}

func (s *store) put(w http.ResponseWriter, r *http.Request) {
	doc, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDocument))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !json.Valid(doc) {
		http.Error(w, "the body is not JSON: the store keeps JSON documents", http.StatusBadRequest)
		return
	}
	if s.work.Do(r.Context()) != nil {
		return
	}
	s.mu.Lock()
	s.docs[r.PathValue("id")] = doc
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// item is a catalogue entry as the store seeds it.
type item struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Cents int    `json:"cents"`
}

var names = []string{"kettle", "teapot", "mug", "spoon", "whisk", "ladle", "colander", "grater", "peeler", "sieve"}

// price is a stable made-up price for an id.
func price(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return 100 + int(h.Sum32()%9900)
}
