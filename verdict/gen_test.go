package verdict

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/faultline/faultline/observe"
)

// t0 is the start of every generated run.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// effect changes one generated event: its latency is multiplied by
// slow (1 when zero), for a share of the events (all when zero), and it
// fails with probability fail.
type effect struct {
	slow  float64
	share float64
	fail  float64
}

// effectFunc says which effect applies to an event of cohort at time
// since the start of phase.
type effectFunc func(cohort int, phase string, since time.Duration) effect

// gen generates a synthetic run: every cohort sends requests as a
// Poisson process at rate per second, with log-normal latencies whose
// median differs per cohort.
type gen struct {
	seed     uint64
	cohorts  int
	rate     float64 // events per second per cohort
	baseline time.Duration
	fault    time.Duration
	recovery time.Duration
	sd       float64 // spread of ln latency
	effect   effectFunc
	// rates, when set, are the events per second of each cohort,
	// overriding rate and cohorts.
	rates []float64
	// methods, when positive, spreads cohorts over two labels: cohort
	// c has route /r<c/methods> and method M<c%methods>.
	methods int
}

// zipfRates are n cohort rates proportional to 1/(rank+1)^s summing to
// total events per second.
func zipfRates(n int, s, total float64) []float64 {
	rates := make([]float64, n)
	sum := 0.0
	for i := range rates {
		rates[i] = 1 / math.Pow(float64(i+1), s)
		sum += rates[i]
	}
	for i := range rates {
		rates[i] *= total / sum
	}
	return rates
}

// defaultGen is a 60s/30s/30s run of four cohorts at 25 events per
// second each.
func defaultGen(seed uint64) gen {
	return gen{
		seed:     seed,
		cohorts:  4,
		rate:     25,
		baseline: 60 * time.Second,
		fault:    30 * time.Second,
		recovery: 30 * time.Second,
		sd:       0.4,
	}
}

// spans are the baseline, fault and recovery spans of g, back to back.
func (g gen) spans() (b, f, r Span) {
	b = Span{Start: t0, End: t0.Add(g.baseline)}
	f = Span{Start: b.End, End: b.End.Add(g.fault)}
	r = Span{Start: f.End, End: f.End.Add(g.recovery)}
	return b, f, r
}

// events generates the run's events in time order.
func (g gen) events() []observe.Event {
	r := rand.New(rand.NewPCG(g.seed, 0x5eed))
	b, f, rec := g.spans()
	phases := []struct {
		name string
		span Span
	}{{PhaseBaseline, b}, {PhaseFault, f}, {PhaseRecovery, rec}}
	rates := g.rates
	if rates == nil {
		rates = make([]float64, g.cohorts)
		for c := range rates {
			rates[c] = g.rate
		}
	}
	total := 0.0
	for _, r := range rates {
		total += r * (g.baseline + g.fault + g.recovery).Seconds()
	}
	out := make([]observe.Event, 0, int(total*1.1))
	for c, rate := range rates {
		mu := math.Log(0.020) + 0.5*float64(c%4) // medians 20ms, 33ms, 54ms, 90ms
		route, method := fmt.Sprintf("/r%d", c), "GET"
		if g.methods > 0 {
			route, method = fmt.Sprintf("/r%d", c/g.methods), fmt.Sprintf("M%d", c%g.methods)
		}
		// Events of a cohort share their label maps; the judge only
		// reads them.
		okLabels := map[string]string{
			observe.LabelWorkload:    "browse",
			observe.LabelRoute:       route,
			observe.LabelMethod:      method,
			observe.LabelStatusClass: "2xx",
		}
		failLabels := maps.Clone(okLabels)
		failLabels[observe.LabelStatusClass] = "5xx"
		for _, p := range phases {
			t := p.span.Start
			for {
				t = t.Add(time.Duration(r.ExpFloat64() / rate * float64(time.Second)))
				if !t.Before(p.span.End) {
					break
				}
				e := effect{slow: 1}
				if g.effect != nil {
					e = g.effect(c, p.name, t.Sub(p.span.Start))
					if e.slow == 0 {
						e.slow = 1
					}
				}
				slow := e.slow
				if e.share > 0 && r.Float64() >= e.share {
					slow = 1
				}
				lat := time.Duration(slow * math.Exp(mu+g.sd*r.NormFloat64()) * float64(time.Second))
				ev := observe.Event{Time: t, Latency: lat, OK: true, Status: 200, Labels: okLabels}
				if r.Float64() < e.fail {
					ev.OK, ev.Status, ev.Latency = false, 503, time.Millisecond
					ev.Labels = failLabels
				}
				out = append(out, ev)
			}
		}
	}
	// pdqsort is deterministic, so equal times keep a reproducible order.
	slices.SortFunc(out, func(x, y observe.Event) int { return x.Time.Compare(y.Time) })
	return out
}

// caseFor builds a landed case of g with the given expectation, cohorts
// by route and method.
func (g gen) caseFor(expect Expectation, within time.Duration) Case {
	b, f, r := g.spans()
	return Case{
		Hypothesis:   "h",
		Expect:       expect,
		Within:       within,
		Baseline:     b,
		Fault:        f,
		Recovery:     r,
		Landed:       true,
		LandedDetail: "latency proxy answered",
		Cohort:       []string{observe.LabelRoute, observe.LabelMethod},
		Events:       g.events(),
	}
}

// during applies e to every event of the fault phase, and of the first
// extra of the recovery phase.
func during(e effect, extra time.Duration) effectFunc {
	return func(_ int, phase string, since time.Duration) effect {
		if phase == PhaseFault || (phase == PhaseRecovery && since < extra) {
			return e
		}
		return effect{}
	}
}
