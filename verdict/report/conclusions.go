package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// FormatVersion is the version of the conclusions.json schema. It changes
// when a field changes meaning or disappears; added fields keep it.
const FormatVersion = "1"

// Conclusions is the record of one run: what was planned, what happened,
// and the verdict on every hypothesis with its evidence.
type Conclusions struct {
	FormatVersion string         `json:"format_version"`
	RunID         string         `json:"run_id"`
	Experiment    ExperimentInfo `json:"experiment"`
	Start         time.Time      `json:"start"`
	End           time.Time      `json:"end"`
	// DurationSeconds is the wall time of the run.
	DurationSeconds float64 `json:"duration_seconds"`
	Aborted         bool    `json:"aborted"`
	AbortReason     string  `json:"abort_reason,omitempty"`

	Components []observe.ComponentInfo `json:"components"`
	Phases     []observe.Phase         `json:"phases"`
	Faults     []observe.FaultRecord   `json:"faults"`
	// Trips are the abort limits that tripped (see Hypothesis outcome
	// "aborted").
	Trips []observe.Trip `json:"trips,omitempty"`
	// Detections are the detection alerts read from the telemetry, and
	// Signals what was read of each signal (see Hypothesis.Signal).
	Detections []observe.Detection  `json:"detections,omitempty"`
	Signals    []observe.SignalInfo `json:"signals,omitempty"`
	// Skips are the failure modes left out when their turn came, and
	// Notes what people wrote during the run (faultline gameday).
	Skips      []observe.Skip `json:"skips,omitempty"`
	Notes      []observe.Note `json:"notes,omitempty"`
	Hypotheses []Hypothesis   `json:"hypotheses"`
	Summary    Summary        `json:"summary"`
	// EventCount is the number of events in events.csv, and
	// SignalSamples the number of signal samples in signals.csv.
	EventCount    int `json:"event_count"`
	SignalSamples int `json:"signal_samples,omitempty"`
}

// ExperimentInfo is the experiment's settings as the run used them.
type ExperimentInfo struct {
	Name            string  `json:"name"`
	Description     string  `json:"description,omitempty"`
	File            string  `json:"file"`
	BaselineSeconds float64 `json:"baseline_seconds"`
	FaultSeconds    float64 `json:"fault_seconds"`
	RecoverySeconds float64 `json:"recovery_seconds"`
	WindowSeconds   float64 `json:"window_seconds"`
	Sigma           float64 `json:"sigma"`
	Threshold       float64 `json:"threshold"`
	// Telemetry is the address of the Prometheus-compatible API the
	// run read signals and alerts from, or "" without telemetry.
	Telemetry string `json:"telemetry,omitempty"`
}

// Hypothesis is one hypothesis with its verdict.
type Hypothesis struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	FailureMode string `json:"failure_mode"`
	// Workload or Signal is what the hypothesis is judged on; neither
	// for expect "detected", which is judged on Detections.
	Workload string `json:"workload,omitempty"`
	Signal   string `json:"signal,omitempty"`
	// Query is the signal's PromQL query.
	Query         string  `json:"query,omitempty"`
	WithinSeconds float64 `json:"within_seconds,omitempty"`
	// Detections are the alerts a "detected" hypothesis was judged on.
	Detections []observe.Detection `json:"detections,omitempty"`
	verdict.Verdict
}

// Summary counts verdicts.
type Summary struct {
	Hypotheses   int `json:"hypotheses"`
	Confirmed    int `json:"confirmed"`
	Refuted      int `json:"refuted"`
	Inconclusive int `json:"inconclusive"`
	// Aborted counts hypotheses whose fault an abort limit reverted.
	Aborted int `json:"aborted"`
}

// Counts says the counts in words, e.g. "3 confirmed, 1 refuted, 0
// inconclusive", with ", 1 aborted" when an abort limit tripped.
func (s Summary) Counts() string {
	out := fmt.Sprintf("%d confirmed, %d refuted, %d inconclusive", s.Confirmed, s.Refuted, s.Inconclusive)
	if s.Aborted > 0 {
		out += fmt.Sprintf(", %d aborted", s.Aborted)
	}
	return out
}

// Conclude judges every hypothesis of exp on a run's timeline and events.
// events holds the workloads' events and the signals' samples (labelled
// signal=<name>). Hypotheses whose failure mode the run never reached,
// or left half done, are inconclusive and say so.
func Conclude(exp *experiments.Experiment, tl observe.Timeline, events []observe.Event, j verdict.Judge) Conclusions {
	c := Conclusions{
		FormatVersion: FormatVersion,
		RunID:         tl.RunID,
		Experiment: ExperimentInfo{
			Name:            exp.Name,
			Description:     exp.Description,
			File:            exp.Filename,
			BaselineSeconds: exp.Baseline.Seconds(),
			FaultSeconds:    exp.Fault.Seconds(),
			RecoverySeconds: exp.Recovery.Seconds(),
			WindowSeconds:   exp.Window.Seconds(),
			Sigma:           exp.Sigma,
			Threshold:       exp.Threshold,
		},
		Start:           tl.Start,
		End:             tl.End,
		DurationSeconds: tl.End.Sub(tl.Start).Seconds(),
		Aborted:         tl.Aborted,
		AbortReason:     tl.AbortReason,
		Components:      tl.Components,
		Phases:          tl.Phases,
		Faults:          tl.Faults,
		Trips:           tl.Trips,
		Detections:      tl.Detections,
		Signals:         tl.Signals,
		Skips:           tl.Skips,
		Notes:           tl.Notes,
	}
	if exp.Telemetry != nil {
		c.Experiment.Telemetry = exp.Telemetry.Address
	}
	byWorkload := map[string][]observe.Event{}
	bySignal := map[string][]observe.Event{}
	for _, e := range events {
		if s := e.Labels[observe.LabelSignal]; s != "" {
			bySignal[s] = append(bySignal[s], e)
			c.SignalSamples++
			continue
		}
		c.EventCount++
		w := e.Labels[observe.LabelWorkload]
		byWorkload[w] = append(byWorkload[w], e)
	}
	for _, h := range exp.Hypotheses {
		hr := Hypothesis{
			Name:          h.Name,
			Description:   h.Description,
			FailureMode:   h.FailureMode.Name,
			WithinSeconds: h.Within.Seconds(),
		}
		fail := func(o verdict.Outcome, reason string) verdict.Verdict {
			return verdict.Verdict{Hypothesis: h.Name, Expect: verdict.Expectation(h.Expect), Outcome: o, Reason: reason}
		}
		var cs verdict.Case
		var why string
		judge := j
		switch {
		case h.Workload != nil:
			hr.Workload = h.Workload.Name
			cs, why = buildCase(h, tl, byWorkload[h.Workload.Name], h.Workload.HTTP.Cohort)
		case h.Signal != nil:
			hr.Signal, hr.Query = h.Signal.Name, h.Signal.Query
			cs, why = buildCase(h, tl, bySignal[h.Signal.Name], signalCohort(h.Signal, bySignal[h.Signal.Name]))
			judge = signalJudge(j, h.Signal, exp.Window)
			if why == "" {
				why = signalProblem(tl, h.Signal.Name, len(bySignal[h.Signal.Name]))
			}
		default:
			// A detection needs only the fault phase to have begun.
			if !hasPhase(tl, observe.PhaseFault, h.FailureMode.Name) {
				why = fmt.Sprintf("the run stopped before failure mode %q was injected", h.FailureMode.Name)
			}
		}
		t, tripped := tripOf(tl, h.FailureMode.Name)
		skip, skipped := skipOf(tl, h.FailureMode.Name)
		switch {
		case skipped:
			hr.Verdict = fail(verdict.Inconclusive, fmt.Sprintf("inconclusive: failure mode %q was skipped: %s", skip.FailureMode, skip.Reason))
		case tripped:
			hr.Verdict = fail(verdict.Aborted, tripReason(t))
		case why != "":
			hr.Verdict = fail(verdict.Inconclusive, "inconclusive: "+why)
		case h.Expect == experiments.ExpectDetected:
			hr.Verdict, hr.Detections = judgeDetected(h, tl)
		default:
			hr.Verdict = judge.Judge(cs)
		}
		c.Hypotheses = append(c.Hypotheses, hr)
		c.Summary.Hypotheses++
		switch hr.Outcome {
		case verdict.Confirmed:
			c.Summary.Confirmed++
		case verdict.Refuted:
			c.Summary.Refuted++
		case verdict.Aborted:
			c.Summary.Aborted++
		default:
			c.Summary.Inconclusive++
		}
	}
	return c
}

// signalCohort is the cohort of a signal's samples: the labels the
// signal keeps, or when it keeps every label of its series, every label
// name its samples carry.
func signalCohort(s *experiments.Signal, events []observe.Event) []string {
	if len(s.Cohort) > 0 {
		return s.Cohort
	}
	seen := map[string]bool{}
	for _, e := range events {
		for k := range e.Labels {
			if k != observe.LabelSignal {
				seen[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// signalJudge is the judge of a signal's samples: j with the ratio
// baseline model for ratio signals, and a window judged on its own once
// it holds the samples of one window (there are only window/step of
// them, far fewer than a workload's events).
func signalJudge(j verdict.Judge, s *experiments.Signal, window time.Duration) verdict.Judge {
	ts, ok := j.(*verdict.TwoSigma)
	if !ok {
		return j
	}
	o := ts.Options()
	if s.Value == experiments.SignalRatio {
		o.Baseline = verdict.BaselineRatio
	}
	if s.Step > 0 {
		o.MinWindow = min(o.MinWindow, max(1, int(window/s.Step)))
	}
	return verdict.New(o)
}

// signalProblem says why a signal cannot be judged when it could not be
// read or had no samples, or "" when it can.
func signalProblem(tl observe.Timeline, name string, samples int) string {
	for _, si := range tl.Signals {
		if si.Name == name && si.Error != "" {
			return fmt.Sprintf("the signal %q could not be read: %s", name, si.Error)
		}
	}
	if samples == 0 {
		return fmt.Sprintf("the signal %q returned no samples over the run (is its query right, and does the telemetry scrape the components?)", name)
	}
	return ""
}

// judgeDetected decides a "detected" hypothesis from the detection
// records of its failure mode: confirmed when each alert fired within
// its time, refuted when one did not, inconclusive when the alerts could
// not be read or one was firing before the fault landed.
func judgeDetected(h *experiments.Hypothesis, tl observe.Timeline) (verdict.Verdict, []observe.Detection) {
	v := verdict.Verdict{Hypothesis: h.Name, Expect: verdict.Expectation(h.Expect)}
	var recs []observe.Detection
	for _, d := range tl.Detections {
		if d.FailureMode == h.FailureMode.Name && (h.Alert == "" || d.Alert == h.Alert) {
			recs = append(recs, d)
		}
	}
	if !landedAny(tl, h.FailureMode.Name) {
		v.Outcome, v.Reason = verdict.Inconclusive, fmt.Sprintf("inconclusive: no fault of %q landed, so there was nothing to detect", h.FailureMode.Name)
		return v, recs
	}
	if len(recs) == 0 {
		v.Outcome, v.Reason = verdict.Inconclusive, "inconclusive: the alerts were not read from the telemetry (the run was interrupted, or has no telemetry)"
		return v, recs
	}
	var late, fine, unknown []string
	for _, d := range recs {
		switch {
		case d.Error != "":
			unknown = append(unknown, fmt.Sprintf("%s could not be read: %s", d.Alert, d.Error))
		case d.Fired && d.InTime:
			fine = append(fine, fmt.Sprintf("%s fired %.1fs after the fault landed (within %gs)", d.Alert, d.TimeToDetectSeconds, d.WithinSeconds))
		case d.Fired:
			late = append(late, fmt.Sprintf("%s fired %.1fs after the fault landed, later than %gs", d.Alert, d.TimeToDetectSeconds, d.WithinSeconds))
		case d.FiringBefore:
			unknown = append(unknown, fmt.Sprintf("%s was already firing when the fault landed", d.Alert))
		default:
			late = append(late, fmt.Sprintf("%s did not fire by the end of the recovery (%.0fs after the fault landed)", d.Alert, d.Until.Sub(d.From).Seconds()))
		}
	}
	switch {
	case len(late) > 0:
		v.Outcome, v.Reason = verdict.Refuted, "refuted: "+strings.Join(append(late, fine...), "; ")
	case len(unknown) > 0:
		v.Outcome, v.Reason = verdict.Inconclusive, "inconclusive: "+strings.Join(append(unknown, fine...), "; ")
	default:
		v.Outcome, v.Reason = verdict.Confirmed, "confirmed: "+strings.Join(fine, "; ")
	}
	return v, recs
}

// landedAny reports whether a fault of failure mode fm landed.
func landedAny(tl observe.Timeline, fm string) bool {
	for _, f := range tl.Faults {
		if f.FailureMode == fm && f.Landed {
			return true
		}
	}
	return false
}

// hasPhase reports whether the run began phase name of failure mode fm.
func hasPhase(tl observe.Timeline, name, fm string) bool {
	for _, p := range tl.Phases {
		if p.Name == name && p.FailureMode == fm {
			return true
		}
	}
	return false
}

// tripOf is the abort trip of failure mode fm, if one tripped.
func tripOf(tl observe.Timeline, fm string) (observe.Trip, bool) {
	for _, t := range tl.Trips {
		if t.FailureMode == fm {
			return t, true
		}
	}
	return observe.Trip{}, false
}

// buildCase finds the hypothesis's phases and faults in the timeline. It
// returns a reason instead when the run did not complete them.
func buildCase(h *experiments.Hypothesis, tl observe.Timeline, events []observe.Event, cohort []string) (verdict.Case, string) {
	var base, fault, recovery *observe.Phase
	for i := range tl.Phases {
		ph := &tl.Phases[i]
		switch {
		case ph.Name == observe.PhaseBaseline:
			base = ph
		case ph.Name == observe.PhaseFault && ph.FailureMode == h.FailureMode.Name:
			fault = ph
		case ph.Name == observe.PhaseRecovery && ph.FailureMode == h.FailureMode.Name:
			recovery = ph
		}
	}
	switch {
	case base == nil || !base.Completed:
		return verdict.Case{}, "the run stopped before the baseline was complete"
	case fault == nil:
		return verdict.Case{}, fmt.Sprintf("the run stopped before failure mode %q was injected", h.FailureMode.Name)
	case !fault.Completed:
		return verdict.Case{}, fmt.Sprintf("the run was aborted while failure mode %q was held", h.FailureMode.Name)
	case recovery == nil || !recovery.Completed:
		return verdict.Case{}, fmt.Sprintf("the run was aborted during the recovery from %q", h.FailureMode.Name)
	}

	cs := verdict.Case{
		Hypothesis: h.Name,
		Expect:     verdict.Expectation(h.Expect),
		Within:     h.Within,
		Baseline:   verdict.Span{Start: base.Start, End: base.End},
		Fault:      verdict.Span{Start: fault.Start, End: fault.End},
		Recovery:   verdict.Span{Start: recovery.Start, End: recovery.End},
		Landed:     true,
		Cohort:     cohort,
		Events:     events,
	}
	var details []string
	injected, reverted := time.Time{}, time.Time{}
	n := 0
	for _, f := range tl.Faults {
		if f.FailureMode != h.FailureMode.Name {
			continue
		}
		n++
		if injected.IsZero() || f.Injected.Before(injected) {
			injected = f.Injected
		}
		if f.Reverted.After(reverted) {
			reverted = f.Reverted
		}
		switch {
		case f.InjectError != "":
			cs.Landed = false
			details = append(details, fmt.Sprintf("%s on %s was not injected: %s", f.Kind, f.Target, f.InjectError))
		case !f.Landed:
			cs.Landed = false
			details = append(details, fmt.Sprintf("%s on %s did not land: %s", f.Kind, f.Target, f.LandedDetail))
		default:
			details = append(details, fmt.Sprintf("%s on %s: %s", f.Kind, f.Target, f.LandedDetail))
		}
	}
	if n == 0 {
		return verdict.Case{}, fmt.Sprintf("no fault of %q was recorded", h.FailureMode.Name)
	}
	// The fault span runs from the first injection to the last revert,
	// and the recovery from that revert: the phase bounds are only the
	// plan's.
	if !injected.IsZero() {
		cs.Fault.Start = injected
	}
	if !reverted.IsZero() {
		cs.Fault.End = reverted
		cs.Recovery.Start = reverted
	}
	cs.LandedDetail = strings.Join(details, "; ")
	return cs, ""
}

// WriteJSON writes the conclusions as indented JSON.
func WriteJSON(w io.Writer, c Conclusions) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// ReadJSON reads conclusions written by WriteJSON.
func ReadJSON(r io.Reader) (Conclusions, error) {
	var c Conclusions
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return c, fmt.Errorf("read conclusions: %w", err)
	}
	if c.FormatVersion != FormatVersion {
		return c, fmt.Errorf("read conclusions: format_version %q, this faultline reads %q", c.FormatVersion, FormatVersion)
	}
	return c, nil
}
