package judgebench

import (
	"math"
	"slices"
	"testing"

	"github.com/faultline/faultline/verdict"
)

// TestJudgesDetectObviousShift: every judge calls a 3-sigma shift of
// all traffic changed, with its onset within a window of the truth.
func TestJudgesDetectObviousShift(t *testing.T) {
	tr := DefaultTraffic()
	s := Scenario{Name: "shift 3σ", Kind: Shift, Delta: 3}
	for _, j := range DefaultJudges(tr.Window) {
		t.Run(j.Name(), func(t *testing.T) {
			for seed := range uint64(3) {
				run, err := Generate(tr, s, seed)
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				res := j.Judge(run)
				if !res.Changed {
					t.Errorf("seed %d: Judge(shift 3σ) = %+v, want changed", seed, res)
					continue
				}
				if d := res.Onset.Sub(run.Truth.Onset).Abs(); d >= tr.Window {
					t.Errorf("seed %d: onset %v, truth %v: off by %v, want less than a window", seed, res.Onset, run.Truth.Onset, d)
				}
			}
		})
	}
}

// TestJudgesQuietOnCleanRuns: on clean single-cohort runs (exactly
// log-normal, nothing changes) the threshold judges never alarm, and the
// per-window Mann-Whitney test alarms only about as often as its 1% per
// window over 12 windows allows.
func TestJudgesQuietOnCleanRuns(t *testing.T) {
	tr := singleCohort()
	const runs = 20
	tests := []struct {
		judge   Judge
		maxFire int
	}{
		{judge: NewFaultline(tr.Window), maxFire: 0},
		{judge: PooledTwoSigma{}, maxFire: 0},
		{judge: DashboardP99{}, maxFire: 0},
		// 1-(0.99^12) = 11% per run; 6 or more of 20 has probability 2%.
		{judge: MannWhitney{}, maxFire: 5},
	}
	for _, tt := range tests {
		t.Run(tt.judge.Name(), func(t *testing.T) {
			fired := 0
			for seed := range uint64(runs) {
				run, err := Generate(tr, Scenario{Name: "A/A"}, 100+seed)
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				res := tt.judge.Judge(run)
				if res.Inconclusive {
					t.Errorf("seed %d: inconclusive on a clean run", 100+seed)
				}
				if res.Changed {
					fired++
				}
			}
			if fired > tt.maxFire {
				t.Errorf("Judge(clean run) = changed in %d of %d runs, want at most %d", fired, runs, tt.maxFire)
			}
		})
	}
}

// TestFaultlineAdapter checks the case the adapter builds: the empty
// recovery span at the end of the test span is accepted (no
// inconclusive verdict), coverage comes from the verdict, and a verdict
// judge with other options is used as given.
func TestFaultlineAdapter(t *testing.T) {
	tr := DefaultTraffic()
	run, err := Generate(tr, Scenario{Name: "A/A"}, 9)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	res := NewFaultline(tr.Window).Judge(run)
	if res.Inconclusive || res.Changed {
		t.Errorf("Judge(A/A) = %+v, want decided and unchanged", res)
	}
	if res.Coverage < 0.8 || res.Coverage >= 1 {
		t.Errorf("Coverage = %.3f, want below 1 (small cohorts unqualified) and above 0.8", res.Coverage)
	}
	if res.TopCohort != "" {
		t.Errorf("TopCohort = %q on an unchanged run, want empty", res.TopCohort)
	}
	// A baseline minimum no cohort can meet makes every case inconclusive.
	strict := Faultline{Verdict: verdict.New(verdict.Options{Window: tr.Window, MinBaseline: 1 << 30})}
	if res := strict.Judge(run); !res.Inconclusive || res.Changed {
		t.Errorf("Judge with an unreachable MinBaseline = %+v, want inconclusive", res)
	}
}

// TestFaultlineLocalizes: on a cohort break the adapter reports the
// cohort the verdict's localization ranks first, and that is the broken
// one.
func TestFaultlineLocalizes(t *testing.T) {
	tr := DefaultTraffic()
	f := NewFaultline(tr.Window)
	for seed := range uint64(3) {
		run, err := Generate(tr, Scenario{Name: "cohort break", Kind: CohortBreak, Delta: 3}, seed)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		res := f.Judge(run)
		if !res.Changed || res.TopCohort != run.Truth.Cohort {
			t.Errorf("seed %d: Judge(cohort break) = changed %v, top cohort %q; want changed, %q",
				seed, res.Changed, res.TopCohort, run.Truth.Cohort)
		}
	}
}

func TestSplit(t *testing.T) {
	tr := singleCohort()
	run, err := Generate(tr, Scenario{Name: "A/A"}, 1)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	base, wins := split(run)
	if want := int(tr.Test / tr.Window); len(wins) != want {
		t.Fatalf("split gave %d windows, want %d", len(wins), want)
	}
	n := len(base)
	for _, w := range wins {
		n += len(w)
	}
	if n != len(run.Events) {
		t.Errorf("split placed %d of %d events", n, len(run.Events))
	}
	for i, w := range wins {
		if len(w) < 800 || len(w) > 1200 {
			t.Errorf("window %d has %d events, want about %g", i, len(w), tr.Rate*tr.Window.Seconds())
		}
	}
}

// mannWhitneyBrute is the same test computed the slow way: U counts the
// pairs with x > y (ties count one half), the tie correction counts
// equal values in the pooled sample.
func mannWhitneyBrute(x, y []float64) float64 {
	var u float64
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
		}
	}
	counts := map[float64]float64{}
	for _, v := range slices.Concat(x, y) {
		counts[v]++
	}
	var ties float64
	for _, c := range counts {
		ties += c*c*c - c
	}
	n1, n2 := float64(len(x)), float64(len(y))
	n := n1 + n2
	sd := math.Sqrt(n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1))))
	z := (u - n1*n2/2 - 0.5) / sd
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

func TestMannWhitneyGreater(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64 // NaN: compare with mannWhitneyBrute
	}{
		// U = 9, mean 4.5, variance 5.25: z = 4/sqrt(5.25).
		{name: "separated", x: []float64{4, 5, 6}, y: []float64{1, 2, 3}, want: 0.5 * math.Erfc(4/math.Sqrt(5.25)/math.Sqrt2)},
		{name: "reversed", x: []float64{1, 2, 3}, y: []float64{4, 5, 6}, want: 0.5 * math.Erfc(-5/math.Sqrt(5.25)/math.Sqrt2)},
		{name: "all tied", x: []float64{2, 2}, y: []float64{2, 2, 2}, want: 1},
		{name: "empty", x: nil, y: []float64{1}, want: 1},
		{name: "ties across samples", x: []float64{1, 2, 2, 3, 5, 5}, y: []float64{0, 1, 2, 2, 3, 3, 4}, want: math.NaN()},
		{name: "interleaved", x: []float64{0.5, 1.5, 2.5, 7, 8}, y: []float64{0, 1, 2, 3, 4, 5, 6}, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if math.IsNaN(want) {
				want = mannWhitneyBrute(tt.x, tt.y)
			}
			if got := mannWhitneyGreater(tt.x, tt.y); math.Abs(got-want) > 1e-12 {
				t.Errorf("mannWhitneyGreater(%v, %v) = %.6g, want %.6g", tt.x, tt.y, got, want)
			}
		})
	}
}

func TestQuantileMedian(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{name: "p50 nearest rank", got: quantile(xs, 0.5), want: 5},
		{name: "p99 nearest rank", got: quantile(xs, 0.99), want: 10},
		{name: "p10 nearest rank", got: quantile(xs, 0.10), want: 1},
		{name: "median even", got: median([]float64{4, 1, 3, 2}), want: 2.5},
		{name: "median odd", got: median([]float64{9, 1, 5}), want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %g, want %g", tt.got, tt.want)
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Errorf("median(nil) = %g, want NaN", median(nil))
	}
}
