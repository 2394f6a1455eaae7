package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner/journal"
)

// Choice is what to do with a failure mode whose turn has come.
type Choice int

const (
	// Inject the failure mode as planned.
	Inject Choice = iota
	// Skip leaves the failure mode out: it is not injected, its fault and
	// recovery phases do not run, and its hypotheses are inconclusive
	// with the decision's reason.
	Skip
	// Stop ends the run before the failure mode, cleanly: every component
	// is stopped and the run is marked aborted with the decision's reason.
	Stop
)

// Decision is the answer of an Options.BeforeFault hook.
type Decision struct {
	Choice Choice
	// Reason says who decided and why, for Skip and Stop; it goes into
	// the timeline, the journal and the verdicts.
	Reason string
}

// stopError ends a run that a BeforeFault hook stopped.
type stopError struct{ reason string }

func (e *stopError) Error() string { return e.reason }

// stopped reports whether err is a clean stop (an abort limit whose then
// is stop, or a BeforeFault hook's Stop), and the abort reason to record.
func (r *run) stopped(err error) (string, bool) {
	var s *stopError
	switch {
	case errors.As(err, &s):
		return "stopped: " + s.reason, true
	case errors.Is(err, errStopped):
		return "stopped: " + r.timeline.Trips[len(r.timeline.Trips)-1].Reason, true
	}
	return "", false
}

// decide asks the BeforeFault hook about fm. Without a hook every failure
// mode is injected. A Skip is recorded in the timeline; a Stop returns a
// stopError for Run.
func (r *run) decide(ctx context.Context, fm *experiments.FailureMode) (Choice, error) {
	if r.opts.BeforeFault == nil {
		return Inject, nil
	}
	d, err := r.opts.BeforeFault(ctx, fm)
	if ctx.Err() != nil {
		// Interrupted while asking: Run records the interruption.
		return Stop, nil
	}
	if err != nil {
		return Stop, fmt.Errorf("before failure mode %q: %w", fm.Name, err)
	}
	switch d.Choice {
	case Skip:
		reason := d.Reason
		if reason == "" {
			reason = "skipped before its injection"
		}
		r.timeline.Skips = append(r.timeline.Skips, observe.Skip{FailureMode: fm.Name, Time: r.opts.Now(), Reason: reason})
		if r.opts.Journal != nil {
			r.journalErr(r.opts.Journal.Note(fmt.Sprintf("failure mode %s skipped: %s", fm.Name, reason), map[string]any{"failure_mode": fm.Name}))
		}
		r.progress(Progress{Kind: KindSkip, FailureMode: fm.Name, Message: fmt.Sprintf("%s skipped: %s", fm.Name, reason)})
		return Skip, nil
	case Stop:
		reason := d.Reason
		if reason == "" {
			reason = "told to stop"
		}
		reason = fmt.Sprintf("%s (before failure mode %s)", reason, fm.Name)
		if r.opts.Journal != nil {
			r.journalErr(r.opts.Journal.Abort("stopped: " + reason))
		}
		r.progress(Progress{Kind: KindAbort, FailureMode: fm.Name, Message: "stopping: " + reason})
		return Stop, &stopError{reason: reason}
	}
	return Inject, nil
}

// Control acts on a run from outside while it runs: it adds notes to the
// run's journal and timeline, and aborts the failure mode the run holds.
// Its methods are safe for concurrent use; pass it in Options.Control.
// A Control serves one run.
type Control struct {
	aborts chan operatorAbort

	mu      sync.Mutex
	started bool
	over    bool
	journal *journal.Writer
	now     func() time.Time
	// phase and failureMode are the phase begun last.
	phase, failureMode string
	// holding is the failure mode whose faults are being injected or
	// held, "" when none is.
	holding string
	notes   []observe.Note
}

type operatorAbort struct {
	at     time.Time
	reason string
}

// NewControl returns a Control for one run.
func NewControl() *Control {
	return &Control{aborts: make(chan operatorAbort, 1)}
}

// Errors of Control.Note.
var (
	ErrNotStarted = errors.New("the run has not started yet")
	ErrOver       = errors.New("the run is over")
)

// Note records text, with the time and the phase it falls in, in the
// run's timeline and journal (an operator_note record). It returns the
// note as recorded. The error is ErrNotStarted or ErrOver when no run
// is going (nothing is recorded), or the journal's when the note could
// not be written to it (the note is then in the timeline only).
func (c *Control) Note(text string) (observe.Note, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.started:
		return observe.Note{}, ErrNotStarted
	case c.over:
		return observe.Note{}, ErrOver
	}
	n := observe.Note{Time: c.now(), Phase: c.phase, FailureMode: c.failureMode, Text: text}
	c.notes = append(c.notes, n)
	if c.journal != nil {
		if err := c.journal.OperatorNote(text, n.Phase, n.FailureMode); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Abort asks the run to revert the faults of the failure mode it is
// injecting or holding, at once. The failure mode's hypotheses are then
// aborted, with a trip of limit "operator" and reason in the timeline,
// and the run goes on with its recovery phase. Abort returns the failure
// mode, or false when no fault is being injected or held (there is
// nothing to revert). Asking twice before the run acts counts once.
func (c *Control) Abort(reason string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holding == "" {
		return "", false
	}
	select {
	case c.aborts <- operatorAbort{at: c.now(), reason: reason}:
	default: // one is already waiting
	}
	return c.holding, true
}

// start binds c to a run.
func (c *Control) start(j *journal.Writer, now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started, c.journal, c.now = true, j, now
}

// finish ends c's run and returns the notes.
func (c *Control) finish() []observe.Note {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.over = true
	c.holding = ""
	return c.notes
}

func (c *Control) enter(phase, failureMode string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phase, c.failureMode = phase, failureMode
}

// hold says which failure mode's faults are injected or held ("" for
// none), and drops an abort asked for another.
func (c *Control) hold(failureMode string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = failureMode
	select {
	case <-c.aborts:
	default:
	}
}

// beginPhase announces a phase that starts: progress, journal, control.
func (r *run) beginPhase(name, fm string, d time.Duration) {
	r.current = Progress{Phase: name, FailureMode: fm}
	// The live progress counts the phase's traffic from its start.
	r.meter.seen, r.meter.last = r.collector.Len(), r.opts.Now()
	r.progress(Progress{Kind: KindPhase, Phase: name, FailureMode: fm, Duration: d})
	r.journalPhase(name, fm)
	if c := r.opts.Control; c != nil {
		c.enter(name, fm)
	}
}

// holding tells the control which failure mode is being injected or held.
func (r *run) holding(fm string) {
	if c := r.opts.Control; c != nil {
		c.hold(fm)
	}
}

// operatorAborts is the channel of aborts asked through the control, nil
// (never ready) without one.
func (r *run) operatorAborts() <-chan operatorAbort {
	if r.opts.Control == nil {
		return nil
	}
	return r.opts.Control.aborts
}

func operatorTrip(fm string, a operatorAbort) *observe.Trip {
	reason := a.reason
	if reason == "" {
		reason = "aborted by the operator"
	}
	return &observe.Trip{FailureMode: fm, Limit: observe.LimitOperator, Reason: reason, WindowEnd: a.at}
}

// tripped records a trip whose fault was just reverted.
func (r *run) tripped(trip *observe.Trip) {
	trip.Reverted = r.opts.Now()
	trip.Stopped = trip.Limit != observe.LimitOperator && r.limits != nil && r.limits.a.Then == experiments.AbortStop
	r.timeline.Trips = append(r.timeline.Trips, *trip)
	took := trip.Reverted.Sub(trip.WindowEnd).Round(time.Millisecond)
	kind, msg := KindProblem, fmt.Sprintf("abort limit %s tripped: %s; fault reverted %s after the window ended", trip.Limit, trip.Reason, took)
	if trip.Limit == observe.LimitOperator {
		kind, msg = KindAbort, fmt.Sprintf("operator abort: %s; fault reverted %s after it was asked", trip.Reason, took)
	}
	if r.opts.Journal != nil {
		r.journalErr(r.opts.Journal.Note(msg, map[string]any{"failure_mode": trip.FailureMode, "limit": trip.Limit}))
	}
	r.progress(Progress{Kind: kind, FailureMode: trip.FailureMode, Message: msg})
}
