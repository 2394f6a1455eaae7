package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/observe/prom"
	"github.com/faultline/faultline/runner/journal"
	"github.com/faultline/faultline/runner/process"
	"github.com/faultline/faultline/runner/proxy"
)

// Timeouts for the calls the runner makes outside the phases. A
// container's revert may start it again: it gets its readiness timeout
// on top.
const (
	revertTimeout = 10 * time.Second
	checkTimeout  = 5 * time.Second
	stopTimeout   = 5 * time.Second
)

// Options are the runner's dependencies and settings.
type Options struct {
	// LogDir receives one <component>.log per process. Empty discards
	// the processes' output.
	LogDir string
	// Progress, when set, is told about each step as it happens. It is
	// called from the run's goroutine only.
	Progress func(Progress)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RunID names the run in the timeline, and on the container engine
	// the run's network and containers (label faultline.run).
	RunID string
	// Journal, when set, gets every action before it is taken and its
	// outcome after (docs/journal.md); the caller creates and ends it.
	Journal *journal.Writer
	// Telemetry, when set, is the client of the experiment's telemetry
	// (ConnectTelemetry): the abort block's promql is evaluated on it,
	// and after the last phase the signals and detection alerts are
	// read from it.
	Telemetry *prom.Client
	// SidecarBinary is a static faultline binary for the sidecar image
	// (proxies in front of containers, network faults inside them);
	// the running executable when empty.
	SidecarBinary string
	// LookupEnv reads the environment variables that headers of http
	// faults on endpoints take their values from (default
	// os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// BeforeFault, when set, is asked before each failure mode is
	// injected, on the run's goroutine, and decides whether it is
	// injected, skipped, or the run stops there (operator.go). It must
	// return when ctx is done. An error stops the run with it.
	BeforeFault func(ctx context.Context, fm *experiments.FailureMode) (Decision, error)
	// Control, when set, lets another goroutine add notes to the run
	// and abort the failure mode it holds (operator.go).
	Control *Control
}

// Progress is one thing that happened during a run, for live display.
type Progress struct {
	Time        time.Time
	Kind        ProgressKind
	Phase       string
	FailureMode string
	// Duration is the length of the phase that starts (KindPhase).
	Duration time.Duration
	Message  string
	// Fault and Target are the fault's kind and its component
	// (KindInject, KindLanded, KindRevert).
	Fault, Target string
	// Windows holds each workload's numbers in the window that just
	// ended, in the experiment's order (KindWindow).
	Windows []WorkloadWindow
}

// ProgressKind classifies Progress.
type ProgressKind string

const (
	KindStart   ProgressKind = "start"   // a component is up
	KindPhase   ProgressKind = "phase"   // a phase begins
	KindInject  ProgressKind = "inject"  // a fault was injected
	KindLanded  ProgressKind = "landed"  // the landed check's result
	KindRevert  ProgressKind = "revert"  // a fault was reverted
	KindProblem ProgressKind = "problem" // something went wrong but the run goes on
	KindStop    ProgressKind = "stop"    // components are being stopped
	KindWindow  ProgressKind = "window"  // a window of traffic ended (Windows)
	KindSkip    ProgressKind = "skip"    // a failure mode was left out (BeforeFault)
	KindAbort   ProgressKind = "abort"   // a fault or the run was stopped on request (Control, BeforeFault)
)

// Result is what a run produced: the timeline and every event.
type Result struct {
	Timeline observe.Timeline
	// Events holds every workload's events, sorted by time.
	Events []observe.Event
	// Signals holds the samples of every signal a hypothesis names, as
	// events labelled signal=<name>, sorted by time; Timeline.Signals
	// says what was read of each.
	Signals []observe.Event
}

// Run executes the plan: start components behind their proxies, start the
// workloads, measure the baseline, then for each failure mode inject its
// faults, check they landed, hold, revert and measure the recovery.
//
// When ctx is cancelled (Ctrl-C), every active fault is reverted and every
// component stopped before Run returns; the timeline is then marked
// aborted and the error is nil. An error is returned for problems that
// stop the run (a component that does not start); the result holds what
// happened until then and everything has been cleaned up.
func Run(ctx context.Context, p *Plan, opts Options) (*Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &run{plan: p, opts: opts, collector: &observe.Collector{}, limits: newLimits(p.Experiment, opts.Telemetry)}
	if a := p.Experiment.Abort; a != nil && a.MaxDuration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, a.MaxDuration,
			fmt.Errorf("the abort limit max_duration (%s) passed", a.MaxDuration))
		defer cancel()
	}
	r.timeline = observe.Timeline{
		RunID:      opts.RunID,
		Experiment: p.Experiment.Name,
		Start:      opts.Now(),
	}
	if opts.Control != nil {
		opts.Control.start(opts.Journal, opts.Now)
	}
	err := r.execute(ctx)
	r.cleanup(ctx)
	r.timeline.End = opts.Now()
	if opts.Control != nil {
		r.timeline.Notes = opts.Control.finish()
	}
	res := &Result{}
	stopReason, stopped := r.stopped(err)
	if err == nil || stopped {
		r.collectTelemetry(ctx, res)
	}
	if stopped {
		err = nil
		r.timeline.Aborted = true
		r.timeline.AbortReason = stopReason
	}
	if err == nil && ctx.Err() != nil {
		r.timeline.Aborted = true
		r.timeline.AbortReason = "interrupted: " + context.Cause(ctx).Error()
	}
	if err != nil {
		r.timeline.Aborted = true
		r.timeline.AbortReason = err.Error()
	}
	res.Timeline, res.Events = r.timeline, r.collector.Events()
	return res, err
}

type run struct {
	plan      *Plan
	opts      Options
	timeline  observe.Timeline
	collector *observe.Collector

	targets    map[string]*Target
	containers *containerRun
	links      []*proxy.Link
	procs      []*process.Process
	logs       []io.Closer
	active     []activeFault
	// recoveries are the watches for the recovery of reverted faults,
	// collected into their records without holding up the run.
	recoveries []recoveryWatch
	limits     *limits
	// journalBroken is set after the first journal write that failed.
	journalBroken bool
	// procIDs and linkIDs are the journal ids of the processes and
	// in-process proxies started, in their slices' order.
	procIDs  []string
	linkIDs  []string
	stopLoad context.CancelFunc
	loadWG   sync.WaitGroup
	// current is the phase begun last; meter follows the traffic for
	// the live progress (window.go).
	current Progress
	meter   meter
}

type recoveryWatch struct {
	w      *watch
	record int
}

// collectRecoveries records the recovery watches that have ended, and
// with all, ends the others (a component that has not recovered by the
// end of the run gets no recovery time).
func (r *run) collectRecoveries(all bool) {
	kept := r.recoveries[:0]
	for _, rw := range r.recoveries {
		select {
		case <-rw.w.done:
		default:
			if !all {
				kept = append(kept, rw)
				continue
			}
		}
		r.timeline.Faults[rw.record].RecoveredAt = rw.w.result(0)
	}
	r.recoveries = kept
}

type activeFault struct {
	fault  Fault
	record int // index into timeline.Faults
	target *Target
	spec   *experiments.Fault
	// journal is the inject's journal id.
	journal string
}

func (r *run) progress(p Progress) {
	if r.opts.Progress == nil {
		return
	}
	if p.Time.IsZero() {
		p.Time = r.opts.Now()
	}
	r.opts.Progress(p)
}

func (r *run) execute(ctx context.Context) error {
	if err := r.startComponents(ctx); err != nil {
		if ctx.Err() != nil {
			// Interrupted while starting: an abort, not a failure.
			return nil
		}
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	r.startWorkloads(ctx)

	begin := r.opts.Now()
	skipped := map[*experiments.FailureMode]bool{}
	for _, step := range r.plan.Steps {
		if ctx.Err() != nil {
			return nil
		}
		if skipped[step.FailureMode] {
			continue
		}
		switch step.Phase {
		case observe.PhaseFault:
			switch choice, err := r.decide(ctx, step.FailureMode); {
			case err != nil:
				return err
			case choice == Stop:
				return nil // interrupted while deciding
			case choice == Skip:
				skipped[step.FailureMode] = true
				continue
			}
			if err := r.faultPhase(ctx, step); err != nil {
				return err
			}
		default:
			r.phase(ctx, step, catchUp(step, r.opts.Now().Sub(begin)))
		}
	}
	return nil
}

// maxCatchUp bounds how much of a phase is given up to keep to the plan.
const maxCatchUp = time.Second

// catchUp is how long step lasts when it starts at elapsed from the
// start of the plan: the time left to its planned end, so that the time
// reverts take does not add up over the failure modes, but never less
// than its duration minus maxCatchUp, so that a slow revert does not
// leave a recovery phase too short to judge.
func catchUp(step Step, elapsed time.Duration) time.Duration {
	late := elapsed - step.Offset
	return step.Duration - min(max(late, 0), maxCatchUp)
}

// phase records a phase and waits for its duration or cancellation.
func (r *run) phase(ctx context.Context, step Step, d time.Duration) {
	name := ""
	if step.FailureMode != nil {
		name = step.FailureMode.Name
	}
	r.beginPhase(step.Phase, name, d)
	ph := observe.Phase{Name: step.Phase, FailureMode: name, Start: r.opts.Now()}
	_, ph.Completed = r.await(ctx, ph.Start, ph.Start.Add(d), nil, nil)
	ph.End = r.opts.Now()
	r.timeline.Phases = append(r.timeline.Phases, ph)
}

// faultPhase injects the failure mode's faults, checks them, holds for the
// rest of the phase and reverts them.
func (r *run) faultPhase(ctx context.Context, step Step) error {
	fm := step.FailureMode
	r.collectRecoveries(false)
	r.beginPhase(step.Phase, fm.Name, step.Duration)
	ph := observe.Phase{Name: step.Phase, FailureMode: fm.Name, Start: r.opts.Now()}
	deadline := ph.Start.Add(step.Duration)
	r.holding(fm.Name)

	target := r.targets[fm.Component.Name]
	for _, f := range fm.Faults {
		rec := observe.FaultRecord{FailureMode: fm.Name, Kind: string(f.Kind), Target: fm.Component.Name}
		drv, err := NewFault(f, *target)
		if err != nil {
			// The parser admits only faults a target supports; reaching
			// here is a bug, reported and not injected.
			rec.InjectError = err.Error()
			r.timeline.Faults = append(r.timeline.Faults, rec)
			r.progress(Progress{Kind: KindProblem, FailureMode: fm.Name, Message: fmt.Sprintf("%s on %s: %v", f.Kind, target.Name, err)})
			continue
		}
		r.timeline.Faults = append(r.timeline.Faults, rec)
		idx := len(r.timeline.Faults) - 1
		// Recorded as active before the call: a fault that half
		// landed must still be reverted.
		jid := r.intent(journal.OpInject, fm.Component.Name, newInjectData(fm.Name, f, target, drv))
		r.active = append(r.active, activeFault{fault: drv, record: idx, target: target, spec: f, journal: jid})
		// Probes sent from the inject call on show when the fault takes
		// effect at the component's address.
		r.timeline.Faults[idx].Injected = r.opts.Now()
		var w *watch
		if shows := effectOf(f); shows != nil {
			w = startWatch(ctx, target, shows, effectWait)
		}
		err = safely(func() error { return drv.Inject(ctx) })
		r.outcome(jid, nil, err)
		r.replaced(target)
		if err != nil {
			if w != nil {
				w.result(0)
			}
			r.timeline.Faults[idx].InjectError = err.Error()
			r.progress(Progress{Kind: KindProblem, FailureMode: fm.Name, Message: fmt.Sprintf("inject %s into %s: %v", f.Kind, target.Name, err)})
			continue
		}
		r.progress(Progress{Kind: KindInject, FailureMode: fm.Name, Fault: string(f.Kind), Target: target.Name, Message: fmt.Sprintf("%s on %s", f.Kind, target.Name)})
		checkCtx, cancel := context.WithTimeout(ctx, checkTimeout)
		landed := drv.Check(checkCtx)
		cancel()
		r.timeline.Faults[idx].Landed = landed.OK
		r.timeline.Faults[idx].LandedDetail = landed.Detail
		r.timeline.Faults[idx].LandedAt = r.opts.Now()
		if w != nil {
			r.timeline.Faults[idx].EffectiveAt = w.result(time.Second)
		}
		verb := "landed"
		if !landed.OK {
			verb = "did not land"
		}
		r.progress(Progress{Kind: KindLanded, FailureMode: fm.Name, Fault: string(f.Kind), Target: target.Name, Message: fmt.Sprintf("%s on %s %s: %s", f.Kind, target.Name, verb, landed.Detail)})
	}

	trip, completed := r.hold(ctx, fm, ph.Start, deadline)
	ph.Completed = completed
	ph.End = r.opts.Now()
	r.timeline.Phases = append(r.timeline.Phases, ph)
	r.revertAll(ctx)
	r.holding("")
	if trip != nil {
		r.tripped(trip)
		if trip.Stopped {
			return errStopped
		}
	}
	return nil
}

// revertAll reverts active faults, newest first. It uses a context of its
// own: a cancelled run must still revert.
func (r *run) revertAll(ctx context.Context) {
	for i := len(r.active) - 1; i >= 0; i-- {
		a := r.active[i]
		rec := &r.timeline.Faults[a.record]
		rec.RevertCalled = r.opts.Now()
		var w *watch
		if effectOf(a.spec) != nil && ctx.Err() == nil {
			// Not when interrupted: cleaning up comes first.
			w = startWatch(ctx, a.target, normal, recoveryWait)
		}
		jid := r.undo(journal.OpRevert, a.journal, nil)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.target.revertTimeout())
		err := safely(func() error { return a.fault.Revert(rctx) })
		cancel()
		r.outcome(jid, nil, err)
		r.replaced(a.target)
		rec.Reverted = r.opts.Now()
		if w != nil {
			r.recoveries = append(r.recoveries, recoveryWatch{w: w, record: a.record})
		}
		if err != nil {
			rec.RevertError = err.Error()
			r.progress(Progress{Kind: KindProblem, FailureMode: rec.FailureMode, Message: fmt.Sprintf("revert %s on %s: %v", rec.Kind, rec.Target, err)})
			continue
		}
		r.progress(Progress{Kind: KindRevert, FailureMode: rec.FailureMode, Fault: rec.Kind, Target: rec.Target, Message: fmt.Sprintf("%s on %s reverted", rec.Kind, rec.Target)})
	}
	r.active = nil
}

// startComponents allocates every address, places the proxies and starts
// the processes in plan order.
func (r *run) startComponents(ctx context.Context) error {
	r.targets = map[string]*Target{}
	listen := map[string]string{}
	public := map[string]experiments.Address{}
	if err := r.startEndpoints(ctx, public); err != nil {
		return err
	}

	for _, cp := range r.plan.Components {
		c := cp.Component
		if c.Process == nil {
			continue
		}
		l, err := freeAddress(c.Process.Listen)
		if err != nil {
			return fmt.Errorf("component %q: choose a listen address: %w", c.Name, err)
		}
		listen[c.Name] = l
		addr := l
		if cp.Proxy {
			want := c.Address
			if want == "" {
				want = "127.0.0.1:0"
			}
			jid := r.intent(journal.OpPlaceProxy, c.Name, map[string]any{"listen": want, "upstream": l, "http": cp.HTTPAware})
			link, err := proxy.Start(ctx, c.Name, want, l, cp.HTTPAware)
			r.outcome(jid, map[string]any{"listen": addrOf(link)}, err)
			if err != nil {
				return fmt.Errorf("component %q: place proxy on %s: %w", c.Name, want, err)
			}
			r.links = append(r.links, link)
			r.linkIDs = append(r.linkIDs, jid)
			addr = link.Addr()
			r.target(c.Name).Link = link
		}
		a, err := splitAddress(addr)
		if err != nil {
			return fmt.Errorf("component %q: %w", c.Name, err)
		}
		public[c.Name] = a
	}
	if err := r.startContainers(ctx, public); err != nil {
		return err
	}

	for _, cp := range r.plan.Components {
		c := cp.Component
		if c.Process == nil {
			continue
		}
		self, _ := splitAddress(listen[c.Name])
		argv, env, diags := c.Process.Resolve(experiments.Runtime{Self: self, Components: public})
		if diags.HasErrors() {
			return fmt.Errorf("component %q: %s", c.Name, diags.Error())
		}
		logw, err := r.logFile(c.Name)
		if err != nil {
			return err
		}
		var envList []string
		for k, v := range env {
			envList = append(envList, k+"="+v)
		}
		envList = append(envList, EnvRunMarker+"="+r.opts.RunID)
		jid := r.intent(journal.OpStartProcess, c.Name, map[string]any{
			"argv": argv, "dir": c.Process.Dir, "listen": listen[c.Name], "env_marker": EnvRunMarker + "=" + r.opts.RunID})
		proc, err := process.Start(ctx, process.Spec{
			Name:          c.Name,
			Argv:          argv,
			Env:           envList,
			Dir:           c.Process.Dir,
			Listen:        listen[c.Name],
			ReadyHTTPPath: c.Process.Ready.HTTPPath,
			ReadyTimeout:  c.Process.Ready.Timeout,
			Log:           logw,
		})
		if err != nil {
			r.outcome(jid, nil, err)
			return fmt.Errorf("component %s: %w (command run in %s)", c.Name, err, c.Process.Dir)
		}
		r.outcome(jid, processInfo(proc.PID()), nil)
		r.procs = append(r.procs, proc)
		r.procIDs = append(r.procIDs, jid)
		t := r.target(c.Name)
		t.Proc = proc
		t.journalPID = proc.PID()
		t.Direct = listen[c.Name]
		t.ProbePath = c.Process.Ready.HTTPPath
		addr := public[c.Name]
		r.timeline.Components = append(r.timeline.Components, observe.ComponentInfo{
			Name:    c.Name,
			Address: net.JoinHostPort(addr.Host, strconv.Itoa(addr.Port)),
			Listen:  listen[c.Name],
			Proxied: cp.Proxy,
			PID:     proc.PID(),
		})
		r.progress(Progress{Kind: KindStart, Message: fmt.Sprintf("%s up (pid %d) on %s", c.Name, proc.PID(), net.JoinHostPort(addr.Host, strconv.Itoa(addr.Port)))})
	}
	return nil
}

func (r *run) target(name string) *Target {
	t, ok := r.targets[name]
	if !ok {
		t = &Target{Name: name}
		r.targets[name] = t
	}
	return t
}

func (r *run) logFile(name string) (io.Writer, error) {
	if r.opts.LogDir == "" {
		return nil, nil
	}
	f, err := os.Create(filepath.Join(r.opts.LogDir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("component %q: create log: %w", name, err)
	}
	r.logs = append(r.logs, f)
	return f, nil
}

// startWorkloads starts every workload; they run until cleanup.
func (r *run) startWorkloads(ctx context.Context) {
	lctx, cancel := context.WithCancel(ctx)
	r.stopLoad = cancel
	for _, w := range r.plan.Experiment.Workloads {
		h := w.HTTP
		addr := r.componentAddress(h.Target.Name)
		gen := observe.HTTP{
			Name:        w.Name,
			BaseURL:     "http://" + addr,
			Method:      h.Method,
			Path:        h.Path,
			Headers:     h.Headers,
			Body:        h.Body,
			Rate:        h.Rate,
			Timeout:     h.Timeout,
			Concurrency: h.Concurrency,
			Labels:      h.Labels,
		}
		client := observe.NewHTTPClient(h.Concurrency)
		r.loadWG.Add(1)
		go func() {
			defer r.loadWG.Done()
			defer client.CloseIdleConnections()
			if err := gen.Run(lctx, client, observe.SystemClock{}, r.collector.Emit); err != nil && !errors.Is(err, context.Canceled) {
				r.progress(Progress{Kind: KindProblem, Message: fmt.Sprintf("workload %q: %v", w.Name, err)})
			}
		}()
	}
}

func (r *run) componentAddress(name string) string {
	for _, c := range r.timeline.Components {
		if c.Name == name {
			return c.Address
		}
	}
	return ""
}

// cleanup reverts what is still active, stops the workloads, the
// processes and the proxies. It runs whatever happened before.
func (r *run) cleanup(ctx context.Context) {
	if ctx.Err() != nil {
		r.progress(Progress{Kind: KindProblem, Message: fmt.Sprintf("interrupted (%v): reverting %d active fault(s) and stopping components", context.Cause(ctx), len(r.active))})
		if r.opts.Journal != nil {
			r.journalErr(r.opts.Journal.Abort("interrupted: " + context.Cause(ctx).Error()))
		}
	}
	r.revertAll(ctx)
	r.collectRecoveries(true)
	if r.stopLoad != nil {
		r.stopLoad()
		r.loadWG.Wait()
	}
	// Record the pid each component ended with: a kill or restart
	// fault starts a new process.
	for i, info := range r.timeline.Components {
		if t := r.targets[info.Name]; t != nil && t.Proc != nil {
			r.timeline.Components[i].PID = t.Proc.PID()
		}
	}
	r.progress(Progress{Kind: KindStop, Message: "stopping components"})
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	for i := len(r.procs) - 1; i >= 0; i-- {
		jid := r.undo(journal.OpStopProcess, r.procIDs[i], processInfo(r.procs[i].PID()))
		err := r.procs[i].Stop(sctx)
		r.outcome(jid, nil, err)
		if err != nil {
			r.progress(Progress{Kind: KindProblem, Message: fmt.Sprintf("stop %d: %v", r.procs[i].PID(), err)})
		}
	}
	for i, l := range r.links {
		jid := r.undo(journal.OpRemoveProxy, r.linkIDs[i], nil)
		r.outcome(jid, nil, l.Close())
	}
	r.closeContainers(ctx)
	for _, l := range r.logs {
		l.Close()
	}
}

// sleep waits for d or until ctx is done; it reports whether the whole
// duration passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// freeAddress returns addr, or when its port is 0 a free port on its host.
func freeAddress(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return addr, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func splitAddress(addr string) (experiments.Address, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return experiments.Address{}, fmt.Errorf("address %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return experiments.Address{}, fmt.Errorf("address %q: bad port: %w", addr, err)
	}
	return experiments.Address{Host: host, Port: n}, nil
}

// addrOf is the address a link listens on, "" for none.
func addrOf(l *proxy.Link) string {
	if l == nil {
		return ""
	}
	return l.Addr()
}

// safely calls f and turns a panic in it into an error: a fault driver
// that panics must not take the run, and the revert of everything else,
// down with it.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// replaced journals a process target's new pid after a fault or its
// revert started it again, so that recover finds the process that runs.
func (r *run) replaced(t *Target) {
	if t.Proc == nil || r.opts.Journal == nil {
		return
	}
	for i, p := range r.procs {
		if p != t.Proc {
			continue
		}
		pid := p.PID()
		if pid == 0 || pid == t.journalPID {
			return
		}
		if t.journalPID != 0 {
			jid, err := r.opts.Journal.Replace(r.procIDs[i], nil)
			r.journalErr(err)
			r.outcome(jid, processInfo(pid), nil)
			if jid != "" {
				r.procIDs[i] = jid
			}
		}
		t.journalPID = pid
		return
	}
}
