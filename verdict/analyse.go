package verdict

import (
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/faultline/faultline/observe"
)

// phase indexes the three spans of a case.
type phase int8

const (
	outside  phase = -1
	baseline phase = 0
	fault    phase = 1
	recovery phase = 2
)

var phaseNames = [3]string{PhaseBaseline, PhaseFault, PhaseRecovery}

// phaseOf is the first of the spans that holds t, or outside.
func phaseOf(spans *[3]Span, t time.Time) phase {
	for p := range spans {
		if spans[p].Contains(t) {
			return phase(p)
		}
	}
	return outside
}

// phaseStats are the totals of one phase.
type phaseStats struct {
	events   int // all events in the span
	failures int
	counted  int // events in the outlier fraction
	outliers int
	seconds  []float64 // latencies of all events, for quantiles
	windows  []Window
	skipped  bool // fewer than MinWindow counted events: not judged
}

func (s *phaseStats) fraction() float64 { return ratio(s.outliers, s.counted) }

// judged are the phase's windows that were judged.
func (s *phaseStats) judged() []Window {
	if s.skipped {
		return nil
	}
	return s.windows
}

// analysis is everything measured on a case before the decision.
type analysis struct {
	ev        Evidence
	phases    [3]phaseStats
	qualified int     // cohorts with a qualified baseline
	p0        float64 // outlier rate windows are tested against
}

// analyse measures c: cohorts, baselines, scores, windows, excursions,
// localization and the evidence. It reads c.Events and never changes
// them.
func analyse(c Case, o Options) *analysis {
	a := &analysis{}
	spans := [3]Span{c.Baseline, c.Fault, c.Recovery}
	phs := make([]phase, len(c.Events))
	var sizes [3]int
	for i, e := range c.Events {
		phs[i] = phaseOf(&spans, e.Time)
		if phs[i] != outside {
			sizes[phs[i]]++
		}
	}
	co := indexCohorts(c.Events, c.Cohort)
	baselines, models := fitBaselines(c.Events, phs, co, c.Cohort, o)
	qualified := make([]bool, len(baselines))
	for id, b := range baselines {
		qualified[id] = b.Qualified
		if b.Qualified {
			a.qualified++
		}
	}
	sc := scorer{qualified: qualified, models: models}

	for p := range a.phases {
		a.phases[p].windows = tile(spans[p], o.Window, phaseNames[p])
		a.phases[p].seconds = make([]float64, 0, sizes[p])
	}
	cc := newCohortCounts(qualified, a.phases[fault].windows, a.phases[recovery].windows)
	var afterBaseline, covered int
	for i, e := range c.Events {
		p := phs[i]
		if p == outside {
			continue
		}
		s := &a.phases[p]
		s.events++
		s.seconds = append(s.seconds, e.Latency.Seconds())
		if !e.OK {
			s.failures++
		}
		ws := s.windows
		wi := windowIndex(spans[p].Start, e.Time, o.Window, len(ws))
		ws[wi].request(!e.OK)
		m := sc.mark(e, co.ids[i])
		if p != baseline {
			afterBaseline++
			if m != excluded {
				covered++
			}
		}
		if m == excluded {
			continue
		}
		s.counted++
		if m == outlier {
			s.outliers++
		}
		ws[wi].count(m)
		cc.count(co.ids[i], p, wi, m)
	}

	tailP := tail(o.Sigma)
	a.p0 = max(a.phases[baseline].fraction(), tailP)
	pe := ratio(a.phases[baseline].failures, a.phases[baseline].events)
	for p := range a.phases {
		s := &a.phases[p]
		s.windows, s.skipped = mergeSparse(s.windows, o.MinWindow)
		for i := range s.windows {
			judgeWindow(&s.windows[i], a.p0, o.Threshold, o.Alpha)
			judgeErrors(&s.windows[i], pe, o.ErrorMargin, o.Alpha)
		}
	}
	for q, id := range cc.ids {
		baselines[id].BaselineFraction = ratio(cc.base[q].k, cc.base[q].n)
	}

	after := slices.Concat(a.phases[fault].judged(), a.phases[recovery].judged())
	ev := &a.ev
	ev.Sigma = o.Sigma
	ev.Threshold = o.Threshold
	ev.WindowSeconds = o.Window.Seconds()
	ev.Alpha = o.Alpha
	ev.BaselineRate = a.p0
	ev.Baseline = o.Baseline
	ev.ErrorMargin = o.ErrorMargin
	ev.BaselineEvents = a.phases[baseline].events
	ev.FaultEvents = a.phases[fault].events
	ev.RecoveryEvents = a.phases[recovery].events
	ev.Coverage = ratio(covered, afterBaseline)
	ev.Cohorts = slices.SortedFunc(slices.Values(baselines), func(x, y CohortBaseline) int {
		return strings.Compare(x.Key, y.Key)
	})
	if ev.Cohorts == nil {
		ev.Cohorts = []CohortBaseline{}
	}
	ev.BaselineFraction = a.phases[baseline].fraction()
	ev.FaultFraction = a.phases[fault].fraction()
	ev.RecoveryFraction = a.phases[recovery].fraction()
	for _, w := range after {
		ev.PeakFraction = max(ev.PeakFraction, w.Fraction)
	}
	ev.BaselineErrorRate = pe
	ev.FaultErrorRate = ratio(a.phases[fault].failures, a.phases[fault].events)
	ev.RecoveryErrorRate = ratio(a.phases[recovery].failures, a.phases[recovery].events)
	ev.Latency = make(map[string]Quantiles, len(a.phases))
	ev.Windows = []Window{}
	for p := range a.phases {
		ev.Latency[phaseNames[p]] = quantiles(a.phases[p].seconds)
		ev.Windows = append(ev.Windows, a.phases[p].windows...)
	}
	ev.Excursions = excursions(after, a.p0)
	if ev.Excursions == nil {
		ev.Excursions = []Excursion{}
	}
	for i := range ev.Excursions {
		ev.Excursions[i].Cohorts = impacts(cc, co, c.Cohort, ev.Excursions[i], tailP)
	}
	ev.Localized = localize(cc, co, c.Cohort, tailP, o.MinWindow)
	ev.StoufferZ = stouffer(cc)
	return a
}

// fitBaselines fits and qualifies one baseline per cohort from its ok
// baseline events, indexed by cohort id.
func fitBaselines(events []observe.Event, phs []phase, co cohorts, names []string, o Options) ([]CohortBaseline, []model) {
	samples := make([][]sample, len(co.keys))
	for i, e := range events {
		if phs[i] == baseline && e.OK {
			id := co.ids[i]
			samples[id] = append(samples[id], sample{at: e.Time.UnixNano(), lat: e.Latency})
		}
	}
	out := make([]CohortBaseline, len(co.keys))
	models := make([]model, len(co.keys))
	for id, key := range co.keys {
		out[id], models[id] = qualify(o.Baseline, key, samples[id], o.Sigma, o.MinBaseline)
		out[id].Labels = co.labels(names, id)
	}
	return out, models
}

// quantiles are the empirical p50, p90 and p99 of xs, which it sorts;
// zero when xs is empty.
func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	slices.Sort(xs)
	return Quantiles{
		P50: stat.Quantile(0.50, stat.Empirical, xs, nil),
		P90: stat.Quantile(0.90, stat.Empirical, xs, nil),
		P99: stat.Quantile(0.99, stat.Empirical, xs, nil),
	}
}

func ratio(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}
