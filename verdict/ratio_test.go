package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
)

// ratioCase is a steady hypothesis on a ratio signal sampled every
// 250ms: base during the baseline, during the fault and recovery the
// value fault while the fault is active and base after.
func ratioCase(base, fault func(i int) float64) Case {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := Case{
		Hypothesis: "errors-steady",
		Expect:     ExpectSteady,
		Baseline:   Span{Start: t0, End: t0.Add(30 * time.Second)},
		Fault:      Span{Start: t0.Add(30 * time.Second), End: t0.Add(50 * time.Second)},
		Recovery:   Span{Start: t0.Add(50 * time.Second), End: t0.Add(70 * time.Second)},
		Landed:     true,
		Cohort:     []string{"route"},
	}
	for i := range 280 {
		at := t0.Add(time.Duration(i) * 250 * time.Millisecond)
		v := base(i)
		if c.Fault.Contains(at) {
			v = fault(i)
		}
		c.Events = append(c.Events, observe.Event{
			Time: at, Latency: time.Duration(v * float64(time.Second)), OK: true,
			Labels: map[string]string{"route": "/browse", "signal": "errors"},
		})
	}
	return c
}

// TestRatioBaseline: an error ratio that is 0 through the baseline
// qualifies under the ratio model, stays steady under a rise smaller
// than the error margin, and is refuted by a larger one; the log-normal
// model cannot judge it at all.
func TestRatioBaseline(t *testing.T) {
	zero := func(int) float64 { return 0 }
	ratio := New(Options{Window: 5 * time.Second, Baseline: BaselineRatio})
	tests := []struct {
		name  string
		judge *TwoSigma
		fault func(int) float64
		want  Outcome
	}{
		{"a rise below the margin", ratio, func(int) float64 { return 0.015 }, Confirmed},
		{"half the requests fail", ratio, func(int) float64 { return 0.5 }, Refuted},
		{"just at the margin", ratio, func(int) float64 { return 0.02 }, Refuted},
		{"log-normal cannot fit zeros", New(Options{Window: 5 * time.Second}), func(int) float64 { return 0.5 }, Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.judge.Judge(ratioCase(zero, tt.fault))
			if v.Outcome != tt.want {
				t.Fatalf("Judge = %s (%s), want %s", v.Outcome, v.Reason, tt.want)
			}
		})
	}
	// A noisy baseline: the cutoff is mean + 2 sd when that is above the
	// margin.
	noisy := func(i int) float64 { return 0.05 + 0.02*float64(i%5-2) }
	v := ratio.Judge(ratioCase(noisy, noisy))
	if v.Outcome != Confirmed {
		t.Fatalf("noisy steady ratio: %s (%s)", v.Outcome, v.Reason)
	}
	if len(v.Evidence.Cohorts) == 0 || !strings.Contains(v.Evidence.Cohorts[0].Key, "/browse") {
		t.Errorf("cohorts = %+v", v.Evidence.Cohorts)
	}
}
