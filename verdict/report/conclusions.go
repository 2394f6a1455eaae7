package report

import (
	"encoding/json"
	"fmt"
	"io"
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
	Trips      []observe.Trip `json:"trips,omitempty"`
	Hypotheses []Hypothesis   `json:"hypotheses"`
	Summary    Summary        `json:"summary"`
	// EventCount is the number of events in events.csv.
	EventCount int `json:"event_count"`
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
}

// Hypothesis is one hypothesis with its verdict.
type Hypothesis struct {
	Name          string  `json:"name"`
	Description   string  `json:"description,omitempty"`
	FailureMode   string  `json:"failure_mode"`
	Workload      string  `json:"workload"`
	WithinSeconds float64 `json:"within_seconds,omitempty"`
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
// Hypotheses whose failure mode the run never reached, or left half done,
// are inconclusive and say so.
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
		EventCount:      len(events),
	}
	byWorkload := map[string][]observe.Event{}
	for _, e := range events {
		w := e.Labels[observe.LabelWorkload]
		byWorkload[w] = append(byWorkload[w], e)
	}
	for _, h := range exp.Hypotheses {
		hr := Hypothesis{
			Name:          h.Name,
			Description:   h.Description,
			FailureMode:   h.FailureMode.Name,
			Workload:      h.Workload.Name,
			WithinSeconds: h.Within.Seconds(),
		}
		cs, why := buildCase(h, tl, byWorkload[h.Workload.Name])
		if t, ok := tripOf(tl, h.FailureMode.Name); ok {
			hr.Verdict = verdict.Verdict{
				Hypothesis: h.Name,
				Expect:     verdict.Expectation(h.Expect),
				Outcome:    verdict.Aborted,
				Reason: fmt.Sprintf("aborted: the abort limit %s tripped: %s; the fault was reverted %s after that window ended",
					t.Limit, t.Reason, t.Reverted.Sub(t.WindowEnd).Round(time.Millisecond)),
			}
		} else if why != "" {
			hr.Verdict = verdict.Verdict{
				Hypothesis: h.Name,
				Expect:     verdict.Expectation(h.Expect),
				Outcome:    verdict.Inconclusive,
				Reason:     "inconclusive: " + why,
			}
		} else {
			hr.Verdict = j.Judge(cs)
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
func buildCase(h *experiments.Hypothesis, tl observe.Timeline, events []observe.Event) (verdict.Case, string) {
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
		Cohort:     h.Workload.HTTP.Cohort,
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
