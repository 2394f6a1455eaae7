package verdict

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
)

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Options
		want Options
	}{
		{
			name: "zero",
			want: Options{Window: 5 * time.Second, Sigma: 2, Threshold: 0.10, MinBaseline: 30, MinWindow: 20, Alpha: 0.01, Baseline: "lognormal", ErrorMargin: 0.02},
		},
		{
			name: "negative counts as zero",
			in:   Options{Window: -time.Second, Sigma: -1, Threshold: -0.5, MinBaseline: -3, MinWindow: -1, Alpha: -0.1, ErrorMargin: -1},
			want: Options{Window: 5 * time.Second, Sigma: 2, Threshold: 0.10, MinBaseline: 30, MinWindow: 20, Alpha: 0.01, Baseline: "lognormal", ErrorMargin: 0.02},
		},
		{
			name: "set fields kept",
			in:   Options{Window: time.Second, Sigma: 3, Threshold: 0.2, MinBaseline: 10, MinWindow: 5, Alpha: 0.05, Baseline: "empirical", ErrorMargin: 0.05},
			want: Options{Window: time.Second, Sigma: 3, Threshold: 0.2, MinBaseline: 10, MinWindow: 5, Alpha: 0.05, Baseline: "empirical", ErrorMargin: 0.05},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(); got != tt.want {
				t.Errorf("WithDefaults(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got := New(tt.in).Options(); got != tt.want {
				t.Errorf("New(%+v).Options() = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// TestJudgeAA judges runs whose fault phase is drawn from the same
// distribution as the baseline: every one must be confirmed.
func TestJudgeAA(t *testing.T) {
	const seeds = 50
	for _, expect := range []Expectation{ExpectSteady, ExpectRecovers} {
		t.Run(string(expect), func(t *testing.T) {
			j := New(Options{})
			refuted := 0
			for seed := range uint64(seeds) {
				v := j.Judge(defaultGen(seed).caseFor(expect, 10*time.Second))
				if v.Outcome != Confirmed {
					refuted++
					t.Errorf("seed %d: Judge(clean run) = %s (%s), want confirmed", seed, v.Outcome, v.Reason)
				}
			}
			t.Logf("A/A %s: %d of %d clean runs not confirmed", expect, refuted, seeds)
		})
	}
}

// TestJudgeAAFalseRefuteRate measures how often clean runs are refuted
// when windows hold few events, where noise is largest, and bounds it
// (about twice the rate measured over 2000 seeds; docs/judge.md).
func TestJudgeAAFalseRefuteRate(t *testing.T) {
	tests := []struct {
		name       string
		rate       float64 // per cohort; four cohorts, 5s windows
		seeds      uint64
		maxRefuted int
	}{
		{name: "20 events per window", rate: 1, seeds: 100, maxRefuted: 8},
		{name: "40 events per window", rate: 2, seeds: 100, maxRefuted: 12},
		{name: "100 events per window", rate: 5, seeds: 100, maxRefuted: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := New(Options{})
			refuted, inconclusive := 0, 0
			for seed := range tt.seeds {
				g := defaultGen(1000 + seed)
				g.rate = tt.rate
				v := j.Judge(g.caseFor(ExpectSteady, 0))
				switch v.Outcome {
				case Refuted:
					refuted++
				case Inconclusive:
					inconclusive++
					t.Errorf("seed %d: Judge = inconclusive (%s), want a decision", seed, v.Reason)
				}
			}
			t.Logf("A/A %s: %d of %d clean runs refuted (%.1f%%)", tt.name, refuted, tt.seeds, 100*float64(refuted)/float64(tt.seeds))
			if refuted > tt.maxRefuted {
				t.Errorf("%d of %d clean runs refuted, want at most %d", refuted, tt.seeds, tt.maxRefuted)
			}
		})
	}
}

func TestJudgeSteady(t *testing.T) {
	tests := []struct {
		name   string
		effect effectFunc
		want   Outcome
	}{
		{name: "latency x3 in fault", effect: during(effect{slow: 3}, 0), want: Refuted},
		{name: "30% failures in fault", effect: during(effect{fail: 0.30}, 0), want: Refuted},
		{name: "1% failures in fault", effect: during(effect{fail: 0.01}, 0), want: Confirmed},
		{name: "latency x1.1 in fault", effect: during(effect{slow: 1.1}, 0), want: Confirmed},
		{
			name: "one cohort of four slow",
			effect: func(c int, phase string, _ time.Duration) effect {
				if c == 2 && phase == PhaseFault {
					return effect{slow: 20}
				}
				return effect{}
			},
			want: Refuted,
		},
		{name: "slow only in recovery", effect: func(_ int, phase string, _ time.Duration) effect {
			if phase == PhaseRecovery {
				return effect{slow: 3}
			}
			return effect{}
		}, want: Refuted},
	}
	j := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(3) {
				g := defaultGen(seed)
				g.effect = tt.effect
				v := j.Judge(g.caseFor(ExpectSteady, 0))
				if v.Outcome != tt.want {
					t.Fatalf("seed %d: Judge = %s (%s), want %s", seed, v.Outcome, v.Reason, tt.want)
				}
				if !strings.HasPrefix(v.Reason, string(tt.want)+":") {
					t.Errorf("seed %d: reason %q does not start with %q", seed, v.Reason, tt.want)
				}
				if tt.want == Refuted && len(v.Evidence.Excursions) == 0 {
					t.Errorf("seed %d: refuted without an excursion: %+v", seed, v.Evidence)
				}
				if tt.want == Confirmed && len(v.Evidence.Excursions) != 0 {
					t.Errorf("seed %d: confirmed with excursions %+v", seed, v.Evidence.Excursions)
				}
			}
		})
	}
}

func TestJudgeOneBrokenCohort(t *testing.T) {
	g := defaultGen(7)
	g.effect = func(c int, phase string, _ time.Duration) effect {
		if c == 1 && phase == PhaseFault {
			return effect{slow: 20}
		}
		return effect{}
	}
	v := New(Options{}).Judge(g.caseFor(ExpectSteady, 0))
	if v.Outcome != Refuted {
		t.Fatalf("Judge = %s (%s), want refuted", v.Outcome, v.Reason)
	}
	// A quarter of the events are all outliers, the rest at the
	// baseline rate: about 0.25 + 0.75*0.023.
	if f := v.Evidence.FaultFraction; f < 0.22 || f > 0.32 {
		t.Errorf("FaultFraction = %.3f, want about 0.27", f)
	}
	if f := v.Evidence.RecoveryFraction; f > 0.05 {
		t.Errorf("RecoveryFraction = %.3f, want near the baseline", f)
	}
	if n := len(v.Evidence.Excursions); n != 1 {
		t.Fatalf("got %d excursions, want 1: %+v", n, v.Evidence.Excursions)
	}
	x := v.Evidence.Excursions[0]
	_, f, _ := g.spans()
	if !x.Start.Equal(f.Start) || !x.End.Equal(f.End) || x.DurationSeconds != 30 {
		t.Errorf("excursion %v..%v (%.1fs), want the fault span %v..%v", x.Start, x.End, x.DurationSeconds, f.Start, f.End)
	}
	// About 25 events/s * 30s are in the broken cohort, each an outlier
	// in excess of the baseline rate.
	if x.ExcessOutliers < 600 || x.ExcessOutliers > 900 {
		t.Errorf("ExcessOutliers = %.0f, want about 750", x.ExcessOutliers)
	}
}

func TestJudgeRecovers(t *testing.T) {
	tests := []struct {
		name          string
		degradedAfter time.Duration // into recovery
		within        time.Duration
		want          Outcome
		wantRecovered float64
		wantNoImpact  bool
	}{
		{name: "recovered 2s after the revert, allowance 4s", degradedAfter: 2 * time.Second, within: 4 * time.Second, want: Confirmed, wantRecovered: 2},
		{name: "recovered 8s after the revert, allowance 4s", degradedAfter: 8 * time.Second, within: 4 * time.Second, want: Refuted, wantRecovered: 8},
		{name: "recovered at the revert", degradedAfter: 0, within: 4 * time.Second, want: Confirmed, wantRecovered: 0},
	}
	j := New(Options{Window: time.Second})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(3) {
				g := defaultGen(seed)
				g.recovery = 15 * time.Second
				g.effect = during(effect{slow: 5}, tt.degradedAfter)
				v := j.Judge(g.caseFor(ExpectRecovers, tt.within))
				if v.Outcome != tt.want {
					t.Fatalf("seed %d: Judge = %s (%s), want %s", seed, v.Outcome, v.Reason, tt.want)
				}
				got := v.Evidence.RecoveredAfterSeconds
				if got == nil || math.Abs(*got-tt.wantRecovered) > 0.5 {
					t.Fatalf("seed %d: RecoveredAfterSeconds = %v, want %.1f (%s)", seed, fmtPtr(got), tt.wantRecovered, v.Reason)
				}
			}
		})
	}
}

func TestJudgeRecoversNoImpact(t *testing.T) {
	v := New(Options{}).Judge(defaultGen(3).caseFor(ExpectRecovers, 5*time.Second))
	if v.Outcome != Confirmed {
		t.Fatalf("Judge = %s (%s), want confirmed", v.Outcome, v.Reason)
	}
	if !strings.Contains(v.Reason, "no measurable impact") {
		t.Errorf("reason %q does not say the fault had no impact", v.Reason)
	}
	if got := v.Evidence.RecoveredAfterSeconds; got == nil || *got != 0 {
		t.Errorf("RecoveredAfterSeconds = %v, want 0", fmtPtr(got))
	}
}

func TestJudgeRecoversNeverRecovered(t *testing.T) {
	g := defaultGen(4)
	g.effect = during(effect{slow: 5}, time.Hour)
	v := New(Options{}).Judge(g.caseFor(ExpectRecovers, 10*time.Second))
	if v.Outcome != Refuted {
		t.Fatalf("Judge = %s (%s), want refuted", v.Outcome, v.Reason)
	}
	if v.Evidence.RecoveredAfterSeconds != nil {
		t.Errorf("RecoveredAfterSeconds = %v, want nil", *v.Evidence.RecoveredAfterSeconds)
	}
	if !strings.Contains(v.Reason, "not recovered") {
		t.Errorf("reason %q does not say it never recovered", v.Reason)
	}
	// Fault and recovery alarm back to back: one excursion across the
	// boundary.
	if n := len(v.Evidence.Excursions); n != 1 {
		t.Errorf("got %d excursions, want 1 spanning fault and recovery", n)
	}
}

// TestJudgeRecoversStraddle checks that a window straddling the end of
// the allowance is not held against the hypothesis.
func TestJudgeRecoversStraddle(t *testing.T) {
	g := defaultGen(5)
	g.recovery = 20 * time.Second
	g.effect = during(effect{slow: 5}, 6*time.Second)
	// Windows of 5s: [0,5) [5,10) [10,15) [15,20). The allowance ends at
	// 7s, inside [5,10), which alarms but starts before the end.
	v := New(Options{}).Judge(g.caseFor(ExpectRecovers, 7*time.Second))
	if v.Outcome != Confirmed {
		t.Fatalf("Judge = %s (%s), want confirmed", v.Outcome, v.Reason)
	}
	if got := v.Evidence.RecoveredAfterSeconds; got == nil || *got != 10 {
		t.Errorf("RecoveredAfterSeconds = %v, want 10", fmtPtr(got))
	}
}

func TestJudgeInconclusive(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(c *Case)
		wantReason string
	}{
		{name: "not landed", mutate: func(c *Case) { c.Landed = false; c.LandedDetail = "no delay seen on the link" }, wantReason: "no delay seen on the link"},
		{name: "empty events", mutate: func(c *Case) { c.Events = nil }, wantReason: "baseline phase has 0 events"},
		{name: "zero case", mutate: func(c *Case) { *c = Case{Landed: true, Expect: ExpectSteady} }, wantReason: "baseline phase has 0 events"},
		{name: "too few baseline events", mutate: func(c *Case) {
			c.Events = slices.DeleteFunc(c.Events, func(e observe.Event) bool {
				return c.Baseline.Contains(e.Time) && e.Time.Sub(c.Baseline.Start) > 50*time.Millisecond
			})
		}, wantReason: "fewer than the 30 needed"},
		{name: "no qualified cohort", mutate: func(c *Case) {
			// Every baseline event its own cohort.
			c.Cohort = []string{"id"}
			for i := range c.Events {
				c.Events[i].Labels = map[string]string{"id": c.Events[i].Time.String()}
			}
		}, wantReason: "no cohort has a usable baseline"},
		{name: "low coverage", mutate: func(c *Case) {
			c.Cohort = []string{"phase"}
			for i := range c.Events {
				p := "before"
				if !c.Baseline.Contains(c.Events[i].Time) {
					p = "after"
				}
				c.Events[i].Labels = map[string]string{"phase": p}
			}
		}, wantReason: "only 0.0% of fault and recovery events"},
		{name: "fault phase too sparse", mutate: func(c *Case) {
			c.Events = slices.DeleteFunc(c.Events, func(e observe.Event) bool {
				return c.Fault.Contains(e.Time) && e.Time.Sub(c.Fault.Start) > 50*time.Millisecond
			})
		}, wantReason: "fault phase has"},
		{name: "unknown expectation", mutate: func(c *Case) { c.Expect = "detected" }, wantReason: `expectation "detected"`},
		{name: "recovery shorter than the allowance", mutate: func(c *Case) {
			c.Expect, c.Within = ExpectRecovers, 28*time.Second
		}, wantReason: "end of the allowance was not observed"},
		{name: "recovery too sparse", mutate: func(c *Case) {
			c.Expect, c.Within = ExpectRecovers, 5*time.Second
			c.Events = slices.DeleteFunc(c.Events, func(e observe.Event) bool { return c.Recovery.Contains(e.Time) })
		}, wantReason: "recovery phase has 0 judged events"},
	}
	j := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultGen(11).caseFor(ExpectSteady, 0)
			tt.mutate(&c)
			v := j.Judge(c)
			if v.Outcome != Inconclusive {
				t.Fatalf("Judge = %s (%s), want inconclusive", v.Outcome, v.Reason)
			}
			if !strings.HasPrefix(v.Reason, "inconclusive: ") || !strings.Contains(v.Reason, tt.wantReason) {
				t.Errorf("reason %q, want it to contain %q", v.Reason, tt.wantReason)
			}
			if len(v.Evidence.Latency) != 3 || v.Evidence.Windows == nil || v.Evidence.Excursions == nil || v.Evidence.Cohorts == nil {
				t.Errorf("evidence incomplete: %+v", v.Evidence)
			}
		})
	}
}

func TestJudgeEvidence(t *testing.T) {
	g := defaultGen(21)
	g.effect = during(effect{slow: 3, fail: 0.1}, 0)
	c := g.caseFor(ExpectSteady, 0)
	v := New(Options{}).Judge(c)
	ev := v.Evidence
	var counts [3]int
	for _, e := range c.Events {
		for p, s := range []Span{c.Baseline, c.Fault, c.Recovery} {
			if s.Contains(e.Time) {
				counts[p]++
			}
		}
	}
	if ev.BaselineEvents != counts[0] || ev.FaultEvents != counts[1] || ev.RecoveryEvents != counts[2] {
		t.Errorf("events per phase = %d/%d/%d, want %v", ev.BaselineEvents, ev.FaultEvents, ev.RecoveryEvents, counts)
	}
	if ev.Sigma != 2 || ev.Threshold != 0.1 || ev.WindowSeconds != 5 || ev.Alpha != 0.01 {
		t.Errorf("parameters = %v/%v/%v/%v, want defaults", ev.Sigma, ev.Threshold, ev.WindowSeconds, ev.Alpha)
	}
	if ev.Coverage != 1 {
		t.Errorf("Coverage = %v, want 1", ev.Coverage)
	}
	wantKeys := []string{"route=/r0,method=GET", "route=/r1,method=GET", "route=/r2,method=GET", "route=/r3,method=GET"}
	var keys []string
	for i, cb := range ev.Cohorts {
		keys = append(keys, cb.Key)
		wantMu := math.Log(0.020) + 0.5*float64(i)
		if !cb.Qualified || math.Abs(cb.Mu-wantMu) > 0.05 || math.Abs(cb.SigmaLn-0.4) > 0.03 {
			t.Errorf("cohort %s: qualified %v mu %.3f sigma %.3f, want qualified mu %.3f sigma 0.4", cb.Key, cb.Qualified, cb.Mu, cb.SigmaLn, wantMu)
		}
	}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("cohort keys = %v, want %v", keys, wantKeys)
	}
	if math.Abs(ev.BaselineFraction-0.0228) > 0.01 || ev.BaselineRate < 0.0227 {
		t.Errorf("BaselineFraction = %.4f, BaselineRate = %.4f, want about 0.023", ev.BaselineFraction, ev.BaselineRate)
	}
	if math.Abs(ev.FaultErrorRate-0.1) > 0.02 || ev.BaselineErrorRate != 0 || ev.RecoveryErrorRate != 0 {
		t.Errorf("error rates = %.3f/%.3f/%.3f, want 0/0.1/0", ev.BaselineErrorRate, ev.FaultErrorRate, ev.RecoveryErrorRate)
	}
	if ev.FaultFraction < 0.7 || ev.PeakFraction < ev.FaultFraction {
		t.Errorf("FaultFraction = %.3f, PeakFraction = %.3f, want most of the fault outlying", ev.FaultFraction, ev.PeakFraction)
	}
	for _, p := range []string{PhaseBaseline, PhaseFault, PhaseRecovery} {
		q, ok := ev.Latency[p]
		if !ok || !(q.P50 > 0 && q.P50 <= q.P90 && q.P90 <= q.P99) {
			t.Errorf("Latency[%s] = %+v, want ordered positive quantiles", p, q)
		}
	}
	if ev.Latency[PhaseFault].P90 < 2*ev.Latency[PhaseBaseline].P90 {
		t.Errorf("fault p90 %.4f not above twice the baseline p90 %.4f", ev.Latency[PhaseFault].P90, ev.Latency[PhaseBaseline].P90)
	}
	// 12 + 6 + 6 windows of 5s, in time order, none merged at 100/s.
	if len(ev.Windows) != 24 {
		t.Fatalf("got %d windows, want 24", len(ev.Windows))
	}
	sum := 0
	for i, w := range ev.Windows {
		sum += w.N
		if i > 0 && w.Start.Before(ev.Windows[i-1].End) {
			t.Errorf("window %d starts %v before the previous ends %v", i, w.Start, ev.Windows[i-1].End)
		}
		if w.Merged || w.Skipped {
			t.Errorf("window %d merged or skipped at 100 events/s: %+v", i, w)
		}
		if wantAlarm := w.Phase == PhaseFault; w.Alarm != wantAlarm {
			t.Errorf("window %d (%s) alarm = %v, want %v (fraction %.3f)", i, w.Phase, w.Alarm, wantAlarm, w.Fraction)
		}
	}
	if sum != len(c.Events) {
		t.Errorf("windows hold %d events, want all %d", sum, len(c.Events))
	}
	if !strings.Contains(v.Reason, "6 of 6 fault windows exceeded 10.0% outliers") || !strings.Contains(v.Reason, "excursion 30.0s from 01:00.0") {
		t.Errorf("reason %q lacks the window count or the excursion", v.Reason)
	}
}

func TestJudgeMergesSparseWindow(t *testing.T) {
	g := defaultGen(9)
	c := g.caseFor(ExpectSteady, 0)
	// Leave only a handful of events in the fault window [10s,15s).
	from, to := c.Fault.Start.Add(10*time.Second), c.Fault.Start.Add(15*time.Second)
	kept := 0
	c.Events = slices.DeleteFunc(c.Events, func(e observe.Event) bool {
		if e.Time.Before(from) || !e.Time.Before(to) {
			return false
		}
		kept++
		return kept > 5
	})
	v := New(Options{}).Judge(c)
	if v.Outcome != Confirmed {
		t.Fatalf("Judge = %s (%s), want confirmed", v.Outcome, v.Reason)
	}
	var fw []Window
	for _, w := range v.Evidence.Windows {
		if w.Phase == PhaseFault {
			fw = append(fw, w)
		}
	}
	if len(fw) != 5 {
		t.Fatalf("got %d fault windows, want 5 (the sparse one merged): %+v", len(fw), fw)
	}
	w := fw[1]
	if !w.Merged || !w.Start.Equal(c.Fault.Start.Add(5*time.Second)) || !w.End.Equal(to) {
		t.Errorf("fault window 1 = %v..%v merged %v, want %v..%v merged", w.Start, w.End, w.Merged, c.Fault.Start.Add(5*time.Second), to)
	}
}

func TestJudgeDeterministic(t *testing.T) {
	g := defaultGen(13)
	g.effect = during(effect{slow: 4, fail: 0.05}, 3*time.Second)
	c := g.caseFor(ExpectRecovers, 5*time.Second)
	before := cloneEvents(c.Events)
	j := New(Options{})
	v1, v2 := j.Judge(c), j.Judge(c)
	if !reflect.DeepEqual(v1, v2) {
		t.Errorf("Judge twice differs:\n%+v\n%+v", v1, v2)
	}
	if !reflect.DeepEqual(c.Events, before) {
		t.Errorf("Judge changed the case's events")
	}
	// Reversed event order gives the same verdict but for float
	// rounding in the baseline fit.
	rc := c
	rc.Events = slices.Clone(c.Events)
	slices.Reverse(rc.Events)
	v3 := j.Judge(rc)
	if v3.Outcome != v1.Outcome || len(v3.Evidence.Windows) != len(v1.Evidence.Windows) {
		t.Errorf("Judge(reversed) = %s with %d windows, want %s with %d", v3.Outcome, len(v3.Evidence.Windows), v1.Outcome, len(v1.Evidence.Windows))
	}
}

func cloneEvents(es []observe.Event) []observe.Event {
	out := slices.Clone(es)
	for i := range out {
		out[i].Labels = maps.Clone(out[i].Labels)
	}
	return out
}

func fmtPtr(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func BenchmarkJudge(b *testing.B) {
	g := defaultGen(1)
	g.cohorts = 8
	g.rate = 100000.0 / 8 / 120 // 100k events over 120s
	c := g.caseFor(ExpectSteady, 0)
	j := New(Options{})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		j.Judge(c)
		n++
	}
	b.ReportMetric(float64(len(c.Events)), "events")
	b.ReportMetric(float64(n*len(c.Events))/b.Elapsed().Seconds(), "events/s")
}
