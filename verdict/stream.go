package verdict

import (
	"math"
	"slices"
	"time"
)

// Stream judges one case from its events, read in two passes, in memory
// that grows with the number of cohorts and windows but not of events.
// It is the judge's only code path: TwoSigma.Judge feeds it a case's
// events, and `faultline analyze` feeds it an event file read twice.
//
// The first pass (Observe, every event once) counts requests and
// failures per window, keeps per-phase latency sketches, and
// accumulates each cohort's ok baseline latencies (moments of ln
// latency, and a quantile sketch where a quantile is needed). The
// second pass (Rescore) scores events against the fitted baselines
// into per-cohort, per-window counts, and counts the held-out
// exceedances that decide qualification. When the events come in time
// order, the baselines are final as soon as an event at or after the
// baseline's end arrives, so Observe scores every later event at once
// and the second pass only needs the events before it: Rescan says how
// many.
//
// Use: Observe every event, in any order; n := Rescan(); Rescore the
// first n events again, in the same order; Verdict. A Stream is for one
// case and is not safe for concurrent use.
type Stream struct {
	c     Case
	o     Options
	co    *cohorts
	spans [3]nsSpan
	// open: the fault span has no end; it ends just after its latest
	// event.
	open     bool
	window   int64
	ntiles   [3]int // tiles per phase (the fault phase's when not open)
	heldFrom int64  // baseline events at or after it are held out

	phases [3]phaseAcc
	fits   []fitAcc // by cohort id

	observed  int
	prefix    int  // events observed before the baselines were final
	final     bool // baselines fitted, events are scored
	fallback  bool // a baseline event came after the baselines were final
	lastFault int64

	fitted []fit   // by cohort id, when final
	cand   []int32 // cohort id -> candidate index, or -1
	candID []int32 // candidate index -> cohort id
	heldK  []int   // held-out exceedances by candidate
	cells  [3][]tally
}

// nsSpan is a Span in Unix nanoseconds.
type nsSpan struct{ start, end int64 }

func (s nsSpan) contains(t int64) bool { return t >= s.start && t < s.end }

func toNS(sp Span, open bool) nsSpan {
	if sp.Start.IsZero() {
		return nsSpan{}
	}
	out := nsSpan{start: sp.Start.UnixNano(), end: math.MaxInt64}
	if !open {
		out.end = sp.End.UnixNano()
	}
	return out
}

// phaseAcc is the first pass's account of one phase.
type phaseAcc struct {
	events, failures int
	tiles            []tileCount
	latency          sketch
}

// tileCount counts all events of one window tile, in any cohort.
type tileCount struct{ requests, failures int32 }

// tally counts one candidate cohort's scored events in one window tile:
// n events, k of them outliers, f of them failed.
type tally struct{ n, k, f int32 }

// NewStream starts judging c; c.Events are not read (feed them to
// Observe). A Fault span with a zero End is open: it ends just after
// its latest event (analyze uses this for "everything after the
// baseline").
func (j *TwoSigma) NewStream(c Case) *Stream {
	c.Events = nil
	s := &Stream{c: c, o: j.opts, co: newCohorts(slices.Clone(c.Cohort)), window: int64(j.opts.Window)}
	s.open = c.Fault.End.IsZero()
	s.spans = [3]nsSpan{toNS(c.Baseline, false), toNS(c.Fault, s.open), toNS(c.Recovery, false)}
	for p, sp := range s.spans {
		if !(p == int(fault) && s.open) {
			s.ntiles[p] = int((sp.end - sp.start + s.window - 1) / s.window)
		}
	}
	b := s.spans[baseline]
	s.heldFrom = b.start + (b.end-b.start)/3*2
	s.lastFault = math.MinInt64
	return s
}

// CohortID is the id of the cohort whose label values, in the order of
// the case's Cohort names, are vals; a shorter vals leaves the
// remaining labels empty. Ids are small integers in order of first
// appearance. The Stream keeps no reference to vals.
func (s *Stream) CohortID(vals []string) int32 { return s.co.id(vals) }

// AddCohortLabel appends a label name to the cohort key. Every cohort
// seen so far has the empty value for it. It serves inputs whose
// labels are discovered while reading (JSON Lines).
func (s *Stream) AddCohortLabel(name string) {
	s.co.names = append(s.co.names, name)
	s.co.byMap, s.co.recent = nil, [16]mapID{}
}

// CohortLabels are the label names of the cohort key.
func (s *Stream) CohortLabels() []string { return s.co.names }

func (s *Stream) phaseOf(t int64) phase {
	for p := range s.spans {
		if s.spans[p].contains(t) {
			return phase(p)
		}
	}
	return outside
}

// tile is the index of the window tile of phase p that holds t.
func (s *Stream) tile(p phase, t int64) int {
	i := int((t - s.spans[p].start) / s.window)
	if p == fault && s.open {
		return i
	}
	return min(i, s.ntiles[p]-1)
}

// Observe is the first pass over the events: every event, once.
func (s *Stream) Observe(at time.Time, latency time.Duration, ok bool, cohort int32) {
	t := at.UnixNano()
	s.observed++
	p := s.phaseOf(t)
	if p != outside {
		a := &s.phases[p]
		a.events++
		ti := s.tile(p, t)
		if ti >= len(a.tiles) {
			a.tiles = append(a.tiles, make([]tileCount, ti+1-len(a.tiles))...)
		}
		a.tiles[ti].requests++
		if !ok {
			a.failures++
			a.tiles[ti].failures++
		}
		a.latency.add(latency)
		switch {
		case p == fault:
			s.lastFault = max(s.lastFault, t)
		case p == baseline && ok:
			if int(cohort) >= len(s.fits) {
				s.fits = append(s.fits, make([]fitAcc, int(cohort)+1-len(s.fits))...)
			}
			part := earlyPart
			if t >= s.heldFrom {
				part = heldPart
			}
			s.fits[cohort].add(s.o.Baseline, part, latency)
		}
	}
	switch {
	case s.fallback:
	case !s.final && t < s.spans[baseline].end:
		s.prefix++
	case !s.final:
		s.finalize()
		s.score(t, p, latency, ok, cohort)
	case p == baseline:
		// The baselines were taken as final too early: score every
		// event in the second pass.
		s.fallback = true
		s.cells = [3][]tally{}
	default:
		s.score(t, p, latency, ok, cohort)
	}
}

// Rescan ends the first pass and returns how many of the events, from
// the first, the second pass must Rescore: those observed before the
// baselines were final, or all of them when the events were not in
// time order around the baseline's end.
func (s *Stream) Rescan() int {
	if !s.final || s.fallback {
		s.finalize()
		s.fallback = false
		return s.observed
	}
	return s.prefix
}

// Rescore is the second pass: the first n events given by Rescan, in
// the order Observe saw them.
func (s *Stream) Rescore(at time.Time, latency time.Duration, ok bool, cohort int32) {
	t := at.UnixNano()
	s.score(t, s.phaseOf(t), latency, ok, cohort)
}

// finalize fits every cohort's baseline from the first pass and picks
// the candidates, whose events are scored.
func (s *Stream) finalize() {
	s.final = true
	n := s.co.len()
	s.fitted = make([]fit, n)
	s.cand = make([]int32, n)
	s.candID = s.candID[:0]
	for id := range n {
		var acc fitAcc
		if id < len(s.fits) {
			acc = s.fits[id]
		}
		f := fitBaseline(s.o.Baseline, &acc, s.o.Sigma, s.o.ErrorMargin, s.o.MinBaseline)
		s.fitted[id] = f
		s.cand[id] = -1
		if f.candidate {
			s.cand[id] = int32(len(s.candID))
			s.candID = append(s.candID, int32(id))
		}
	}
	s.heldK = make([]int, len(s.candID))
	s.cells = [3][]tally{}
}

// score counts an event of a candidate cohort in its tile's cell, and
// a held-out baseline event against the early fit. Failed events of
// other cohorts are in the first pass's tile counts.
func (s *Stream) score(t int64, p phase, latency time.Duration, ok bool, cohort int32) {
	if p == outside || int(cohort) >= len(s.cand) {
		return
	}
	c := s.cand[cohort]
	if c < 0 {
		return
	}
	nc := len(s.candID)
	i := s.tile(p, t)*nc + int(c)
	cs := s.cells[p]
	if i >= len(cs) {
		cs = append(cs, make([]tally, (i/nc+1)*nc-len(cs))...)
		s.cells[p] = cs
	}
	cl := &cs[i]
	cl.n++
	if !ok {
		cl.k++
		cl.f++
		return
	}
	f := &s.fitted[cohort]
	if f.model.outlier(latency) {
		cl.k++
	}
	if p == baseline && t >= s.heldFrom && f.early.outlier(latency) {
		s.heldK[c]++
	}
}

// Verdict decides the case from both passes.
func (s *Stream) Verdict() Verdict {
	if s.open {
		s.c.Fault.End = s.c.Fault.Start
		if s.lastFault != math.MinInt64 {
			s.c.Fault.End = time.Unix(0, s.lastFault+1).In(s.c.Fault.Start.Location())
		}
	}
	a := s.analyse()
	d := decide(s.c, s.o, a)
	a.ev.RecoveredAfterSeconds = d.recoveredAfter
	return Verdict{
		Hypothesis: s.c.Hypothesis,
		Expect:     s.c.Expect,
		Outcome:    d.outcome,
		Reason:     d.reason,
		Evidence:   a.ev,
	}
}
