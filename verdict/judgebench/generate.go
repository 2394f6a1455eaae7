package judgebench

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// t0 is the start of every generated run's baseline span.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// pcgStream is the second PCG seed word of the generator; the first is
// the run's seed.
const pcgStream = 0x6a75646765

// Dimension is one label and the values it takes.
type Dimension struct {
	Name   string
	Values []string
}

// Traffic describes the synthetic workload every scenario starts from:
// cohorts are the cross product of Dimensions, their shares of the
// traffic follow a Zipf law over a random order, and each has its own
// log-normal latency with a Pareto tail.
type Traffic struct {
	Baseline time.Duration // length of the baseline span
	Test     time.Duration // length of the test span, right after it
	Window   time.Duration // analysis window of every judge
	Rate     float64       // events per second over all cohorts (Poisson)

	Dimensions []Dimension
	// ZipfS is the Zipf exponent: the cohort of rank k (from 1) gets a
	// share proportional to k^-ZipfS.
	ZipfS float64

	// A cohort's median latency is log-uniform in [MedianMin, MedianMax];
	// its sigma of ln latency is uniform in [SigmaMin, SigmaMax].
	MedianMin, MedianMax time.Duration
	SigmaMin, SigmaMax   float64

	// TailProb is the share of requests whose latency is multiplied by a
	// Pareto(1, TailAlpha) factor: a heavy tail on top of the log-normal.
	TailProb  float64
	TailAlpha float64

	// ErrorRate is the background share of failed requests (ok=false,
	// ordinary latency), in both spans.
	ErrorRate float64

	// A change starts at a uniform offset in [OnsetMin, OnsetMax) from
	// the start of the test span.
	OnsetMin, OnsetMax time.Duration

	// MinCohortEvents is the fewest expected events per window a cohort
	// needs to be chosen as the broken cohort.
	MinCohortEvents float64
}

// DefaultTraffic is the benchmark's workload: 60 s of baseline and 60 s
// of test at 200 events/s, 5 s windows, 96 cohorts (8 routes, 2 methods,
// 6 regions) with Zipf(1.1) shares, medians 10-300 ms, sigma 0.25-0.6,
// 1% of requests with a Pareto(1.5) tail, 0.2% background errors, and
// a change that starts 15-30 s into the test span.
func DefaultTraffic() Traffic {
	return Traffic{
		Baseline: 60 * time.Second,
		Test:     60 * time.Second,
		Window:   5 * time.Second,
		Rate:     200,
		Dimensions: []Dimension{
			{Name: observe.LabelRoute, Values: []string{"/", "/search", "/product", "/cart", "/checkout", "/login", "/account", "/api/prices"}},
			{Name: observe.LabelMethod, Values: []string{"GET", "POST"}},
			{Name: "region", Values: []string{"eu-west", "eu-north", "us-east", "us-west", "ap-south", "sa-east"}},
		},
		ZipfS:           1.1,
		MedianMin:       10 * time.Millisecond,
		MedianMax:       300 * time.Millisecond,
		SigmaMin:        0.25,
		SigmaMax:        0.6,
		TailProb:        0.01,
		TailAlpha:       1.5,
		ErrorRate:       0.002,
		OnsetMin:        15 * time.Second,
		OnsetMax:        30 * time.Second,
		MinCohortEvents: 20,
	}
}

// validate reports the first thing that makes t unusable.
func (t Traffic) validate() error {
	switch {
	case t.Baseline <= 0 || t.Test <= 0 || t.Window <= 0:
		return errors.New("baseline, test and window must be positive")
	case !(t.Rate > 0):
		return errors.New("rate must be positive")
	case t.ZipfS < 0:
		return errors.New("zipf exponent must not be negative")
	case len(t.Dimensions) == 0:
		return errors.New("traffic needs at least one label dimension")
	case !(t.MedianMin > 0) || t.MedianMax < t.MedianMin:
		return errors.New("median range must be positive and ordered")
	case !(t.SigmaMin > 0) || t.SigmaMax < t.SigmaMin:
		return errors.New("sigma range must be positive and ordered")
	case t.TailProb < 0 || t.TailProb > 1 || (t.TailProb > 0 && !(t.TailAlpha > 0)):
		return errors.New("tail probability must be in [0, 1] with a positive alpha")
	case t.ErrorRate < 0 || t.ErrorRate > 1:
		return errors.New("error rate must be in [0, 1]")
	case t.OnsetMin < 0 || t.OnsetMax < t.OnsetMin || t.OnsetMax > t.Test:
		return errors.New("onset range must lie inside the test span")
	}
	for _, d := range t.Dimensions {
		if d.Name == "" || len(d.Values) == 0 {
			return fmt.Errorf("dimension %q needs a name and values", d.Name)
		}
	}
	return nil
}

// eligible is how many of the leading Zipf ranks expect at least
// MinCohortEvents events per window; shares must be in decreasing order.
func (t Traffic) eligible(shares []float64) int {
	n := 0
	for n < len(shares) && shares[n]*t.Rate*t.Window.Seconds() >= t.MinCohortEvents {
		n++
	}
	return n
}

// check reports the first thing that keeps runs of s on t from being
// generated.
func (t Traffic) check(s Scenario) error {
	if err := t.validate(); err != nil {
		return fmt.Errorf("traffic: %w", err)
	}
	if err := s.validate(); err != nil {
		return err
	}
	if s.Kind == CohortBreak && t.eligible(zipfShares(cohortCount(t), t.ZipfS)) == 0 {
		return fmt.Errorf("scenario %q: no cohort expects %g events per window", s.Name, t.MinCohortEvents)
	}
	return nil
}

// cohortCount is the number of cohorts of t: the product of its
// dimensions' sizes.
func cohortCount(t Traffic) int {
	n := 1
	for _, d := range t.Dimensions {
		n *= len(d.Values)
	}
	return n
}

// Kind is what a scenario changes in the test span.
type Kind int

const (
	// None changes nothing: an A/A run.
	None Kind = iota
	// Shift slows every request by Delta sigma of its cohort.
	Shift
	// Partial slows a Fraction of requests by Delta sigma: a bimodal
	// degradation.
	Partial
	// CohortBreak slows every request of one cohort by Delta sigma.
	CohortBreak
	// ErrorBurst fails a Fraction of requests fast: ok=false with their
	// ordinary latency.
	ErrorBurst
)

// Scenario is one kind of run: a change applied from the onset, for
// Duration or to the end of the test span.
type Scenario struct {
	Name string
	Kind Kind
	// Delta is the slowdown in sigma of the cohort's ln latency: latency
	// is multiplied by e^(Delta*sigma).
	Delta float64
	// Fraction is the share of requests affected (Partial, ErrorBurst).
	Fraction float64
	// Duration is how long the change lasts; zero lasts to the end of
	// the test span.
	Duration time.Duration
}

// Effect describes the scenario's change in words.
func (s Scenario) Effect() string {
	var what string
	switch s.Kind {
	case None:
		return "no change"
	case Shift:
		what = fmt.Sprintf("all requests ×e^(%gσ)", s.Delta)
	case Partial:
		what = fmt.Sprintf("%g%% of requests ×e^(%gσ)", 100*s.Fraction, s.Delta)
	case CohortBreak:
		what = fmt.Sprintf("one cohort ×e^(%gσ)", s.Delta)
	case ErrorBurst:
		what = fmt.Sprintf("%g%% of requests fail fast", 100*s.Fraction)
	default:
		return fmt.Sprintf("kind %d", s.Kind)
	}
	if s.Duration > 0 {
		return fmt.Sprintf("%s for %s", what, s.Duration)
	}
	return what + " to the end"
}

// validate reports the first thing that makes s unusable.
func (s Scenario) validate() error {
	switch {
	case s.Name == "":
		return errors.New("scenario needs a name")
	case s.Kind < None || s.Kind > ErrorBurst:
		return fmt.Errorf("scenario %q: unknown kind %d", s.Name, s.Kind)
	case (s.Kind == Partial || s.Kind == ErrorBurst) && !(s.Fraction > 0 && s.Fraction <= 1):
		return fmt.Errorf("scenario %q: fraction must be in (0, 1]", s.Name)
	case (s.Kind == Shift || s.Kind == Partial || s.Kind == CohortBreak) && !(s.Delta > 0):
		return fmt.Errorf("scenario %q: delta must be positive", s.Name)
	case s.Duration < 0:
		return fmt.Errorf("scenario %q: negative duration", s.Name)
	}
	return nil
}

// DefaultScenarios are the benchmark's scenarios: A/A; whole-traffic
// shifts of 0.5, 1, 2 and 3 sigma; 10% and 25% of requests 3 sigma slower;
// one cohort 3 sigma slower; 5% and 20% fast errors for 15 s; 2-sigma
// slowdowns lasting 1, 2 and 5 windows of 5 s.
func DefaultScenarios() []Scenario {
	return []Scenario{
		{Name: "A/A", Kind: None},
		{Name: "shift 0.5σ", Kind: Shift, Delta: 0.5},
		{Name: "shift 1σ", Kind: Shift, Delta: 1},
		{Name: "shift 2σ", Kind: Shift, Delta: 2},
		{Name: "shift 3σ", Kind: Shift, Delta: 3},
		{Name: "partial 10%", Kind: Partial, Fraction: 0.10, Delta: 3},
		{Name: "partial 25%", Kind: Partial, Fraction: 0.25, Delta: 3},
		{Name: "cohort break", Kind: CohortBreak, Delta: 3},
		{Name: "errors 5%", Kind: ErrorBurst, Fraction: 0.05, Duration: 15 * time.Second},
		{Name: "errors 20%", Kind: ErrorBurst, Fraction: 0.20, Duration: 15 * time.Second},
		{Name: "slow 1 window", Kind: Shift, Delta: 2, Duration: 5 * time.Second},
		{Name: "slow 2 windows", Kind: Shift, Delta: 2, Duration: 10 * time.Second},
		{Name: "slow 5 windows", Kind: Shift, Delta: 2, Duration: 25 * time.Second},
	}
}

// Truth is what a run's generator did.
type Truth struct {
	Changed bool
	// Onset is when the change started; zero when nothing changed.
	Onset time.Time
	// Cohort is the key of the broken cohort (see CohortKey); "" when
	// the change was not confined to one cohort.
	Cohort string
}

// Run is one generated event stream with its truth.
type Run struct {
	Scenario Scenario
	Seed     uint64
	Baseline verdict.Span
	Test     verdict.Span
	Window   time.Duration
	// Labels are the label names whose values form a cohort.
	Labels []string
	// Events are in time order. Events of one cohort share one label
	// map: judges must not modify it.
	Events []observe.Event
	Truth  Truth
}

// cohort is one generated cohort.
type cohort struct {
	key    string
	labels map[string]string
	mu     float64 // mean of ln latency seconds
	sigma  float64 // sd of ln latency
}

// Generate draws the run of scenario s on traffic t from seed. The same
// arguments give the same run. The random numbers drawn do not depend
// on the scenario, so runs of different scenarios with one seed carry
// the same requests, differing only by the change.
func Generate(t Traffic, s Scenario, seed uint64) (Run, error) {
	if err := t.check(s); err != nil {
		return Run{}, err
	}
	r := rand.New(rand.NewPCG(seed, pcgStream))
	cs := cohorts(t)
	for i := range cs {
		lnMin, lnMax := math.Log(t.MedianMin.Seconds()), math.Log(t.MedianMax.Seconds())
		cs[i].mu = lnMin + (lnMax-lnMin)*r.Float64()
		cs[i].sigma = t.SigmaMin + (t.SigmaMax-t.SigmaMin)*r.Float64()
	}
	// order[k] is the cohort of Zipf rank k+1; cdf[k] the cumulative
	// share of ranks 1..k+1.
	order := r.Perm(len(cs))
	shares := zipfShares(len(cs), t.ZipfS)
	cdf := make([]float64, len(shares))
	sum := 0.0
	for k, p := range shares {
		sum += p
		cdf[k] = sum
	}
	cdf[len(cdf)-1] = 1

	run := Run{
		Scenario: s,
		Seed:     seed,
		Baseline: verdict.Span{Start: t0, End: t0.Add(t.Baseline)},
		Window:   t.Window,
	}
	run.Test = verdict.Span{Start: run.Baseline.End, End: run.Baseline.End.Add(t.Test)}
	for _, d := range t.Dimensions {
		run.Labels = append(run.Labels, d.Name)
	}

	onset := run.Test.Start.Add(t.OnsetMin + time.Duration(r.Float64()*float64(t.OnsetMax-t.OnsetMin)).Truncate(time.Millisecond))
	end := run.Test.End
	if s.Duration > 0 && onset.Add(s.Duration).Before(end) {
		end = onset.Add(s.Duration)
	}
	// Drawn for every scenario, so that all scenarios consume the same
	// random numbers.
	pickBroken := r.Float64()
	broken := -1
	if s.Kind == CohortBreak {
		// Ranks are in decreasing share, so the eligible ones come first.
		n := t.eligible(shares)
		broken = order[min(int(pickBroken*float64(n)), n-1)]
	}
	if s.Kind != None {
		run.Truth = Truth{Changed: true, Onset: onset}
		if broken >= 0 {
			run.Truth.Cohort = cs[broken].key
		}
	}

	total := (t.Baseline + t.Test).Seconds()
	run.Events = make([]observe.Event, 0, int(total*t.Rate*1.05))
	for at := 0.0; ; {
		at += r.ExpFloat64() / t.Rate
		if at >= total {
			break
		}
		c := order[min(searchCDF(cdf, r.Float64()), len(cdf)-1)]
		ln := cs[c].mu + cs[c].sigma*r.NormFloat64()
		tail, fail, pick := r.Float64(), r.Float64(), r.Float64()
		if tail < t.TailProb {
			// ln of a Pareto(1, alpha) factor is exponential with rate alpha.
			ln += r.ExpFloat64() / t.TailAlpha
		}
		ok := fail >= t.ErrorRate
		when := t0.Add(time.Duration(at * float64(time.Second)))
		if !when.Before(onset) && when.Before(end) {
			switch s.Kind {
			case Shift:
				ln += s.Delta * cs[c].sigma
			case Partial:
				if pick < s.Fraction {
					ln += s.Delta * cs[c].sigma
				}
			case CohortBreak:
				if c == broken {
					ln += s.Delta * cs[c].sigma
				}
			case ErrorBurst:
				if pick < s.Fraction {
					ok = false
				}
			}
		}
		e := observe.Event{
			Time:    when,
			Latency: max(time.Duration(math.Exp(ln)*float64(time.Second)), time.Microsecond),
			OK:      ok,
			Status:  200,
			Labels:  cs[c].labels,
		}
		if !ok {
			e.Status = 503
		}
		run.Events = append(run.Events, e)
	}
	return run, nil
}

// cohorts builds the cross product of t's dimensions, in order, with
// their keys and shared label maps.
func cohorts(t Traffic) []cohort {
	out := []cohort{{labels: map[string]string{}}}
	for _, d := range t.Dimensions {
		next := make([]cohort, 0, len(out)*len(d.Values))
		for _, c := range out {
			for _, v := range d.Values {
				l := maps.Clone(c.labels)
				l[d.Name] = v
				next = append(next, cohort{labels: l})
			}
		}
		out = next
	}
	names := make([]string, len(t.Dimensions))
	for i, d := range t.Dimensions {
		names[i] = d.Name
	}
	for i := range out {
		out[i].key = CohortKey(names, out[i].labels)
	}
	return out
}

// zipfShares are the traffic shares of ranks 1..n under a Zipf law with
// exponent s: proportional to k^-s, summing to 1.
func zipfShares(n int, s float64) []float64 {
	w := make([]float64, n)
	sum := 0.0
	for k := range w {
		w[k] = math.Pow(float64(k+1), -s)
		sum += w[k]
	}
	for k := range w {
		w[k] /= sum
	}
	return w
}

// searchCDF is the first index whose cumulative share reaches u.
func searchCDF(cdf []float64, u float64) int {
	i, _ := slices.BinarySearch(cdf, u)
	return i
}

// CohortKey is the key of the cohort with the given labels, written as
// verdict writes it: "name=value" for each of names, joined by commas.
// The generator's values hold no ',', '=' or '"', so nothing is quoted.
func CohortKey(names []string, labels map[string]string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(labels[n])
	}
	return b.String()
}
