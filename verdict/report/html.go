package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// RunFiles opens the event files of a run that report.html reads for
// its per-cohort charts. A nil Opener is a file the run did not write
// (or that is not at hand): the charts that need it are left out, and
// the page says so.
type RunFiles struct {
	Events  Opener // events.csv: the workloads' events
	Signals Opener // signals.csv: the signals' samples
}

// How many cohorts a hypothesis shows as small multiples, in its
// cohort table, and in its list of unqualified cohorts.
const (
	htmlMultiples   = 6
	htmlCohortRows  = 20
	htmlUnqualified = 50
)

// WriteHTML writes report.html: one self-contained page (inline CSS and
// SVG, no script, nothing loaded from elsewhere) with the experiment,
// the timeline of phases and faults, and per hypothesis the verdict with
// its evidence as charts and tables. The windows, thresholds,
// excursions and quantiles come from the conclusions; the per-cohort
// charts are measured from the run's event files, read twice as a
// stream with the windows and cutoffs of the evidence. Every text that
// comes from the experiment or the data is escaped.
func WriteHTML(w io.Writer, c Conclusions, files RunFiles) error {
	// The page is made from the conclusions as conclusions.json holds
	// them (times without a monotonic reading), so that the run and
	// `faultline report` write the same page.
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("render report.html: %w", err)
	}
	c = Conclusions{}
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("render report.html: %w", err)
	}
	p, err := buildPage(&c, files)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("render report.html: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Layout of the full-width charts, in SVG units: the plot starts at
// plotX, after the row labels and y ticks, so that x positions line up
// from the timeline down to every hypothesis.
const (
	chartW = 960
	plotX  = 150.0
	plotW  = 720.0
)

type page struct {
	Title       string
	RunID       string
	Exp         ExperimentInfo
	Started     string
	Took        string
	Counts      string
	CountsClass string
	Aborted     bool
	AbortReason string
	Settings    []fact
	Components  []observe.ComponentInfo
	Signals     []observe.SignalInfo
	Timeline    svgChart
	Legend      svgChart
	Phases      []phaseRow
	Faults      []faultRow
	Detections  []detectionRow
	Trips       []tripRow
	Skips       []skipRow
	Notes       []noteRow
	Hypotheses  []*hypView
	HasSignals  bool
	Problems    []string
}

type fact struct{ Name, Value string }

type phaseRow struct{ Name, FailureMode, From, To, Completed string }

type faultRow struct {
	FailureMode, Kind, Target, Injected, EffectiveAfter, Landed, LandedDetail string
	Reverted, RecoveredAfter, Problem                                         string
	Bad                                                                       bool
}

type detectionRow struct {
	FailureMode, Alert, Within, From, Fired, TimeToDetect, InTime string
	Bad                                                           bool
}

type tripRow struct{ FailureMode, Limit, Reason, WindowEnd, Reverted string }

type skipRow struct{ FailureMode, Time, Reason string }

type noteRow struct{ Time, Phase, FailureMode, Text string }

type hypView struct {
	ID           string
	Name         string
	Description  string
	FailureMode  string
	Subject      string
	Expect       string
	Outcome      string
	OutcomeClass string
	Words        string
	Reason       string
	Query        string
	Source       string // the file the subject's data is in
	Filter       string // how to find it there
	HasWindows   bool
	Facts        []fact
	PhaseRows    []hypPhaseRow
	Fractions    svgChart
	Latency      svgChart
	LatencyScale string
	Excursions   []excursionRow
	Localized    []localizedRow
	Multiples    []multiple
	MultScale    string
	Cohorts      []cohortRow
	MoreCohorts  int
	Unqualified  []unqualifiedRow
	MoreUnqual   int
	Coverage     string
	BaselineRate string
	CohortNote   string
	Detections   []detectionRow
}

type hypPhaseRow struct {
	Phase, Span, Events, Outliers, Errors, P50, P90, P99 string
}

type excursionRow struct {
	From, To, Duration, Peak, Excess, Cohorts string
}

type localizedRow struct {
	Kind, Key, Events, Outliers, Fraction, Baseline, Q string
}

type multiple struct {
	Key   string
	Why   string
	Chart svgChart
}

type cohortRow struct {
	Key, Qualified, BaselineN, Cutoff, BaselineFrac, AfterN, AfterFrac, Localized string
	Spark                                                                         svgChart
	Bad                                                                           bool
}

type unqualifiedRow struct{ Key, N, Reason string }

// valueFormat formats a hypothesis's values: latencies of a workload,
// fractions of a ratio signal, plain numbers of another signal.
func valueFormat(h *Hypothesis) func(float64) string {
	switch {
	case h.Signal == "":
		return formatSeconds
	case h.Evidence.Baseline == verdict.BaselineRatio:
		return percent
	}
	return func(v float64) string { return fmt.Sprintf("%.4g", v) }
}

// subjectKey groups hypotheses whose values share a unit and a scale.
func subjectKey(h *Hypothesis) string {
	if h.Signal != "" {
		return "signal\x00" + h.Signal
	}
	return "workload\x00" + h.Workload
}

func buildPage(c *Conclusions, files RunFiles) (*page, error) {
	p := &page{
		Title:       fmt.Sprintf("faultline: %s, run %s", c.Experiment.Name, c.RunID),
		RunID:       c.RunID,
		Exp:         c.Experiment,
		Started:     c.Start.UTC().Format("2006-01-02 15:04:05 UTC"),
		Took:        fmt.Sprintf("%.1fs", c.DurationSeconds),
		Counts:      fmt.Sprintf("%s of %d hypotheses", c.Summary.Counts(), c.Summary.Hypotheses),
		Aborted:     c.Aborted,
		AbortReason: c.AbortReason,
		Components:  c.Components,
		Signals:     c.Signals,
		HasSignals:  c.SignalSamples > 0 || files.Signals != nil,
	}
	switch {
	case c.Summary.Refuted > 0:
		p.CountsClass = "refuted"
	case c.Summary.Inconclusive > 0 || c.Summary.Aborted > 0 || c.Aborted:
		p.CountsClass = "inconclusive"
	default:
		p.CountsClass = "confirmed"
	}
	e := c.Experiment
	p.Settings = []fact{
		{"baseline", secs(e.BaselineSeconds)},
		{"fault", secs(e.FaultSeconds)},
		{"recovery", secs(e.RecoverySeconds)},
		{"window", secs(e.WindowSeconds)},
		{"sigma", fmt.Sprintf("%g", e.Sigma)},
		{"threshold", percent(e.Threshold)},
		{"events", fmt.Sprintf("%d", c.EventCount)},
	}
	if c.SignalSamples > 0 {
		p.Settings = append(p.Settings, fact{"signal samples", fmt.Sprintf("%d", c.SignalSamples)})
	}
	if e.Telemetry != "" {
		p.Settings = append(p.Settings, fact{"telemetry", e.Telemetry})
	}

	ax := newTimeAxis(c.Start, c.End, plotX, plotW)
	p.Timeline = timelineChart(c, ax)
	p.Legend = legendChart()
	for _, ph := range c.Phases {
		p.Phases = append(p.Phases, phaseRow{ph.Name, ph.FailureMode, offset(c.Start, ph.Start), offset(c.Start, ph.End), yesNo(ph.Completed)})
	}
	for _, f := range c.Faults {
		r := faultRow{FailureMode: f.FailureMode, Kind: f.Kind, Target: f.Target, Injected: offset(c.Start, f.Injected),
			EffectiveAfter: since(f.Injected, f.EffectiveAt), Landed: yesNo(f.Landed), LandedDetail: f.LandedDetail,
			Reverted: offset(c.Start, f.Reverted), RecoveredAfter: since(f.RevertCalled, f.RecoveredAt)}
		switch {
		case f.InjectError != "":
			r.Landed, r.Problem, r.Bad = "not injected", "inject: "+f.InjectError, true
		case f.RevertError != "":
			r.Problem, r.Bad = "revert: "+f.RevertError, true
		case !f.Landed:
			r.Bad = true
		}
		p.Faults = append(p.Faults, r)
	}
	for _, d := range c.Detections {
		p.Detections = append(p.Detections, detectionView(c.Start, d))
	}
	for _, t := range c.Trips {
		p.Trips = append(p.Trips, tripRow{t.FailureMode, t.Limit, t.Reason, offset(c.Start, t.WindowEnd), offset(c.Start, t.Reverted)})
	}
	for _, s := range c.Skips {
		p.Skips = append(p.Skips, skipRow{s.FailureMode, offset(c.Start, s.Time), s.Reason})
	}
	for _, n := range c.Notes {
		phase := n.Phase
		if phase == "" {
			phase = "start-up"
		}
		p.Notes = append(p.Notes, noteRow{offset(c.Start, n.Time), phase, n.FailureMode, n.Text})
	}

	stats, err := measureCohorts(c, files, htmlMultiples)
	if err != nil {
		return nil, err
	}
	if files.Events == nil && c.EventCount > 0 {
		p.Problems = append(p.Problems, "events.csv was not at hand when this page was made: the per-cohort charts of workload hypotheses are left out.")
	}
	if files.Signals == nil && c.SignalSamples > 0 {
		p.Problems = append(p.Problems, "signals.csv was not at hand when this page was made: the per-cohort charts of signal hypotheses are left out.")
	}

	// Common scales: one for every outlier fraction chart, and one per
	// workload or signal for its latency (or value) charts.
	fracTop := 0.0
	valTop := map[string]float64{}
	for i := range c.Hypotheses {
		h := &c.Hypotheses[i]
		ev := &h.Evidence
		fracTop = max(fracTop, ev.Threshold*1.5)
		for _, w := range ev.Windows {
			fracTop = max(fracTop, w.Fraction)
		}
		if len(ev.Windows) > 0 {
			for _, q := range ev.Latency {
				valTop[subjectKey(h)] = max(valTop[subjectKey(h)], q.P99)
			}
		}
	}
	fracTop = min(niceCeil(fracTop), 1)
	multTop := map[string]float64{}
	for h, s := range stats {
		for _, ci := range s.rank[:min(htmlMultiples, len(s.rank))] {
			multTop[subjectKey(h)] = max(multTop[subjectKey(h)], s.maxValue(ci))
		}
	}
	for i := range c.Hypotheses {
		h := &c.Hypotheses[i]
		hv := hypothesisView(c, h, i, ax)
		if len(h.Evidence.Windows) > 0 {
			hv.Fractions = fractionChart(c, h, ax, fracTop)
			top := niceCeil(valTop[subjectKey(h)])
			hv.Latency = latencyChart(h, top)
			hv.LatencyScale = valueFormat(h)(top)
		}
		if s := stats[h]; s != nil {
			top := niceCeil(multTop[subjectKey(h)])
			hv.MultScale = valueFormat(h)(top)
			cohortViews(c, hv, s, top)
		} else if len(h.Evidence.Cohorts) > 0 {
			hv.CohortNote = fmt.Sprintf("%s is not at hand: the per-cohort charts are left out.", hv.Source)
		}
		p.Hypotheses = append(p.Hypotheses, hv)
	}
	return p, nil
}

func secs(s float64) string { return fmt.Sprintf("%gs", s) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func detectionView(start time.Time, d observe.Detection) detectionRow {
	r := detectionRow{FailureMode: d.FailureMode, Alert: d.Alert, Within: secs(d.WithinSeconds),
		From: offset(start, d.From), Fired: "no", TimeToDetect: "–", InTime: "no", Bad: true}
	switch {
	case d.Error != "":
		r.Fired, r.InTime = "unknown: "+d.Error, "–"
	case d.Fired:
		r.Fired = offset(start, d.FiredAt)
		r.TimeToDetect = fmt.Sprintf("%.1fs", d.TimeToDetectSeconds)
		if d.InTime {
			r.InTime, r.Bad = "yes", false
		}
	case d.FiringBefore:
		r.Fired, r.InTime = "already firing when the fault landed", "–"
	}
	return r
}

// faultSpan is when a failure mode's faults were in place: from the
// first injection to the last revert (the end of the run when one was
// not reverted), as the judge's fault span.
func faultSpan(c *Conclusions, fm string) (verdict.Span, bool) {
	var sp verdict.Span
	found := false
	for _, f := range c.Faults {
		if f.FailureMode != fm || f.Injected.IsZero() {
			continue
		}
		end := f.Reverted
		if end.IsZero() {
			end = c.End
		}
		if !found || f.Injected.Before(sp.Start) {
			sp.Start = f.Injected
		}
		if !found || end.After(sp.End) {
			sp.End = end
		}
		found = true
	}
	return sp, found
}

func hypothesisView(c *Conclusions, h *Hypothesis, i int, ax timeAxis) *hypView {
	ev := &h.Evidence
	hv := &hypView{
		ID: fmt.Sprintf("h%d", i+1), Name: h.Name, Description: h.Description, FailureMode: h.FailureMode,
		Subject: subject(*h), Outcome: outcomeWord(h.Outcome), OutcomeClass: string(h.Outcome),
		Reason: h.Reason, Query: h.Query, HasWindows: len(ev.Windows) > 0,
	}
	switch h.Outcome {
	case verdict.Confirmed:
		hv.Words = "The hypothesis held."
	case verdict.Refuted:
		hv.Words = "The hypothesis did not hold."
	case verdict.Aborted:
		hv.Words = "An abort limit reverted the fault early, so the hypothesis was not judged."
	default:
		hv.Words = "The run cannot tell whether the hypothesis holds."
	}
	switch h.Expect {
	case verdict.ExpectSteady:
		hv.Expect = "steady: no window of the fault or the recovery alarms"
	case verdict.ExpectRecovers:
		hv.Expect = fmt.Sprintf("recovers within %gs: windows may alarm during the fault, none from %gs after the revert on", h.WithinSeconds, h.WithinSeconds)
	case "detected":
		hv.Expect = "detected: each alert of the failure mode fires within its time of the fault landing"
	default:
		hv.Expect = string(h.Expect)
	}
	switch {
	case h.Workload != "":
		hv.Source, hv.Filter = "events.csv", observe.LabelWorkload+"="+h.Workload
	case h.Signal != "":
		hv.Source, hv.Filter = "signals.csv", observe.LabelSignal+"="+h.Signal
	}
	for _, d := range h.Detections {
		hv.Detections = append(hv.Detections, detectionView(c.Start, d))
	}
	if !hv.HasWindows {
		return hv
	}
	vf := valueFormat(h)
	hv.Facts = []fact{
		{"baseline model", baselineName(ev.Baseline)},
		{"outlier", fmt.Sprintf("z ≥ %g against the cohort's baseline, or failed", ev.Sigma)},
		{"window alarms", fmt.Sprintf("above %s outliers, significant at α = %g against the baseline rate %s; or errors significantly above the baseline error rate + %s",
			percent(ev.Threshold), ev.Alpha, percent1(ev.BaselineRate), percent(ev.ErrorMargin))},
		{"coverage", fmt.Sprintf("%s of fault and recovery events fall in qualified cohorts", percent1(ev.Coverage))},
	}
	if ev.RecoveredAfterSeconds != nil {
		hv.Facts = append(hv.Facts, fact{"recovered", fmt.Sprintf("%.1fs after the revert", *ev.RecoveredAfterSeconds)})
	}
	hv.Facts = append(hv.Facts, fact{"Stouffer z", fmt.Sprintf("%.1f (reported, not decided on)", ev.StoufferZ)})
	hv.Coverage = percent1(ev.Coverage)
	hv.BaselineRate = percent1(ev.BaselineRate)

	spans := phaseSpans(ev.Windows)
	for _, ph := range []struct {
		name     string
		n        int
		frac, er float64
	}{
		{verdict.PhaseBaseline, ev.BaselineEvents, ev.BaselineFraction, ev.BaselineErrorRate},
		{verdict.PhaseFault, ev.FaultEvents, ev.FaultFraction, ev.FaultErrorRate},
		{verdict.PhaseRecovery, ev.RecoveryEvents, ev.RecoveryFraction, ev.RecoveryErrorRate},
	} {
		q := ev.Latency[ph.name]
		row := hypPhaseRow{Phase: ph.name, Events: fmt.Sprintf("%d", ph.n), Outliers: percent1(ph.frac), Errors: percent1(ph.er),
			P50: "–", P90: "–", P99: "–", Span: "–"}
		if sp, ok := spans[ph.name]; ok {
			row.Span = offset(c.Start, sp.Start) + " to " + offset(c.Start, sp.End)
		}
		if ph.n > 0 {
			row.P50, row.P90, row.P99 = vf(q.P50), vf(q.P90), vf(q.P99)
		}
		hv.PhaseRows = append(hv.PhaseRows, row)
	}
	for _, x := range ev.Excursions {
		var names []string
		for j, ci := range x.Cohorts {
			if j == 3 {
				names = append(names, fmt.Sprintf("%d more", len(x.Cohorts)-3))
				break
			}
			names = append(names, fmt.Sprintf("%s (%d of %d)", ci.Key, ci.Outliers, ci.Events))
		}
		hv.Excursions = append(hv.Excursions, excursionRow{
			From: offset(c.Start, x.Start), To: offset(c.Start, x.End), Duration: fmt.Sprintf("%.1fs", x.DurationSeconds),
			Peak: percent1(x.PeakFraction), Excess: fmt.Sprintf("%.0f", x.ExcessOutliers), Cohorts: strings.Join(names, "; "),
		})
	}
	for _, l := range ev.Localized {
		hv.Localized = append(hv.Localized, localizedRow{Kind: l.Kind, Key: l.Key, Events: fmt.Sprintf("%d", l.Events),
			Outliers: fmt.Sprintf("%d", l.Outliers), Fraction: percent1(l.Fraction), Baseline: percent1(l.BaselineFraction),
			Q: fmt.Sprintf("%.2g", l.QValue)})
	}
	return hv
}

// phaseSpans are the spans the windows of each phase cover.
func phaseSpans(ws []verdict.Window) map[string]verdict.Span {
	out := map[string]verdict.Span{}
	for _, w := range ws {
		sp, ok := out[w.Phase]
		if !ok || w.Start.Before(sp.Start) {
			sp.Start = w.Start
		}
		if !ok || w.End.After(sp.End) {
			sp.End = w.End
		}
		out[w.Phase] = sp
	}
	return out
}

// phaseClass is the CSS class of a phase's band.
func phaseClass(name string) string {
	switch name {
	case observe.PhaseBaseline, observe.PhaseFault, observe.PhaseRecovery, observe.PhaseWarmup:
		return "ph-" + name
	}
	return "ph-other"
}

// drawPhaseStrip draws the run's phases as a band from y to y+h; the
// fault and recovery of failure modes other than fm are dimmed (all
// are bright when fm is "").
func (ch *svgChart) drawPhaseStrip(c *Conclusions, ax timeAxis, y, h float64, fm string, labels bool) {
	for _, ph := range c.Phases {
		x0, x1 := ax.x(ph.Start), ax.x(ph.End)
		class := phaseClass(ph.Name)
		if fm != "" && ph.FailureMode != "" && ph.FailureMode != fm {
			class += " dim"
		}
		name := ph.Name
		if ph.FailureMode != "" {
			name += " " + ph.FailureMode
		}
		ch.rect(x0, y, x1-x0, h, class, fmt.Sprintf("%s: %s to %s", name, offset(c.Start, ph.Start), offset(c.Start, ph.End)))
		if labels {
			if label := fitLabel(name, ph.Name, x1-x0); label != "" {
				ch.text((x0+x1)/2, y+h-3.5, "middle", "strip", label)
			}
		}
	}
}

// fitLabel is the longest of full and short that fits in w at the
// strip's font size, or "".
func fitLabel(full, short string, w float64) string {
	const charW = 5.6
	switch {
	case float64(len([]rune(full)))*charW+4 <= w:
		return full
	case float64(len([]rune(short)))*charW+4 <= w:
		return short
	}
	return ""
}

// timelineChart draws the phases, each fault's life, trips and
// detections on the run's time axis.
func timelineChart(c *Conclusions, ax timeAxis) svgChart {
	const rowH = 24.0
	rows := 1 + len(c.Faults) + len(c.Skips) + len(c.Trips) + len(c.Detections)
	if len(c.Notes) > 0 {
		rows++
	}
	top := 6.0
	axisY := top + rowH*float64(rows) + 4
	ch := svgChart{W: chartW, H: int(axisY + 22), Class: "timeline", Label: "Timeline of the run: phases, faults, trips and detections"}
	for _, s := range ax.ticks(12) {
		x := ax.x0 + ax.w*s/ax.span
		ch.line(x, top, x, axisY, "grid")
	}
	y := top
	ch.text(plotX-8, y+rowH/2+4, "end", "rowlabel", "phases")
	ch.drawPhaseStrip(c, ax, y+3, rowH-6, "", true)
	y += rowH
	for _, f := range c.Faults {
		ch.text(plotX-8, y+rowH/2+4, "end", "rowlabel", f.Kind+" on "+f.Target)
		mid := y + rowH/2
		if !f.Injected.IsZero() {
			end := f.Reverted
			if end.IsZero() {
				end = c.End
			}
			class := "faultbar"
			if !f.Landed || f.InjectError != "" {
				class += " bad"
			}
			ch.rect(ax.x(f.Injected), mid-4, ax.x(end)-ax.x(f.Injected), 8, class,
				fmt.Sprintf("%s (%s): %s on %s from %s to %s", f.FailureMode, landedWord(f), f.Kind, f.Target, offset(c.Start, f.Injected), offset(c.Start, f.Reverted)))
			x := ax.x(f.Injected)
			ch.polygon("m-inject", "injected "+offset(c.Start, f.Injected), x-5, y+1, x+5, y+1, x, mid-3)
		}
		if !f.EffectiveAt.IsZero() {
			ch.circle(ax.x(f.EffectiveAt), mid, 3.5, "m-effective", fmt.Sprintf("effective %s (%s after the inject call)", offset(c.Start, f.EffectiveAt), since(f.Injected, f.EffectiveAt)))
		}
		if !f.LandedAt.IsZero() {
			x := ax.x(f.LandedAt)
			class, what := "m-landed", "landed"
			if !f.Landed {
				class, what = "m-notlanded", "did not land"
			}
			ch.polygon(class, fmt.Sprintf("%s %s: %s", what, offset(c.Start, f.LandedAt), f.LandedDetail), x, mid-5, x+5, mid, x, mid+5, x-5, mid)
		}
		if !f.RevertCalled.IsZero() {
			x := ax.x(f.RevertCalled)
			ch.polygon("m-revert", fmt.Sprintf("revert called %s, returned %s", offset(c.Start, f.RevertCalled), offset(c.Start, f.Reverted)), x-5, y+rowH-1, x+5, y+rowH-1, x, mid+3)
		}
		if !f.RecoveredAt.IsZero() {
			ch.circle(ax.x(f.RecoveredAt), mid, 3.5, "m-recovered", fmt.Sprintf("recovered %s (%s after the revert call)", offset(c.Start, f.RecoveredAt), since(f.RevertCalled, f.RecoveredAt)))
		}
		y += rowH
	}
	for _, s := range c.Skips {
		ch.text(plotX-8, y+rowH/2+4, "end", "rowlabel", "skipped "+s.FailureMode)
		x, mid := ax.x(s.Time), y+rowH/2
		ch.polygon("m-skip", fmt.Sprintf("failure mode %s skipped %s: %s", s.FailureMode, offset(c.Start, s.Time), s.Reason),
			x-5, mid-5, x+5, mid-5, x+5, mid+5, x-5, mid+5)
		y += rowH
	}
	for _, t := range c.Trips {
		ch.text(plotX-8, y+rowH/2+4, "end", "rowlabel", "abort: "+t.Limit)
		mid := y + rowH/2
		x0, x1 := ax.x(t.WindowEnd), ax.x(t.Reverted)
		ch.line(x0, mid, x1, mid, "trip")
		ch.polygon("m-trip", fmt.Sprintf("abort limit %s tripped %s: %s; reverted %s", t.Limit, offset(c.Start, t.WindowEnd), t.Reason, offset(c.Start, t.Reverted)),
			x0-5, mid-5, x0, mid, x0-5, mid+5, x0+5, mid+5, x0, mid, x0+5, mid-5)
		y += rowH
	}
	for _, d := range c.Detections {
		ch.text(plotX-8, y+rowH/2+4, "end", "rowlabel", "alert "+d.Alert)
		mid := y + rowH/2
		if !d.From.IsZero() {
			x0 := ax.x(d.From)
			deadline := d.From.Add(time.Duration(d.WithinSeconds * float64(time.Second)))
			end := d.Until
			if d.Fired {
				end = d.FiredAt
			}
			ch.line(x0, mid, ax.x(end), mid, "ttd")
			xd := ax.x(deadline)
			ch.line(xd, mid-7, xd, mid+7, "deadline")
			ch.circle(x0, mid, 2.5, "m-from", fmt.Sprintf("%s: time to detect counts from %s", d.Alert, offset(c.Start, d.From)))
			switch {
			case d.Error != "":
				ch.text(x0+6, mid-5, "start", "note bad", "could not be read: "+d.Error)
			case d.Fired:
				class := "m-fired"
				if !d.InTime {
					class = "m-late"
				}
				x := ax.x(d.FiredAt)
				ch.circle(x, mid, 4.5, class, fmt.Sprintf("%s fired %s, %.1fs after the fault landed (within %gs: %s)", d.Alert, offset(c.Start, d.FiredAt), d.TimeToDetectSeconds, d.WithinSeconds, yesNo(d.InTime)))
				ch.text(x+7, mid-5, "start", "note", fmt.Sprintf("detected in %.1fs", d.TimeToDetectSeconds))
			case d.FiringBefore:
				ch.text(x0+6, mid-5, "start", "note bad", "already firing when the fault landed")
			default:
				ch.text(x0+6, mid-5, "start", "note bad", fmt.Sprintf("did not fire within %gs", d.WithinSeconds))
			}
		}
		y += rowH
	}
	if len(c.Notes) > 0 {
		ch.text(plotX-8, y+rowH/2+4, "end", "rowlabel", "notes")
		for i, n := range c.Notes {
			x := ax.x(n.Time)
			ch.polygon("m-note", fmt.Sprintf("note %d, %s: %s", i+1, offset(c.Start, n.Time), n.Text), x, y+4, x+7, y+8, x, y+12)
			ch.line(x, y+4, x, y+rowH-3, "notepole")
		}
	}
	ch.drawTimeTicks(ax, axisY, 12)
	return ch
}

func landedWord(f observe.FaultRecord) string {
	switch {
	case f.InjectError != "":
		return "not injected"
	case f.Landed:
		return "landed"
	}
	return "did not land"
}

// legendChart explains the timeline's marks.
func legendChart() svgChart {
	ch := svgChart{W: chartW, H: 22, Class: "legend", Label: "Legend of the timeline"}
	x, y := 4.0, 11.0
	item := func(draw func(x float64), text string) {
		draw(x)
		ch.text(x+10, y+4, "start", "tick", text)
		x += 20 + float64(len(text))*6
	}
	item(func(x float64) { ch.polygon("m-inject", "", x-5, y-6, x+5, y-6, x, y+2) }, "inject")
	item(func(x float64) { ch.circle(x, y, 3.5, "m-effective", "") }, "effective (first probe that saw it)")
	item(func(x float64) { ch.polygon("m-landed", "", x, y-5, x+5, y, x, y+5, x-5, y) }, "landed check")
	item(func(x float64) { ch.polygon("m-revert", "", x-5, y+6, x+5, y+6, x, y-2) }, "revert")
	item(func(x float64) { ch.circle(x, y, 3.5, "m-recovered", "") }, "recovered")
	item(func(x float64) { ch.circle(x, y, 4.5, "m-fired", "") }, "alert fired")
	item(func(x float64) { ch.line(x, y-6, x, y+6, "deadline") }, "alert deadline")
	return ch
}

// fractionChart draws a hypothesis's outlier fraction per window with
// the threshold, the baseline rate and the fault shaded, on the page's
// common scale.
func fractionChart(c *Conclusions, h *Hypothesis, ax timeAxis, top float64) svgChart {
	ev := &h.Evidence
	const y0, ph = 18.0, 130.0
	ya := yAxis{top: top, y0: y0, h: ph}
	axisY := y0 + ph
	ch := svgChart{W: chartW, H: int(axisY + 40), Class: "fractions", Label: "Outlier fraction per window of " + h.Name}
	if sp, ok := faultSpan(c, h.FailureMode); ok {
		ch.rect(ax.x(sp.Start), y0, ax.x(sp.End)-ax.x(sp.Start), ph, "shade-fault",
			fmt.Sprintf("fault %s in place: %s to %s", h.FailureMode, offset(c.Start, sp.Start), offset(c.Start, sp.End)))
	}
	ch.drawYTicks(ya, plotX, plotX+plotW, true, func(v float64) string { return fmt.Sprintf("%g%%", math.Round(v*1000)/10) })
	for _, w := range ev.Windows {
		x0, x1 := ax.x(w.Start), ax.x(w.End)
		class := "bar " + w.Phase
		switch {
		case w.Alarm:
			class += " alarm"
		case w.Skipped:
			class += " skipped"
		}
		title := fmt.Sprintf("%s window %s to %s: %d outliers of %d (%s), %d failed of %d requests",
			w.Phase, offset(c.Start, w.Start), offset(c.Start, w.End), w.Outliers, w.N, percent1(w.Fraction), w.Failures, w.Requests)
		switch {
		case w.LatencyAlarm && w.ErrorAlarm:
			title += "; alarmed on outliers and errors"
		case w.LatencyAlarm:
			title += "; alarmed on outliers"
		case w.ErrorAlarm:
			title += "; alarmed on errors"
		case w.Skipped:
			title += "; not judged (too few events in the phase)"
		}
		if w.Merged {
			title += "; merged with a neighbour for too few events"
		}
		ch.rect(x0+0.5, ya.y(w.Fraction), max(x1-x0-1, 0.5), ya.y(0)-ya.y(w.Fraction), class, title)
		if x1-x0 >= 30 && w.Outliers > 0 {
			ch.text((x0+x1)/2, ya.y(w.Fraction)-3, "middle", "value", percent1(w.Fraction))
		}
	}
	ty := ya.y(ev.Threshold)
	ch.line(plotX, ty, plotX+plotW, ty, "threshold")
	ch.text(plotX+plotW+6, ty+3.5, "start", "label threshold-label", "threshold "+percent(ev.Threshold))
	by := ya.y(ev.BaselineRate)
	ch.line(plotX, by, plotX+plotW, by, "baserate")
	ch.text(plotX-44, y0+ph/2+4, "end", "ylabel", "outliers")
	ch.drawTimeTicks(ax, axisY, 12)
	ch.drawPhaseStrip(c, ax, axisY+20, 14, h.FailureMode, true)
	return ch
}

// latencyChart draws p50, p90 and p99 of each phase as bars on the
// scale shared by every hypothesis on the same workload or signal.
func latencyChart(h *Hypothesis, top float64) svgChart {
	ev := &h.Evidence
	vf := valueFormat(h)
	const x0, w, barH, gap = 90.0, 300.0, 9.0, 8.0
	ch := svgChart{W: 480, Class: "latency", Label: "p50, p90 and p99 per phase of " + h.Name}
	y := 6.0
	for _, ph := range []struct {
		name string
		n    int
	}{{verdict.PhaseBaseline, ev.BaselineEvents}, {verdict.PhaseFault, ev.FaultEvents}, {verdict.PhaseRecovery, ev.RecoveryEvents}} {
		q := ev.Latency[ph.name]
		ch.text(x0-8, y+barH*1.5+gap/2+4, "end", "rowlabel", ph.name)
		for _, b := range []struct {
			name string
			v    float64
		}{{"p50", q.P50}, {"p90", q.P90}, {"p99", q.P99}} {
			bw := 0.0
			if top > 0 {
				bw = w * min(max(b.v/top, 0), 1)
			}
			label := "–"
			if ph.n > 0 {
				label = vf(b.v)
				ch.rect(x0, y, bw, barH, "qbar "+b.name+" "+ph.name, fmt.Sprintf("%s %s: %s", ph.name, b.name, label))
			}
			ch.text(x0+bw+4, y+barH-1, "start", "tick", b.name+" "+label)
			y += barH + 1
		}
		y += gap
	}
	ch.line(x0, 2, x0, y-gap+2, "axis")
	ch.line(x0, y-gap+2, x0+w, y-gap+2, "axis")
	for i := 0; i <= 4; i++ {
		x := x0 + w*float64(i)/4
		ch.line(x, y-gap+2, x, y-gap+6, "axis")
		ch.text(x, y-gap+16, "middle", "tick", tickFormat(vf)(top*float64(i)/4))
	}
	ch.H = int(y - gap + 22)
	return ch
}

// maxValue is the largest p90 of a charted cohort's windows and its
// cutoff, for the common scale of the small multiples.
func (s *cohortStats) maxValue(ci int) float64 {
	m := 0.0
	for _, sk := range s.sketches[ci] {
		if d, ok := sk.quantile(0.9); ok {
			m = max(m, d.Seconds())
		}
	}
	if c := s.h.Evidence.Cohorts[ci]; c.Qualified && c.Cutoff > 0 && !math.IsInf(c.Cutoff, 0) {
		m = max(m, c.Cutoff)
	}
	return m
}

// cohortViews fills a hypothesis's small multiples, cohort table and
// unqualified cohorts from the measured cohorts.
func cohortViews(c *Conclusions, hv *hypView, s *cohortStats, top float64) {
	ev := &s.h.Evidence
	loc := map[string]verdict.Localization{}
	for _, l := range ev.Localized {
		if l.Kind == verdict.KindCohort {
			loc[l.Key] = l
		}
	}
	vf := valueFormat(s.h)
	for j, ci := range s.rank {
		cb := ev.Cohorts[ci]
		if j < htmlMultiples {
			why := ""
			if l, ok := loc[cb.Key]; ok {
				why = fmt.Sprintf("localized: %d of %d outliers after the baseline (%s, baseline %s, q = %.2g)", l.Outliers, l.Events, percent1(l.Fraction), percent1(l.BaselineFraction), l.QValue)
			} else if !cb.Qualified {
				why = "not qualified: " + cb.Reason
			}
			hv.Multiples = append(hv.Multiples, multiple{Key: cb.Key, Why: why, Chart: multipleChart(c, s, ci, top, vf)})
		}
		if j < htmlCohortRows {
			var base, after cell
			for wi, w := range s.windows {
				if w.Phase == verdict.PhaseBaseline {
					addCell(&base, s.cells[ci][wi])
				} else {
					addCell(&after, s.cells[ci][wi])
				}
			}
			row := cohortRow{Key: cb.Key, Qualified: yesNo(cb.Qualified), BaselineN: fmt.Sprintf("%d", cb.N),
				AfterN: fmt.Sprintf("%d", after.n), Localized: "–", Cutoff: "–",
				BaselineFrac: fraction(base.outliers(), base.n), AfterFrac: fraction(after.outliers(), after.n),
				Spark: cohortSpark(c, s, ci)}
			if cb.Qualified {
				row.Cutoff = vf(cb.Cutoff)
			} else {
				row.Qualified = "no: " + cb.Reason
			}
			if l, ok := loc[cb.Key]; ok {
				row.Localized = fmt.Sprintf("q = %.2g", l.QValue)
				row.Bad = true
			}
			hv.Cohorts = append(hv.Cohorts, row)
		}
	}
	hv.MoreCohorts = max(len(s.rank)-htmlCohortRows, 0)
	for _, cb := range ev.Cohorts {
		if cb.Qualified {
			continue
		}
		if len(hv.Unqualified) == htmlUnqualified {
			hv.MoreUnqual++
			continue
		}
		hv.Unqualified = append(hv.Unqualified, unqualifiedRow{Key: cb.Key, N: fmt.Sprintf("%d", cb.N), Reason: cb.Reason})
	}
}

func addCell(a *cell, b cell) {
	a.n += b.n
	a.slow += b.slow
	a.failed += b.failed
}

// fraction is k/n as a percentage, "–" when n is 0.
func fraction(k, n int) string {
	if n == 0 {
		return "–"
	}
	return percent1(float64(k) / float64(n))
}

// multipleChart draws one cohort's p50 and p90 per window, its cutoff
// and its failures on the run's time axis, at the common scale top.
func multipleChart(c *Conclusions, s *cohortStats, ci int, top float64, vf func(float64) string) svgChart {
	const w, x0, pw, y0, ph = 310, 56.0, 246.0, 8.0, 78.0
	cb := s.h.Evidence.Cohorts[ci]
	ax := newTimeAxis(c.Start, c.End, x0, pw)
	ya := yAxis{top: top, y0: y0, h: ph}
	stripY := y0 + ph + 2
	axisY := stripY + 7
	ch := svgChart{W: w, H: int(axisY + 32), Class: "multiple", Label: "p50 and p90 per window of cohort " + cb.Key}
	if sp, ok := faultSpan(c, s.h.FailureMode); ok {
		ch.rect(ax.x(sp.Start), y0, ax.x(sp.End)-ax.x(sp.Start), ph, "shade-fault", "fault "+s.h.FailureMode+" in place")
	}
	ch.drawYTicks(ya, x0, x0+pw, false, tickFormat(vf))
	var p50, p90 strings.Builder
	for wi, win := range s.windows {
		xa, xb := ax.x(win.Start), ax.x(win.End)
		cl := s.cells[ci][wi]
		sk := s.sketches[ci][wi]
		q50, ok := sk.quantile(0.5)
		q90, _ := sk.quantile(0.9)
		title := fmt.Sprintf("%s window %s to %s: %d events", win.Phase, offset(c.Start, win.Start), offset(c.Start, win.End), cl.n)
		if ok {
			// A step per window; a window with no events breaks the line.
			cont := wi > 0 && s.windows[wi-1].End.Equal(win.Start) && s.sketches[ci][wi-1].n > 0
			stepTo(&p50, cont, xa, xb, ya.y(q50.Seconds()))
			stepTo(&p90, cont, xa, xb, ya.y(q90.Seconds()))
			title += fmt.Sprintf(", p50 %s, p90 %s, %d outliers, %d failed", vf(q50.Seconds()), vf(q90.Seconds()), cl.outliers(), cl.failed)
		}
		ch.rect(xa, y0, xb-xa, ph, "hover", title)
		if cl.failed > 0 {
			rate := float64(cl.failed) / float64(cl.n)
			ch.rect(xa, stripY, xb-xa, 5, errClass(rate), fmt.Sprintf("%d of %d failed (%s)", cl.failed, cl.n, percent1(rate)))
		}
	}
	if cb.Qualified && cb.Cutoff > 0 && cb.Cutoff <= top {
		y := ya.y(cb.Cutoff)
		ch.line(x0, y, x0+pw, y, "cutoff")
	}
	ch.path(p90.String(), "p90")
	ch.path(p50.String(), "p50")
	ch.drawTimeTicks(ax, axisY, 4)
	ch.drawPhaseStrip(c, ax, axisY+19, 6, s.h.FailureMode, false)
	return ch
}

// tickFormat drops a fraction of zero from an axis label: "250ms",
// not "250.0ms".
func tickFormat(vf func(float64) string) func(float64) string {
	return func(v float64) string {
		s := vf(v)
		for _, u := range []string{"ms", "µs", "s", "%"} {
			if strings.HasSuffix(s, ".0"+u) {
				return strings.TrimSuffix(s, ".0"+u) + u
			}
			if strings.HasSuffix(s, ".00"+u) {
				return strings.TrimSuffix(s, ".00"+u) + u
			}
		}
		return s
	}
}

// stepTo extends a step path over one window at height y.
func stepTo(b *strings.Builder, cont bool, xa, xb, y float64) {
	if cont {
		fmt.Fprintf(b, "V%sH%s", px(y), px(xb))
		return
	}
	fmt.Fprintf(b, "M%s %sH%s", px(xa), px(y), px(xb))
}

// errClass buckets an error rate for the failure strip.
func errClass(rate float64) string {
	switch {
	case rate <= 0.05:
		return "err err1"
	case rate <= 0.25:
		return "err err2"
	case rate <= 0.5:
		return "err err3"
	}
	return "err err4"
}

// cohortSpark draws a cohort's outlier fraction per window on a fixed 0 to
// 100% scale, with the threshold and the fault shaded.
func cohortSpark(c *Conclusions, s *cohortStats, ci int) svgChart {
	const w, h = 160, 26
	ax := newTimeAxis(c.Start, c.End, 1, w-2)
	ya := yAxis{top: 1, y0: 1, h: h - 2}
	ch := svgChart{W: w, H: h, Class: "spark", Label: "outlier fraction per window of " + s.h.Evidence.Cohorts[ci].Key}
	if sp, ok := faultSpan(c, s.h.FailureMode); ok {
		ch.rect(ax.x(sp.Start), 0, ax.x(sp.End)-ax.x(sp.Start), h, "shade-fault", "")
	}
	ch.line(1, ya.y(0), w-1, ya.y(0), "axis")
	thr := s.h.Evidence.Threshold
	for wi, win := range s.windows {
		cl := s.cells[ci][wi]
		if cl.n == 0 || cl.outliers() == 0 {
			continue
		}
		f := float64(cl.outliers()) / float64(cl.n)
		class := "sbar"
		if f > thr {
			class += " over"
		}
		xa, xb := ax.x(win.Start), ax.x(win.End)
		// A window with any outlier shows at least a hairline.
		ch.rect(xa, min(ya.y(f), ya.y(0)-0.8), max(xb-xa-0.4, 0.4), max(ya.y(0)-ya.y(f), 0.8), class, "")
	}
	ch.line(1, ya.y(thr), w-1, ya.y(thr), "threshold thin")
	return ch
}

var pageTemplate = template.Must(template.New("report.html").Parse(pageHTML))
