package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// AnalysisFormatVersion is the format_version of `faultline analyze --format json`.
const AnalysisFormatVersion = 1

// Analysis is the judgement of an event file with no experiment around it:
// events before the baseline end are the steady state, the rest is judged
// with the same judge `faultline run` uses.
type Analysis struct {
	FormatVersion int `json:"format_version"`
	// Verdict is "steady" (no window alarmed), "excursion" (at least
	// one did) or "inconclusive" (the data cannot tell).
	Verdict    string              `json:"verdict"`
	Reason     string              `json:"reason"`
	Coverage   float64             `json:"coverage"`
	Baseline   verdict.Span        `json:"baseline"`
	Judged     verdict.Span        `json:"judged"`
	Events     int                 `json:"events"`
	Excursions []AnalysisExcursion `json:"excursions"`
	Windows    []AnalysisWindow    `json:"windows"`
	Cohorts    []AnalysisCohort    `json:"cohorts"`
}

// AnalysisExcursion is a run of alarmed windows.
type AnalysisExcursion struct {
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	DurationSeconds float64   `json:"duration_seconds"`
	PeakFraction    float64   `json:"peak_fraction"`
	// ExcessEvents is the outliers above what the baseline rate predicts.
	ExcessEvents float64 `json:"excess_events"`
	// Cohorts are the cohorts seen in the excursion, most affected first.
	Cohorts []AnalysisImpact `json:"cohorts"`
}

// AnalysisImpact is one cohort's share of an excursion.
type AnalysisImpact struct {
	Key      map[string]string `json:"key"`
	Fraction float64           `json:"fraction"`
	Events   int               `json:"events"`
	Outliers int               `json:"outliers"`
	Excess   float64           `json:"excess"`
}

// AnalysisWindow is one judged or baseline window.
type AnalysisWindow struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Phase    string    `json:"phase"`
	Events   int       `json:"events"`
	Outliers int       `json:"outliers"`
	Failures int       `json:"failures"`
	Fraction float64   `json:"fraction"`
	Alarm    bool      `json:"alarm"`
}

// AnalysisCohort is one cohort's baseline.
type AnalysisCohort struct {
	Key       map[string]string `json:"key"`
	Qualified bool              `json:"qualified"`
	Events    int               `json:"events"`
	Mu        float64           `json:"mu"`
	Sigma     float64           `json:"sigma"`
	Reason    string            `json:"reason,omitempty"`
}

// AnalyzeSpec says how to judge an event file.
type AnalyzeSpec struct {
	// BaselineEnd splits the events: before it is the baseline. When
	// it is zero, the baseline is the first BaselineFor of the events.
	BaselineEnd time.Time
	BaselineFor time.Duration
	// Cohort names the labels forming the cohort key; nil means every
	// label the events carry.
	Cohort []string
}

// Opener opens the event file from its start; Analyze calls it once
// per pass.
type Opener func() (io.ReadCloser, error)

// Analyze judges the event file named name, which open opens, with j:
// events before the baseline end are the steady state, all later events
// are judged in one open span. It streams: memory grows with the
// number of cohorts and windows, not of events. It reads the file
// twice, the second time only up to the baseline's end when the events
// are in time order; when an event is earlier than the first one, it
// reads the file once more to start the baseline at the earliest
// event. Errors name the file, and the line of bad input.
func Analyze(open Opener, name string, spec AnalyzeSpec, j *verdict.TwoSigma) (Analysis, error) {
	a := Analysis{FormatVersion: AnalysisFormatVersion,
		Excursions: []AnalysisExcursion{}, Windows: []AnalysisWindow{}, Cohorts: []AnalysisCohort{}}
	var first time.Time
	for {
		p := &analyzePass{open: open, name: name, spec: spec, j: j, first: first}
		err := p.observe()
		switch {
		case err != nil:
			return a, err
		case p.events == 0:
			a.Verdict = "inconclusive"
			a.Reason = "inconclusive: the file holds no events"
			return a, nil
		case p.min.Before(p.first):
			// The first event was not the earliest: start over with
			// the baseline starting at the earliest.
			first = p.min
			continue
		}
		return p.finish(a)
	}
}

// analyzePass is one judgement of an event file: a first pass over all
// events, then a second over as many as the judge asks for.
type analyzePass struct {
	open  Opener
	name  string
	spec  AnalyzeSpec
	j     *verdict.TwoSigma
	first time.Time // the baseline's start; the first event's time when zero

	stream      *verdict.Stream
	baselineEnd time.Time
	events      int
	min, max    time.Time
	// pos[i] is the reader's index of the i-th cohort label, -1 while
	// the reader has not seen it.
	pos    []int
	seen   int // reader labels mapped into pos so far
	all    bool
	labels []string
	vals   []string
	ev     observe.Event
}

// read calls fn for each event of the file, up to limit events when
// limit >= 0.
func (p *analyzePass) read(limit int, fn func(r *observe.EventReader) error) error {
	f, err := p.open()
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := observe.NewEventReader(f, p.name)
	if err != nil {
		return err
	}
	var raw []string
	for n := 0; limit < 0 || n < limit; n++ {
		raw, err = r.ReadValues(&p.ev, raw)
		if errors.Is(err, io.EOF) {
			if limit >= 0 {
				return fmt.Errorf("%s: the file changed while it was read (%d events, %d expected)", p.name, n, limit)
			}
			return nil
		}
		if err != nil {
			return err
		}
		p.vals = p.vals[:0]
		p.mapLabels(r)
		for _, at := range p.pos {
			v := ""
			if at >= 0 && at < len(raw) {
				v = raw[at]
			}
			p.vals = append(p.vals, v)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// mapLabels brings pos up to date with the reader's label names, which
// grow as JSON Lines are read. With no cohort given, every label joins
// the cohort key: those of the first event in name order, later ones
// as they appear.
func (p *analyzePass) mapLabels(r *observe.EventReader) {
	names := r.LabelNames()
	if p.seen == len(names) {
		return
	}
	if p.all {
		fresh := slices.Clone(names[p.seen:])
		if p.seen == 0 {
			slices.Sort(fresh)
		}
		for _, n := range fresh {
			p.pos = append(p.pos, slices.Index(names, n))
			if p.stream == nil {
				p.labels = append(p.labels, n)
			} else {
				p.stream.AddCohortLabel(n)
			}
		}
	} else {
		for i, n := range p.labels {
			if p.pos[i] < 0 {
				p.pos[i] = slices.Index(names, n)
			}
		}
	}
	p.seen = len(names)
}

// observe is the first pass.
func (p *analyzePass) observe() error {
	p.all = p.spec.Cohort == nil
	if !p.all {
		p.labels = slices.Clone(p.spec.Cohort)
		p.pos = make([]int, len(p.labels))
		for i := range p.pos {
			p.pos[i] = -1
		}
	}
	return p.read(-1, func(r *observe.EventReader) error {
		t := p.ev.Time
		if p.stream == nil {
			p.start(t)
		}
		p.events++
		if t.Before(p.min) {
			p.min = t
		}
		if t.After(p.max) {
			p.max = t
		}
		p.stream.Observe(t, p.ev.Latency, p.ev.OK, p.stream.CohortID(p.vals))
		return nil
	})
}

// start sets up the judgement at the first event, at t.
func (p *analyzePass) start(t time.Time) {
	p.min, p.max = t, t
	if p.first.IsZero() {
		p.first = t
	}
	p.baselineEnd = p.spec.BaselineEnd
	if p.baselineEnd.IsZero() {
		p.baselineEnd = p.first.Add(p.spec.BaselineFor)
	}
	p.stream = p.j.NewStream(verdict.Case{
		Hypothesis:   "analyze",
		Expect:       verdict.ExpectSteady,
		Baseline:     verdict.Span{Start: p.first, End: p.baselineEnd},
		Fault:        verdict.Span{Start: p.baselineEnd}, // open: to the last event
		Landed:       true,
		LandedDetail: "no fault: an event file",
		Cohort:       p.labels,
	})
}

// finish checks the first pass's findings, makes the second pass and
// fills a from the verdict.
func (p *analyzePass) finish(a Analysis) (Analysis, error) {
	if !p.baselineEnd.After(p.min) || p.baselineEnd.After(p.max) {
		return a, fmt.Errorf("%s: baseline end %s is outside the events, which run from %s to %s", p.name,
			p.baselineEnd.UTC().Format(time.RFC3339Nano), p.min.UTC().Format(time.RFC3339Nano), p.max.UTC().Format(time.RFC3339Nano))
	}
	for i, at := range p.pos {
		if at < 0 {
			return a, fmt.Errorf("%s: no event has the cohort label %q", p.name, p.stream.CohortLabels()[i])
		}
	}
	n := p.stream.Rescan()
	// The second pass maps the reader's labels to the cohort labels
	// the first pass settled on.
	stream := p.stream
	p.labels, p.all, p.seen = stream.CohortLabels(), false, 0
	p.pos = make([]int, len(p.labels))
	for i := range p.pos {
		p.pos[i] = -1
	}
	err := p.read(n, func(*observe.EventReader) error {
		stream.Rescore(p.ev.Time, p.ev.Latency, p.ev.OK, stream.CohortID(p.vals))
		return nil
	})
	if err != nil {
		return a, err
	}
	v := stream.Verdict()
	a.Events = p.events
	a.Baseline = verdict.Span{Start: p.first, End: p.baselineEnd}
	a.Judged = verdict.Span{Start: p.baselineEnd, End: p.max.Add(time.Nanosecond)}
	switch v.Outcome {
	case verdict.Confirmed:
		a.Verdict = "steady"
	case verdict.Refuted:
		a.Verdict = "excursion"
	default:
		a.Verdict = "inconclusive"
	}
	a.Reason = analysisReason(v)
	a.Coverage = v.Evidence.Coverage
	for _, w := range v.Evidence.Windows {
		phase := w.Phase
		if phase == verdict.PhaseFault {
			phase = "judged"
		}
		a.Windows = append(a.Windows, AnalysisWindow{Start: w.Start, End: w.End, Phase: phase, Events: w.N,
			Outliers: w.Outliers, Failures: w.Failures, Fraction: w.Fraction, Alarm: w.Alarm})
	}
	for _, c := range v.Evidence.Cohorts {
		a.Cohorts = append(a.Cohorts, AnalysisCohort{Key: nonNil(c.Labels), Qualified: c.Qualified,
			Events: c.N, Mu: c.Mu, Sigma: c.SigmaLn, Reason: c.Reason})
	}
	for _, x := range v.Evidence.Excursions {
		a.Excursions = append(a.Excursions, AnalysisExcursion{
			Start: x.Start, End: x.End, DurationSeconds: x.DurationSeconds,
			PeakFraction: x.PeakFraction, ExcessEvents: x.ExcessOutliers,
			Cohorts: excursionCohorts(x),
		})
	}
	slices.SortStableFunc(a.Excursions, func(x, y AnalysisExcursion) int { return x.Start.Compare(y.Start) })
	return a, nil
}

// analysisReason rewords the judge's reason for a file: "refuted" and
// "confirmed" belong to hypotheses.
func analysisReason(v verdict.Verdict) string {
	r := v.Reason
	for _, p := range []string{"refuted: ", "confirmed: "} {
		r = strings.TrimPrefix(r, p)
	}
	r = strings.ReplaceAll(r, "fault windows", "judged windows")
	r = strings.ReplaceAll(r, "fault phase", "judged span")
	return r
}

// excursionCohorts converts the judge's ranking of the cohorts inside an
// excursion.
func excursionCohorts(x verdict.Excursion) []AnalysisImpact {
	out := []AnalysisImpact{}
	for _, c := range x.Cohorts {
		out = append(out, AnalysisImpact{Key: nonNil(c.Labels), Events: c.Events, Outliers: c.Outliers, Fraction: c.Fraction, Excess: c.Excess})
	}
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// WriteAnalysisText writes the analysis for a terminal.
func WriteAnalysisText(w io.Writer, a Analysis) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s: %s\n", strings.ToUpper(a.Verdict), a.Reason)
	fmt.Fprintf(b, "%d events; baseline %s to %s, judged to %s; coverage %.1f%%\n", a.Events,
		a.Baseline.Start.UTC().Format(time.RFC3339), a.Baseline.End.UTC().Format(time.RFC3339),
		a.Judged.End.UTC().Format(time.RFC3339), 100*a.Coverage)
	for i, x := range a.Excursions {
		fmt.Fprintf(b, "excursion %d: %s to %s (%.1fs), peak %.1f%%, %.0f excess events\n", i+1,
			x.Start.UTC().Format(time.RFC3339Nano), x.End.UTC().Format(time.RFC3339Nano), x.DurationSeconds, 100*x.PeakFraction, x.ExcessEvents)
		for j, c := range x.Cohorts {
			if j == 5 {
				fmt.Fprintf(b, "  ... %d more cohorts\n", len(x.Cohorts)-5)
				break
			}
			fmt.Fprintf(b, "  %-40s %5.1f%% of %d events\n", labelsText(c.Key), 100*c.Fraction, c.Events)
		}
	}
	unq := 0
	for _, c := range a.Cohorts {
		if !c.Qualified {
			unq++
		}
	}
	fmt.Fprintf(b, "%d cohorts, %d not qualified\n", len(a.Cohorts), unq)
	_, err := io.WriteString(w, b.String())
	return err
}

func labelsText(m map[string]string) string {
	if len(m) == 0 {
		return "(all)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
