package report

import (
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// telemetryTimeline is a complete run of failure mode "dead" of
// telemetryModel, whose kill landed at 12.5s (first seen at 12.2s).
func telemetryTimeline(detections ...observe.Detection) observe.Timeline {
	return observe.Timeline{
		RunID: "r2", Experiment: "observed", Start: at(0), End: at(30),
		Phases: []observe.Phase{
			{Name: observe.PhaseBaseline, Start: at(2), End: at(12), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "dead", Start: at(12), End: at(17), Completed: true},
			{Name: observe.PhaseRecovery, FailureMode: "dead", Start: at(17), End: at(22), Completed: true},
		},
		Faults: []observe.FaultRecord{
			{FailureMode: "dead", Kind: "kill", Target: "api", Injected: at(12.1), EffectiveAt: at(12.2), Landed: true, LandedAt: at(12.5), Reverted: at(17)},
		},
		Detections: detections,
		Signals:    []observe.SignalInfo{{Name: "p90", Series: 1, Samples: 30}},
	}
}

func telemetryModel(alert string) *experiments.Experiment {
	api := &experiments.Component{Name: "api"}
	dead := &experiments.FailureMode{Name: "dead", Component: api, Detections: []*experiments.Detection{
		{Alert: "Down", Within: 5 * time.Second}, {Alert: "Errors", Within: 8 * time.Second},
	}}
	p90 := &experiments.Signal{Name: "p90", Step: time.Second, Value: experiments.SignalRatio}
	return &experiments.Experiment{
		Name: "observed", Baseline: 10 * time.Second, Fault: 5 * time.Second, Recovery: 5 * time.Second,
		Window: 5 * time.Second, Sigma: 2, Threshold: 0.1,
		Components:   []*experiments.Component{api},
		FailureModes: []*experiments.FailureMode{dead},
		Signals:      []*experiments.Signal{p90},
		Hypotheses: []*experiments.Hypothesis{
			{Name: "detected", FailureMode: dead, Expect: experiments.ExpectDetected, Alert: alert},
			{Name: "p90-steady", FailureMode: dead, Signal: p90, Expect: experiments.ExpectSteady},
		},
	}
}

func TestConcludeDetected(t *testing.T) {
	down := func(ttd float64, inTime bool) observe.Detection {
		return observe.Detection{FailureMode: "dead", Alert: "Down", WithinSeconds: 5, From: at(12.2), Until: at(22),
			Fired: true, FiredAt: at(12.2 + ttd), TimeToDetectSeconds: ttd, InTime: inTime}
	}
	errs := observe.Detection{FailureMode: "dead", Alert: "Errors", WithinSeconds: 8, From: at(12.2), Until: at(22),
		Fired: true, FiredAt: at(15.2), TimeToDetectSeconds: 3, InTime: true}
	silent := observe.Detection{FailureMode: "dead", Alert: "Errors", WithinSeconds: 8, From: at(12.2), Until: at(22)}
	tests := []struct {
		name   string
		alert  string
		tl     observe.Timeline
		want   verdict.Outcome
		reason string
	}{
		{"both in time", "", telemetryTimeline(down(2.5, true), errs), verdict.Confirmed, "Down fired 2.5s after the fault landed (within 5s); Errors fired 3.0s"},
		{"one late", "", telemetryTimeline(down(6, false), errs), verdict.Refuted, "Down fired 6.0s after the fault landed, later than 5s"},
		{"one silent", "", telemetryTimeline(down(2, true), silent), verdict.Refuted, "Errors did not fire by the end of the recovery (10s after the fault landed)"},
		{"only the named alert", "Down", telemetryTimeline(down(2, true), silent), verdict.Confirmed, "Down fired 2.0s"},
		{"unreadable", "", telemetryTimeline(down(2, true), observe.Detection{FailureMode: "dead", Alert: "Errors", Error: "connection refused"}), verdict.Inconclusive, "Errors could not be read: connection refused"},
		{"firing before", "Errors", telemetryTimeline(observe.Detection{FailureMode: "dead", Alert: "Errors", FiringBefore: true}), verdict.Inconclusive, "already firing when the fault landed"},
		{"not read", "", telemetryTimeline(), verdict.Inconclusive, "the alerts were not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Conclude(telemetryModel(tt.alert), tt.tl, nil, &recordingJudge{})
			h := c.Hypotheses[0]
			if h.Outcome != tt.want || !strings.Contains(h.Reason, tt.reason) {
				t.Errorf("detected = %s (%s), want %s containing %q", h.Outcome, h.Reason, tt.want, tt.reason)
			}
			if h.Workload != "" || h.Signal != "" {
				t.Errorf("a detected hypothesis names workload %q signal %q", h.Workload, h.Signal)
			}
		})
	}

	tl := telemetryTimeline(down(2, true), errs)
	tl.Faults[0].Landed = false
	if h := Conclude(telemetryModel(""), tl, nil, &recordingJudge{}).Hypotheses[0]; h.Outcome != verdict.Inconclusive || !strings.Contains(h.Reason, "no fault of \"dead\" landed") {
		t.Errorf("a fault that did not land: %s (%s)", h.Outcome, h.Reason)
	}
}

// TestConcludeSignal: a signal hypothesis is judged on the signal's
// samples only, with the ratio model for a ratio signal, and is
// inconclusive when the signal could not be read.
func TestConcludeSignal(t *testing.T) {
	events := []observe.Event{
		{Time: at(3), Labels: map[string]string{observe.LabelSignal: "p90", "route": "/a"}},
		{Time: at(4), Labels: map[string]string{observe.LabelWorkload: "browse", "route": "/a"}},
		{Time: at(13), Labels: map[string]string{observe.LabelSignal: "p90", "route": "/a", "instance": "x"}},
	}
	j := verdict.New(verdict.Options{Window: 5 * time.Second})
	c := Conclude(telemetryModel(""), telemetryTimeline(), events, j)
	if c.EventCount != 1 || c.SignalSamples != 2 {
		t.Errorf("EventCount %d SignalSamples %d, want 1 and 2", c.EventCount, c.SignalSamples)
	}
	h := c.Hypotheses[1]
	if h.Signal != "p90" || h.Workload != "" {
		t.Errorf("judged on workload %q signal %q", h.Workload, h.Signal)
	}
	// Two samples cannot be judged, but they reached the judge with the
	// ratio model and every label of the series as the cohort.
	if h.Outcome != verdict.Inconclusive || h.Evidence.Baseline != verdict.BaselineRatio {
		t.Errorf("p90: %s with baseline %q (%s)", h.Outcome, h.Evidence.Baseline, h.Reason)
	}

	rec := &recordingJudge{}
	Conclude(telemetryModel(""), telemetryTimeline(), events, rec)
	if len(rec.cases) != 1 || len(rec.cases[0].Events) != 2 || strings.Join(rec.cases[0].Cohort, ",") != "instance,route" {
		t.Fatalf("cases = %+v", rec.cases)
	}

	tl := telemetryTimeline()
	tl.Signals[0].Error = "bad_data: parse error"
	h = Conclude(telemetryModel(""), tl, events, j).Hypotheses[1]
	if h.Outcome != verdict.Inconclusive || !strings.Contains(h.Reason, `the signal "p90" could not be read: bad_data`) {
		t.Errorf("unreadable signal: %s (%s)", h.Outcome, h.Reason)
	}
	h = Conclude(telemetryModel(""), telemetryTimeline(), nil, j).Hypotheses[1]
	if h.Outcome != verdict.Inconclusive || !strings.Contains(h.Reason, "returned no samples") {
		t.Errorf("no samples: %s (%s)", h.Outcome, h.Reason)
	}
}
