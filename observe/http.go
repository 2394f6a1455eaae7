package observe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Error values of failed workload events that got no answer.
const (
	// ErrorTimeout: no complete answer within the workload's Timeout,
	// counted from the request's scheduled time.
	ErrorTimeout = "timeout"
	// ErrorConcurrencyLimit: the request fell due while Concurrency
	// requests were already in flight, so it was never sent.
	ErrorConcurrencyLimit = "concurrency limit reached"
)

// StatusClassError is the status_class of an event that got no complete
// answer (transport error, timeout, concurrency limit).
const StatusClassError = "error"

// StatusClass returns the status_class label for an HTTP status code:
// "1xx" to "9xx" by its first digit, or StatusClassError for 0 (no
// answer) and anything else outside 100-999.
func StatusClass(status int) string {
	if status < 100 || status > 999 {
		return StatusClassError
	}
	return fmt.Sprintf("%dxx", status/100)
}

// HTTP is one open-model HTTP workload: requests arrive at a constant
// Rate whatever the target does.
//
// Outcome rules, per request:
//   - an answer with a 5xx status (or a non-standard one above) is a
//     failed event (OK false);
//   - any other complete answer, 4xx included, is OK: the target
//     answered as designed, and the status_class label keeps 4xx apart
//     for cohorts;
//   - no complete answer (transport error, or the body could not be
//     read to its end) is a failed event with Status 0, status_class
//     "error" and Error saying why; ErrorTimeout when the Timeout passed;
//   - a request falling due while Concurrency requests are in flight is
//     not sent and not delayed (that would hide latency): it is a failed
//     event with Error ErrorConcurrencyLimit, status_class "error", and
//     Latency the time from its scheduled moment to when the limit was
//     found, usually near zero.
type HTTP struct {
	// Name is the workload's name, the "workload" label.
	Name string
	// BaseURL is the scheme and host, optionally a path prefix:
	// "http://127.0.0.1:8080".
	BaseURL string
	// Method defaults to GET.
	Method string
	// Path is appended to BaseURL; without its query string it is the
	// "route" label. Defaults to "/".
	Path    string
	Headers map[string]string
	Body    string
	// Rate is the arrival rate in requests per second.
	Rate float64
	// Timeout bounds each request, counted from its scheduled time; a
	// request without a complete answer by then is a failed event.
	Timeout time.Duration
	// Concurrency is the most requests in flight at once.
	Concurrency int
	// Labels are constant labels added to every event. They must not
	// use the names of the labels the generator sets.
	Labels map[string]string
}

// NewHTTPClient returns a client for a workload with the given
// concurrency: keep-alive connections, up to concurrency idle ones kept
// per host, no proxy from the environment, no transparent compression
// (the request is sent as the workload declares it), and redirects not
// followed, so a 3xx answer is measured as such.
func NewHTTPClient(concurrency int) *http.Client {
	if concurrency < 1 {
		concurrency = 1
	}
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reserved are the labels the HTTP generator sets itself.
var reserved = []string{LabelWorkload, LabelRoute, LabelMethod, LabelStatusClass}

// httpRun is a validated workload with what every request shares.
type httpRun struct {
	h      HTTP
	url    string
	method string
	host   string // Host header override, "" for none
	labels map[string]string
	// byClass holds one label map per status class, shared by every
	// event of that class: a run makes hundreds of thousands of events
	// and a handful of distinct label sets.
	byClass sync.Map // string -> map[string]string
	client  *http.Client
	clock   Clock
}

func (h HTTP) prepare(client *http.Client, clock Clock) (*httpRun, error) {
	switch {
	case h.Name == "":
		return nil, errors.New("workload has no name")
	case !(h.Rate > 0) || math.IsInf(h.Rate, 0):
		return nil, fmt.Errorf("workload %q: rate %v is not a positive number", h.Name, h.Rate)
	case h.Timeout <= 0:
		return nil, fmt.Errorf("workload %q: timeout %v is not positive", h.Name, h.Timeout)
	case h.Concurrency < 1:
		return nil, fmt.Errorf("workload %q: concurrency %d is below 1", h.Name, h.Concurrency)
	case clock == nil:
		return nil, fmt.Errorf("workload %q: no clock", h.Name)
	}
	base, err := url.Parse(h.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("workload %q: base URL: %w", h.Name, err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("workload %q: base URL %q is not an absolute http(s) URL", h.Name, h.BaseURL)
	}
	path := h.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("workload %q: path %q does not start with /", h.Name, path)
	}
	method := h.Method
	if method == "" {
		method = http.MethodGet
	}
	r := &httpRun{
		h:      h,
		url:    strings.TrimRight(h.BaseURL, "/") + path,
		method: method,
		client: client,
		clock:  clock,
	}
	// Let net/http check the method and the URL once, up front.
	if _, err := http.NewRequest(method, r.url, nil); err != nil {
		return nil, fmt.Errorf("workload %q: %w", h.Name, err)
	}
	for k, v := range h.Headers {
		if strings.EqualFold(k, "Host") {
			r.host = v
		}
	}
	r.labels = make(map[string]string, len(h.Labels)+len(reserved))
	for k, v := range h.Labels {
		for _, name := range reserved {
			if k == name {
				return nil, fmt.Errorf("workload %q: label %q is set by the generator", h.Name, k)
			}
		}
		r.labels[k] = v
	}
	route, _, _ := strings.Cut(path, "?")
	r.labels[LabelWorkload] = h.Name
	r.labels[LabelRoute] = route
	r.labels[LabelMethod] = method
	return r, nil
}

// Run sends requests at the workload's rate until ctx is done (or its
// deadline, if any, is reached), and calls emit once per scheduled
// request with its event. emit is called
// from many goroutines at once and must be safe for concurrent use (a
// Collector's Emit is). Requests in flight when ctx ends are not
// cancelled: Run waits for them, at most Timeout, and returns only when
// every goroutine it started has ended and no emit call is left.
//
// A nil client means NewHTTPClient(h.Concurrency), whose idle
// connections are closed before Run returns. Run returns an error only
// for invalid settings, before sending anything.
func (h HTTP) Run(ctx context.Context, client *http.Client, clock Clock, emit func(Event)) error {
	if emit == nil {
		return fmt.Errorf("workload %q: no emit function", h.Name)
	}
	if client == nil {
		client = NewHTTPClient(h.Concurrency)
		defer client.CloseIdleConnections()
	}
	r, err := h.prepare(client, clock)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, h.Concurrency)
	// In-flight requests outlive ctx, bounded by their own deadline.
	reqBase := context.WithoutCancel(ctx)
	pace(ctx, clock, clock.Now(), h.Rate, func(_ int, at time.Time) {
		select {
		case slots <- struct{}{}:
		default:
			emit(r.failed(at, clock.Now(), ErrorConcurrencyLimit))
			return
		}
		wg.Go(func() {
			e := r.do(reqBase, at)
			<-slots
			emit(e)
		})
	})
	return nil
}

// do sends one request scheduled at at and reads its whole answer.
func (r *httpRun) do(ctx context.Context, at time.Time) Event {
	remaining := r.h.Timeout - r.clock.Now().Sub(at)
	if remaining <= 0 {
		return r.failed(at, r.clock.Now(), ErrorTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, remaining)
	defer cancel()
	var body io.Reader = http.NoBody
	if r.h.Body != "" {
		body = strings.NewReader(r.h.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil { // checked in prepare; kept for safety
		return r.failed(at, r.clock.Now(), err.Error())
	}
	for k, v := range r.h.Headers {
		req.Header.Set(k, v)
	}
	if r.host != "" {
		req.Host = r.host
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return r.failed(at, r.clock.Now(), reason(ctx, err))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	end := r.clock.Now()
	if err != nil {
		return r.failed(at, end, reason(ctx, err))
	}
	return Event{
		Time:    at,
		Latency: end.Sub(at),
		OK:      resp.StatusCode < 500, // 5xx and non-standard 6xx-9xx fail
		Labels:  r.labelsFor(StatusClass(resp.StatusCode)),
		Status:  resp.StatusCode,
	}
}

// failed is the event of a request that got no complete answer.
func (r *httpRun) failed(at, end time.Time, why string) Event {
	return Event{Time: at, Latency: end.Sub(at), Labels: r.labelsFor(StatusClassError), Error: why}
}

// labelsFor returns the shared, read-only label map of a status class.
func (r *httpRun) labelsFor(class string) map[string]string {
	if m, ok := r.byClass.Load(class); ok {
		return m.(map[string]string)
	}
	labels := maps.Clone(r.labels)
	labels[LabelStatusClass] = class
	m, _ := r.byClass.LoadOrStore(class, labels)
	return m.(map[string]string)
}

// reason turns a request error into an event's Error.
func reason(ctx context.Context, err error) string {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return ErrorTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
