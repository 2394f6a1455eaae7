package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner/proxy"
)

// Staging targets (docs/faults.md, "Staging targets"): an endpoint
// component is a system faultline neither starts nor stops. Its faults
// are local commands (exec), HTTP requests (http), and toxics on a
// remote Toxiproxy API (the TCP proxy kinds).

const (
	// toxiproxyTimeout bounds each call to a Toxiproxy API.
	toxiproxyTimeout = 5 * time.Second
	// outputTail is how much of a command's output (or an answer's
	// body) an error or a landed check quotes.
	outputTail = 200
	// endpointPoll is the interval between readiness probes of an
	// endpoint.
	endpointPoll = 100 * time.Millisecond
)

// StagingTarget is what the staging drivers need of an endpoint
// component. Target.Staging is set for endpoints only.
type StagingTarget struct {
	// Environment is the experiment's environment ("staging").
	Environment string
	// Address is the endpoint's address ("host:port").
	Address string
	// Dir is where exec commands run: the experiment file's directory.
	Dir string
	// RunID goes into the names of toxics.
	RunID string
	// Toxiproxy is the endpoint's Toxiproxy API, or nil.
	Toxiproxy *experiments.Toxiproxy
	// LookupEnv reads the environment variables of headers_env
	// (default os.LookupEnv).
	LookupEnv func(string) (string, bool)

	mu     sync.Mutex
	toxics int // toxics named so far
}

// toxicName returns a name for the next toxic of kind: unique in the run
// and carrying its id, so that an operator can tell whose it is.
func (s *StagingTarget) toxicName(kind experiments.FaultKind) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.toxics++
	return fmt.Sprintf("faultline-%s-%s-%d", s.RunID, kind, s.toxics)
}

func (s *StagingTarget) lookupEnv() func(string) (string, bool) {
	if s.LookupEnv == nil {
		return os.LookupEnv
	}
	return s.LookupEnv
}

// commandEnv is what an exec command gets on top of faultline's own
// environment.
func commandEnv(environment, address string) []string {
	return []string{"FAULTLINE_ENVIRONMENT=" + environment, "FAULTLINE_ADDRESS=" + address}
}

// stagingData is the undo data of an inject on an endpoint
// (docs/journal.md): with the inject's revert_argv, everything recover
// needs to undo it without the process that did it. Header values from
// the environment are not in it, only the variables' names.
type stagingData struct {
	Environment string `json:"environment,omitempty"`
	Address     string `json:"address,omitempty"`
	// Dir and Timeout: where an exec fault's revert runs, and the bound
	// on it (or on an http fault's revert request), as "10s".
	Dir     string `json:"dir,omitempty"`
	Timeout string `json:"timeout,omitempty"`
	// RevertRequest is an http fault's revert.
	RevertRequest *requestData `json:"revert_request,omitempty"`
	// ToxiproxyAPI, ToxiproxyProxy and Toxic name the toxic of a TCP
	// kind.
	ToxiproxyAPI   string `json:"toxiproxy_api,omitempty"`
	ToxiproxyProxy string `json:"toxiproxy_proxy,omitempty"`
	Toxic          string `json:"toxic,omitempty"`
}

// requestData is an HTTP request as the journal keeps it.
type requestData struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Body       string            `json:"body,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	HeadersEnv map[string]string `json:"headers_env,omitempty"`
	Status     int               `json:"status,omitempty"`
}

func newRequestData(r *experiments.HTTPRequest) *requestData {
	return &requestData{Method: r.Method, URL: r.URL, Body: r.Body, Headers: r.Headers, HeadersEnv: r.HeadersEnv, Status: r.Status}
}

func (r *requestData) request() *experiments.HTTPRequest {
	return &experiments.HTTPRequest{Method: r.Method, URL: r.URL, Body: r.Body, Headers: r.Headers, HeadersEnv: r.HeadersEnv, Status: r.Status}
}

// stagingDriver is a driver of a fault on an endpoint: it tells the
// journal how to undo it.
type stagingDriver interface {
	undoData() stagingData
}

// newStagingFault returns the driver for f on endpoint target t.
func newStagingFault(f *experiments.Fault, t Target, cfg faultConfig) (Fault, error) {
	st := t.Staging
	switch {
	case f.Kind == experiments.FaultExec:
		if len(f.Argv) == 0 || len(f.RevertArgv) == 0 {
			return nil, fmt.Errorf("exec on %q: a command and a revert command are needed", t.Name)
		}
		return &execFault{f: *f, t: t}, nil
	case f.Kind == experiments.FaultHTTP:
		if f.Request == nil || f.RevertRequest == nil {
			return nil, fmt.Errorf("http on %q: an inject and a revert request are needed", t.Name)
		}
		return &httpFault{f: *f, t: t}, nil
	case slices.Contains(experiments.ToxiproxyKinds, f.Kind):
		if st.Toxiproxy == nil {
			return nil, fmt.Errorf("%s on %q: the endpoint names no Toxiproxy API", f.Kind, t.Name)
		}
		spec, err := proxy.Toxic(*f)
		if err != nil {
			return nil, fmt.Errorf("%s on %q: %w", f.Kind, t.Name, err)
		}
		spec.Name = st.toxicName(f.Kind)
		return &toxiproxyFault{f: *f, t: t, cfg: cfg, spec: spec}, nil
	}
	return nil, fmt.Errorf("%s on %q: not a fault for an endpoint", f.Kind, t.Name)
}

func timeoutOf(f experiments.Fault) time.Duration {
	if f.Timeout <= 0 {
		return experiments.DefaultCommandTimeout
	}
	return f.Timeout
}

// execFault runs a command on this machine at the inject and another at
// the revert.
type execFault struct {
	f experiments.Fault
	t Target

	mu       sync.Mutex
	injected bool
	result   commandResult
	err      error
}

var (
	_ Fault         = (*execFault)(nil)
	_ stagingDriver = (*execFault)(nil)
)

func (e *execFault) undoData() stagingData {
	return stagingData{Environment: e.t.Staging.Environment, Address: e.t.Staging.Address, Dir: e.t.Staging.Dir, Timeout: timeoutOf(e.f).String()}
}

func (e *execFault) Inject(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.injected {
		return errors.New("already injected")
	}
	e.injected = true
	st := e.t.Staging
	e.result, e.err = runCommand(ctx, st.Dir, e.f.Argv, commandEnv(st.Environment, st.Address), timeoutOf(e.f))
	return e.err
}

func (e *execFault) Check(context.Context) Landed {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case !e.injected:
		return Landed{Detail: "not injected"}
	case e.err != nil:
		return Landed{Detail: "not observed: " + e.err.Error()}
	}
	return Landed{OK: true, Detail: "observed: " + e.result.describe()}
}

// Revert runs the revert command, whatever the inject achieved: a
// command that failed half-way may have changed something. After a
// revert that succeeded, another does nothing.
func (e *execFault) Revert(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.injected {
		return nil
	}
	st := e.t.Staging
	if _, err := runCommand(ctx, st.Dir, e.f.RevertArgv, commandEnv(st.Environment, st.Address), timeoutOf(e.f)); err != nil {
		return err
	}
	e.injected = false
	return nil
}

// commandResult is how a command ended.
type commandResult struct {
	argv []string
	took time.Duration
	// stdout and stderr are the ends of the command's output.
	stdout, stderr string
}

func (c commandResult) describe() string {
	s := fmt.Sprintf("%s exited 0 in %s", argvText(c.argv), fmtDur(c.took))
	if out := strings.TrimSpace(c.stdout); out != "" {
		s += "; it printed: " + out
	}
	return s
}

func argvText(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// runCommand runs argv (no shell) in dir with extra environment
// variables and waits at most timeout for it to exit 0. A relative
// program path is relative to dir. The command runs in its own process
// group, which is killed when the timeout passes or ctx ends. The
// error quotes the end of its standard error.
func runCommand(ctx context.Context, dir string, argv, env []string, timeout time.Duration) (commandResult, error) {
	res := commandResult{argv: argv}
	if len(argv) == 0 {
		return res, errors.New("no command")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, programPath(dir, argv[0]), argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr tailBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res.took = time.Since(start)
	res.stdout, res.stderr = stdout.String(), stderr.String()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		return res, fmt.Errorf("%s in %s did not exit within %s%s", argvText(argv), dir, fmtDur(timeout), quoteOutput(res.stderr))
	case errors.As(err, &exitErr):
		return res, fmt.Errorf("%s in %s exited %d after %s%s", argvText(argv), dir, exitErr.ExitCode(), fmtDur(res.took), quoteOutput(res.stderr))
	}
	return res, fmt.Errorf("%s in %s: %w", argvText(argv), dir, err)
}

// programPath makes a relative program path that names a directory
// (./flag.sh, bin/flag) relative to dir; a bare name is looked up in
// PATH.
func programPath(dir, prog string) string {
	if strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog) {
		return filepath.Join(dir, prog)
	}
	return prog
}

// quoteOutput returns ": <the end of s>" for an error, or "" when s is
// empty.
func quoteOutput(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) > outputTail {
		s = "..." + s[len(s)-outputTail:]
	}
	return ": " + strings.Join(strings.Fields(s), " ")
}

// tailBuffer keeps the last 4 KB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - 4096; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// httpFault sends a request at the inject and another at the revert.
type httpFault struct {
	f experiments.Fault
	t Target

	mu       sync.Mutex
	injected bool
	answer   httpAnswer
	err      error
}

var (
	_ Fault         = (*httpFault)(nil)
	_ stagingDriver = (*httpFault)(nil)
)

func (h *httpFault) undoData() stagingData {
	st := h.t.Staging
	return stagingData{Environment: st.Environment, Address: st.Address, Timeout: timeoutOf(h.f).String(), RevertRequest: newRequestData(h.f.RevertRequest)}
}

func (h *httpFault) Inject(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.injected {
		return errors.New("already injected")
	}
	h.injected = true
	h.answer, h.err = sendRequest(ctx, h.f.Request, timeoutOf(h.f), h.t.Staging.lookupEnv())
	return h.err
}

func (h *httpFault) Check(context.Context) Landed {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.injected:
		return Landed{Detail: "not injected"}
	case h.err != nil:
		return Landed{Detail: "not observed: " + h.err.Error()}
	}
	return Landed{OK: true, Detail: "observed: " + h.answer.describe()}
}

// Revert sends the revert request, whatever the inject achieved: a
// request that timed out may still have been served.
func (h *httpFault) Revert(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.injected {
		return nil
	}
	if _, err := sendRequest(ctx, h.f.RevertRequest, timeoutOf(h.f), h.t.Staging.lookupEnv()); err != nil {
		return err
	}
	h.injected = false
	return nil
}

// httpAnswer is how a request was answered.
type httpAnswer struct {
	method, url string
	status      int
	took        time.Duration
}

func (a httpAnswer) describe() string {
	return fmt.Sprintf("%s %s answered %d in %s", a.method, a.url, a.status, fmtDur(a.took))
}

// sendRequest sends r and checks the answer's status: r.Status, or any
// 2xx when it is 0. Redirects are not followed. Headers of r.HeadersEnv
// take their values from lookup; no value read there appears in an
// error.
func sendRequest(ctx context.Context, r *experiments.HTTPRequest, timeout time.Duration, lookup func(string) (string, bool)) (httpAnswer, error) {
	a := httpAnswer{method: r.Method, url: r.URL}
	var secrets []string
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, strings.NewReader(r.Body))
	if err != nil {
		return a, fmt.Errorf("%s %s: %w", r.Method, r.URL, err)
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v // Go sends req.Host, not a Host header
			continue
		}
		req.Header.Set(k, v)
	}
	for _, k := range sortedNames(r.HeadersEnv) {
		name := r.HeadersEnv[k]
		v, ok := lookup(name)
		if !ok || v == "" {
			return a, fmt.Errorf("%s %s: the header %s takes its value from the environment variable %s, which is not set", r.Method, r.URL, k, name)
		}
		req.Header.Set(k, v)
		secrets = append(secrets, v)
	}
	client := &http.Client{
		Transport:     &http.Transport{Proxy: http.ProxyFromEnvironment, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	resp, err := client.Do(req)
	a.took = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return a, fmt.Errorf("%s %s: no answer within %s", r.Method, r.URL, fmtDur(timeout))
		}
		return a, fmt.Errorf("%s %s: %w", r.Method, r.URL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	a.status = resp.StatusCode
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	want := "a 2xx status"
	if r.Status != 0 {
		ok, want = resp.StatusCode == r.Status, fmt.Sprint(r.Status)
	}
	if !ok {
		text := string(bytes.TrimSpace(body))
		for _, s := range secrets {
			text = strings.ReplaceAll(text, s, "<redacted>")
		}
		return a, fmt.Errorf("%s %s answered %d in %s, want %s%s", r.Method, r.URL, resp.StatusCode, fmtDur(a.took), want, quoteOutput(text))
	}
	return a, nil
}

// unwrapURLError drops the method and URL a *url.Error repeats.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// toxiproxyFault adds a toxic to a proxy of a remote Toxiproxy API at the
// inject and removes it at the revert.
type toxiproxyFault struct {
	f    experiments.Fault
	t    Target
	cfg  faultConfig
	spec proxy.ToxicSpec // with its name

	mu       sync.Mutex
	injected bool
}

var (
	_ Fault         = (*toxiproxyFault)(nil)
	_ stagingDriver = (*toxiproxyFault)(nil)
)

func (p *toxiproxyFault) undoData() stagingData {
	st := p.t.Staging
	return stagingData{Environment: st.Environment, Address: st.Address,
		ToxiproxyAPI: st.Toxiproxy.API, ToxiproxyProxy: st.Toxiproxy.Proxy, Toxic: p.spec.Name}
}

func (p *toxiproxyFault) Inject(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected {
		return errors.New("already injected")
	}
	// Marked before the call: a toxic added by a call that then timed
	// out must still be removed.
	p.injected = true
	tp := p.t.Staging.Toxiproxy
	attrs := toxiclient.Attributes{}
	for k, v := range p.spec.Attributes {
		attrs[k] = v
	}
	return toxiproxyCall(ctx, tp.API, func(c *toxiclient.Client) error {
		px, err := c.Proxy(tp.Proxy)
		if err != nil {
			return fmt.Errorf("proxy %q: %w", tp.Proxy, err)
		}
		if _, err := px.AddToxic(p.spec.Name, p.spec.Type, p.spec.Stream, p.spec.Toxicity, attrs); err != nil {
			return fmt.Errorf("add toxic %s to proxy %q: %w", p.spec.Name, tp.Proxy, errors.Unwrap(err))
		}
		return nil
	})
}

func (p *toxiproxyFault) Revert(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.injected {
		return nil
	}
	tp := p.t.Staging.Toxiproxy
	if _, err := removeToxic(ctx, tp.API, tp.Proxy, p.spec.Name); err != nil {
		return err
	}
	p.injected = false
	return nil
}

// removeToxic removes toxic name from proxy px of the API at api. found
// is false when it was not there (nor the proxy): nothing was left to
// remove.
func removeToxic(ctx context.Context, api, px, name string) (found bool, err error) {
	err = toxiproxyCall(ctx, api, func(c *toxiclient.Client) error {
		p, err := c.Proxy(px)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("proxy %q: %w", px, err)
		}
		err = p.RemoveToxic(name)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("remove toxic %s from proxy %q: %w", name, px, err)
		}
		found = true
		return nil
	})
	return found, err
}

func notFound(err error) bool {
	var ae *toxiclient.ApiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// toxiproxyCall calls f with a client of the API at api, for at most
// toxiproxyTimeout. The client takes no context: a call still under way
// when ctx ends finishes on its own, bounded by the client's own
// timeout of 30 s.
func toxiproxyCall(ctx context.Context, api string, f func(*toxiclient.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, toxiproxyTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(toxiclient.NewClient(api)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("toxiproxy %s: %w", api, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("toxiproxy %s: no answer within %s: %w", api, toxiproxyTimeout, ctx.Err())
	}
}

// Check reads the toxic back from the API, then, when the proxy's
// upstream can be reached from here, measures its effect with the
// landed checks of the proxy kinds: probes on the endpoint's address
// (through the proxy) against probes on the upstream (direct).
func (p *toxiproxyFault) Check(ctx context.Context) Landed {
	p.mu.Lock()
	injected := p.injected
	p.mu.Unlock()
	if !injected {
		return Landed{Detail: "not injected"}
	}
	tp := p.t.Staging.Toxiproxy
	var px *toxiclient.Proxy
	err := toxiproxyCall(ctx, tp.API, func(c *toxiclient.Client) error {
		var err error
		px, err = c.Proxy(tp.Proxy)
		return err
	})
	if err != nil {
		return Landed{Detail: "not observed: reading the toxic back: " + err.Error()}
	}
	var got *toxiclient.Toxic
	for i := range px.ActiveToxics {
		if px.ActiveToxics[i].Name == p.spec.Name {
			got = &px.ActiveToxics[i]
		}
	}
	if got == nil {
		return Landed{Detail: fmt.Sprintf("not observed: proxy %q of %s does not list the toxic %s (it lists %d)", tp.Proxy, tp.API, p.spec.Name, len(px.ActiveToxics))}
	}
	readBack := fmt.Sprintf("read back: toxic %s is %s", p.spec.Name, toxicText(*got))
	if mismatch := p.differs(*got); mismatch != "" {
		return Landed{Detail: fmt.Sprintf("not observed: %s, but %s", readBack, mismatch)}
	}
	if !px.Enabled {
		return Landed{Detail: fmt.Sprintf("not observed: %s, but proxy %q is disabled", readBack, tp.Proxy)}
	}
	direct := probeAddr(px.Upstream)
	if r := (prober{}).dial(ctx, direct, 300*time.Millisecond); r.err != nil {
		return unobservable(fmt.Sprintf("%s; the proxy's upstream %s cannot be reached from here (%v), so no probe compares the endpoint's address with it", readBack, px.Upstream, r.err))
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.budget)
	defer cancel()
	pr := prober{path: p.t.ProbePath, direct: direct, proxied: probeAddr(p.t.Staging.Address)}
	l := checkTCPKind(ctx, pr, p.f)
	l.Detail += "; " + readBack
	return l
}

// differs says how a toxic read back differs from the one added, or "".
func (p *toxiproxyFault) differs(got toxiclient.Toxic) string {
	if got.Type != p.spec.Type || got.Stream != p.spec.Stream {
		return fmt.Sprintf("%s %s was added", p.spec.Type, p.spec.Stream)
	}
	for k, v := range p.spec.Attributes {
		if n, ok := got.Attributes[k].(float64); !ok || int64(n) != v {
			return fmt.Sprintf("its %s was set to %d", k, v)
		}
	}
	return ""
}

func toxicText(t toxiclient.Toxic) string {
	keys := make([]string, 0, len(t.Attributes))
	for k := range t.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var attrs []string
	for _, k := range keys {
		attrs = append(attrs, fmt.Sprintf("%s=%v", k, t.Attributes[k]))
	}
	return fmt.Sprintf("%s %s, toxicity %g, %s", t.Type, t.Stream, t.Toxicity, strings.Join(attrs, " "))
}

// checkTCPKind runs the landed check of a TCP proxy kind with pr.
func checkTCPKind(ctx context.Context, pr prober, f experiments.Fault) Landed {
	switch f.Kind {
	case experiments.FaultLatency:
		return checkDelay(ctx, pr, f.Delay, f.Jitter, f.Toxicity)
	case experiments.FaultJitter:
		return checkDelay(ctx, pr, f.Jitter, f.Jitter, f.Toxicity)
	case experiments.FaultTimeout, experiments.FaultBlackhole:
		return checkSilence(ctx, pr, f)
	case experiments.FaultReset:
		return checkReset(ctx, pr, f)
	case experiments.FaultBandwidth:
		return checkBandwidth(ctx, pr, f)
	case experiments.FaultLimitData:
		return checkLimit(ctx, pr, f)
	case experiments.FaultSlowClose:
		return checkSlowClose(ctx, pr, f)
	}
	return Landed{Detail: fmt.Sprintf("no landed check for %s", f.Kind)}
}

// StagingPreflight checks, before anything starts, what a run on the
// plan's endpoints needs from this machine: every environment variable
// a header of an exercised http fault reads, and the program of every
// exercised exec fault. lookup reads the environment (os.LookupEnv when
// nil). It returns nil for an experiment without endpoints.
func (p *Plan) StagingPreflight(lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var problems []string
	for _, st := range p.Steps {
		fm := st.FailureMode
		if st.Phase != observe.PhaseFault || fm == nil || fm.Component.Endpoint == nil {
			continue
		}
		for _, f := range fm.Faults {
			at := fmt.Sprintf("the %s fault of failure mode %q (%s:%d)", f.Kind, fm.Name, f.DeclRange.Filename, f.DeclRange.Start.Line)
			switch f.Kind {
			case experiments.FaultHTTP:
				for _, r := range []*experiments.HTTPRequest{f.Request, f.RevertRequest} {
					if r == nil {
						continue
					}
					for _, h := range sortedNames(r.HeadersEnv) {
						if v, ok := lookup(r.HeadersEnv[h]); !ok || v == "" {
							problems = append(problems, fmt.Sprintf("%s: the header %s reads the environment variable %s, which is not set", at, h, r.HeadersEnv[h]))
						}
					}
				}
			case experiments.FaultExec:
				for _, argv := range [][]string{f.Argv, f.RevertArgv} {
					if len(argv) == 0 {
						continue
					}
					if _, err := exec.LookPath(programPath(p.Experiment.Dir, argv[0])); err != nil {
						problems = append(problems, fmt.Sprintf("%s: cannot run %s: %v", at, argv[0], unwrapPathError(err)))
					}
				}
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(dedupe(problems), "; "))
	}
	return nil
}

func unwrapPathError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// startEndpoints makes a target of every endpoint component once it
// answers, and records its address in public. Nothing is started.
func (r *run) startEndpoints(ctx context.Context, public map[string]experiments.Address) error {
	exp := r.plan.Experiment
	if err := r.plan.StagingPreflight(r.opts.LookupEnv); err != nil {
		return err
	}
	for _, cp := range r.plan.Components {
		c := cp.Component
		if c.Endpoint == nil {
			continue
		}
		ep := c.Endpoint
		addr, err := ep.Addr()
		if err != nil {
			return fmt.Errorf("component %q: %w", c.Name, err)
		}
		how, err := awaitEndpoint(ctx, ep)
		if err != nil {
			return fmt.Errorf("component %q: endpoint %s in %s: %w", c.Name, ep.Address, exp.Environment, err)
		}
		public[c.Name] = addr
		t := r.target(c.Name)
		t.Direct = ep.Address
		t.ProbePath = ep.Ready.HTTPPath
		t.Staging = &StagingTarget{
			Environment: exp.Environment,
			Address:     ep.Address,
			Dir:         exp.Dir,
			RunID:       r.opts.RunID,
			Toxiproxy:   ep.Toxiproxy,
			LookupEnv:   r.opts.LookupEnv,
		}
		r.timeline.Components = append(r.timeline.Components, observe.ComponentInfo{Name: c.Name, Address: ep.Address})
		msg := fmt.Sprintf("%s is endpoint %s in %s, not started by faultline: %s", c.Name, ep.Address, exp.Environment, how)
		if r.opts.Journal != nil {
			r.journalErr(r.opts.Journal.Note(msg, map[string]any{"environment": exp.Environment, "address": ep.Address}))
		}
		r.progress(Progress{Kind: KindStart, Message: msg})
	}
	return nil
}

// awaitEndpoint waits until the endpoint answers: its ready path with a
// 2xx, or a TCP connection, within its ready timeout. It says how it
// answered.
func awaitEndpoint(ctx context.Context, ep *experiments.Endpoint) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, ep.Ready.Timeout)
	defer cancel()
	pr := prober{path: ep.Ready.HTTPPath}
	addr := probeAddr(ep.Address)
	for {
		var r probeResult
		if pr.path == "" {
			r = pr.dial(ctx, addr, time.Second)
		} else {
			r = pr.http(ctx, addr, time.Second, closeConn)
		}
		switch {
		case pr.path == "" && r.ok():
			return fmt.Sprintf("accepts connections (%s)", fmtDur(r.took())), nil
		case r.ok() && r.status >= 200 && r.status <= 299:
			return fmt.Sprintf("GET %s answered %d in %s", pr.path, r.status, fmtDur(r.took())), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("does not answer %s within %s: %s", pr.what(), ep.Ready.Timeout, r.describe())
		case <-time.After(endpointPoll):
		}
	}
}

// undoStaging undoes an inject on an endpoint from its journal data, for
// recover: it runs the exec fault's revert command, sends the http
// fault's revert request (reading header values from lookup), or
// removes the toxic. found is false when there was nothing to undo.
func undoStaging(ctx context.Context, d injectData, target string, lookup func(string) (string, bool)) (what string, found bool, err error) {
	timeout, perr := time.ParseDuration(d.Timeout)
	if perr != nil || timeout <= 0 {
		timeout = experiments.DefaultCommandTimeout
	}
	prefix := fmt.Sprintf("%s on %s (endpoint %s in %s)", d.Kind, target, d.Address, d.Environment)
	switch {
	case d.Toxic != "":
		found, err := removeToxic(ctx, d.ToxiproxyAPI, d.ToxiproxyProxy, d.Toxic)
		if err == nil && !found {
			return fmt.Sprintf("%s: toxic %s was no longer on proxy %q of %s", prefix, d.Toxic, d.ToxiproxyProxy, d.ToxiproxyAPI), false, nil
		}
		return fmt.Sprintf("%s: removed toxic %s from proxy %q of %s", prefix, d.Toxic, d.ToxiproxyProxy, d.ToxiproxyAPI), true, err
	case d.Kind == string(experiments.FaultExec) && len(d.RevertArgv) > 0:
		res, err := runCommand(ctx, d.Dir, d.RevertArgv, commandEnv(d.Environment, d.Address), timeout)
		if err != nil {
			return prefix, true, err
		}
		return fmt.Sprintf("%s: in %s, %s", prefix, d.Dir, res.describe()), true, nil
	case d.Kind == string(experiments.FaultHTTP) && d.RevertRequest != nil:
		a, err := sendRequest(ctx, d.RevertRequest.request(), timeout, lookup)
		if err != nil {
			return prefix, true, err
		}
		return fmt.Sprintf("%s: %s", prefix, a.describe()), true, nil
	}
	return prefix, false, fmt.Errorf("the journal holds no way to undo it (no revert command, request or toxic)")
}
