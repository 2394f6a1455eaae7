package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/container"
	"github.com/faultline/faultline/runner/process"
	"github.com/faultline/faultline/runner/proxy"
)

// Landed is the result of checking that a fault took effect.
type Landed struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Fault is one fault on one target: inject it, check it took effect,
// revert it. Revert is idempotent and undoes whatever part of Inject
// happened, even when Inject failed half-way.
type Fault interface {
	Inject(ctx context.Context) error
	Check(ctx context.Context) Landed
	Revert(ctx context.Context) error
}

// Target is what a fault acts on.
type Target struct {
	Name string
	Proc *process.Process
	// Container is the component's container, nil for a process;
	// Containers is the run's engine side, for sidecars; Port the
	// container port it serves on ("8080/tcp").
	Container  *container.Container
	Containers *containerRun
	Port       string
	// readyTimeout is the container's readiness timeout.
	readyTimeout time.Duration
	// journalPID is the process's pid the journal knows.
	journalPID int
	// Link is the proxy in front of the component (in this process or
	// in a sidecar), nil if it has none.
	Link proxy.Controller
	// Direct is the process's own listen address, or the host address
	// of the container's port.
	Direct string
	// ProbePath is the HTTP path landed checks request; "" means the
	// target is probed over plain TCP.
	ProbePath string
	// Staging is set for an endpoint component, which faultline does
	// not start: its faults are the staging drivers (staging.go).
	Staging *StagingTarget
}

// FaultOption configures the drivers NewFault returns.
type FaultOption func(*faultConfig)

type faultConfig struct {
	budget time.Duration
}

// DefaultCheckBudget bounds the time a landed check spends probing when
// its context allows more.
const DefaultCheckBudget = 4 * time.Second

// WithCheckBudget bounds the time a landed check spends probing
// (default DefaultCheckBudget); the context's deadline still applies.
func WithCheckBudget(d time.Duration) FaultOption {
	return func(c *faultConfig) { c.budget = d }
}

// Landed checks: thresholds and bounds, documented in docs/faults.md.
const (
	// pauseProbe is how long a paused process is given to answer.
	pauseProbe = 300 * time.Millisecond
	// answerWait bounds waiting for a resumed or restarted process to
	// answer.
	answerWait = 2 * time.Second
	// quietTCP is how long a TCP probe waits for a target to speak first.
	quietTCP = 200 * time.Millisecond
	// visibleDelay is the least added time a probe is trusted to see on
	// a busy machine; bandwidth probes aim for observableDelay.
	visibleDelay    = 20 * time.Millisecond
	observableDelay = 100 * time.Millisecond
	// maxSeries bounds the requests one keep-alive probe connection makes.
	maxSeries = 200
	// maxAttempts bounds repeated probes for random effects.
	maxAttempts = 20
	// missChance is the accepted chance that repeated probes all miss a
	// random effect that did land.
	missChance = 1e-4
)

// NewFault returns the driver for f on t. It fails when t cannot take f:
// a proxy kind on a target without a proxy, http_error on a TCP-only
// proxy, a process kind without a process, or parameters the proxy
// refuses.
func NewFault(f *experiments.Fault, t Target, opts ...FaultOption) (Fault, error) {
	cfg := faultConfig{budget: DefaultCheckBudget}
	for _, o := range opts {
		o(&cfg)
	}
	if f == nil {
		return nil, errors.New("no fault")
	}
	if t.Staging != nil {
		return newStagingFault(f, t, cfg)
	}
	if t.Container != nil && slices.Contains(experiments.ContainerKinds, f.Kind) {
		return &containerFault{f: *f, t: t, cfg: cfg}, nil
	}
	if t.Container != nil && !slices.Contains(experiments.LinkKinds, f.Kind) {
		return nil, fmt.Errorf("%s on %q: not a fault for a container", f.Kind, t.Name)
	}
	switch {
	case f.Kind.IsProxy():
		if t.Link == nil {
			return nil, fmt.Errorf("%s on %q: the component has no proxy", f.Kind, t.Name)
		}
		if f.Kind == experiments.FaultHTTPError {
			if !t.Link.HTTPAware() {
				return nil, fmt.Errorf("%s on %q: the component's proxy forwards TCP only", f.Kind, t.Name)
			}
		} else if _, err := proxy.Toxic(*f); err != nil {
			return nil, fmt.Errorf("%s on %q: %w", f.Kind, t.Name, err)
		}
		return &proxyFault{f: *f, t: t, cfg: cfg}, nil
	case f.Kind == experiments.FaultKill || f.Kind == experiments.FaultPause || f.Kind == experiments.FaultRestart:
		if t.Proc == nil {
			return nil, fmt.Errorf("%s on %q: the component is not a process faultline started", f.Kind, t.Name)
		}
		pf := &processFault{f: *f, t: t, cfg: cfg, sig: syscall.SIGKILL}
		if f.Kind == experiments.FaultKill && f.Signal != "" {
			sig, err := ParseSignal(f.Signal)
			if err != nil {
				return nil, fmt.Errorf("%s on %q: %w", f.Kind, t.Name, err)
			}
			pf.sig = sig
		}
		return pf, nil
	}
	return nil, fmt.Errorf("%s on %q: unknown fault kind", f.Kind, t.Name)
}

var faultSignals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"ABRT": syscall.SIGABRT, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1,
	"SEGV": syscall.SIGSEGV, "USR2": syscall.SIGUSR2, "PIPE": syscall.SIGPIPE,
	"ALRM": syscall.SIGALRM, "TERM": syscall.SIGTERM,
}

// ParseSignal reads a signal name ("SIGTERM", "term") or number ("15")
// for the kill fault.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %d is out of range", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if sig, ok := faultSignals[name]; ok {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// proxyFault drives the proxy kinds.
type proxyFault struct {
	f   experiments.Fault
	t   Target
	cfg faultConfig

	mu sync.Mutex
	id string // the link's id while the fault is applied
}

var _ Fault = (*proxyFault)(nil)

func (p *proxyFault) Inject(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id != "" {
		return fmt.Errorf("inject %s into %q: already injected", p.f.Kind, p.t.Name)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inject %s into %q: %w", p.f.Kind, p.t.Name, err)
	}
	id, err := p.t.Link.Add(p.f)
	if err != nil {
		return fmt.Errorf("inject %s into %q: %w", p.f.Kind, p.t.Name, err)
	}
	p.id = id
	return nil
}

func (p *proxyFault) Revert(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id == "" {
		return nil
	}
	// Toxiproxy's removal takes no context; it is waited for here as
	// long as ctx allows and otherwise finishes on its own (at the
	// latest when the link closes).
	done := make(chan error, 1)
	go func(id string) { done <- p.t.Link.Remove(id) }(p.id)
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, proxy.ErrUnknownFault) {
			return fmt.Errorf("revert %s on %q: %w", p.f.Kind, p.t.Name, err)
		}
		p.id = ""
		return nil
	case <-ctx.Done():
		return fmt.Errorf("revert %s on %q: %w", p.f.Kind, p.t.Name, ctx.Err())
	}
}

func (p *proxyFault) Check(ctx context.Context) Landed {
	p.mu.Lock()
	id := p.id
	p.mu.Unlock()
	if id == "" {
		return Landed{Detail: "not injected"}
	}
	if !p.t.Link.Installed(id) {
		return Landed{Detail: "not observed: the proxy does not list the fault as active"}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.budget)
	defer cancel()
	pr := prober{path: p.t.ProbePath, direct: probeAddr(p.t.Direct), proxied: probeAddr(p.t.Link.Addr())}
	switch p.f.Kind {
	case experiments.FaultLatency:
		return checkDelay(ctx, pr, p.f.Delay, p.f.Jitter, p.f.Toxicity)
	case experiments.FaultJitter:
		return checkDelay(ctx, pr, p.f.Jitter, p.f.Jitter, p.f.Toxicity)
	case experiments.FaultTimeout, experiments.FaultBlackhole:
		return checkSilence(ctx, pr, p.f)
	case experiments.FaultReset:
		return checkReset(ctx, pr, p.f)
	case experiments.FaultBandwidth:
		return checkBandwidth(ctx, pr, p.f)
	case experiments.FaultLimitData:
		return checkLimit(ctx, pr, p.f)
	case experiments.FaultSlowClose:
		return checkSlowClose(ctx, pr, p.f)
	case experiments.FaultHTTPError:
		return checkHTTPError(ctx, pr, p.f, p.t.Link.InjectedErrors(id))
	}
	return Landed{Detail: fmt.Sprintf("no landed check for %s", p.f.Kind)}
}

// unobservable is the weaker evidence: the fault is listed as active by
// the proxy, but no probe can see its effect on this target.
func unobservable(why string) Landed {
	return Landed{OK: true, Detail: "installed, not observable: " + why}
}

// silentTarget is the reason given for targets probed over TCP that send
// nothing unprompted.
const silentTarget = "the target sends nothing before the client speaks, so a TCP probe exchanges no data; give the component an HTTP readiness path for a real check"

// attempts is how many probes make the chance of missing an effect that
// each probe sees with probability hit at most missChance.
func attempts(hit float64) int {
	if hit >= 1 {
		return 3 // repeats only absorb noise
	}
	if hit <= 0 {
		return maxAttempts
	}
	n := int(math.Ceil(math.Log(missChance) / math.Log(1-hit)))
	return min(max(n, 3), maxAttempts)
}

func toxicity(f float64) float64 {
	if f <= 0 {
		return 1
	}
	return f
}

// checkDelay checks latency (delay d, jitter j) and jitter (d = j). The
// proxy adds max(d-j, 0) to d+j per chunk; the threshold is half the
// lowest added delay when that is positive, else a quarter of the
// highest.
func checkDelay(ctx context.Context, pr prober, d, j time.Duration, tox float64) Landed {
	lo, hi := d-j, d+j
	if hi <= 0 {
		return Landed{Detail: "not observed: no delay configured"}
	}
	need, pEffect := lo/2, 1.0
	if lo <= 0 {
		need = hi / 4
		pEffect = float64(hi-need) / float64(2*j)
	}
	if pr.path == "" {
		if first := pr.tcp(ctx, pr.direct, quietTCP, false); first.silent() {
			return unobservable(silentTarget)
		}
	}
	n := attempts(toxicity(tox) * pEffect)
	var best time.Duration
	var bestDirect, bestProxied probeResult
	for i := 0; i < n && ctx.Err() == nil; i++ {
		direct := pr.once(ctx, pr.direct, pr.directLimit())
		if !direct.ok() {
			return Landed{Detail: "not observed: the target does not answer directly: " + direct.describe()}
		}
		proxied := pr.once(ctx, pr.proxied, hi+time.Second)
		if !proxied.ok() {
			if ctx.Err() != nil {
				break
			}
			return Landed{Detail: "not observed: the probe through the proxy failed: " + proxied.describe()}
		}
		added := proxied.took() - direct.took()
		if i == 0 || added > best {
			best, bestDirect, bestProxied = added, direct, proxied
		}
		if added >= need {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: probe %s took %s through the proxy, %s direct (added %s >= %s)",
				pr.what(), fmtDur(proxied.took()), fmtDur(direct.took()), fmtDur(added), fmtDur(need))}
		}
	}
	if bestProxied.start.IsZero() {
		return Landed{Detail: "not observed: no probe completed in time"}
	}
	return Landed{Detail: fmt.Sprintf("not observed: probe %s took at most %s through the proxy against %s direct (added %s, want >= %s)",
		pr.what(), fmtDur(bestProxied.took()), fmtDur(bestDirect.took()), fmtDur(best), fmtDur(need))}
}

// checkSilence checks timeout and blackhole: a probe through the proxy
// gets no complete answer within min(after+500ms, 2s) while the target
// answers directly.
func checkSilence(ctx context.Context, pr prober, f experiments.Fault) Landed {
	wait := min(f.After+500*time.Millisecond, 2*time.Second)
	if f.Kind == experiments.FaultBlackhole {
		wait = 500 * time.Millisecond
	}
	direct := pr.once(ctx, pr.direct, pr.directLimit())
	if !direct.ok() {
		if pr.path == "" && direct.silent() {
			return unobservable(silentTarget)
		}
		return Landed{Detail: "not observed: the target does not answer directly: " + direct.describe()}
	}
	n := attempts(toxicity(f.Toxicity))
	var last probeResult
	for i := 0; i < n && ctx.Err() == nil; i++ {
		last = pr.once(ctx, pr.proxied, wait)
		if ctx.Err() != nil {
			break
		}
		if !last.ok() {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: probe %s got no answer through the proxy within %s (%s); direct answered in %s",
				pr.what(), fmtDur(wait), last.describe(), fmtDur(direct.took()))}
		}
		if upstreamLost(direct, last) {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: probe %s through the proxy got 502 from its HTTP layer after %s (the connection to the target was cut); direct answered %d in %s",
				pr.what(), fmtDur(last.took()), direct.status, fmtDur(direct.took()))}
		}
	}
	return Landed{Detail: fmt.Sprintf("not observed: probe %s through the proxy answered (%s)", pr.what(), last.describe())}
}

// checkReset checks reset: a probe through the proxy has its connection
// cut (reset or closed) without a complete answer.
func checkReset(ctx context.Context, pr prober, f experiments.Fault) Landed {
	direct := pr.once(ctx, pr.direct, pr.directLimit())
	if !direct.ok() {
		if pr.path == "" && direct.silent() {
			return unobservable(silentTarget)
		}
		return Landed{Detail: "not observed: the target does not answer directly: " + direct.describe()}
	}
	if pr.path == "" && f.Direction == "upstream" {
		return unobservable("an upstream reset acts on data the client sends, and a TCP probe sends none")
	}
	n := attempts(toxicity(f.Toxicity))
	var last probeResult
	for i := 0; i < n && ctx.Err() == nil; i++ {
		last = pr.once(ctx, pr.proxied, min(f.After+time.Second, 3*time.Second))
		if !last.ok() && last.cut() {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: probe %s through the proxy was cut after %s without an answer (%s)",
				pr.what(), fmtDur(last.took()), last.describe())}
		}
		if upstreamLost(direct, last) {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: probe %s through the proxy got 502 from its HTTP layer after %s (the connection to the target was cut); direct answered %d",
				pr.what(), fmtDur(last.took()), direct.status)}
		}
	}
	return Landed{Detail: fmt.Sprintf("not observed: probe %s through the proxy: %s", pr.what(), last.describe())}
}

// checkBandwidth checks bandwidth: enough requests on one connection that
// the limit should add at least observableDelay, and the proxied series
// must take at least half the expected extra time.
func checkBandwidth(ctx context.Context, pr prober, f experiments.Fault) Landed {
	spec, err := proxy.Toxic(f)
	if err != nil {
		return Landed{Detail: "not observed: " + err.Error()}
	}
	rate := float64(spec.Attributes["rate"] * 1000) // bytes per second as applied
	if pr.path == "" {
		direct := pr.tcp(ctx, pr.direct, quietTCP, true)
		if direct.bytes == 0 {
			if direct.silent() {
				return unobservable(silentTarget)
			}
			return Landed{Detail: "not observed: the target does not answer directly: " + direct.describe()}
		}
		if f.Direction == "upstream" {
			return unobservable("an upstream limit acts on data the client sends, and a TCP probe sends none")
		}
		expect := time.Duration(float64(direct.bytes) / rate * float64(time.Second))
		if expect < visibleDelay {
			return unobservable(fmt.Sprintf("the target's first %d bytes would take only %s longer at %.0f bytes/s", direct.bytes, fmtDur(expect), rate))
		}
		proxied := pr.tcp(ctx, pr.proxied, quietTCP+expect, true)
		added := proxied.lastByte - direct.lastByte
		if proxied.bytes < direct.bytes || added >= expect/2 {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: %d bytes took %s through the proxy, %s direct (expected +%s)",
				direct.bytes, fmtDur(proxied.lastByte), fmtDur(direct.lastByte), fmtDur(expect))}
		}
		return Landed{Detail: fmt.Sprintf("not observed: %d bytes took %s through the proxy, %s direct (expected +%s)",
			direct.bytes, fmtDur(proxied.lastByte), fmtDur(direct.lastByte), fmtDur(expect))}
	}
	one := pr.series(ctx, pr.direct, 1, time.Second)
	if one.err != nil || one.requests != 1 {
		return Landed{Detail: "not observed: the target does not answer directly: " + one.describe()}
	}
	size := one.read
	if f.Direction == "upstream" {
		size = one.written
	}
	perRequest := float64(size) / rate * float64(time.Second)
	n := min(maxSeries, max(1, int(math.Ceil(float64(observableDelay)/perRequest))))
	expect := time.Duration(float64(n) * perRequest)
	if expect < visibleDelay {
		return unobservable(fmt.Sprintf("%d requests of %d bytes would take only %s longer at %.0f bytes/s", n, size, fmtDur(expect), rate))
	}
	need := min(expect/2, 1500*time.Millisecond)
	direct := pr.series(ctx, pr.direct, n, time.Second+time.Duration(n)*10*time.Millisecond)
	if direct.err != nil {
		return Landed{Detail: "not observed: the target does not answer directly: " + direct.describe()}
	}
	tries := attempts(toxicity(f.Toxicity))
	var proxied probeSeries
	for i := 0; i < tries && ctx.Err() == nil; i++ {
		proxied = pr.series(ctx, pr.proxied, n, direct.took+need+500*time.Millisecond)
		if proxied.took-direct.took >= need {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: %d requests on one connection (%d bytes received, %d sent) took %s through the proxy, %s direct (added >= %s of the %s expected at %.0f bytes/s)",
				n, proxied.read, proxied.written, fmtDur(proxied.took), fmtDur(direct.took), fmtDur(need), fmtDur(expect), rate)}
		}
	}
	return Landed{Detail: fmt.Sprintf("not observed: %d requests took %s through the proxy, %s direct (want added >= %s)",
		n, fmtDur(proxied.took), fmtDur(direct.took), fmtDur(need))}
}

// checkLimit checks limit_data: requests on one connection until the
// limit should be passed; the connection must be cut.
func checkLimit(ctx context.Context, pr prober, f experiments.Fault) Landed {
	if pr.path == "" {
		direct := pr.tcp(ctx, pr.direct, quietTCP, true)
		if direct.bytes == 0 {
			if direct.silent() {
				return unobservable(silentTarget)
			}
			return Landed{Detail: "not observed: the target does not answer directly: " + direct.describe()}
		}
		if f.Direction == "upstream" {
			return unobservable("an upstream limit acts on data the client sends, and a TCP probe sends none")
		}
		if direct.bytes <= f.Bytes {
			return unobservable(fmt.Sprintf("the target sends %d bytes unprompted, within the %d-byte limit", direct.bytes, f.Bytes))
		}
		proxied := pr.tcp(ctx, pr.proxied, quietTCP, true)
		if proxied.bytes <= f.Bytes && proxied.closed {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: the connection through the proxy closed after %d bytes (limit %d); direct sent %d", proxied.bytes, f.Bytes, direct.bytes)}
		}
		return Landed{Detail: fmt.Sprintf("not observed: %d bytes through the proxy (limit %d), closed %v", proxied.bytes, f.Bytes, proxied.closed)}
	}
	one := pr.series(ctx, pr.direct, 1, time.Second)
	if one.err != nil || one.requests != 1 {
		return Landed{Detail: "not observed: the target does not answer directly: " + one.describe()}
	}
	size := one.read
	if f.Direction == "upstream" {
		size = one.written
	}
	n := int(f.Bytes/max(size, 1)) + 2
	if n > maxSeries {
		return unobservable(fmt.Sprintf("a probe connection would need %d requests of %d bytes to pass the %d-byte limit", n, size, f.Bytes))
	}
	tries := attempts(toxicity(f.Toxicity))
	var proxied probeSeries
	for i := 0; i < tries && ctx.Err() == nil; i++ {
		proxied = pr.series(ctx, pr.proxied, n, time.Second+time.Duration(n)*10*time.Millisecond)
		if proxied.requests < n && ctx.Err() == nil {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: a probe connection through the proxy was cut after %d bytes received, %d sent, %d of %d requests answered (limit %d bytes %s; %s)",
				proxied.read, proxied.written, proxied.requests, n, f.Bytes, direction(f), proxied.describe())}
		}
	}
	return Landed{Detail: fmt.Sprintf("not observed: %d requests on one connection through the proxy all answered (%d bytes received, %d sent; limit %d)",
		proxied.requests, proxied.read, proxied.written, f.Bytes)}
}

// checkSlowClose checks slow_close: after a response the target closes
// (Connection: close), the close reaches the client at least half the
// delay later through the proxy than directly.
func checkSlowClose(ctx context.Context, pr prober, f experiments.Fault) Landed {
	if f.Direction == "upstream" {
		return unobservable("an upstream slow_close delays the client's close towards the target, which the client cannot see")
	}
	if pr.path == "" {
		return unobservable("a TCP probe cannot make the target close; give the component an HTTP readiness path for a real check")
	}
	direct := pr.http(ctx, pr.direct, time.Second, waitClose)
	if !direct.ok() || direct.closedAt == 0 {
		return Landed{Detail: "not observed: the target does not answer and close directly: " + direct.describe()}
	}
	need := f.Delay / 2
	tries := attempts(toxicity(f.Toxicity))
	var proxied probeResult
	for i := 0; i < tries && ctx.Err() == nil; i++ {
		proxied = pr.http(ctx, pr.proxied, time.Second+f.Delay, waitClose)
		if !proxied.ok() {
			return Landed{Detail: "not observed: the probe through the proxy failed: " + proxied.describe()}
		}
		gap := proxied.closeGap()
		if proxied.closedAt == 0 || gap-direct.closeGap() >= need {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: the connection closed %s after the response through the proxy, %s directly (want >= %s more)",
				closeGapText(proxied), fmtDur(direct.closeGap()), fmtDur(need))}
		}
	}
	return Landed{Detail: fmt.Sprintf("not observed: the connection closed %s after the response through the proxy, %s directly",
		closeGapText(proxied), fmtDur(direct.closeGap()))}
}

func closeGapText(r probeResult) string {
	if r.closedAt == 0 {
		return "not within " + fmtDur(r.end-r.done)
	}
	return fmtDur(r.closeGap())
}

// checkHTTPError checks http_error: the proxy's count of made-up answers
// when workload traffic already met it, otherwise up to
// ceil(5/fraction) probe requests (at most 200, within 2s) until one gets
// a made-up answer.
func checkHTTPError(ctx context.Context, pr prober, f experiments.Fault, already int64) Landed {
	if already > 0 {
		return Landed{OK: true, Detail: fmt.Sprintf("observed: the proxy had already answered %d workload requests with an injected %d", already, f.Status)}
	}
	n := min(maxSeries, int(math.Ceil(5/f.Fraction)))
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	path := pr.path
	if path == "" {
		path = "/"
	}
	var errs int
	for i := 1; i <= n && ctx.Err() == nil; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+pr.proxied+path, nil)
		if err != nil {
			return Landed{Detail: "not observed: " + err.Error()}
		}
		resp, err := client.Do(req)
		if err != nil {
			errs++
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == f.Status && resp.Header.Get(proxy.InjectedHeader) == string(experiments.FaultHTTPError) {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: probe request %d of up to %d to GET %s got the injected %d", i, n, path, f.Status)}
		}
	}
	return Landed{Detail: fmt.Sprintf("not observed: no injected %d in up to %d probe requests to GET %s (%d failed)", f.Status, n, path, errs)}
}

func direction(f experiments.Fault) string {
	if f.Direction == "" {
		return "downstream"
	}
	return f.Direction
}

// processFault drives kill, pause and restart.
type processFault struct {
	f   experiments.Fault
	t   Target
	cfg faultConfig
	sig syscall.Signal

	mu       sync.Mutex
	injected bool // Inject was called (whatever it achieved)
	failed   bool // Inject returned an error
	oldPID   int
}

var _ Fault = (*processFault)(nil)

func (p *processFault) Inject(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected {
		return fmt.Errorf("inject %s into %q: already injected", p.f.Kind, p.t.Name)
	}
	p.injected = true
	p.oldPID = p.t.Proc.PID()
	var err error
	switch p.f.Kind {
	case experiments.FaultKill:
		err = p.t.Proc.Kill(ctx, p.sig)
	case experiments.FaultPause:
		err = p.t.Proc.Pause()
	case experiments.FaultRestart:
		err = p.t.Proc.Restart(ctx)
	}
	if err != nil {
		p.failed = true
		return fmt.Errorf("inject %s into %q: %w", p.f.Kind, p.t.Name, err)
	}
	return nil
}

func (p *processFault) Check(ctx context.Context) Landed {
	p.mu.Lock()
	injected, oldPID := p.injected, p.oldPID
	p.mu.Unlock()
	if !injected {
		return Landed{Detail: "not injected"}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.budget)
	defer cancel()
	pr := prober{path: p.t.ProbePath, direct: probeAddr(p.t.Direct)}
	state := p.t.Proc.State()
	switch p.f.Kind {
	case experiments.FaultKill:
		if state != process.StateExited {
			return Landed{Detail: fmt.Sprintf("not observed: pid %d is %s after %v", oldPID, state, p.sig)}
		}
		if r := pr.dial(ctx, pr.direct, time.Second); r.err == nil {
			return Landed{Detail: fmt.Sprintf("not observed: pid %d exited (%s) but %s still accepts connections", oldPID, p.t.Proc.ExitStatus(), pr.direct)}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: pid %d exited (%s) and %s refuses connections", oldPID, p.t.Proc.ExitStatus(), pr.direct)}
	case experiments.FaultPause:
		if state != process.StateStopped {
			return Landed{Detail: fmt.Sprintf("not observed: pid %d is %s, not stopped", oldPID, state)}
		}
		if pr.path == "" {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: pid %d is stopped (state T in /proc/%d/stat); a TCP probe cannot tell more, since the kernel still accepts connections", oldPID, oldPID)}
		}
		if r := pr.http(ctx, pr.direct, pauseProbe, closeConn); r.ok() {
			return Landed{Detail: fmt.Sprintf("not observed: pid %d is stopped but %s answered in %s", oldPID, pr.what(), fmtDur(r.took()))}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: pid %d is stopped (state T in /proc/%d/stat) and %s got no answer within %s", oldPID, oldPID, pr.what(), fmtDur(pauseProbe))}
	case experiments.FaultRestart:
		pid := p.t.Proc.PID()
		if pid == oldPID {
			return Landed{Detail: fmt.Sprintf("not observed: pid is still %d", pid)}
		}
		if state != process.StateRunning {
			return Landed{Detail: fmt.Sprintf("not observed: new pid %d is %s", pid, state)}
		}
		r := pr.answer(ctx, pr.direct, time.Second)
		if !r.ok() {
			return Landed{Detail: fmt.Sprintf("not observed: new pid %d does not answer: %s", pid, r.describe())}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: pid %d replaced by %d, which answers %s in %s", oldPID, pid, pr.what(), fmtDur(r.took()))}
	}
	return Landed{Detail: fmt.Sprintf("no landed check for %s", p.f.Kind)}
}

// Revert brings the process back to serving: resume a paused one,
// restart one that exited, or one whose fault went wrong half-way; a
// process that serves is left alone. It then waits until it answers.
func (p *processFault) Revert(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.injected {
		return nil
	}
	proc := p.t.Proc
	var err error
	switch state := proc.State(); {
	case state == process.StateExited:
		err = proc.Restart(ctx)
	case state == process.StateStopped:
		err = proc.Resume()
	case p.failed && p.f.Kind == experiments.FaultKill:
		// The signal may still end it later: start from a clean slate.
		err = proc.Restart(ctx)
	}
	if err == nil {
		err = p.awaitAnswer(ctx)
	}
	if err != nil {
		return fmt.Errorf("revert %s on %q: %w", p.f.Kind, p.t.Name, err)
	}
	p.injected, p.failed = false, false
	return nil
}

// awaitAnswer waits until the process answers directly, for at most
// answerWait.
func (p *processFault) awaitAnswer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, answerWait)
	defer cancel()
	pr := prober{path: p.t.ProbePath, direct: probeAddr(p.t.Direct)}
	for {
		r := pr.answer(ctx, pr.direct, 500*time.Millisecond)
		if r.ok() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s does not answer: %s", pr.what(), r.describe())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// prober makes the probes of the landed checks.
type prober struct {
	path    string // "" = TCP
	direct  string
	proxied string
}

// directLimit bounds a probe on the target's own address: a TCP target
// that speaks first does so at once.
func (pr prober) directLimit() time.Duration {
	if pr.path == "" {
		return quietTCP
	}
	return time.Second
}

func (pr prober) what() string {
	if pr.path == "" {
		return "tcp"
	}
	return "GET " + pr.path
}

// probeResult is one probe. Times are offsets from start.
type probeResult struct {
	start     time.Time
	firstByte time.Duration
	lastByte  time.Duration
	done      time.Duration // complete answer read
	closedAt  time.Duration // EOF after the answer, when waited for
	end       time.Duration
	status    int
	bytes     int64
	complete  bool
	connected bool // the connection was established
	closed    bool // the other side closed (EOF)
	err       error
}

func (r probeResult) ok() bool { return r.complete && r.err == nil }

// upstreamLost reports whether an HTTP-aware proxy answered 502 where the
// target itself answers otherwise: the proxy's HTTP layer lost its
// connection to the target.
func upstreamLost(direct, proxied probeResult) bool {
	return proxied.ok() && proxied.status == http.StatusBadGateway && direct.status != http.StatusBadGateway
}

func (r probeResult) took() time.Duration {
	if r.complete {
		return r.done
	}
	return r.end
}

func (r probeResult) closeGap() time.Duration { return r.closedAt - r.done }

// cut reports whether the connection was ended by the other side rather
// than by the probe's deadline.
func (r probeResult) cut() bool {
	if r.err == nil {
		return r.closed
	}
	var ne net.Error
	if errors.As(r.err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(r.err, io.EOF) || errors.Is(r.err, io.ErrUnexpectedEOF) ||
		errors.Is(r.err, syscall.ECONNRESET) || errors.Is(r.err, syscall.EPIPE) || r.closed
}

func (r probeResult) describe() string {
	switch {
	case r.err != nil:
		return fmt.Sprintf("%v after %s, %d bytes", r.err, fmtDur(r.end), r.bytes)
	case r.status != 0:
		return fmt.Sprintf("status %d in %s", r.status, fmtDur(r.took()))
	default:
		return fmt.Sprintf("%d bytes in %s", r.bytes, fmtDur(r.took()))
	}
}

// once makes the kind of probe the target takes: an HTTP request on a
// fresh keep-alive connection (so that a server closing after answering
// does not end it early), or a TCP read.
func (pr prober) once(ctx context.Context, addr string, limit time.Duration) probeResult {
	if pr.path == "" {
		return pr.tcp(ctx, addr, limit, false)
	}
	return pr.http(ctx, addr, limit, keepConn)
}

// timedConn records when bytes arrive and when the other side closed.
type timedConn struct {
	net.Conn
	r *probeResult
}

func (c timedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		at := time.Since(c.r.start)
		if c.r.bytes == 0 {
			c.r.firstByte = at
		}
		c.r.lastByte = at
		c.r.bytes += int64(n)
	}
	if errors.Is(err, io.EOF) {
		c.r.closed = true
	}
	return n, err
}

func deadlineFor(ctx context.Context, limit time.Duration) time.Time {
	d := time.Now().Add(limit)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// connect dials addr for a probe that must end within limit (or by ctx's
// deadline). On failure it records the error in r and returns a nil conn.
// The conn gives up its reads and writes when ctx is done; release
// closes it.
func connect(ctx context.Context, addr string, limit time.Duration, r *probeResult) (conn net.Conn, release func()) {
	deadline := deadlineFor(ctx, limit)
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.err = err
		r.end = time.Since(r.start)
		return nil, nil
	}
	r.connected = true
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	conn.SetDeadline(deadline)
	return conn, func() {
		stop()
		conn.Close()
	}
}

// How an HTTP probe treats its connection.
type probeConn int

const (
	keepConn  probeConn = iota // keep-alive: the server keeps it open
	closeConn                  // Connection: close
	waitClose                  // Connection: close, then wait for the close
)

// http sends GET path on a fresh connection and reads the answer.
func (pr prober) http(ctx context.Context, addr string, limit time.Duration, mode probeConn) probeResult {
	r := probeResult{start: time.Now()}
	conn, release := connect(ctx, addr, limit, &r)
	if conn == nil {
		return r
	}
	defer release()
	hdr := ""
	if mode != keepConn {
		hdr = "Connection: close\r\n"
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: faultline-probe\r\n%s\r\n", pr.path, addr, hdr); err != nil {
		r.err = err
		r.end = time.Since(r.start)
		return r
	}
	br := bufio.NewReader(timedConn{Conn: conn, r: &r})
	resp, err := http.ReadResponse(br, nil)
	if err == nil {
		r.status = resp.StatusCode
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err != nil {
		r.err = err
		r.end = time.Since(r.start)
		return r
	}
	r.complete = true
	r.done = time.Since(r.start)
	if mode == waitClose {
		if _, err := br.ReadByte(); errors.Is(err, io.EOF) {
			r.closedAt = time.Since(r.start)
		}
	}
	r.end = time.Since(r.start)
	return r
}

// tcp connects and reads what the target sends unprompted, until wait
// passes: everything until it closes with all, else the first bytes. It
// is complete when any byte arrived.
func (pr prober) tcp(ctx context.Context, addr string, wait time.Duration, all bool) probeResult {
	r := probeResult{start: time.Now()}
	conn, release := connect(ctx, addr, wait, &r)
	if conn == nil {
		return r
	}
	defer release()
	var err error
	tc := timedConn{Conn: conn, r: &r}
	if all {
		_, err = io.Copy(io.Discard, tc)
	} else {
		_, err = tc.Read(make([]byte, 64<<10))
	}
	r.end = time.Since(r.start)
	r.done = r.firstByte
	r.complete = r.bytes > 0
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout() && r.bytes > 0) {
		r.err = err
	}
	if !r.complete && r.err == nil {
		r.err = io.EOF // closed without a byte
	}
	return r
}

// silent reports whether a TCP probe connected but got nothing: the
// target waits for the client to speak.
func (r probeResult) silent() bool {
	return r.connected && r.bytes == 0 && !r.closed
}

// answer checks that a process serves: an HTTP answer, or for a TCP
// target an accepted connection.
func (pr prober) answer(ctx context.Context, addr string, limit time.Duration) probeResult {
	if pr.path == "" {
		return pr.dial(ctx, addr, limit)
	}
	return pr.http(ctx, addr, limit, closeConn)
}

// dial only connects.
func (pr prober) dial(ctx context.Context, addr string, limit time.Duration) probeResult {
	r := probeResult{start: time.Now()}
	d := net.Dialer{Deadline: deadlineFor(ctx, limit)}
	conn, err := d.DialContext(ctx, "tcp", addr)
	r.end = time.Since(r.start)
	if err != nil {
		r.err = err
		return r
	}
	conn.Close()
	r.complete, r.done = true, r.end
	return r
}

// probeSeries is a run of requests on one keep-alive connection.
type probeSeries struct {
	requests int   // answered with the status of the first answer
	read     int64 // bytes received
	written  int64 // bytes sent
	took     time.Duration
	err      error
}

func (s probeSeries) describe() string {
	if s.err != nil {
		return fmt.Sprintf("%v after %d answers", s.err, s.requests)
	}
	return fmt.Sprintf("%d answers in %s", s.requests, fmtDur(s.took))
}

// series sends up to n GET requests one after the other on one
// keep-alive connection. It stops at the first error or at an answer
// whose status differs from the first one (a proxy's 502).
func (pr prober) series(ctx context.Context, addr string, n int, limit time.Duration) (s probeSeries) {
	r := probeResult{start: time.Now()}
	defer func() { s.took = time.Since(r.start) }()
	deadline := deadlineFor(ctx, limit)
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		s.err = err
		return s
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	conn.SetDeadline(deadline)
	br := bufio.NewReader(timedConn{Conn: conn, r: &r})
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: faultline-probe\r\n\r\n", pr.path, addr)
	first := 0
	for i := 0; i < n; i++ {
		w, err := io.WriteString(conn, req)
		s.written += int64(w)
		if err != nil {
			s.err = err
			break
		}
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err != nil {
			s.err = err
			break
		}
		if first == 0 {
			first = resp.StatusCode
		}
		if resp.StatusCode != first {
			s.err = fmt.Errorf("answer %d had status %d", i+1, resp.StatusCode)
			break
		}
		s.requests++
	}
	s.read = r.bytes
	return s
}

// probeAddr turns a listen address into one to dial: an unspecified
// host becomes the loopback address of its family.
func probeAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// fmtDur prints short durations with a tenth of a millisecond, longer
// ones to the millisecond.
func fmtDur(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}
