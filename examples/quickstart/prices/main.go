// Command prices is the quickstart's dependency: it answers the price of
// an item after a little simulated work.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to serve on")
	work := flag.Duration("work", 10*time.Millisecond, "median of the simulated work per lookup")
	spread := flag.Float64("spread", 0.5, "standard deviation of ln(work): the work is log-normal, like the latency of real services")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /price", func(w http.ResponseWriter, r *http.Request) {
		item := r.URL.Query().Get("item")
		if item == "" {
			http.Error(w, "missing item", http.StatusBadRequest)
			return
		}
		time.Sleep(simulatedWork(*work, *spread))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"item": item, "cents": price(item)})
	})

	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("prices: serving on %s", *listen)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("prices: %v", err)
	}
}

// simulatedWork draws a log-normal duration with the given median and
// standard deviation of its logarithm.
func simulatedWork(median time.Duration, spread float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(spread*rand.NormFloat64()))
}

// price is a stable made-up price for an item.
func price(item string) int {
	h := fnv.New32a()
	h.Write([]byte(item))
	return 100 + int(h.Sum32()%9900)
}
