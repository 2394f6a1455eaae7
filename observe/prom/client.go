package prom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config is how to reach a Prometheus-compatible HTTP API.
type Config struct {
	// Address is the base URL, "http://127.0.0.1:9090", under which
	// /api/v1 is found. It must not carry credentials.
	Address string
	// BearerToken is sent as "Authorization: Bearer <token>", or "".
	BearerToken string
	// Username and Password are sent as HTTP basic authentication, or
	// "". A bearer token and a username exclude each other.
	Username, Password string
	// Timeout bounds each call (DefaultTimeout when zero). Prometheus is
	// also asked to stop evaluating a query after it.
	Timeout time.Duration
}

// Client queries one Prometheus-compatible API. It is safe for
// concurrent use.
type Client struct {
	addr    string
	api     v1.API
	timeout time.Duration
}

// Kinds of failure, found with errors.Is on the errors of Client methods.
var (
	// ErrQuery is a query Prometheus refused or could not evaluate
	// (bad_data, execution): the message quotes Prometheus.
	ErrQuery = errors.New("PromQL error")
	// ErrTimeout is a call that exceeded Config.Timeout, or a query
	// that timed out inside Prometheus.
	ErrTimeout = errors.New("timed out")
	// ErrUnreachable is a connection that could not be made or broke.
	ErrUnreachable = errors.New("unreachable")
	// ErrUnauthorized is an answer of 401 or 403.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotPrometheus is an answer that is not the Prometheus HTTP API's.
	ErrNotPrometheus = errors.New("not a Prometheus API")
)

// New checks cfg and returns a Client. It makes no call; see Ping.
func New(cfg Config) (*Client, error) {
	addr, err := checkAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("prometheus %s: negative timeout %v", addr, cfg.Timeout)
	case cfg.BearerToken != "" && (cfg.Username != "" || cfg.Password != ""):
		return nil, fmt.Errorf("prometheus %s: both a bearer token and basic auth are set; use one", addr)
	case cfg.Password != "" && cfg.Username == "":
		return nil, fmt.Errorf("prometheus %s: a password is set without a username", addr)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	client, err := api.NewClient(api.Config{
		Address: addr,
		Client: &http.Client{
			Transport: &transport{
				base:     api.DefaultRoundTripper,
				token:    cfg.BearerToken,
				username: cfg.Username,
				password: cfg.Password,
			},
			// Redirects would carry the Authorization header elsewhere
			// and turn the POST of a query into a GET without its body.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", addr, err)
	}
	return &Client{addr: addr, api: v1.NewAPI(client), timeout: timeout}, nil
}

// checkAddress returns the address without a trailing slash, or says
// what is wrong with it. The error never repeats user info.
func checkAddress(address string) (string, error) {
	if address == "" {
		return "", errors.New("prometheus address is empty; want a base URL like http://127.0.0.1:9090")
	}
	if !strings.Contains(address, "://") {
		return "", errors.New("prometheus address has no http:// or https:// scheme; want a base URL like http://127.0.0.1:9090")
	}
	u, err := url.Parse(address)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // without the address, which may hold credentials
		}
		return "", fmt.Errorf("prometheus address is not a URL (%v); want a base URL like http://127.0.0.1:9090", err)
	}
	if u.User != nil {
		return "", fmt.Errorf("prometheus address %s carries credentials; set Username/Password or BearerToken instead", u.Redacted())
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("prometheus address %q: scheme must be http or https", address)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("prometheus address %q has no host", address)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("prometheus address %q: a base URL has no query or fragment", address)
	}
	return strings.TrimRight(address, "/"), nil
}

// Address returns the base URL the client queries.
func (c *Client) Address() string { return c.addr }

// pingQuery is the query Ping evaluates.
const pingQuery = "vector(1)"

// Ping checks that the API answers the instant query vector(1) with a
// one-element vector of 1, and otherwise returns an error naming the
// address and what went wrong: unreachable, timed out, unauthorized
// ("check the credentials"), or an answer that is not Prometheus's.
func (c *Client) Ping(ctx context.Context) error {
	v, err := c.query(ctx, pingQuery, time.Time{})
	if err != nil {
		return err
	}
	if vec, ok := v.(model.Vector); !ok || len(vec) != 1 || vec[0].Value != 1 {
		return c.fail("instant query", pingQuery, ErrNotPrometheus,
			fmt.Sprintf("%v: the answer to %s is %s, want one sample of 1", ErrNotPrometheus, pingQuery, describe(v)))
	}
	return nil
}

// query runs an instant query at t (Prometheus's own now when t is zero).
// Warnings are dropped when there is data and reported when there is none.
func (c *Client) query(ctx context.Context, query string, t time.Time) (model.Value, error) {
	ctx, info, cancel := c.call(ctx)
	defer cancel()
	v, warnings, _, err := c.api.Query(ctx, query, t, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, c.classify(ctx, "instant query", query, info, err)
	}
	if empty(v) && len(warnings) > 0 {
		return nil, c.warned("instant query", query, warnings)
	}
	return v, nil
}

// queryRange runs one range query; see query for warnings.
func (c *Client) queryRange(ctx context.Context, query string, r v1.Range) (model.Matrix, v1.Warnings, error) {
	ctx, info, cancel := c.call(ctx)
	defer cancel()
	v, warnings, _, err := c.api.QueryRange(ctx, query, r, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, nil, c.classify(ctx, "range query", query, info, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, nil, c.fail("range query", query, ErrNotPrometheus,
			fmt.Sprintf("%v: a range query answered %s, want a matrix", ErrNotPrometheus, describe(v)))
	}
	return m, warnings, nil
}

// warned is the error for a result without data that came with warnings.
func (c *Client) warned(op, query string, warnings v1.Warnings) error {
	return c.fail(op, query, nil, "no data; Prometheus warns: "+strings.Join(warnings, "; "))
}

// empty reports whether v holds no sample.
func empty(v model.Value) bool {
	switch v := v.(type) {
	case model.Vector:
		return len(v) == 0
	case model.Matrix:
		return len(v) == 0
	case nil:
		return true
	}
	return false
}

// callInfo carries what the transport saw back to the error classifier.
type callInfo struct {
	status int // HTTP status of the last response, 0 if none
}

type callInfoKey struct{}

// errCallTimeout is the cause of a context ended by Config.Timeout, to
// tell it from the caller's own deadline.
var errCallTimeout = errors.New("call timeout")

// call bounds ctx by the client's timeout and attaches a callInfo.
func (c *Client) call(ctx context.Context) (context.Context, *callInfo, context.CancelFunc) {
	info := &callInfo{}
	ctx = context.WithValue(ctx, callInfoKey{}, info)
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errCallTimeout)
	return ctx, info, cancel
}

// transport adds the credentials to each request and records the
// response status in the request's callInfo.
type transport struct {
	base               http.RoundTripper
	token              string
	username, password string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.token != "" || t.username != "" {
		req = req.Clone(req.Context())
		if t.token != "" {
			req.Header.Set("Authorization", "Bearer "+t.token)
		} else {
			req.SetBasicAuth(t.username, t.password)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if info, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok && resp != nil {
		info.status = resp.StatusCode
	}
	return resp, err
}

// callError is an error of a Client method. Its message is built here
// and never includes credentials; errors.Is finds its kind and cause.
type callError struct {
	msg   string
	kind  error
	cause error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// fail builds an error naming the address, the operation and the query.
func (c *Client) fail(op, query string, kind error, detail string) error {
	return c.failCause(op, query, kind, nil, detail)
}

func (c *Client) failCause(op, query string, kind, cause error, detail string) error {
	return &callError{
		msg:   fmt.Sprintf("prometheus %s: %s %q: %s", c.addr, op, truncate(query, maxQueryInError), detail),
		kind:  kind,
		cause: cause,
	}
}

// maxQueryInError is how much of a query an error quotes.
const maxQueryInError = 120

// truncate shortens s to at most n runes, marking the cut with "...".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

// classify turns an error of the API library into one that says what
// kind of failure it was.
func (c *Client) classify(ctx context.Context, op, query string, info *callInfo, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if context.Cause(ctx) == errCallTimeout {
			return c.failCause(op, query, ErrTimeout, ctxErr, fmt.Sprintf("%v after %v", ErrTimeout, c.timeout))
		}
		return c.failCause(op, query, ctxErr, nil, ctxErr.Error()) // the caller's deadline or cancellation
	}
	switch info.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return c.failCause(op, query, ErrUnauthorized, err, fmt.Sprintf("HTTP %d %s: check the credentials (bearer token or username and password)",
			info.status, http.StatusText(info.status)))
	case http.StatusNotFound:
		return c.failCause(op, query, ErrNotPrometheus, err, fmt.Sprintf("%v: HTTP 404 for the query endpoint; is %s the base URL of the Prometheus API (without /api/v1)?",
			ErrNotPrometheus, c.addr))
	}
	var apiErr *v1.Error
	if errors.As(err, &apiErr) {
		switch apiErr.Type {
		case v1.ErrBadData, v1.ErrExec:
			return c.failCause(op, query, ErrQuery, err, fmt.Sprintf("%v (%s): %s", ErrQuery, apiErr.Type, apiErr.Msg))
		case v1.ErrTimeout:
			return c.failCause(op, query, ErrTimeout, err, fmt.Sprintf("%v in Prometheus: %s", ErrTimeout, apiErr.Msg))
		case v1.ErrCanceled:
			return c.failCause(op, query, context.Canceled, err, "canceled in Prometheus: "+apiErr.Msg)
		case v1.ErrServer:
			return c.failCause(op, query, nil, err, fmt.Sprintf("server error: HTTP %d: %s", info.status, bodyExcerpt(apiErr.Detail)))
		case v1.ErrBadResponse:
			if typ, ok := strings.CutPrefix(apiErr.Msg, "unexpected value type "); ok {
				// A valid answer of a type the API library does not decode.
				return c.failCause(op, query, nil, err, fmt.Sprintf("the result is of type %s; want a vector, a scalar or a matrix", typ))
			}
			return c.failCause(op, query, ErrNotPrometheus, err, fmt.Sprintf("%v: HTTP %d with a body that is not a Prometheus API response (%s): %s",
				ErrNotPrometheus, info.status, truncate(apiErr.Msg, 80), bodyExcerpt(apiErr.Detail)))
		default:
			return c.failCause(op, query, ErrNotPrometheus, err, fmt.Sprintf("%v: HTTP %d: %s %s",
				ErrNotPrometheus, info.status, apiErr.Msg, bodyExcerpt(apiErr.Detail)))
		}
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the URL is the address plus /api/v1/...
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return c.failCause(op, query, ErrTimeout, err, fmt.Sprintf("%v: %v", ErrTimeout, err))
	}
	return c.failCause(op, query, ErrUnreachable, err, fmt.Sprintf("%v: %v", ErrUnreachable, err))
}

// bodyExcerpt returns the start of a response body for an error message.
func bodyExcerpt(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if body == "" {
		return "(empty body)"
	}
	return strconv.Quote(truncate(body, 80))
}

// describe says in a few words what a query result holds.
func describe(v model.Value) string {
	switch v := v.(type) {
	case nil:
		return "no result"
	case model.Vector:
		return fmt.Sprintf("a vector of %d series", len(v))
	case model.Matrix:
		return fmt.Sprintf("a matrix of %d series", len(v))
	case *model.Scalar:
		return "the scalar " + formatValue(v.Value)
	case *model.String:
		return fmt.Sprintf("the string %q", truncate(v.Value, 40))
	}
	return v.Type().String()
}
