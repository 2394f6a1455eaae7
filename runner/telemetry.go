package runner

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/observe/prom"
)

// ConnectTelemetry makes the client of the experiment's telemetry block
// and checks, before anything is started, that the API answers and that
// every signal's query and the abort block's promql run: a run must not
// find out at its end that its signals cannot be read. address, when
// not empty, replaces the block's address (faultline run --prometheus).
// Credentials are read from the environment variables the block names,
// through getenv. It returns nil and no error when the experiment has
// no telemetry.
func ConnectTelemetry(ctx context.Context, exp *experiments.Experiment, address string, getenv func(string) string) (*prom.Client, error) {
	t := exp.Telemetry
	if t == nil {
		if address != "" {
			return nil, fmt.Errorf("--prometheus was given, but %s declares no telemetry block to read signals and alerts with", exp.Filename)
		}
		return nil, nil
	}
	where := experiments.Location(t.DeclRange)
	cfg := prom.Config{Address: t.Address, Timeout: t.Timeout}
	if address != "" {
		cfg.Address = address
	}
	secret := func(name string) (string, error) {
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("telemetry (%s): the environment variable %s is not set or empty; it must hold the credential the telemetry block names", where, name)
		}
		return v, nil
	}
	var err error
	if t.BearerTokenEnv != "" {
		if cfg.BearerToken, err = secret(t.BearerTokenEnv); err != nil {
			return nil, err
		}
	}
	if t.UsernameEnv != "" {
		if cfg.Username, err = secret(t.UsernameEnv); err != nil {
			return nil, err
		}
		if cfg.Password, err = secret(t.PasswordEnv); err != nil {
			return nil, err
		}
	}
	c, err := prom.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("telemetry (%s): %w", where, err)
	}
	if err := c.Ping(ctx); err != nil {
		return nil, fmt.Errorf("telemetry (%s): %w (nothing was started: start the API, or point the run at another with --prometheus URL)", where, err)
	}
	now := time.Now()
	for _, s := range exp.Signals {
		if _, _, err := c.Condition(ctx, s.Query, now); err != nil {
			r := s.DeclRange
			return nil, fmt.Errorf("signal %q (%s): %w", s.Name, experiments.Location(r), err)
		}
	}
	if a := exp.Abort; a != nil && a.PromQL != "" {
		if _, _, err := c.Condition(ctx, a.PromQL, now); err != nil {
			r := a.DeclRange
			return nil, fmt.Errorf("abort promql (%s): %w", experiments.Location(r), err)
		}
	}
	return c, nil
}

// settleFor is how long the runner waits after the last phase before it
// reads signals and alerts, so that the samples of the last step are
// stored: one step of the coarsest signal and a second, at most 10s.
func settleFor(exp *experiments.Experiment) time.Duration {
	d := time.Second
	for _, s := range exp.Signals {
		d = max(d, s.Step+time.Second)
	}
	return min(d, 10*time.Second)
}

// collectTelemetry reads every signal a hypothesis names over the run,
// and the detection alerts of every failure mode that was injected. An
// interrupted run reads nothing: its hypotheses are inconclusive, and
// the person who pressed Ctrl-C is waiting.
func (r *run) collectTelemetry(ctx context.Context, res *Result) {
	c := r.opts.Telemetry
	exp := r.plan.Experiment
	if c == nil || ctx.Err() != nil || len(r.timeline.Phases) == 0 {
		return
	}
	sleep(ctx, settleFor(exp))
	qctx := context.WithoutCancel(ctx)
	start, end := r.timeline.Start, r.timeline.End

	used := map[*experiments.Signal]bool{}
	for _, h := range exp.Hypotheses {
		if h.Signal != nil {
			used[h.Signal] = true
		}
	}
	for _, s := range exp.Signals {
		if !used[s] {
			continue
		}
		events, stats, err := c.SignalEvents(qctx, prom.Signal{Name: s.Name, Query: s.Query, Step: s.Step, Cohort: s.Cohort}, start, end)
		info := observe.SignalInfo{Name: s.Name, Series: stats.Series, Samples: stats.Samples, NaN: stats.NaN}
		if err != nil {
			info.Error = err.Error()
			r.progress(Progress{Kind: KindProblem, Message: fmt.Sprintf("signal %s: %v", s.Name, err)})
		} else {
			r.progress(Progress{Kind: KindStart, Message: fmt.Sprintf("signal %s: %d series, %d samples", s.Name, stats.Series, stats.Samples)})
		}
		res.Signals = append(res.Signals, events...)
		r.timeline.Signals = append(r.timeline.Signals, info)
	}
	sort.SliceStable(res.Signals, func(i, j int) bool { return res.Signals[i].Time.Before(res.Signals[j].Time) })

	r.timeline.Detections = r.detections(qctx, c)
	for _, d := range r.timeline.Detections {
		switch {
		case d.Error != "":
			r.progress(Progress{Kind: KindProblem, FailureMode: d.FailureMode, Message: fmt.Sprintf("alert %s: %s", d.Alert, d.Error)})
		case d.Fired:
			r.progress(Progress{Kind: KindLanded, FailureMode: d.FailureMode, Message: fmt.Sprintf("alert %s fired %.1fs after the fault landed (within %gs: %v)", d.Alert, d.TimeToDetectSeconds, d.WithinSeconds, d.InTime)})
		default:
			r.progress(Progress{Kind: KindLanded, FailureMode: d.FailureMode, Message: fmt.Sprintf("alert %s did not fire", d.Alert)})
		}
	}
}

// detections reads the alerts of each injected failure mode and
// measures each against the moment its fault landed.
func (r *run) detections(ctx context.Context, c *prom.Client) []observe.Detection {
	var out []observe.Detection
	for _, fm := range r.plan.Experiment.FailureModes {
		if len(fm.Detections) == 0 {
			continue
		}
		from, ok := landedAt(r.timeline.Faults, fm.Name)
		if !ok {
			continue
		}
		until := r.timeline.End
		for _, ph := range r.timeline.Phases {
			if ph.Name == observe.PhaseRecovery && ph.FailureMode == fm.Name {
				until = ph.End
			}
		}
		var names []string
		for _, d := range fm.Detections {
			names = append(names, d.Alert)
		}
		firings, err := c.AlertFirings(ctx, names, r.timeline.Start, until, 0)
		for _, d := range fm.Detections {
			rec := observe.Detection{FailureMode: fm.Name, Alert: d.Alert, WithinSeconds: d.Within.Seconds(), From: from, Until: until}
			if err != nil {
				rec.Error = err.Error()
			} else {
				judgeDetection(&rec, d.Within, firings)
			}
			out = append(out, rec)
		}
	}
	return out
}

// judgeDetection fills rec from the alert's firing intervals: the first
// one that starts at or after From and before Until is the detection,
// and one that covers From means the alert was firing already.
func judgeDetection(rec *observe.Detection, within time.Duration, firings []prom.Firing) {
	for _, f := range firings {
		if f.Alert != rec.Alert {
			continue
		}
		switch {
		case f.Start.Before(rec.From) && !f.End.Before(rec.From):
			rec.FiringBefore = true
		case !f.Start.Before(rec.From) && !f.Start.After(rec.Until) && !rec.Fired:
			rec.Fired = true
			rec.FiredAt = f.Start
			ttd := f.Start.Sub(rec.From)
			rec.TimeToDetectSeconds = ttd.Seconds()
			rec.InTime = ttd <= within
		}
	}
}

// landedAt is the moment the failure mode's first fault landed: the
// first probe that showed it, or its landed check; ok is false when no
// fault of it landed.
func landedAt(faults []observe.FaultRecord, fm string) (time.Time, bool) {
	var first time.Time
	for _, f := range faults {
		if f.FailureMode != fm || !f.Landed {
			continue
		}
		t := f.LandedAt
		if !f.EffectiveAt.IsZero() {
			t = f.EffectiveAt
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}
