package verdict

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// decision is the outcome of a case with its reason in words.
type decision struct {
	outcome        Outcome
	reason         string
	recoveredAfter *float64
}

func inconclusive(format string, args ...any) decision {
	return decision{outcome: Inconclusive, reason: "inconclusive: " + fmt.Sprintf(format, args...)}
}

// decide turns the analysis of c into a verdict. The checks that make a
// case inconclusive come first, in this order: the fault did not land,
// the expectation is not one this judge decides, the baseline is too
// small, no cohort qualified, coverage is below one half, the fault
// phase has too few events to judge.
func decide(c Case, o Options, a *analysis) decision {
	if !c.Landed {
		detail := c.LandedDetail
		if detail == "" {
			detail = "no check was recorded"
		}
		return inconclusive("the fault was not seen to take effect (%s)", detail)
	}
	if err := o.Validate(); err != nil {
		return inconclusive("%v", err)
	}
	if c.Expect != ExpectSteady && c.Expect != ExpectRecovers {
		return inconclusive("expectation %q is not decided by the 2-sigma judge (it decides %q and %q)",
			c.Expect, ExpectSteady, ExpectRecovers)
	}
	if n := a.ev.BaselineEvents; n < o.MinBaseline {
		return inconclusive("the baseline phase has %d events, fewer than the %d needed to fit a cohort", n, o.MinBaseline)
	}
	if a.qualified == 0 {
		return inconclusive("no cohort has a usable baseline (%s)", unqualifiedSummary(a.ev.Cohorts, 3))
	}
	if a.ev.Coverage < minCoverage {
		return inconclusive("only %s of fault and recovery events fall in cohorts with a usable baseline, below the %s needed (%d of %d cohorts qualified)",
			percent(a.ev.Coverage), percent(minCoverage), a.qualified, len(a.ev.Cohorts))
	}
	if n := a.phases[fault].counted; n < o.MinWindow {
		return inconclusive("the fault phase has %d judged events, fewer than the %d needed for one window", n, o.MinWindow)
	}
	if c.Expect == ExpectSteady {
		return decideSteady(c, o, a)
	}
	return decideRecovers(c, o, a)
}

// decideSteady refutes "steady" when any fault or recovery window
// alarms, on latency or on errors, or, when none does, when a cohort or
// label value is localized with more than Threshold outliers over the
// fault and recovery phases.
func decideSteady(c Case, o Options, a *analysis) decision {
	fw, rw := a.phases[fault].judged(), a.phases[recovery].judged()
	if countAlarms(fw)+countAlarms(rw) > 0 {
		var parts []string
		if s := alarmCounts(fw, rw, func(w Window) bool { return w.LatencyAlarm }); s != "" {
			parts = append(parts, fmt.Sprintf("%s exceeded %s outliers (peak %s, baseline %s)",
				s, percent(o.Threshold), percent(a.ev.PeakFraction), percent(a.ev.BaselineFraction)))
		}
		if s := alarmCounts(fw, rw, func(w Window) bool { return w.ErrorAlarm }); s != "" {
			parts = append(parts, errorSummary(s, fw, rw, o, a))
		}
		reason := fmt.Sprintf("refuted: %s; %s", strings.Join(parts, "; "), excursionSummary(a.ev.Excursions, origin(c)))
		if x, ok := largestExcursion(a.ev.Excursions); ok && len(x.Cohorts) > 1 {
			top := x.Cohorts[0]
			reason += fmt.Sprintf("; most affected cohort %s (%s outliers, %.0f excess)", top.Key, percent(top.Fraction), top.Excess)
		}
		return decision{outcome: Refuted, reason: reason}
	}
	if l, ok := brokenGroup(a.ev.Localized, o); ok {
		return decision{outcome: Refuted, reason: fmt.Sprintf("refuted: no window alarmed on pooled traffic (peak %s), but %s %s had %s outliers over the fault and recovery phases (%d of %d events, baseline %s, q = %.2g)",
			percent(a.ev.PeakFraction), groupNoun(l.Kind), l.Key, percent(l.Fraction), l.Outliers, l.Events,
			percent(l.BaselineFraction), l.QValue)}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "confirmed: none of the %d fault and %d recovery windows exceeded %s outliers significantly (peak %s, baseline %s; fault %s, recovery %s)",
		len(fw), len(rw), percent(o.Threshold), percent(a.ev.PeakFraction), percent(a.ev.BaselineFraction),
		percent(a.ev.FaultFraction), percent(a.ev.RecoveryFraction))
	if n := countAbove(fw, o.Threshold) + countAbove(rw, o.Threshold); n > 0 {
		fmt.Fprintf(&b, "; %d %s above %s were within baseline noise at alpha %g", n, plural(n, "window", "windows"), percent(o.Threshold), o.Alpha)
	}
	fmt.Fprintf(&b, "; error rate %s in the fault phase (baseline %s, margin %s)",
		percent(a.ev.FaultErrorRate), percent(a.ev.BaselineErrorRate), percent(o.ErrorMargin))
	if ls := a.ev.Localized; len(ls) > 0 {
		fmt.Fprintf(&b, "; %s %s stands out with %s outliers (baseline %s, q = %.2g) but not above %s",
			groupNoun(ls[0].Kind), ls[0].Key, percent(ls[0].Fraction), percent(ls[0].BaselineFraction), ls[0].QValue, percent(o.Threshold))
	}
	if s := a.phases[recovery]; s.skipped || len(s.windows) == 0 {
		fmt.Fprintf(&b, "; the recovery phase was not judged (%d events, %d needed)", s.counted, o.MinWindow)
	}
	return decision{outcome: Confirmed, reason: b.String()}
}

// brokenGroup is the most significant localized cohort, or failing
// that label value, with at least MinWindow events and an outlier
// fraction above Threshold.
func brokenGroup(ls []Localization, o Options) (Localization, bool) {
	for _, kind := range []string{KindCohort, KindLabel} {
		for _, l := range ls {
			if l.Kind == kind && l.Events >= o.MinWindow && l.Fraction > o.Threshold {
				return l, true
			}
		}
	}
	return Localization{}, false
}

func groupNoun(kind string) string {
	if kind == KindLabel {
		return "label value"
	}
	return "cohort"
}

// alarmCounts says how many fault and recovery windows satisfy alarmed,
// e.g. "2 of 6 fault windows and 1 of 6 recovery windows"; empty when
// none does.
func alarmCounts(fw, rw []Window, alarmed func(Window) bool) string {
	count := func(ws []Window) int {
		n := 0
		for _, w := range ws {
			if alarmed(w) {
				n++
			}
		}
		return n
	}
	var parts []string
	if n := count(fw); n > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d fault windows", n, len(fw)))
	}
	if n := count(rw); n > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d recovery windows", n, len(rw)))
	}
	return strings.Join(parts, " and ")
}

// errorSummary describes error alarms: which windows, the peak error
// rate among them, the baseline error rate and the margin.
func errorSummary(which string, fw, rw []Window, o Options, a *analysis) string {
	peak := 0.0
	for _, w := range slices.Concat(fw, rw) {
		if w.ErrorAlarm {
			peak = max(peak, w.ErrorRate)
		}
	}
	return fmt.Sprintf("%s had error rates significantly more than %.1f points above the baseline error rate %s (peak %s)",
		which, 100*o.ErrorMargin, percent(a.ev.BaselineErrorRate), percent(peak))
}

// decideRecovers refutes "recovers" when a recovery window that starts
// at or after the end of the allowance (revert + Within) alarms. A
// window that straddles the end of the allowance is not held against
// the hypothesis, since part of it lies inside the allowance.
func decideRecovers(c Case, o Options, a *analysis) decision {
	rs := a.phases[recovery]
	if rs.skipped || len(rs.windows) == 0 {
		return inconclusive("the recovery phase has %d judged events, fewer than the %d needed to judge recovery", rs.counted, o.MinWindow)
	}
	deadline := c.Recovery.Start.Add(c.Within)
	fw, rw := a.phases[fault].judged(), rs.judged()
	if last := rw[len(rw)-1]; last.Start.Before(deadline) {
		return inconclusive("no recovery window starts %s or more after the revert (recovery phase %s, window %s), so the end of the allowance was not observed",
			seconds(c.Within), seconds(c.Recovery.Duration()), seconds(o.Window))
	}
	recovered := recoveredAfter(rw, c.Recovery.Start)
	var late []Window
	for _, w := range rw {
		if w.Alarm && !w.Start.Before(deadline) {
			late = append(late, w)
		}
	}
	fa := countAlarms(fw)
	if len(late) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "refuted: %d recovery %s starting %s or more after the revert still alarmed (%s; peak %s outliers, baseline %s; peak error rate %s, baseline %s); ",
			len(late), plural(len(late), "window", "windows"), seconds(c.Within), signals(late),
			percent(a.ev.PeakFraction), percent(a.ev.BaselineFraction), percent(peakErrorRate(late)), percent(a.ev.BaselineErrorRate))
		if recovered != nil {
			fmt.Fprintf(&b, "recovered only %.1fs after the revert, allowance %s", *recovered, seconds(c.Within))
		} else {
			fmt.Fprintf(&b, "not recovered by the end of the recovery phase (%s), allowance %s", seconds(c.Recovery.Duration()), seconds(c.Within))
		}
		return decision{outcome: Refuted, reason: b.String(), recoveredAfter: recovered}
	}
	ra := countAlarms(rw)
	var reason string
	switch {
	case fa == 0 && ra == 0:
		reason = fmt.Sprintf("confirmed trivially: the fault showed no measurable impact (none of the %d fault and %d recovery windows exceeded %s outliers significantly; peak %s, baseline %s), so there was nothing to recover from",
			len(fw), len(rw), percent(o.Threshold), percent(a.ev.PeakFraction), percent(a.ev.BaselineFraction))
	case fa == 0:
		reason = fmt.Sprintf("confirmed: recovered %.1fs after the revert, within the %s allowance; the fault showed no measurable impact during the fault phase, but %d of %d recovery windows exceeded %s outliers (peak %s, baseline %s); %s",
			*recovered, seconds(c.Within), ra, len(rw), percent(o.Threshold), percent(a.ev.PeakFraction),
			percent(a.ev.BaselineFraction), excursionSummary(a.ev.Excursions, origin(c)))
	default:
		reason = fmt.Sprintf("confirmed: recovered %.1fs after the revert, within the %s allowance; %d of %d fault windows exceeded %s outliers (peak %s, baseline %s); %s",
			*recovered, seconds(c.Within), fa, len(fw), percent(o.Threshold), percent(a.ev.PeakFraction),
			percent(a.ev.BaselineFraction), excursionSummary(a.ev.Excursions, origin(c)))
	}
	return decision{outcome: Confirmed, reason: reason, recoveredAfter: recovered}
}

// recoveredAfter is the time in seconds from the revert to the end of
// the last alarmed recovery window: 0 when none alarmed, nil when the
// last window of the phase alarmed (no recovery inside the phase).
func recoveredAfter(rw []Window, revert time.Time) *float64 {
	last := -1
	for i, w := range rw {
		if w.Alarm {
			last = i
		}
	}
	var s float64
	switch {
	case last == len(rw)-1:
		return nil
	case last >= 0:
		s = rw[last].End.Sub(revert).Seconds()
	}
	return &s
}

// signals says which signals alarmed in ws, e.g. "2 on outliers, 1 on
// errors".
func signals(ws []Window) string {
	var lat, errs int
	for _, w := range ws {
		if w.LatencyAlarm {
			lat++
		}
		if w.ErrorAlarm {
			errs++
		}
	}
	var parts []string
	if lat > 0 {
		parts = append(parts, fmt.Sprintf("%d on outliers", lat))
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d on errors", errs))
	}
	return strings.Join(parts, ", ")
}

func peakErrorRate(ws []Window) float64 {
	peak := 0.0
	for _, w := range ws {
		peak = max(peak, w.ErrorRate)
	}
	return peak
}

func countAlarms(ws []Window) int {
	n := 0
	for _, w := range ws {
		if w.Alarm {
			n++
		}
	}
	return n
}

// countAbove counts windows above the threshold that did not alarm.
func countAbove(ws []Window, threshold float64) int {
	n := 0
	for _, w := range ws {
		if !w.Alarm && w.Fraction > threshold {
			n++
		}
	}
	return n
}

// origin is the time offsets in reasons are measured from: the start of
// the baseline, or of the fault when the baseline span is unset.
func origin(c Case) time.Time {
	if c.Baseline.Start.IsZero() {
		return c.Fault.Start
	}
	return c.Baseline.Start
}

// largestExcursion is the excursion with the most excess outliers, the
// first of equals.
func largestExcursion(xs []Excursion) (Excursion, bool) {
	if len(xs) == 0 {
		return Excursion{}, false
	}
	top := xs[0]
	for _, x := range xs[1:] {
		if x.ExcessOutliers > top.ExcessOutliers {
			top = x
		}
	}
	return top, true
}

// excursionSummary describes the excursions in words: the one with the
// most excess outliers, and totals when there are several.
func excursionSummary(xs []Excursion, from time.Time) string {
	if len(xs) == 0 {
		return "no excursion"
	}
	top, _ := largestExcursion(xs)
	total := 0.0
	for _, x := range xs {
		total += x.ExcessOutliers
	}
	if len(xs) == 1 {
		return fmt.Sprintf("excursion %.1fs from %s, %.0f excess outliers",
			top.DurationSeconds, clock(top.Start.Sub(from)), top.ExcessOutliers)
	}
	return fmt.Sprintf("%d excursions, the largest %.1fs from %s with %.0f excess outliers, %.0f in all",
		len(xs), top.DurationSeconds, clock(top.Start.Sub(from)), top.ExcessOutliers, total)
}

// unqualifiedSummary lists why up to limit cohorts did not qualify.
func unqualifiedSummary(cs []CohortBaseline, limit int) string {
	if len(cs) == 0 {
		return "there are no events"
	}
	var parts []string
	for _, c := range cs {
		if len(parts) == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-limit))
			break
		}
		parts = append(parts, c.Key+": "+c.Reason)
	}
	return strings.Join(parts, "; ")
}

// clock formats an offset as mm:ss.s.
func clock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(100 * time.Millisecond)
	m := d / time.Minute
	return fmt.Sprintf("%s%02d:%04.1f", sign, int(m), (d - m*time.Minute).Seconds())
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
