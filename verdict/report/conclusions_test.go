package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

var update = flag.Bool("update", false, "rewrite golden files")

// recordingJudge remembers the cases it was given and confirms them all.
type recordingJudge struct{ cases []verdict.Case }

func (r *recordingJudge) Judge(c verdict.Case) verdict.Verdict {
	r.cases = append(r.cases, c)
	return verdict.Verdict{Hypothesis: c.Hypothesis, Expect: c.Expect, Outcome: verdict.Confirmed, Reason: "recorded"}
}

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func model() *experiments.Experiment {
	api := &experiments.Component{Name: "api"}
	wl := &experiments.Workload{Name: "browse", HTTP: &experiments.HTTPWorkload{Target: api, Cohort: []string{"route"}}}
	other := &experiments.Workload{Name: "other", HTTP: &experiments.HTTPWorkload{Target: api, Cohort: []string{"route"}}}
	slow := &experiments.FailureMode{Name: "slow", Component: api}
	dead := &experiments.FailureMode{Name: "dead", Component: api}
	return &experiments.Experiment{
		Name: "demo", Baseline: 10 * time.Second, Fault: 5 * time.Second, Recovery: 5 * time.Second,
		Window: time.Second, Sigma: 2, Threshold: 0.1,
		Components:   []*experiments.Component{api},
		Workloads:    []*experiments.Workload{wl, other},
		FailureModes: []*experiments.FailureMode{slow, dead},
		Hypotheses: []*experiments.Hypothesis{
			{Name: "steady-when-slow", FailureMode: slow, Workload: wl, Expect: experiments.ExpectSteady},
			{Name: "recovers-when-dead", FailureMode: dead, Workload: wl, Expect: experiments.ExpectRecovers, Within: 2 * time.Second},
		},
	}
}

func TestConcludeBuildsCases(t *testing.T) {
	tl := observe.Timeline{
		RunID: "r1", Experiment: "demo", Start: at(0), End: at(40),
		Phases: []observe.Phase{
			{Name: observe.PhaseWarmup, Start: at(0), End: at(2), Completed: true},
			{Name: observe.PhaseBaseline, Start: at(2), End: at(12), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "slow", Start: at(12), End: at(17), Completed: true},
			{Name: observe.PhaseRecovery, FailureMode: "slow", Start: at(17.2), End: at(22.2), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "dead", Start: at(22.2), End: at(27.2), Completed: true},
			{Name: observe.PhaseRecovery, FailureMode: "dead", Start: at(27.5), End: at(32.5), Completed: true},
		},
		Faults: []observe.FaultRecord{
			{FailureMode: "slow", Kind: "latency", Target: "api", Injected: at(12.1), Landed: true, LandedDetail: "seen", Reverted: at(17.2)},
			{FailureMode: "dead", Kind: "kill", Target: "api", Injected: at(22.3), Landed: false, LandedDetail: "still running", Reverted: at(27.5)},
		},
	}
	events := []observe.Event{
		{Time: at(3), Labels: map[string]string{observe.LabelWorkload: "browse"}},
		{Time: at(4), Labels: map[string]string{observe.LabelWorkload: "other"}},
		{Time: at(13), Labels: map[string]string{observe.LabelWorkload: "browse"}},
	}
	j := &recordingJudge{}
	c := Conclude(model(), tl, events, j)

	if len(j.cases) != 2 {
		t.Fatalf("judge got %d cases, want 2", len(j.cases))
	}
	slow := j.cases[0]
	if !slow.Fault.Start.Equal(at(12.1)) || !slow.Fault.End.Equal(at(17.2)) || !slow.Recovery.Start.Equal(at(17.2)) || !slow.Recovery.End.Equal(at(22.2)) {
		t.Errorf("slow spans = fault %v recovery %v, want fault from injection to revert and recovery from revert", slow.Fault, slow.Recovery)
	}
	if !slow.Baseline.Start.Equal(at(2)) || !slow.Baseline.End.Equal(at(12)) {
		t.Errorf("baseline span = %v, want the baseline phase", slow.Baseline)
	}
	if !slow.Landed || len(slow.Events) != 2 || slow.Cohort[0] != "route" {
		t.Errorf("slow case = landed %v, %d events, cohort %v; want landed, the 2 browse events, cohort [route]", slow.Landed, len(slow.Events), slow.Cohort)
	}
	dead := j.cases[1]
	if dead.Landed || !strings.Contains(dead.LandedDetail, "still running") || dead.Within != 2*time.Second {
		t.Errorf("dead case = landed %v %q within %v; want not landed with the check's detail, within 2s", dead.Landed, dead.LandedDetail, dead.Within)
	}
	if c.Summary != (Summary{Hypotheses: 2, Confirmed: 2}) {
		t.Errorf("summary = %+v", c.Summary)
	}
	if c.FormatVersion != FormatVersion || c.EventCount != 3 || c.DurationSeconds != 40 {
		t.Errorf("conclusions header = %q, %d events, %gs", c.FormatVersion, c.EventCount, c.DurationSeconds)
	}
}

func TestConcludeUnfinishedRun(t *testing.T) {
	tests := []struct {
		name   string
		phases []observe.Phase
		want   string
	}{
		{"baseline cut", []observe.Phase{{Name: observe.PhaseBaseline, Start: at(0), End: at(3)}}, "before the baseline was complete"},
		{"never injected", []observe.Phase{{Name: observe.PhaseBaseline, Start: at(0), End: at(10), Completed: true}}, "before failure mode"},
		{"fault cut", []observe.Phase{
			{Name: observe.PhaseBaseline, Start: at(0), End: at(10), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "slow", Start: at(10), End: at(11)},
		}, "aborted while failure mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &recordingJudge{}
			c := Conclude(model(), observe.Timeline{Phases: tt.phases, Aborted: true}, nil, j)
			h := c.Hypotheses[0]
			if h.Outcome != verdict.Inconclusive || !strings.Contains(h.Reason, tt.want) {
				t.Errorf("hypothesis = %s %q, want inconclusive mentioning %q", h.Outcome, h.Reason, tt.want)
			}
			if len(j.cases) != 0 && tt.name != "never injected" {
				t.Errorf("the judge was asked about an unfinished failure mode")
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := Conclude(model(), observe.Timeline{RunID: "r"}, nil, &recordingJudge{})
	var buf bytes.Buffer
	if err := WriteJSON(&buf, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.RunID != "r" || len(back.Hypotheses) != 2 || back.Hypotheses[0].Outcome != verdict.Inconclusive {
		t.Errorf("ReadJSON(WriteJSON(c)) = %+v", back)
	}
	if _, err := ReadJSON(strings.NewReader(`{"format_version":"0"}`)); err == nil {
		t.Errorf("ReadJSON accepted format_version 0")
	}
}

func TestMarkdownGolden(t *testing.T) {
	p50 := verdict.Quantiles{P50: 0.002, P90: 0.003, P99: 0.004}
	c := Conclusions{
		FormatVersion: FormatVersion, RunID: "20261127-120000-demo",
		Experiment: ExperimentInfo{Name: "demo", Description: "A <b>bold</b> claim | with a pipe", File: "demo.hcl"},
		Start:      at(0), End: at(40), DurationSeconds: 40,
		Phases: []observe.Phase{{Name: "baseline", Start: at(2), End: at(12), Completed: true}},
		Faults: []observe.FaultRecord{{FailureMode: "slow", Kind: "latency", Target: "api", Injected: at(12), EffectiveAt: at(12.004), Landed: true, LandedDetail: "probe 301ms vs 1ms", RevertCalled: at(16.9), Reverted: at(17), RecoveredAt: at(16.95)}},
		Hypotheses: []Hypothesis{{
			Name: "h<script>alert(1)</script>", FailureMode: "slow", Workload: "browse",
			Verdict: verdict.Verdict{
				Expect: verdict.ExpectSteady, Outcome: verdict.Refuted, Reason: "refuted: 5 of 5 fault windows alarmed",
				Evidence: verdict.Evidence{
					Sigma: 2, Threshold: 0.1, BaselineEvents: 1000, FaultEvents: 500, RecoveryEvents: 500, Coverage: 1,
					BaselineFraction: 0.02, FaultFraction: 0.95, PeakFraction: 0.99,
					Latency:    map[string]verdict.Quantiles{"baseline": p50, "fault": {P50: 0.3, P90: 0.31, P99: 0.32}, "recovery": p50},
					Windows:    []verdict.Window{{Phase: "fault", Fraction: 0.99}, {Phase: "recovery", Fraction: 0.02}},
					Excursions: []verdict.Excursion{{Start: at(12), End: at(17), DurationSeconds: 5, PeakFraction: 0.99, ExcessOutliers: 480}},
				},
			},
		}},
		Summary: Summary{Hypotheses: 1, Refuted: 1},
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, c); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.md.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if buf.String() != string(want) {
		t.Errorf("WriteMarkdown differs from %s (run with -update after checking):\n%s", golden, buf.String())
	}
	if strings.Contains(buf.String(), "<script>") || strings.Contains(buf.String(), "<b>") {
		t.Errorf("user text was not escaped:\n%s", buf.String())
	}
}
