// Package service is the skeleton the shop services share: settings from
// flags and environment variables, an HTTP mux that measures every route in
// Prometheus and serves /healthz and /metrics, and a server that says when
// it listens and drains its requests on SIGTERM.
//
// It owns none of the services' behaviour; each service's main package
// registers its own routes.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ParseFlags parses args into fs. A flag named in env takes its value from
// that environment variable when the variable is set (read with getenv); a
// flag given in args wins over the environment.
func ParseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, env map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		key := env[name]
		v := getenv(key)
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("environment variable %s=%q is not a valid -%s: %w; fix or unset it", key, v, name, err)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: settings are flags (see -help)", fs.Arg(0))
	}
	return nil
}

// Mux routes requests and measures them. Every route registered with Handle
// is observed in the histogram http_request_duration_seconds, labelled by
// route (the pattern's path, such as "/items/{id}") and code (the status).
type Mux struct {
	mux      *http.ServeMux
	duration *prometheus.HistogramVec
}

// NewMux returns a Mux serving GET /healthz and GET /metrics. It registers
// its histogram and the Go runtime and process collectors with reg; the
// caller registers its own metrics there too.
func NewMux(reg *prometheus.Registry) *Mux {
	m := &Mux{
		mux: http.NewServeMux(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route and status code.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1ms to 8.2s
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Handle("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	m.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return m
}

// Handle registers h for pattern ("GET /items/{id}") and measures it.
func (m *Mux) Handle(pattern string, h http.HandlerFunc) {
	route := pattern
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		route = pattern[i+1:]
	}
	observer := m.duration.MustCurryWith(prometheus.Labels{"route": route})
	m.mux.Handle(pattern, promhttp.InstrumentHandlerDuration(observer, h))
}

// ServeHTTP dispatches the request to its route.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mux.ServeHTTP(w, r)
}

// Grace is how long Run lets requests in flight finish after its context
// ends. Requests still running then are cut off: a request waiting on a
// paused dependency must not hold up a restart.
const Grace = 2 * time.Second

// Run serves h on addr until ctx ends, then shuts down gracefully. Once it
// listens it logs "<name>: listening on <address>", the line readiness
// checks wait for.
func Run(ctx context.Context, name, addr string, h http.Handler, logger *log.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; choose another address with -listen or LISTEN_ADDR", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Printf("%s: listening on %s", name, ln.Addr())

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	logger.Printf("%s: shutting down", name)
	shutdown, cancel := context.WithTimeout(context.Background(), Grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		logger.Printf("%s: requests still running after %v; closing their connections", name, Grace)
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", addr, err)
	}
	logger.Printf("%s: stopped", name)
	return nil
}
