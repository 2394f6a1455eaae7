package judgebench

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
)

// singleCohort is one cohort without tail or background errors, so that
// its latency is exactly log-normal.
func singleCohort() Traffic {
	t := DefaultTraffic()
	t.Dimensions = []Dimension{{Name: observe.LabelRoute, Values: []string{"/only"}}}
	t.TailProb = 0
	t.ErrorRate = 0
	return t
}

func TestGenerateReproducible(t *testing.T) {
	tr := DefaultTraffic()
	for _, s := range DefaultScenarios() {
		t.Run(s.Name, func(t *testing.T) {
			a, err := Generate(tr, s, 42)
			if err != nil {
				t.Fatalf("Generate(%s, 42): %v", s.Name, err)
			}
			b, err := Generate(tr, s, 42)
			if err != nil {
				t.Fatalf("Generate(%s, 42) again: %v", s.Name, err)
			}
			if !sameEvents(a.Events, b.Events) || a.Truth != b.Truth {
				t.Errorf("Generate(%s, 42) twice gave different runs (%d and %d events, truth %+v and %+v)",
					s.Name, len(a.Events), len(b.Events), a.Truth, b.Truth)
			}
			c, err := Generate(tr, s, 43)
			if err != nil {
				t.Fatalf("Generate(%s, 43): %v", s.Name, err)
			}
			if sameEvents(a.Events, c.Events) {
				t.Errorf("Generate(%s) gave the same run for seeds 42 and 43", s.Name)
			}
		})
	}
}

func sameEvents(a, b []observe.Event) bool {
	return slices.EqualFunc(a, b, func(x, y observe.Event) bool {
		return x.Time.Equal(y.Time) && x.Latency == y.Latency && x.OK == y.OK &&
			x.Labels[observe.LabelRoute] == y.Labels[observe.LabelRoute] &&
			x.Labels[observe.LabelMethod] == y.Labels[observe.LabelMethod] &&
			x.Labels["region"] == y.Labels["region"]
	})
}

func TestGenerateStream(t *testing.T) {
	tr := DefaultTraffic()
	run, err := Generate(tr, DefaultScenarios()[0], 5)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	total := (tr.Baseline + tr.Test).Seconds() * tr.Rate
	if n := float64(len(run.Events)); math.Abs(n-total) > 5*math.Sqrt(total) {
		t.Errorf("len(Events) = %.0f, want about %.0f (Poisson at %g/s)", n, total, tr.Rate)
	}
	if !slices.IsSortedFunc(run.Events, func(x, y observe.Event) int { return x.Time.Compare(y.Time) }) {
		t.Error("events are not in time order")
	}
	if run.Events[0].Time.Before(run.Baseline.Start) || !run.Events[len(run.Events)-1].Time.Before(run.Test.End) {
		t.Errorf("events span %v to %v, outside %v to %v", run.Events[0].Time, run.Events[len(run.Events)-1].Time, run.Baseline.Start, run.Test.End)
	}
	// Zipf traffic: the largest cohort has the share of rank 1, and the
	// small cohorts are too small to fit a baseline on.
	counts := map[string]int{}
	base := map[string]int{}
	failed := 0
	for _, e := range run.Events {
		k := CohortKey(run.Labels, e.Labels)
		counts[k]++
		if run.Baseline.Contains(e.Time) {
			base[k]++
		}
		if !e.OK {
			failed++
		}
	}
	if len(counts) < 80 {
		t.Errorf("%d cohorts carry traffic, want most of the %d", len(counts), cohortCount(tr))
	}
	shares := zipfShares(cohortCount(tr), tr.ZipfS)
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	if got := float64(top) / float64(len(run.Events)); math.Abs(got-shares[0]) > 0.02 {
		t.Errorf("largest cohort share = %.3f, want about %.3f", got, shares[0])
	}
	small := 0
	for k := range counts {
		if base[k] < 30 {
			small++
		}
	}
	if small < 10 {
		t.Errorf("%d cohorts have fewer than 30 baseline events, want many small cohorts", small)
	}
	if got := float64(failed) / float64(len(run.Events)); got > 0.005 {
		t.Errorf("failed share = %.4f in an A/A run, want about %g", got, tr.ErrorRate)
	}
}

func TestGenerateTruth(t *testing.T) {
	tr := DefaultTraffic()
	for _, s := range DefaultScenarios() {
		t.Run(s.Name, func(t *testing.T) {
			for seed := range uint64(5) {
				run, err := Generate(tr, s, seed)
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				truth := run.Truth
				if truth.Changed != (s.Kind != None) {
					t.Errorf("seed %d: Truth.Changed = %v for kind %d", seed, truth.Changed, s.Kind)
				}
				if s.Kind == None {
					if !truth.Onset.IsZero() || truth.Cohort != "" {
						t.Errorf("seed %d: A/A truth = %+v, want zero", seed, truth)
					}
					continue
				}
				lo, hi := run.Test.Start.Add(tr.OnsetMin), run.Test.Start.Add(tr.OnsetMax)
				if truth.Onset.Before(lo) || !truth.Onset.Before(hi) {
					t.Errorf("seed %d: onset %v outside [%v, %v)", seed, truth.Onset, lo, hi)
				}
				if (truth.Cohort != "") != (s.Kind == CohortBreak) {
					t.Errorf("seed %d: Truth.Cohort = %q for kind %d", seed, truth.Cohort, s.Kind)
				}
			}
		})
	}
}

// TestGenerateShiftMedian checks that a shift of delta sigma moves the
// median latency by e^(delta*sigma), sigma estimated from the baseline.
func TestGenerateShiftMedian(t *testing.T) {
	tr := singleCohort()
	for _, delta := range []float64{0.5, 1, 2, 3} {
		s := Scenario{Name: "shift", Kind: Shift, Delta: delta}
		t.Run(s.Effect(), func(t *testing.T) {
			run, err := Generate(tr, s, 11)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			var base, after []float64
			for _, e := range run.Events {
				x := math.Log(e.Latency.Seconds())
				switch {
				case run.Baseline.Contains(e.Time):
					base = append(base, x)
				case !e.Time.Before(run.Truth.Onset):
					after = append(after, x)
				}
			}
			_, sigma := meanStdDev(base)
			got := median(after) - median(base)
			if want := delta * sigma; math.Abs(got-want) > 0.1*sigma {
				t.Errorf("ln(median ratio) = %.3f, want %.3f (e^(%gσ), σ = %.3f)", got, want, delta, sigma)
			}
		})
	}
}

// TestGenerateChangeConfined compares each scenario's run with the A/A
// run of the same seed, which has the same requests: only the events
// the change should touch differ, and in the way it says.
func TestGenerateChangeConfined(t *testing.T) {
	tr := DefaultTraffic()
	const seed = 3
	aa, err := Generate(tr, Scenario{Name: "A/A"}, seed)
	if err != nil {
		t.Fatalf("Generate A/A: %v", err)
	}
	for _, s := range DefaultScenarios()[1:] {
		t.Run(s.Name, func(t *testing.T) {
			run, err := Generate(tr, s, seed)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if len(run.Events) != len(aa.Events) {
				t.Fatalf("%d events, A/A run of the same seed has %d", len(run.Events), len(aa.Events))
			}
			end := run.Test.End
			if s.Duration > 0 {
				end = run.Truth.Onset.Add(s.Duration)
			}
			var inside, changed int
			for i, e := range run.Events {
				a := aa.Events[i]
				differs := e.Latency != a.Latency || e.OK != a.OK
				in := !e.Time.Before(run.Truth.Onset) && e.Time.Before(end)
				if s.Kind == CohortBreak {
					in = in && CohortKey(run.Labels, e.Labels) == run.Truth.Cohort
				}
				if differs && !in {
					t.Fatalf("event %d at %v changed outside the change", i, e.Time)
				}
				if !in {
					continue
				}
				inside++
				if differs {
					changed++
					if s.Kind == ErrorBurst && (e.OK || e.Latency != a.Latency) {
						t.Fatalf("event %d: error burst changed ok=%v latency %v -> %v, want a failure at the same latency", i, e.OK, a.Latency, e.Latency)
					}
					if s.Kind != ErrorBurst && e.Latency <= a.Latency {
						t.Fatalf("event %d: latency %v -> %v, want slower", i, a.Latency, e.Latency)
					}
				}
			}
			want := 1.0
			if s.Kind == Partial || s.Kind == ErrorBurst {
				want = s.Fraction
			}
			got := float64(changed) / float64(inside)
			if s.Kind == ErrorBurst {
				// Requests that failed anyway cannot fail again.
				want *= 1 - tr.ErrorRate
			}
			if inside < 100 || math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/float64(inside))+0.002 {
				t.Errorf("%d of %d events in the change differ (%.3f), want %.3f", changed, inside, got, want)
			}
			if s.Kind == CohortBreak {
				window := float64(inside) / (end.Sub(run.Truth.Onset).Seconds() / tr.Window.Seconds())
				if window < 0.7*tr.MinCohortEvents {
					t.Errorf("broken cohort %s had %.1f events per window, want about %g or more", run.Truth.Cohort, window, tr.MinCohortEvents)
				}
			}
		})
	}
}

func TestGenerateInvalid(t *testing.T) {
	tests := []struct {
		name    string
		traffic func(*Traffic)
		s       Scenario
		want    string
	}{
		{name: "no rate", traffic: func(t *Traffic) { t.Rate = 0 }, s: Scenario{Name: "A/A"}, want: "rate"},
		{name: "no dimensions", traffic: func(t *Traffic) { t.Dimensions = nil }, s: Scenario{Name: "A/A"}, want: "dimension"},
		{name: "onset after test", traffic: func(t *Traffic) { t.OnsetMax = 2 * t.Test }, s: Scenario{Name: "A/A"}, want: "onset"},
		{name: "unnamed scenario", s: Scenario{Kind: Shift, Delta: 1}, want: "name"},
		{name: "shift without delta", s: Scenario{Name: "s", Kind: Shift}, want: "delta"},
		{name: "partial without fraction", s: Scenario{Name: "p", Kind: Partial, Delta: 1}, want: "fraction"},
		{name: "no cohort big enough", traffic: func(t *Traffic) { t.MinCohortEvents = 1e6 }, s: Scenario{Name: "c", Kind: CohortBreak, Delta: 3}, want: "events per window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := DefaultTraffic()
			if tt.traffic != nil {
				tt.traffic(&tr)
			}
			_, err := Generate(tr, tt.s, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Generate() error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestScenarioEffect(t *testing.T) {
	tests := []struct {
		name string
		s    Scenario
		want string
	}{
		{name: "none", s: Scenario{Kind: None}, want: "no change"},
		{name: "shift", s: Scenario{Kind: Shift, Delta: 2}, want: "all requests ×e^(2σ) to the end"},
		{name: "short shift", s: Scenario{Kind: Shift, Delta: 2, Duration: 5 * time.Second}, want: "all requests ×e^(2σ) for 5s"},
		{name: "errors", s: Scenario{Kind: ErrorBurst, Fraction: 0.2, Duration: 15 * time.Second}, want: "20% of requests fail fast for 15s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Effect(); got != tt.want {
				t.Errorf("Effect(%+v) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}
