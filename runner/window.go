package runner

import (
	"context"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// WorkloadWindow is one workload's traffic in one window of the live
// progress, as the live judge sees it (KindWindow). Events count in the
// window in which they completed.
type WorkloadWindow struct {
	Workload string
	// Start and End bound the window.
	Start, End time.Time
	// Events counts the requests that completed in the window, Failures
	// those that failed; Rate is Events per second.
	Events, Failures int
	Rate             float64
	// Judged reports that the outlier fraction was scored: the baseline
	// is complete and the live judge fitted on it. Before that only the
	// rates are known.
	Judged bool
	// Counted and Outliers are as in verdict.LiveWindow: failed events
	// and ok events of qualified cohorts, and those of them at or above
	// their cohort's cutoff or failed.
	Counted, Outliers int
}

// ErrorRate is Failures over Events, 0 without events.
func (w WorkloadWindow) ErrorRate() float64 {
	if w.Events == 0 {
		return 0
	}
	return float64(w.Failures) / float64(w.Events)
}

// Fraction is the outlier fraction, 0 without counted events.
func (w WorkloadWindow) Fraction() float64 {
	if w.Counted == 0 {
		return 0
	}
	return float64(w.Outliers) / float64(w.Counted)
}

// meter follows the workloads' traffic window by window for the live
// progress. It reads only the events that arrived since the last window.
type meter struct {
	seen int       // events already counted
	last time.Time // end of the last window
	// live fits by workload, made once the baseline is complete; shared
	// with the abort limits.
	live map[string]*verdict.Live
}

// liveFits fits the live judge of every workload on the baseline
// phase's events, once; nil while no baseline phase has completed.
func (r *run) liveFits() map[string]*verdict.Live {
	if r.meter.live != nil {
		return r.meter.live
	}
	var span verdict.Span
	done := false
	for _, p := range r.timeline.Phases {
		if p.Name == observe.PhaseBaseline {
			span, done = verdict.Span{Start: p.Start, End: p.End}, p.Completed
		}
	}
	if !done {
		return nil
	}
	exp := r.plan.Experiment
	judge := verdict.New(verdict.Options{Window: exp.Window, Sigma: exp.Sigma, Threshold: exp.Threshold})
	events := r.collector.Events()
	r.meter.live = map[string]*verdict.Live{}
	for _, w := range exp.Workloads {
		r.meter.live[w.Name] = judge.Live(ofWorkload(events, w.Name), span, w.HTTP.Cohort)
	}
	return r.meter.live
}

// endWindow reports the window that ends now (KindWindow): each
// workload's rate, errors and, after the baseline, outlier fraction.
func (r *run) endWindow() {
	now := r.opts.Now()
	events, n := r.collector.From(r.meter.seen)
	r.meter.seen = n
	start := r.meter.last
	if start.IsZero() {
		start = r.timeline.Start
	}
	r.meter.last = now
	if r.opts.Progress == nil {
		return
	}
	secs := now.Sub(start).Seconds()
	live := r.liveFits()
	var ws []WorkloadWindow
	for _, w := range r.plan.Experiment.Workloads {
		mine := ofWorkload(events, w.Name)
		ww := WorkloadWindow{Workload: w.Name, Start: start, End: now}
		if l := live[w.Name]; l != nil {
			s := l.Score(mine)
			ww.Events, ww.Failures, ww.Counted, ww.Outliers, ww.Judged = s.Events, s.Failures, s.Counted, s.Outliers, true
		} else {
			for _, e := range mine {
				ww.Events++
				if !e.OK {
					ww.Failures++
				}
			}
		}
		if secs > 0 {
			ww.Rate = float64(ww.Events) / secs
		}
		ws = append(ws, ww)
	}
	r.progress(Progress{Kind: KindWindow, Phase: r.current.Phase, FailureMode: r.current.FailureMode, Windows: ws})
}

// await waits until deadline, ending a window of the live progress every
// experiment window counted from start. check, when set, is called at
// the end of each whole window and may return a trip. With fm set, an
// abort asked through the Control ends the wait at once with an
// operator trip. It returns a trip, or whether the whole wait passed
// (false when ctx is done).
func (r *run) await(ctx context.Context, start, deadline time.Time, fm *experiments.FailureMode, check func(from, to time.Time) *observe.Trip) (*observe.Trip, bool) {
	w := r.plan.Experiment.Window
	if w <= 0 {
		w = max(deadline.Sub(start), time.Millisecond)
	}
	for from := start; ; from = from.Add(w) {
		to := from.Add(w)
		whole := !to.After(deadline)
		if !whole {
			to = deadline
		}
		if trip, ok := r.waitUntil(ctx, to, fm); !ok {
			return trip, false
		}
		r.endWindow()
		if check != nil && whole {
			if trip := check(from, to); trip != nil {
				return trip, false
			}
		}
		if !to.Before(deadline) {
			return nil, true
		}
	}
}

// waitUntil waits until t, or until ctx is done (false), or with fm set
// until an operator abort (an operator trip, false).
func (r *run) waitUntil(ctx context.Context, t time.Time, fm *experiments.FailureMode) (*observe.Trip, bool) {
	var aborts <-chan operatorAbort
	if fm != nil {
		aborts = r.operatorAborts()
	}
	d := t.Sub(r.opts.Now())
	if d <= 0 {
		select {
		case a := <-aborts:
			return operatorTrip(fm.Name, a), false
		default:
			return nil, ctx.Err() == nil
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return nil, false
	case a := <-aborts:
		return operatorTrip(fm.Name, a), false
	case <-timer.C:
		return nil, true
	}
}
