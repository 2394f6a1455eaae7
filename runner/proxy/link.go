package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"

	"github.com/faultline/faultline/experiments"
)

// InjectedBody and InjectedHeader mark the responses an http_error fault
// makes up.
const (
	InjectedBody   = "faultline: injected http_error\n"
	InjectedHeader = "X-Faultline-Fault"
)

// ErrUnknownFault is returned by Remove for an id that is not active.
var ErrUnknownFault = errors.New("no such fault on this proxy")

// upstreamDialTimeout bounds the HTTP-aware layer's connection to the
// Toxiproxy listener; readHeaderTimeout bounds a client's request headers.
const (
	upstreamDialTimeout = 5 * time.Second
	readHeaderTimeout   = 10 * time.Second
)

// quietToxics silences zerolog's package-level logger, which some
// Toxiproxy toxics (bandwidth) write to on stderr whatever logger the
// server was given. It is set once, before the first toxic can run, and
// nothing in faultline logs through zerolog.
var quietToxics sync.Once

// Option configures a Link.
type Option func(*options)

type options struct {
	seed    uint64
	seedSet bool
	relay   bool
}

// WithRelay connects to the upstream from a goroutine per connection,
// through a relay on loopback, instead of in Toxiproxy's accept loop,
// which dials one connection at a time: an upstream that is gone (a
// stopped or disconnected container, whose address no longer answers)
// then holds up only the connections that go to it, not every new one.
func WithRelay() Option {
	return func(o *options) { o.relay = true }
}

// WithSeed seeds the choice of the requests an http_error fault answers,
// making it repeatable. Without it the seed comes from crypto/rand.
func WithSeed(seed uint64) Option {
	return func(o *options) { o.seed, o.seedSet = seed, true }
}

// Link is faultline's in-process proxy in front of one component. Its
// methods are safe for concurrent use.
type Link struct {
	name     string
	upstream string
	addr     string
	tp       *toxiproxy.Proxy
	relay    *relay // nil unless WithRelay

	// HTTP-aware layer; nil for a TCP link.
	srv       *http.Server
	transport *http.Transport
	served    chan struct{} // closed when srv.Serve returned

	// chain serializes changes to the toxics (Add, Remove, Close).
	chain sync.Mutex

	mu     sync.Mutex
	rnd    *mrand.Rand
	seq    int
	faults map[string]*active
	order  []string // ids of active faults in the order they were added
	closed bool
}

// active is one fault applied to the link.
type active struct {
	fault    experiments.Fault
	toxic    bool         // a Toxiproxy toxic named by the fault's id; else an http_error
	injected atomic.Int64 // http_error: responses made up so far
}

// Start places a proxy on listen (port 0 picks one) that forwards to
// upstream. With httpAware the public listener speaks HTTP and the link
// accepts http_error faults.
func Start(ctx context.Context, name, listen, upstream string, httpAware bool, opts ...Option) (*Link, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if !o.seedSet {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("proxy %q: seed: %w", name, err)
		}
		o.seed = binary.LittleEndian.Uint64(b[:])
	}
	l := &Link{
		name:     name,
		upstream: upstream,
		rnd:      mrand.New(mrand.NewPCG(o.seed, 0x6661756c746c696e)),
		faults:   map[string]*active{},
	}

	quietToxics.Do(func() { zlog.Logger = zerolog.Nop() })
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	tpListen := listen
	if httpAware {
		tpListen = "127.0.0.1:0"
	}
	tpUpstream := upstream
	if o.relay {
		r, err := startRelay(upstream)
		if err != nil {
			return nil, fmt.Errorf("proxy %q: relay: %w", name, err)
		}
		l.relay = r
		tpUpstream = r.addr()
	}
	l.tp = toxiproxy.NewProxy(server, name, tpListen, tpUpstream)
	if err := l.tp.Start(); err != nil {
		l.closeRelay()
		return nil, fmt.Errorf("proxy %q: listen on %s: %w", name, tpListen, err)
	}
	if !httpAware {
		l.addr = l.tp.Listen
		return l, nil
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", listen)
	if err != nil {
		l.tp.Stop()
		l.closeRelay()
		return nil, fmt.Errorf("proxy %q: listen on %s: %w", name, listen, err)
	}
	l.addr = ln.Addr().String()
	l.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: upstreamDialTimeout}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	target := &url.URL{Scheme: "http", Host: l.tp.Listen}
	quiet := log.New(io.Discard, "", 0)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		Transport: l.transport,
		ErrorLog:  quiet,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "faultline proxy: upstream: "+err.Error(), http.StatusBadGateway)
		},
	}
	l.srv = &http.Server{
		Handler:           l.httpHandler(rp),
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          quiet,
	}
	l.served = make(chan struct{})
	go func() {
		defer close(l.served)
		_ = l.srv.Serve(ln) // returns when Close closes the server
	}()
	return l, nil
}

// Addr is the address the link listens on.
func (l *Link) Addr() string { return l.addr }

// HTTPAware reports whether the link accepts http_error faults.
func (l *Link) HTTPAware() bool { return l.srv != nil }

// Add applies f to the traffic through the link and returns an id for
// Remove.
func (l *Link) Add(f experiments.Fault) (string, error) {
	if f.Kind == experiments.FaultHTTPError {
		return l.addHTTPError(f)
	}
	spec, err := Toxic(f)
	if err != nil {
		return "", fmt.Errorf("proxy %q: %w", l.name, err)
	}
	l.chain.Lock()
	defer l.chain.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return "", fmt.Errorf("proxy %q: closed", l.name)
	}
	l.seq++
	id := fmt.Sprintf("%s-%d", f.Kind, l.seq)
	l.faults[id] = &active{fault: f, toxic: true}
	l.order = append(l.order, id)
	l.mu.Unlock()

	spec.Name = id
	body, err := json.Marshal(spec)
	if err == nil {
		_, err = l.tp.Toxics.AddToxicJson(bytes.NewReader(body))
	}
	if err != nil {
		l.forget(id)
		return "", fmt.Errorf("proxy %q: add %s: %w", l.name, f.Kind, err)
	}
	return id, nil
}

func (l *Link) addHTTPError(f experiments.Fault) (string, error) {
	if l.srv == nil {
		return "", fmt.Errorf("proxy %q: http_error needs an HTTP-aware proxy, and this one forwards TCP only", l.name)
	}
	if f.Status < 100 || f.Status > 599 {
		return "", fmt.Errorf("proxy %q: http_error: status %d is not an HTTP status code", l.name, f.Status)
	}
	if !(f.Fraction > 0 && f.Fraction <= 1) {
		return "", fmt.Errorf("proxy %q: http_error: fraction %v is not in (0, 1]", l.name, f.Fraction)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return "", fmt.Errorf("proxy %q: closed", l.name)
	}
	l.seq++
	id := fmt.Sprintf("%s-%d", f.Kind, l.seq)
	l.faults[id] = &active{fault: f}
	l.order = append(l.order, id)
	return id, nil
}

// forget drops id from the active faults and returns it, or nil.
func (l *Link) forget(id string) *active {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.faults[id]
	if !ok {
		return nil
	}
	delete(l.faults, id)
	for i, o := range l.order {
		if o == id {
			l.order = append(l.order[:i], l.order[i+1:]...)
			break
		}
	}
	return a
}

// Remove ends the fault id. Traffic is normal again when it returns:
// connections a timeout or blackhole held are closed, data a latency
// toxic held is let through at once.
func (l *Link) Remove(id string) error {
	l.chain.Lock()
	defer l.chain.Unlock()
	a := l.forget(id)
	if a == nil {
		return fmt.Errorf("proxy %q: remove %q: %w", l.name, id, ErrUnknownFault)
	}
	if !a.toxic {
		return nil
	}
	if err := l.tp.Toxics.RemoveToxic(context.Background(), id); err != nil {
		return fmt.Errorf("proxy %q: remove %q: %w", l.name, id, err)
	}
	return nil
}

// Installed reports whether fault id is active, read back from the
// proxy's own state for a toxic.
func (l *Link) Installed(id string) bool {
	l.mu.Lock()
	a, ok := l.faults[id]
	l.mu.Unlock()
	if !ok {
		return false
	}
	return !a.toxic || l.tp.Toxics.GetToxic(id) != nil
}

// InjectedErrors is the number of responses the http_error fault id has
// made up so far (0 for an unknown id or another kind).
func (l *Link) InjectedErrors(id string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.faults[id]; ok {
		return a.injected.Load()
	}
	return 0
}

// Close removes every fault, stops listening and closes every connection.
// Closing twice does nothing.
func (l *Link) Close() error {
	l.chain.Lock()
	defer l.chain.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.faults = map[string]*active{}
	l.order = nil
	l.mu.Unlock()

	var err error
	if l.srv != nil {
		err = l.srv.Close()
		<-l.served
		l.transport.CloseIdleConnections()
	}
	// Stopping first closes every connection, so that removing the
	// toxics does not wait on data they hold.
	l.tp.Stop()
	l.tp.Toxics.ResetToxics(context.Background())
	l.closeRelay()
	if err != nil {
		return fmt.Errorf("proxy %q: close: %w", l.name, err)
	}
	return nil
}

// httpHandler answers with a made-up error when an active http_error
// fault draws the request, and forwards it otherwise.
func (l *Link) httpHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, ok := l.drawError(); ok {
			h := w.Header()
			h.Set(InjectedHeader, string(experiments.FaultHTTPError))
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Content-Length", fmt.Sprint(len(InjectedBody)))
			w.WriteHeader(status)
			_, _ = io.WriteString(w, InjectedBody)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// drawError decides whether a request gets a made-up error: each active
// http_error fault, in the order they were added, draws independently
// with its fraction; the first that hits answers.
func (l *Link) drawError() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range l.order {
		a := l.faults[id]
		if a.toxic {
			continue
		}
		if l.rnd.Float64() < a.fault.Fraction {
			a.injected.Add(1)
			return a.fault.Status, true
		}
	}
	return 0, false
}

// ToxicSpec is the Toxiproxy toxic a TCP fault becomes, as the JSON that
// Toxiproxy's API accepts.
type ToxicSpec struct {
	Name       string           `json:"name"`
	Type       string           `json:"type"`
	Stream     string           `json:"stream"`
	Toxicity   float32          `json:"toxicity"`
	Attributes map[string]int64 `json:"attributes"`
}

// Toxic translates a TCP proxy fault into a Toxiproxy toxic. Durations
// become whole milliseconds, rounded up (a positive duration never becomes
// 0, which would mean "never" for a timeout); RateBytes becomes KB/s
// (1 KB = 1000 bytes), rounded to the nearest, at least 1. Direction "" is
// downstream; Toxicity 0 (unset) is 1. The name is left for the caller.
func Toxic(f experiments.Fault) (ToxicSpec, error) {
	t := ToxicSpec{Stream: "downstream", Toxicity: 1, Attributes: map[string]int64{}}
	switch f.Direction {
	case "", "downstream":
	case "upstream":
		t.Stream = "upstream"
	default:
		return t, fmt.Errorf("%s: direction %q is neither downstream nor upstream", f.Kind, f.Direction)
	}
	if f.Toxicity < 0 || f.Toxicity > 1 {
		return t, fmt.Errorf("%s: toxicity %v is not in [0, 1]", f.Kind, f.Toxicity)
	}
	if f.Toxicity > 0 {
		t.Toxicity = float32(f.Toxicity)
	}
	if f.Delay < 0 || f.Jitter < 0 || f.After < 0 || f.Bytes < 0 || f.RateBytes < 0 {
		return t, fmt.Errorf("%s: negative parameter", f.Kind)
	}
	switch f.Kind {
	case experiments.FaultLatency:
		t.Type = "latency"
		t.Attributes["latency"] = Millis(f.Delay)
		t.Attributes["jitter"] = Millis(f.Jitter)
	case experiments.FaultJitter:
		t.Type = "latency"
		t.Attributes["latency"] = Millis(f.Jitter)
		t.Attributes["jitter"] = Millis(f.Jitter)
	case experiments.FaultBandwidth:
		if f.RateBytes <= 0 {
			return t, fmt.Errorf("bandwidth: rate must be positive")
		}
		t.Type = "bandwidth"
		t.Attributes["rate"] = max(1, (f.RateBytes+500)/1000)
	case experiments.FaultTimeout:
		t.Type = "timeout"
		t.Attributes["timeout"] = Millis(f.After)
	case experiments.FaultBlackhole:
		t.Type = "timeout"
		t.Attributes["timeout"] = 0
	case experiments.FaultReset:
		t.Type = "reset_peer"
		t.Attributes["timeout"] = Millis(f.After)
	case experiments.FaultSlowClose:
		t.Type = "slow_close"
		t.Attributes["delay"] = Millis(f.Delay)
	case experiments.FaultLimitData:
		t.Type = "limit_data"
		t.Attributes["bytes"] = f.Bytes
	default:
		return t, fmt.Errorf("%s is not a TCP proxy fault", f.Kind)
	}
	return t, nil
}

// Millis is d in whole milliseconds, rounded up.
func Millis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
