package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/observe/prom"
	"github.com/faultline/faultline/verdict"
)

// errStopped ends a run whose abort limit said to stop.
var errStopped = fmt.Errorf("an abort limit tripped and its `then` is %q", experiments.AbortStop)

// limits watches a fault phase against the experiment's abort limits,
// window by window, with the live judge.
type limits struct {
	a *experiments.Abort
	// live fits by workload, made at the first fault phase from the
	// baseline's events (run.liveFits).
	live   map[string]*verdict.Live
	streak map[string]int // consecutive breaching windows by hypothesis
	// cond evaluates the abort block's promql at a time, with timeout
	// per call; nil without promql or telemetry.
	cond    func(ctx context.Context, query string, t time.Time) (bool, string, error)
	timeout time.Duration
	// condFailed is set after the first failed evaluation of the
	// phase, which is reported once.
	condFailed bool
}

// promqlKey is the streak key of the promql limit, which is not a
// hypothesis's.
const promqlKey = "\x00promql"

func newLimits(exp *experiments.Experiment, tel *prom.Client) *limits {
	a := exp.Abort
	if a == nil || (a.OutlierFraction == 0 && a.ErrorRate == 0 && a.PromQL == "") {
		return nil
	}
	l := &limits{a: a}
	if a.PromQL != "" && tel != nil {
		l.cond = tel.Condition
		l.timeout = min(exp.Window, exp.Telemetry.Timeout)
	}
	return l
}

func ofWorkload(events []observe.Event, name string) []observe.Event {
	var out []observe.Event
	for _, e := range events {
		if e.Labels[observe.LabelWorkload] == name {
			out = append(out, e)
		}
	}
	return out
}

// check scores the window [from, to) of every hypothesis of fm and
// returns a trip when one breached a limit in the configured number of
// consecutive windows.
func (l *limits) check(exp *experiments.Experiment, fm *experiments.FailureMode, events []observe.Event, from, to time.Time) *observe.Trip {
	var inWindow []observe.Event
	for _, e := range events {
		if !e.Time.Before(from) && e.Time.Before(to) {
			inWindow = append(inWindow, e)
		}
	}
	var trip *observe.Trip
	for _, h := range exp.Hypotheses {
		if h.FailureMode != fm {
			continue
		}
		if h.Workload == nil {
			continue
		}
		live := l.live[h.Workload.Name]
		if live == nil {
			continue
		}
		w := live.Score(ofWorkload(inWindow, h.Workload.Name))
		limit, reason := "", ""
		switch {
		case l.a.OutlierFraction > 0 && w.Counted > 0 && w.Fraction() > l.a.OutlierFraction:
			limit = "outlier_fraction"
			reason = fmt.Sprintf("workload %s had %.1f%% outliers (%d of %d) in the window ending %s, above the abort limit %.1f%%",
				h.Workload.Name, 100*w.Fraction(), w.Outliers, w.Counted, to.UTC().Format("15:04:05.000"), 100*l.a.OutlierFraction)
		case l.a.ErrorRate > 0 && w.Events > 0 && w.ErrorRate() > l.a.ErrorRate:
			limit = "error_rate"
			reason = fmt.Sprintf("workload %s had an error rate of %.1f%% (%d of %d) in the window ending %s, above the abort limit %.1f%%",
				h.Workload.Name, 100*w.ErrorRate(), w.Failures, w.Events, to.UTC().Format("15:04:05.000"), 100*l.a.ErrorRate)
		}
		if limit == "" {
			l.streak[h.Name] = 0
			continue
		}
		l.streak[h.Name]++
		if l.streak[h.Name] >= l.a.Windows && trip == nil {
			if l.a.Windows > 1 {
				reason += fmt.Sprintf(", %d windows in a row", l.streak[h.Name])
			}
			trip = &observe.Trip{FailureMode: fm.Name, Hypothesis: h.Name, Workload: h.Workload.Name, Limit: limit, Reason: reason, WindowEnd: to}
		}
	}
	return trip
}

// hold waits until deadline, checking the abort limits at the end of
// every window of the phase that began at start. It returns a trip when
// a limit tripped or the operator aborted (the caller reverts), and
// whether the whole wait passed.
func (r *run) hold(ctx context.Context, fm *experiments.FailureMode, start, deadline time.Time) (*observe.Trip, bool) {
	l := r.limits
	if l == nil {
		return r.await(ctx, start, deadline, fm, nil)
	}
	l.streak = map[string]int{}
	l.condFailed = false
	l.live = r.liveFits()
	return r.await(ctx, start, deadline, fm, func(from, to time.Time) *observe.Trip {
		if trip := l.check(r.plan.Experiment, fm, r.collector.Events(), from, to); trip != nil {
			return trip
		}
		return l.checkPromQL(ctx, fm, to, r.progress)
	})
}

// checkPromQL evaluates the abort block's promql at the end of a window
// and returns a trip when it was true in the configured number of
// consecutive windows. An evaluation that fails is reported once per
// phase and counts as not true: a telemetry outage does not revert a
// fault by itself.
func (l *limits) checkPromQL(ctx context.Context, fm *experiments.FailureMode, to time.Time, progress func(Progress)) *observe.Trip {
	if l.cond == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	ok, detail, err := l.cond(cctx, l.a.PromQL, to)
	cancel()
	if err != nil {
		if !l.condFailed && ctx.Err() == nil {
			l.condFailed = true
			progress(Progress{Kind: KindProblem, FailureMode: fm.Name, Message: fmt.Sprintf("abort promql could not be evaluated (it counts as not true): %v", err)})
		}
		l.streak[promqlKey] = 0
		return nil
	}
	if !ok {
		l.streak[promqlKey] = 0
		return nil
	}
	l.streak[promqlKey]++
	if l.streak[promqlKey] < l.a.Windows {
		return nil
	}
	reason := fmt.Sprintf("the abort promql was true at %s: %s", to.UTC().Format("15:04:05.000"), detail)
	if l.a.Windows > 1 {
		reason += fmt.Sprintf(", %d windows in a row", l.streak[promqlKey])
	}
	return &observe.Trip{FailureMode: fm.Name, Limit: "promql", Reason: reason, WindowEnd: to}
}
