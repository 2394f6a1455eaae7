package verdict

import (
	"slices"
	"strings"
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

// phaseStats are the totals of one phase.
type phaseStats struct {
	events   int // all events in the span
	failures int
	counted  int // events in the outlier fraction
	outliers int
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

// baselines are every cohort's fitted baseline, qualified or not (with
// the held-out check counted in the second pass), and whether each
// qualified, by cohort id.
func (s *Stream) baselines() ([]CohortBaseline, []bool) {
	n := s.co.len()
	for id := len(s.fitted); id < n; id++ {
		// Cohorts first seen after the baselines were final have no
		// baseline events.
		s.fitted = append(s.fitted, fitBaseline(s.o.Baseline, &fitAcc{}, s.o.Sigma, s.o.ErrorMargin, s.o.MinBaseline))
	}
	baselines := make([]CohortBaseline, n)
	qualified := make([]bool, n)
	for id := range n {
		b := s.fitted[id].base
		b.Key, b.Labels = s.co.key(int32(id)), s.co.labels(int32(id))
		if id < len(s.cand) && s.cand[id] >= 0 {
			heldOutCheck(&b, s.heldK[s.cand[id]], s.o.Sigma)
		}
		baselines[id], qualified[id] = b, b.Qualified
	}
	return baselines, qualified
}

// analyse measures the case from the stream's two passes: baselines
// and their qualification, windows, excursions, localization and the
// evidence.
func (s *Stream) analyse() *analysis {
	o := s.o
	a := &analysis{}
	baselines, qualified := s.baselines()
	for _, q := range qualified {
		if q {
			a.qualified++
		}
	}
	c := s.c
	spans := [3]Span{c.Baseline, c.Fault, c.Recovery}
	var tiles [3][]Window
	for p := range tiles {
		tiles[p] = tile(spans[p], o.Window, phaseNames[p])
	}
	cc := newCohortCounts(qualified, tiles[fault], tiles[recovery])
	var afterBaseline, covered int
	for p := range a.phases {
		ps, acc := &a.phases[p], &s.phases[p]
		ps.events, ps.failures = acc.events, acc.failures
		cells := s.cells[p]
		nc := len(s.candID)
		for ti := range tiles[p] {
			w := &tiles[p][ti]
			var tc tileCount
			if ti < len(acc.tiles) {
				tc = acc.tiles[ti]
			}
			w.Requests, w.Failures = int(tc.requests), int(tc.failures)
			// Failed events count as outliers in every cohort; ok
			// events only in qualified ones.
			failedElsewhere := w.Failures
			for ci, id := range s.candID {
				if !qualified[id] || (ti+1)*nc > len(cells) {
					continue
				}
				cl := cells[ti*nc+ci]
				w.N += int(cl.n)
				w.Outliers += int(cl.k)
				failedElsewhere -= int(cl.f)
				cc.add(id, phase(p), ti, cl)
			}
			w.N += failedElsewhere
			w.Outliers += failedElsewhere
			ps.counted += w.N
			ps.outliers += w.Outliers
			if p != int(baseline) {
				afterBaseline += w.Requests
				covered += w.N
			}
		}
	}

	tailP := tail(o.Sigma)
	a.p0 = max(a.phases[baseline].fraction(), tailP)
	pe := ratio(a.phases[baseline].failures, a.phases[baseline].events)
	for p := range a.phases {
		ps := &a.phases[p]
		ps.windows, ps.skipped = mergeSparse(tiles[p], o.MinWindow)
		for i := range ps.windows {
			judgeWindow(&ps.windows[i], a.p0, o.Threshold, o.Alpha)
			judgeErrors(&ps.windows[i], pe, o.ErrorMargin, o.Alpha)
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
		ev.Latency[phaseNames[p]] = quantiles(&s.phases[p].latency)
		ev.Windows = append(ev.Windows, a.phases[p].windows...)
	}
	ev.Excursions = excursions(after, a.p0)
	if ev.Excursions == nil {
		ev.Excursions = []Excursion{}
	}
	for i := range ev.Excursions {
		ev.Excursions[i].Cohorts = impacts(cc, s.co, ev.Excursions[i], tailP)
	}
	ev.Localized = localize(cc, s.co, tailP, o.MinWindow)
	ev.StoufferZ = stouffer(cc)
	return a
}

// quantiles are the p50, p90 and p99 of a phase's latencies in
// seconds, zero when it has none: exact up to sketchExact events,
// within 0.4% beyond.
func quantiles(sk *sketch) Quantiles {
	return Quantiles{
		P50: sk.quantile(0.50).Seconds(),
		P90: sk.quantile(0.90).Seconds(),
		P99: sk.quantile(0.99).Seconds(),
	}
}

func ratio(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}
