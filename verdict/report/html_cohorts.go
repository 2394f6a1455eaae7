package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// cohortStats are one hypothesis's cohorts measured again from its
// event file, window by window, with the windows and cutoffs its
// evidence holds: what the per-cohort charts and the cohort table of
// report.html draw.
type cohortStats struct {
	h *Hypothesis
	// names are the cohort label names, sorted; byTuple finds a
	// cohort's index in h.Evidence.Cohorts by its label values in
	// names order (see appendTuple).
	names   []string
	byTuple map[string]int
	windows []verdict.Window // by start
	cutoffs []func(time.Duration) bool
	// cells[c][w] counts cohort c in window w.
	cells [][]cell
	// other counts, per window, the failed events of no known cohort.
	other []cell
	// sketches[c][w] are the latencies of the charted cohorts (nil for
	// the others), filled by the second pass.
	sketches [][]*latencySketch
	// rank orders the cohorts, most affected first.
	rank []int
}

// cell counts a cohort's events in one window: n events, slow ok
// events at or above the cohort's cutoff (qualified cohorts only), and
// failed events.
type cell struct{ n, slow, failed int }

// outliers are the events the judge counts as outliers.
func (c cell) outliers() int { return c.slow + c.failed }

func newCohortStats(h *Hypothesis) *cohortStats {
	ev := &h.Evidence
	s := &cohortStats{h: h, byTuple: map[string]int{}}
	seen := map[string]bool{}
	for _, c := range ev.Cohorts {
		for n := range c.Labels {
			seen[n] = true
		}
	}
	for n := range seen {
		s.names = append(s.names, n)
	}
	slices.Sort(s.names)
	vals := make([]string, len(s.names))
	for i, c := range ev.Cohorts {
		for j, n := range s.names {
			vals[j] = c.Labels[n]
		}
		s.byTuple[string(appendTuple(nil, vals))] = i
		s.cutoffs = append(s.cutoffs, outlierTest(ev.Baseline, c))
	}
	s.windows = slices.SortedStableFunc(slices.Values(ev.Windows), func(a, b verdict.Window) int { return a.Start.Compare(b.Start) })
	s.cells = make([][]cell, len(ev.Cohorts))
	for i := range s.cells {
		s.cells[i] = make([]cell, len(s.windows))
	}
	s.other = make([]cell, len(s.windows))
	s.sketches = make([][]*latencySketch, len(ev.Cohorts))
	return s
}

// appendTuple appends label values to buf with length prefixes, so
// that no two tuples share a key whatever bytes the values hold.
func appendTuple(buf []byte, vals []string) []byte {
	for _, v := range vals {
		buf = strconv.AppendInt(buf, int64(len(v)), 10)
		buf = append(buf, ':')
		buf = append(buf, v...)
	}
	return buf
}

// outlierTest is how the judge marks an ok event of cohort c as an
// outlier under the baseline model (see verdict's model.outlier): at or
// above the cutoff, rounded up to a nanosecond; strictly above it for
// the empirical model; with latencies below 1µs taken as 1µs for the
// log-normal one. Unqualified cohorts have no outliers but failures.
func outlierTest(model string, c verdict.CohortBaseline) func(time.Duration) bool {
	if !c.Qualified {
		return func(time.Duration) bool { return false }
	}
	ceil := func(s float64) time.Duration {
		ns := math.Ceil(s * float64(time.Second))
		if math.IsNaN(ns) || ns >= math.MaxInt64 {
			return math.MaxInt64
		}
		return time.Duration(ns)
	}
	switch model {
	case verdict.BaselineNormal, verdict.BaselineRatio:
		cut := ceil(c.Cutoff)
		return func(d time.Duration) bool { return d >= cut }
	case verdict.BaselineEmpirical:
		q := time.Duration(math.Round(c.Cutoff * float64(time.Second)))
		return func(d time.Duration) bool { return d > q }
	}
	cut := ceil(c.Cutoff)
	return func(d time.Duration) bool { return max(d, time.Microsecond) >= cut }
}

// window is the index of the window holding t, or -1.
func (s *cohortStats) window(t time.Time) int {
	i, _ := slices.BinarySearchFunc(s.windows, t, func(w verdict.Window, t time.Time) int {
		if !w.Start.After(t) {
			return -1
		}
		return 1
	})
	// i is the first window starting after t.
	if i == 0 {
		return -1
	}
	if w := s.windows[i-1]; t.Before(w.End) {
		return i - 1
	}
	return -1
}

// eventSource is one event file and the label that says which
// workload or signal an event belongs to.
type eventSource struct {
	open  Opener
	name  string
	label string
	// subjects are the hypotheses judged on each label value.
	subjects map[string][]*cohortStats
}

// measureCohorts measures the cohorts of every hypothesis judged on a
// workload or signal from the run's event files, in two streaming
// passes: counts per cohort and window for all cohorts, then latency
// quantiles for the charted ones (top charted of each). A nil Opener
// is a file the run did not write: its hypotheses are left out.
func measureCohorts(c *Conclusions, files RunFiles, charted int) (map[*Hypothesis]*cohortStats, error) {
	out := map[*Hypothesis]*cohortStats{}
	events := &eventSource{open: files.Events, name: "events.csv", label: observe.LabelWorkload, subjects: map[string][]*cohortStats{}}
	signals := &eventSource{open: files.Signals, name: "signals.csv", label: observe.LabelSignal, subjects: map[string][]*cohortStats{}}
	for i := range c.Hypotheses {
		h := &c.Hypotheses[i]
		if len(h.Evidence.Windows) == 0 || len(h.Evidence.Cohorts) == 0 {
			continue
		}
		src, key := events, h.Workload
		if h.Signal != "" {
			src, key = signals, h.Signal
		}
		if key == "" || src.open == nil {
			continue
		}
		s := newCohortStats(h)
		out[h] = s
		src.subjects[key] = append(src.subjects[key], s)
	}
	for _, src := range []*eventSource{events, signals} {
		if len(src.subjects) == 0 {
			continue
		}
		if err := src.pass(func(s *cohortStats, ci, wi int, e *observe.Event) {
			cl := &s.cells[ci][wi]
			cl.n++
			switch {
			case !e.OK:
				cl.failed++
			case s.cutoffs[ci](e.Latency):
				cl.slow++
			}
		}, func(s *cohortStats, wi int, e *observe.Event) {
			if !e.OK {
				s.other[wi].failed++
			}
		}); err != nil {
			return nil, err
		}
		for _, list := range src.subjects {
			for _, s := range list {
				s.rankCohorts()
				for _, ci := range s.rank[:min(charted, len(s.rank))] {
					s.sketches[ci] = make([]*latencySketch, len(s.windows))
					for wi := range s.windows {
						s.sketches[ci][wi] = &latencySketch{}
					}
				}
			}
		}
		if err := src.pass(func(s *cohortStats, ci, wi int, e *observe.Event) {
			if sk := s.sketches[ci]; sk != nil {
				sk[wi].add(e.Latency)
			}
		}, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pass reads the file once and calls fn for each event of a known
// cohort inside a window of a hypothesis judged on it, and other for
// each event in a window but of no known cohort.
func (src *eventSource) pass(fn func(s *cohortStats, ci, wi int, e *observe.Event), other func(s *cohortStats, wi int, e *observe.Event)) error {
	f, err := src.open()
	if err != nil {
		return fmt.Errorf("open %s: %w", src.name, err)
	}
	defer f.Close()
	r, err := observe.NewEventReader(f, src.name)
	if err != nil {
		return err
	}
	var (
		ev   observe.Event
		raw  []string
		seen int
		at   int                        // position of the subject label, -1 if none
		pos  = map[*cohortStats][]int{} // cohort label positions per hypothesis
		vals []string
		buf  []byte
	)
	at = -1
	for {
		raw, err = r.ReadValues(&ev, raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if names := r.LabelNames(); len(names) != seen {
			// JSON Lines discover labels as they go; CSV has them all
			// from the header.
			seen = len(names)
			at = slices.Index(names, src.label)
			for _, list := range src.subjects {
				for _, s := range list {
					p := make([]int, len(s.names))
					for i, n := range s.names {
						p[i] = slices.Index(names, n)
					}
					pos[s] = p
				}
			}
		}
		if at < 0 || at >= len(raw) {
			continue
		}
		for _, s := range src.subjects[raw[at]] {
			wi := s.window(ev.Time)
			if wi < 0 {
				continue
			}
			vals = vals[:0]
			for _, p := range pos[s] {
				v := ""
				if p >= 0 && p < len(raw) {
					v = raw[p]
				}
				vals = append(vals, v)
			}
			buf = appendTuple(buf[:0], vals)
			ci, ok := s.byTuple[string(buf)]
			if !ok {
				if other != nil {
					other(s, wi, &ev)
				}
				continue
			}
			fn(s, ci, wi, &ev)
		}
	}
}

// rankCohorts orders the cohorts most affected first: the localized
// ones in the judge's order (most significant first), then qualified
// cohorts by their outliers over the fault and recovery beyond what
// their baseline fraction predicts, then the unqualified by failures;
// ties by events, then key.
func (s *cohortStats) rankCohorts() {
	ev := &s.h.Evidence
	loc := map[string]int{}
	for i, l := range ev.Localized {
		if l.Kind == verdict.KindCohort {
			loc[l.Key] = i
		}
	}
	type score struct {
		loc    int
		qual   bool
		excess float64
		n      int
	}
	scores := make([]score, len(ev.Cohorts))
	for ci, c := range ev.Cohorts {
		sc := score{loc: math.MaxInt, qual: c.Qualified}
		if i, ok := loc[c.Key]; ok {
			sc.loc = i
		}
		var n, k int
		for wi, w := range s.windows {
			if w.Phase == verdict.PhaseBaseline {
				continue
			}
			n += s.cells[ci][wi].n
			k += s.cells[ci][wi].outliers()
		}
		sc.n = n
		sc.excess = float64(k) - c.BaselineFraction*float64(n)
		scores[ci] = sc
	}
	s.rank = make([]int, len(ev.Cohorts))
	for i := range s.rank {
		s.rank[i] = i
	}
	slices.SortStableFunc(s.rank, func(a, b int) int {
		x, y := scores[a], scores[b]
		switch {
		case x.loc != y.loc:
			return cmpInt(x.loc, y.loc)
		case x.qual != y.qual:
			if x.qual {
				return -1
			}
			return 1
		case x.excess != y.excess:
			if x.excess > y.excess {
				return -1
			}
			return 1
		case x.n != y.n:
			return cmpInt(y.n, x.n)
		}
		return strings.Compare(ev.Cohorts[a].Key, ev.Cohorts[b].Key)
	})
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// latencySketch holds latencies for quantiles: exactly up to
// sketchExactMax values, then in bins at most 1/256 (0.4%) of their
// value wide, like the judge's own.
type latencySketch struct {
	n     int
	exact []time.Duration
	bins  map[int]int
}

const sketchExactMax = 512

func (s *latencySketch) add(d time.Duration) {
	s.n++
	if s.bins == nil {
		s.exact = append(s.exact, d)
		if len(s.exact) <= sketchExactMax {
			return
		}
		s.bins = map[int]int{}
		for _, v := range s.exact {
			s.bins[latencyBin(v)]++
		}
		s.exact = nil
		return
	}
	s.bins[latencyBin(d)]++
}

// quantile is the lowest value that at least a fraction p of the
// values are at or below: exact while the sketch is exact, otherwise
// the upper end of the bin holding it. ok is false when it is empty.
func (s *latencySketch) quantile(p float64) (time.Duration, bool) {
	if s == nil || s.n == 0 {
		return 0, false
	}
	rank := min(max(int(math.Ceil(float64(s.n)*p)), 1), s.n)
	if s.bins == nil {
		slices.Sort(s.exact)
		return s.exact[rank-1], true
	}
	keys := make([]int, 0, len(s.bins))
	for k := range s.bins {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seen := 0
	for _, k := range keys {
		seen += s.bins[k]
		if seen >= rank {
			return latencyBinUpper(k), true
		}
	}
	return latencyBinUpper(keys[len(keys)-1]), true
}

// latencyBin is d's bin: d itself below 256ns, above that the exponent
// and the top 8 bits after the leading one. Negative latencies share
// bin 0.
func latencyBin(d time.Duration) int {
	if d < 0 {
		d = 0
	}
	v := uint64(d)
	if v < 1<<8 {
		return int(v)
	}
	e := bits.Len64(v) - 1
	mant := int(v>>(e-8)) & 0xff
	return (e-8+1)<<8 | mant
}

// latencyBinUpper is the largest duration in bin i.
func latencyBinUpper(i int) time.Duration {
	if i < 1<<8 {
		return time.Duration(i)
	}
	e := i>>8 + 8 - 1
	mant := uint64(i & 0xff)
	shift := e - 8
	lower := (1<<8 + mant) << shift
	upper := lower + (1 << shift) - 1
	if upper > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(upper)
}
