package verdict

import (
	"github.com/faultline/faultline/observe"
)

// Live scores events as they arrive against baselines fitted on
// baseline events, with the same fit and qualification as Judge: it is
// what abort limits watch during a fault. It is not safe for concurrent
// use.
type Live struct {
	co        *cohorts
	models    []model
	qualified []bool
}

// LiveWindow is one window of events scored by Live.
type LiveWindow struct {
	// Events counts every event; Failures the failed ones.
	Events, Failures int
	// Counted is the events in the outlier fraction (failed events and
	// ok events of qualified cohorts), Outliers those at or above their
	// cohort's cutoff or failed.
	Counted, Outliers int
}

// Fraction is the outlier fraction, 0 without counted events.
func (w LiveWindow) Fraction() float64 { return ratio(w.Outliers, w.Counted) }

// ErrorRate is failures over events, 0 without events.
func (w LiveWindow) ErrorRate() float64 { return ratio(w.Failures, w.Events) }

// Live fits the baselines of the events of baseline (those inside the
// span) with cohorts keyed by the cohort label names, as Judge would
// for a case with that baseline span.
func (j *TwoSigma) Live(events []observe.Event, baseline Span, cohort []string) *Live {
	s := j.NewStream(Case{Expect: ExpectSteady, Landed: true, Baseline: baseline, Cohort: cohort})
	co := s.co
	for _, e := range events {
		s.Observe(e.Time, e.Latency, e.OK, co.labelsID(e.Labels))
	}
	for _, e := range events[:s.Rescan()] {
		s.Rescore(e.Time, e.Latency, e.OK, co.labelsID(e.Labels))
	}
	_, qualified := s.baselines()
	l := &Live{co: co, models: make([]model, len(qualified)), qualified: qualified}
	for id := range qualified {
		l.models[id] = s.fitted[id].model
	}
	return l
}

// Score scores the events of one window. Ok events of cohorts without a
// qualified baseline are left out of the outlier fraction, as Judge
// leaves them out.
func (l *Live) Score(events []observe.Event) LiveWindow {
	// Label maps are told apart by identity; a map of an event no
	// longer held may have been reused for another.
	l.co.byMap, l.co.recent = nil, [16]mapID{}
	var w LiveWindow
	for _, e := range events {
		w.Events++
		if !e.OK {
			w.Failures++
			w.Counted++
			w.Outliers++
			continue
		}
		id := l.co.labelsID(e.Labels)
		if int(id) >= len(l.qualified) || !l.qualified[id] {
			continue
		}
		w.Counted++
		if l.models[id].outlier(e.Latency) {
			w.Outliers++
		}
	}
	return w
}
