package report

import (
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

// Analyze judges events (sorted by time or not) with j.
func Analyze(events []observe.Event, spec AnalyzeSpec, j verdict.Judge) (Analysis, error) {
	a := Analysis{FormatVersion: AnalysisFormatVersion, Events: len(events),
		Excursions: []AnalysisExcursion{}, Windows: []AnalysisWindow{}, Cohorts: []AnalysisCohort{}}
	if len(events) == 0 {
		a.Verdict = "inconclusive"
		a.Reason = "inconclusive: the file holds no events"
		return a, nil
	}
	first, last := events[0].Time, events[0].Time
	labels := map[string]bool{}
	for _, e := range events {
		if e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
		for k := range e.Labels {
			labels[k] = true
		}
	}
	if spec.BaselineEnd.IsZero() {
		spec.BaselineEnd = first.Add(spec.BaselineFor)
	}
	if !spec.BaselineEnd.After(first) || spec.BaselineEnd.After(last) {
		return a, fmt.Errorf("baseline end %s is outside the events, which run from %s to %s",
			spec.BaselineEnd.UTC().Format(time.RFC3339Nano), first.UTC().Format(time.RFC3339Nano), last.UTC().Format(time.RFC3339Nano))
	}
	cohort := spec.Cohort
	if cohort == nil {
		for k := range labels {
			cohort = append(cohort, k)
		}
		slices.Sort(cohort)
	}
	// The judged span ends just after the last event so that it is
	// included; the recovery span is empty: analyze judges one span.
	end := last.Add(time.Nanosecond)
	a.Baseline = verdict.Span{Start: first, End: spec.BaselineEnd}
	a.Judged = verdict.Span{Start: spec.BaselineEnd, End: end}
	v := j.Judge(verdict.Case{
		Hypothesis:   "analyze",
		Expect:       verdict.ExpectSteady,
		Baseline:     a.Baseline,
		Fault:        a.Judged,
		Recovery:     verdict.Span{Start: end, End: end},
		Landed:       true,
		LandedDetail: "no fault: an event file",
		Cohort:       cohort,
		Events:       events,
	})
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
