package verdict

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestFitCohort(t *testing.T) {
	ms := time.Millisecond
	lats := []time.Duration{10 * ms, 20 * ms, 30 * ms, 40 * ms}
	logs := make([]float64, len(lats))
	secs := make([]float64, len(lats))
	for i, d := range lats {
		logs[i], secs[i] = math.Log(d.Seconds()), d.Seconds()
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	sd := func(xs []float64) float64 {
		m, s := mean(xs), 0.0
		for _, x := range xs {
			s += (x - m) * (x - m)
		}
		return math.Sqrt(s / float64(len(xs)-1))
	}
	tests := []struct {
		name       string
		kind       string
		wantCutoff float64
		outlier    time.Duration // an ok latency just at or above the cutoff
		normal     time.Duration // just below
	}{
		{name: "lognormal", kind: BaselineLogNormal, wantCutoff: math.Exp(mean(logs) + 2*sd(logs))},
		{name: "normal", kind: BaselineNormal, wantCutoff: mean(secs) + 2*sd(secs)},
		// ceil(4 * 0.977) = 4: the largest value; outliers are above it.
		{name: "empirical", kind: BaselineEmpirical, wantCutoff: 0.040},
		{name: "ratio", kind: BaselineRatio, wantCutoff: mean(secs) + max(2*sd(secs), 0.02)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ml, ms moments
			var sk sketch
			for _, d := range lats {
				ml.add(logSeconds(d))
				ms.add(d.Seconds())
				sk.add(d)
			}
			b, m := fitCohort(tt.kind, ml, ms, &sk, 2, 0.02, 4)
			if !b.Qualified || math.Abs(b.Cutoff-tt.wantCutoff) > 1e-12 {
				t.Fatalf("fitCohort = cutoff %v qualified %v (%s), want %v", b.Cutoff, b.Qualified, b.Reason, tt.wantCutoff)
			}
			c := time.Duration(tt.wantCutoff * 1e9)
			if tt.kind == BaselineEmpirical {
				if m.outlier(c) || !m.outlier(c+1) {
					t.Errorf("empirical: outlier(%v) = %v, outlier(+1ns) = %v, want strictly above", c, m.outlier(c), m.outlier(c+1))
				}
				return
			}
			if m.outlier(c-time.Microsecond) || !m.outlier(c+time.Microsecond) {
				t.Errorf("outlier just below/above %v = %v/%v, want false/true", c, m.outlier(c-time.Microsecond), m.outlier(c+time.Microsecond))
			}
		})
	}
}

// sample is one ok baseline event at an offset from the baseline start.
type sample struct {
	at  time.Duration
	lat time.Duration
}

// lognormalSamples are n samples one millisecond apart with ln latency
// mu + sd·N(0,1); from on they are multiplied by slow.
func lognormalSamples(seed uint64, n int, mu, sd float64, from int, slow float64) []sample {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]sample, n)
	for i := range out {
		x := math.Exp(mu + sd*r.NormFloat64())
		if i >= from {
			x *= slow
		}
		out[i] = sample{at: time.Duration(i) * time.Millisecond, lat: time.Duration(x * 1e9)}
	}
	return out
}

// qualify judges one cohort whose baseline events are samples, in a
// baseline span one millisecond per sample long, and returns its
// baseline.
func qualify(kind string, samples []sample, minN int) CohortBaseline {
	span := Span{Start: t0, End: t0.Add(time.Duration(len(samples)) * time.Millisecond)}
	s := New(Options{Baseline: kind, MinBaseline: minN}).NewStream(Case{
		Expect: ExpectSteady, Landed: true, Baseline: span,
		Fault: Span{Start: span.End, End: span.End.Add(time.Second)},
	})
	id := s.CohortID(nil)
	for _, x := range samples {
		s.Observe(t0.Add(x.at), x.lat, true, id)
	}
	for _, x := range samples[:s.Rescan()] {
		s.Rescore(t0.Add(x.at), x.lat, true, id)
	}
	return s.Verdict().Evidence.Cohorts[0]
}

func TestQualify(t *testing.T) {
	tests := []struct {
		name       string
		kind       string
		samples    []sample
		want       bool
		wantReason string
	}{
		{name: "stationary lognormal", kind: BaselineLogNormal, samples: lognormalSamples(1, 3000, -4, 0.4, 3000, 1), want: true},
		{name: "stationary, normal model", kind: BaselineNormal, samples: lognormalSamples(1, 3000, -4, 0.1, 3000, 1), want: true},
		{name: "stationary, empirical model", kind: BaselineEmpirical, samples: lognormalSamples(1, 3000, -4, 0.4, 3000, 1), want: true},
		{name: "small and stationary", kind: BaselineLogNormal, samples: lognormalSamples(2, 30, -4, 0.4, 30, 1), want: true},
		{name: "slower in the last third", kind: BaselineLogNormal, samples: lognormalSamples(3, 3000, -4, 0.4, 2000, 1.5), wantReason: "held-out check failed: "},
		{name: "slower in the last third, empirical", kind: BaselineEmpirical, samples: lognormalSamples(3, 3000, -4, 0.4, 2000, 1.5), wantReason: "held-out check failed: "},
		{name: "much faster in the last third", kind: BaselineLogNormal, samples: lognormalSamples(4, 3000, -4, 0.4, 2000, 0.3), wantReason: "latency quantile"},
		{name: "too few", kind: BaselineLogNormal, samples: lognormalSamples(5, 29, -4, 0.4, 29, 1), wantReason: "only 29 ok baseline events"},
		{name: "first two thirds constant", kind: BaselineLogNormal, samples: func() []sample {
			s := lognormalSamples(6, 60, -4, 0.4, 60, 1)
			for i := range 40 {
				s[i].lat = 10 * time.Millisecond
			}
			return s
		}(), wantReason: "first two thirds of the baseline span do not vary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := slices.Clone(tt.samples)
			// Out of time order on purpose: the judge must not depend on it.
			slices.Reverse(s)
			b := qualify(tt.kind, s, 30)
			if b.Qualified != tt.want || !strings.Contains(b.Reason, tt.wantReason) {
				t.Errorf("qualify = qualified %v (%q), held-out rate %.3f, tail ratio %.2f; want %v with %q",
					b.Qualified, b.Reason, b.HeldOutRate, b.TailRatio, tt.want, tt.wantReason)
			}
			if b.N != len(tt.samples) {
				t.Errorf("N = %d, want the whole baseline %d", b.N, len(tt.samples))
			}
		})
	}
}

func TestHeldOutFails(t *testing.T) {
	p := distuv.UnitNormal.Survival(2)
	tests := []struct {
		name string
		k, m int
		want bool
	}{
		{name: "expected rate", k: 23, m: 1000, want: false},
		{name: "twice expected, large", k: 46, m: 1000, want: false},
		{name: "four times expected, large", k: 92, m: 1000, want: true},
		{name: "3 of 20 is binomial noise", k: 3, m: 20, want: false},
		{name: "4 of 20 is not", k: 4, m: 20, want: true},
		{name: "none", k: 0, m: 10, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, pv := heldOutFails(tt.k, tt.m, p); got != tt.want {
				t.Errorf("heldOutFails(%d, %d) = %v (P %.3g), want %v", tt.k, tt.m, got, pv, tt.want)
			}
		})
	}
}

func TestJudgeErrors(t *testing.T) {
	tests := []struct {
		name      string
		w         Window
		pe        float64
		wantAlarm bool
	}{
		{name: "1% of 400 (retried dependency)", w: Window{Requests: 400, Failures: 4}, wantAlarm: false},
		{name: "2.5% of 400 is within the margin", w: Window{Requests: 400, Failures: 10}, wantAlarm: false},
		{name: "5% of 400", w: Window{Requests: 400, Failures: 20}, wantAlarm: true},
		{name: "1 of 20 is noise", w: Window{Requests: 20, Failures: 1}, wantAlarm: false},
		{name: "4 of 20", w: Window{Requests: 20, Failures: 4}, wantAlarm: true},
		{name: "noisy baseline raises the bar", w: Window{Requests: 400, Failures: 40}, pe: 0.08, wantAlarm: false},
		{name: "skipped never alarms", w: Window{Requests: 10, Failures: 10, Skipped: true}, wantAlarm: false},
		{name: "empty", w: Window{}, wantAlarm: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			judgeErrors(&w, tt.pe, 0.02, 0.01)
			if w.ErrorAlarm != tt.wantAlarm || w.Alarm != tt.wantAlarm {
				t.Errorf("judgeErrors(%d of %d, pe %v) = error alarm %v, alarm %v (rate %.3f, p %.3g), want %v",
					w.Failures, w.Requests, tt.pe, w.ErrorAlarm, w.Alarm, w.ErrorRate, w.ErrorPValue, tt.wantAlarm)
			}
		})
	}
}

// TestJudgeErrorCalibration runs the error-rate calibration cases at
// 400 events per 5s window: a retried flaky dependency (about 1%
// failures, and the retried tenth of requests slower) must not alarm; 5%
// fast failures must alarm on errors although the outlier fraction
// stays below the threshold; 20% fast failures must alarm.
func TestJudgeErrorCalibration(t *testing.T) {
	tests := []struct {
		name         string
		effect       effect
		want         Outcome
		wantErrAlarm bool
	}{
		{name: "retried flaky dependency", effect: effect{fail: 0.01, slow: 1.3, share: 0.1}, want: Confirmed},
		{name: "5% fast failures", effect: effect{fail: 0.05}, want: Refuted, wantErrAlarm: true},
		{name: "20% fast failures", effect: effect{fail: 0.20}, want: Refuted, wantErrAlarm: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(20) {
				g := defaultGen(100 + seed)
				g.rate = 20
				g.effect = during(tt.effect, 0)
				v := New(Options{}).Judge(g.caseFor(ExpectSteady, 0))
				if v.Outcome != tt.want {
					t.Fatalf("seed %d: Judge = %s (%s), want %s", seed, v.Outcome, v.Reason, tt.want)
				}
				errAlarms, latAlarms := 0, 0
				for _, w := range v.Evidence.Windows {
					if w.ErrorAlarm {
						errAlarms++
					}
					if w.LatencyAlarm {
						latAlarms++
					}
					if w.Alarm != (w.ErrorAlarm || w.LatencyAlarm) {
						t.Errorf("seed %d: window %+v: Alarm is not the OR of the signals", seed, w)
					}
				}
				if (errAlarms > 0) != tt.wantErrAlarm {
					t.Errorf("seed %d: %d error alarms, want any = %v", seed, errAlarms, tt.wantErrAlarm)
				}
				if tt.wantErrAlarm && !strings.Contains(v.Reason, "error rates significantly more than 2.0 points above") {
					t.Errorf("seed %d: reason %q does not name the error signal", seed, v.Reason)
				}
				if tt.name == "5% fast failures" && (v.Evidence.FaultFraction > 0.09 || latAlarms >= errAlarms) {
					t.Errorf("seed %d: 5%% failures: fault fraction %.3f, %d latency and %d error alarms; want the error signal to carry it",
						seed, v.Evidence.FaultFraction, latAlarms, errAlarms)
				}
			}
		})
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	tests := []struct {
		name string
		ps   []float64
		want []float64
	}{
		{name: "empty", ps: nil, want: []float64{}},
		{name: "one", ps: []float64{0.03}, want: []float64{0.03}},
		{name: "textbook", ps: []float64{0.01, 0.04, 0.03, 0.005}, want: []float64{0.02, 0.04, 0.04, 0.02}},
		{name: "capped and monotone", ps: []float64{0.9, 0.5, 1}, want: []float64{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := benjaminiHochberg(tt.ps)
			if len(got) != len(tt.want) {
				t.Fatalf("benjaminiHochberg(%v) = %v, want %v", tt.ps, got, tt.want)
			}
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 1e-12 {
					t.Errorf("benjaminiHochberg(%v) = %v, want %v", tt.ps, got, tt.want)
					break
				}
			}
		})
	}
}

// TestJudgeLocalizesDilutedCohort breaks one cohort of twenty: its
// outliers are about 5% of the pooled traffic, so no window alarms, but
// localization finds it and refutes "steady".
func TestJudgeLocalizesDilutedCohort(t *testing.T) {
	for seed := range uint64(5) {
		g := defaultGen(200 + seed)
		g.cohorts, g.rate, g.methods = 20, 10, 2
		g.effect = func(c int, phase string, _ time.Duration) effect {
			if c == 7 && phase != PhaseBaseline {
				return effect{slow: 20}
			}
			return effect{}
		}
		v := New(Options{}).Judge(g.caseFor(ExpectSteady, 0))
		if v.Outcome != Refuted {
			t.Fatalf("seed %d: Judge = %s (%s), want refuted", seed, v.Outcome, v.Reason)
		}
		for _, w := range v.Evidence.Windows {
			if w.Alarm {
				t.Fatalf("seed %d: window %+v alarmed; the broken cohort is meant to be diluted", seed, w)
			}
		}
		const key = "route=/r3,method=M1"
		if !strings.Contains(v.Reason, "cohort "+key) {
			t.Errorf("seed %d: reason %q does not name cohort %s", seed, v.Reason, key)
		}
		ls := v.Evidence.Localized
		var cohortsFound []string
		for _, l := range ls {
			if l.Kind == KindCohort {
				cohortsFound = append(cohortsFound, l.Key)
				if l.Key == key && l.Labels["method"] != "M1" {
					t.Errorf("seed %d: localized %+v: labels do not match the key", seed, l)
				}
			}
		}
		if len(cohortsFound) != 1 || cohortsFound[0] != key {
			t.Fatalf("seed %d: localized cohorts %v, want only %s (%+v)", seed, cohortsFound, key, ls)
		}
		for _, l := range ls {
			if l.QValue > fdr || l.QValue < l.PValue {
				t.Errorf("seed %d: localized %+v: q-value out of range", seed, l)
			}
			if l.Kind == KindLabel && l.Key != "route=/r3" && l.Key != "method=M1" {
				t.Errorf("seed %d: localized label %s holds no broken cohort", seed, l.Key)
			}
		}
		if v.Evidence.StoufferZ < 5 {
			t.Errorf("seed %d: StoufferZ = %.2f, want clearly positive", seed, v.Evidence.StoufferZ)
		}
	}
}

// TestJudgeLocalizationAA judges clean runs with many small cohorts of
// Zipf-distributed sizes over two label dimensions: localization must
// not refute them.
func TestJudgeLocalizationAA(t *testing.T) {
	const seeds = 50
	refuted, localized := 0, 0
	var zs []float64
	for seed := range uint64(seeds) {
		g := defaultGen(5000 + seed)
		g.rates, g.methods = zipfRates(60, 1.1, 200), 4
		v := New(Options{}).Judge(g.caseFor(ExpectSteady, 0))
		switch v.Outcome {
		case Refuted:
			refuted++
			t.Logf("seed %d: %s", seed, v.Reason)
		case Inconclusive:
			t.Fatalf("seed %d: Judge = inconclusive (%s)", seed, v.Reason)
		}
		if len(v.Evidence.Localized) > 0 {
			localized++
		}
		zs = append(zs, v.Evidence.StoufferZ)
	}
	mean := 0.0
	for _, z := range zs {
		mean += z / float64(len(zs))
	}
	t.Logf("A/A Zipf cohorts: %d of %d refuted, %d with a localized group, mean StoufferZ %.2f", refuted, seeds, localized, mean)
	if refuted > 1 {
		t.Errorf("%d of %d clean runs refuted, want at most 1", refuted, seeds)
	}
	if math.Abs(mean) > 0.5 {
		t.Errorf("mean StoufferZ on clean runs = %.2f, want near 0", mean)
	}
}

func TestJudgeExcursionCohorts(t *testing.T) {
	g := defaultGen(31)
	g.effect = func(c int, phase string, _ time.Duration) effect {
		switch {
		case phase != PhaseFault:
			return effect{}
		case c == 2:
			return effect{slow: 20}
		case c == 0:
			return effect{slow: 3}
		}
		return effect{}
	}
	v := New(Options{}).Judge(g.caseFor(ExpectSteady, 0))
	if v.Outcome != Refuted || len(v.Evidence.Excursions) != 1 {
		t.Fatalf("Judge = %s (%s) with %d excursions, want refuted with 1", v.Outcome, v.Reason, len(v.Evidence.Excursions))
	}
	cs := v.Evidence.Excursions[0].Cohorts
	if len(cs) < 2 || cs[0].Key != "route=/r2,method=GET" || cs[1].Key != "route=/r0,method=GET" {
		t.Fatalf("excursion cohorts = %+v, want /r2 then /r0", cs)
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].Excess > cs[i-1].Excess {
			t.Errorf("cohorts not ranked by excess: %+v", cs)
		}
	}
	if c := cs[0]; c.Fraction < 0.95 || c.Labels["route"] != "/r2" || math.Abs(c.Excess-float64(c.Outliers)+0.02275*float64(c.Events)) > 0.05*float64(c.Events) {
		t.Errorf("top cohort %+v, want nearly all outliers", c)
	}
	if !strings.Contains(v.Reason, "most affected cohort route=/r2,method=GET") {
		t.Errorf("reason %q does not name the most affected cohort", v.Reason)
	}
}

func TestJudgeBaselineModels(t *testing.T) {
	for _, kind := range []string{BaselineLogNormal, BaselineNormal, BaselineEmpirical} {
		t.Run(kind, func(t *testing.T) {
			j := New(Options{Baseline: kind})
			for seed := range uint64(5) {
				g := defaultGen(300 + seed)
				v := j.Judge(g.caseFor(ExpectSteady, 0))
				if v.Outcome != Confirmed || v.Evidence.Baseline != kind {
					t.Fatalf("seed %d: clean run = %s with %s (%s), want confirmed with %s", seed, v.Outcome, v.Evidence.Baseline, v.Reason, kind)
				}
				g.effect = during(effect{slow: 3}, 0)
				v = j.Judge(g.caseFor(ExpectSteady, 0))
				if v.Outcome != Refuted {
					t.Fatalf("seed %d: latency x3 = %s (%s), want refuted", seed, v.Outcome, v.Reason)
				}
			}
		})
	}
	v := New(Options{Baseline: "gamma"}).Judge(defaultGen(1).caseFor(ExpectSteady, 0))
	if v.Outcome != Inconclusive || !strings.Contains(v.Reason, `unknown baseline model "gamma"`) {
		t.Errorf("unknown model: Judge = %s (%s), want inconclusive naming it", v.Outcome, v.Reason)
	}
}

func TestBetaBinomialTail(t *testing.T) {
	// brute is the tail summed term by term from the definition.
	brute := func(k, n int, a, b float64) float64 {
		lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
		p := 0.0
		for j := k; j <= n; j++ {
			jf, nf := float64(j), float64(n)
			p += math.Exp(lg(nf+1) - lg(jf+1) - lg(nf-jf+1) + lg(jf+a) + lg(nf-jf+b) - lg(nf+a+b) - (lg(a) + lg(b) - lg(a+b)))
		}
		return p
	}
	tests := []struct {
		name string
		k, n int
		a, b float64
	}{
		{name: "upper tail", k: 9, n: 59, a: 2, b: 60},
		{name: "below the mean", k: 1, n: 59, a: 2, b: 60},
		{name: "at the mean", k: 2, n: 100, a: 1, b: 49},
		{name: "far tail", k: 80, n: 100, a: 3, b: 100},
		{name: "all", k: 20, n: 20, a: 1.5, b: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, logP := betaBinomialTail(tt.k, tt.n, tt.a, tt.b)
			want := brute(tt.k, tt.n, tt.a, tt.b)
			if math.Abs(got-want) > 1e-9*math.Max(want, 1e-300) && math.Abs(got-want) > 1e-12 {
				t.Errorf("betaBinomialTail(%d, %d, %v, %v) = %g, want %g", tt.k, tt.n, tt.a, tt.b, got, want)
			}
			if math.Abs(logP-math.Log(got)) > 1e-9 {
				t.Errorf("log p = %v, want log(%g) = %v", logP, got, math.Log(got))
			}
		})
	}
	if p, _ := betaBinomialTail(0, 10, 1, 1); p != 1 {
		t.Errorf("P(X >= 0) = %v, want 1", p)
	}
	if p, lp := betaBinomialTail(11, 10, 1, 1); p != 0 || !math.IsInf(lp, -1) {
		t.Errorf("P(X >= 11 of 10) = %v (log %v), want 0", p, lp)
	}
	// A very concentrated prior is the binomial.
	if got, want := func() float64 { p, _ := betaBinomialTail(9, 100, 0.03e7, 0.97e7); return p }(), binomialTail(9, 100, 0.03); math.Abs(got-want) > 1e-4*want {
		t.Errorf("concentrated prior: %g, want the binomial %g", got, want)
	}
	// Underflow: the log p-value still orders the groups.
	_, l1 := betaBinomialTail(600, 600, 2, 100)
	_, l2 := betaBinomialTail(590, 600, 2, 100)
	if !(l1 < l2) || math.IsInf(l1, 0) {
		t.Errorf("log p of 600/600 = %v, of 590/600 = %v, want finite and ordered", l1, l2)
	}
}
