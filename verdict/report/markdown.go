package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/faultline/faultline/verdict"
)

// WriteMarkdown writes report.md: the summary a person reads first.
// Everything in it comes from the conclusions, so it can be re-rendered
// from a past run's conclusions.json.
func WriteMarkdown(w io.Writer, c Conclusions) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# faultline run %s\n\n", mdText(c.RunID))
	fmt.Fprintf(b, "Experiment **%s**", mdText(c.Experiment.Name))
	if c.Experiment.Description != "" {
		fmt.Fprintf(b, ": %s", mdText(c.Experiment.Description))
	}
	fmt.Fprintf(b, "  \nFile `%s`, started %s, took %.1fs.\n\n", c.Experiment.File, c.Start.UTC().Format(time.RFC3339), c.DurationSeconds)
	if c.Aborted {
		fmt.Fprintf(b, "> **Aborted:** %s\n\n", mdText(c.AbortReason))
	}
	fmt.Fprintf(b, "**%s** of %d hypotheses.\n\n", c.Summary.Counts(), c.Summary.Hypotheses)

	b.WriteString("## Hypotheses\n\n")
	b.WriteString("| hypothesis | failure mode | judged on | expect | verdict | peak outliers | fault p99 | reason |\n")
	b.WriteString("|---|---|---|---|---|---:|---:|---|\n")
	for _, h := range c.Hypotheses {
		expect := string(h.Expect)
		if h.WithinSeconds > 0 {
			expect += fmt.Sprintf(" within %gs", h.WithinSeconds)
		}
		p99 := "–"
		if q, ok := h.Evidence.Latency["fault"]; ok && h.Evidence.FaultEvents > 0 {
			p99 = formatSeconds(q.P99)
		}
		peak := "–"
		if h.Evidence.FaultEvents > 0 {
			peak = fmt.Sprintf("%.1f%%", 100*h.Evidence.PeakFraction)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | **%s** | %s | %s | %s |\n",
			mdCell(h.Name), mdCell(h.FailureMode), mdCell(subject(h)), expect,
			outcomeWord(h.Outcome), peak, p99, mdCell(h.Reason))
	}

	b.WriteString("\n## Faults\n\n")
	b.WriteString("| failure mode | fault | target | injected | effective after | landed | check | reverted | recovered after |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range c.Faults {
		landed := "yes"
		if !f.Landed {
			landed = "**no**"
		}
		if f.InjectError != "" {
			landed = "**not injected**: " + mdCell(f.InjectError)
		}
		reverted := offset(c.Start, f.Reverted)
		if f.RevertError != "" {
			reverted += " **error**: " + mdCell(f.RevertError)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			mdCell(f.FailureMode), f.Kind, mdCell(f.Target), offset(c.Start, f.Injected), since(f.Injected, f.EffectiveAt),
			landed, mdCell(f.LandedDetail), reverted, since(f.RevertCalled, f.RecoveredAt))
	}

	if len(c.Detections) > 0 {
		b.WriteString("\n## Detection\n\n")
		b.WriteString("| failure mode | alert | within | fired | time to detect | in time |\n|---|---|---:|---|---:|---|\n")
		for _, d := range c.Detections {
			fired, ttd, inTime := "no", "–", "**no**"
			switch {
			case d.Error != "":
				fired = "**unknown**: " + mdCell(d.Error)
				inTime = "–"
			case d.Fired:
				fired = offset(c.Start, d.FiredAt)
				ttd = fmt.Sprintf("%.1fs", d.TimeToDetectSeconds)
				if d.InTime {
					inTime = "yes"
				}
			case d.FiringBefore:
				fired = "already firing when the fault landed"
				inTime = "–"
			}
			fmt.Fprintf(b, "| %s | %s | %gs | %s | %s | %s |\n", mdCell(d.FailureMode), mdCell(d.Alert), d.WithinSeconds, fired, ttd, inTime)
		}
	}

	b.WriteString("\n## Phases\n\n| phase | failure mode | from | to | completed |\n|---|---|---:|---:|---|\n")
	for _, p := range c.Phases {
		done := "yes"
		if !p.Completed {
			done = "**no**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", p.Name, mdCell(p.FailureMode), offset(c.Start, p.Start), offset(c.Start, p.End), done)
	}
	writeOperator(b, c)

	b.WriteString("\n## Evidence\n")
	for _, h := range c.Hypotheses {
		e := h.Evidence
		fmt.Fprintf(b, "\n### %s — %s\n\n%s\n\n", mdText(h.Name), outcomeWord(h.Outcome), mdText(h.Reason))
		if e.BaselineEvents == 0 {
			continue
		}
		fmt.Fprintf(b, "Outliers are events with z ≥ %g against their cohort's %s baseline, or failed; a window alarms above %.0f%%. Coverage %.1f%%.\n\n",
			e.Sigma, baselineName(e.Baseline), 100*e.Threshold, 100*e.Coverage)
		b.WriteString("| phase | events | outliers | errors | p50 | p90 | p99 |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, ph := range []struct {
			name     string
			n        int
			frac, er float64
		}{
			{"baseline", e.BaselineEvents, e.BaselineFraction, e.BaselineErrorRate},
			{"fault", e.FaultEvents, e.FaultFraction, e.FaultErrorRate},
			{"recovery", e.RecoveryEvents, e.RecoveryFraction, e.RecoveryErrorRate},
		} {
			q := e.Latency[ph.name]
			fmt.Fprintf(b, "| %s | %d | %.1f%% | %.1f%% | %s | %s | %s |\n", ph.name, ph.n, 100*ph.frac, 100*ph.er,
				formatSeconds(q.P50), formatSeconds(q.P90), formatSeconds(q.P99))
		}
		if len(e.Excursions) > 0 {
			b.WriteString("\nExcursions:\n\n")
			for _, x := range e.Excursions {
				fmt.Fprintf(b, "- %s to %s (%.1fs), peak %.1f%%, %.0f excess outliers\n",
					offset(c.Start, x.Start), offset(c.Start, x.End), x.DurationSeconds, 100*x.PeakFraction, x.ExcessOutliers)
			}
		}
		b.WriteString("\nOutlier fraction per window (fault and recovery): ")
		b.WriteString(sparkline(e.Windows))
		b.WriteString("\n")
	}
	b.WriteString("\nFiles: [conclusions.json](conclusions.json), [events.csv](events.csv)")
	if c.SignalSamples > 0 {
		b.WriteString(", [signals.csv](signals.csv)")
	}
	b.WriteString(".\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func outcomeWord(o verdict.Outcome) string {
	switch o {
	case verdict.Confirmed:
		return "confirmed"
	case verdict.Refuted:
		return "REFUTED"
	case verdict.Aborted:
		return "ABORTED"
	default:
		return "inconclusive"
	}
}

// sparkline draws the windows' outlier fractions outside the baseline on
// a fixed 0-100% scale, so that lines of different hypotheses compare.
func sparkline(ws []verdict.Window) string {
	const bars = "▁▂▃▄▅▆▇█"
	runes := []rune(bars)
	var out []rune
	for _, w := range ws {
		if w.Phase == "baseline" {
			continue
		}
		i := int(math.Round(w.Fraction * float64(len(runes)-1)))
		i = max(0, min(i, len(runes)-1))
		out = append(out, runes[i])
	}
	if len(out) == 0 {
		return "–"
	}
	return "`" + string(out) + "`"
}

func offset(start, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return fmt.Sprintf("+%.1fs", t.Sub(start).Seconds())
}

func formatSeconds(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1e-3:
		return fmt.Sprintf("%.0fµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.1fms", s*1e3)
	default:
		return fmt.Sprintf("%.2fs", s)
	}
}

// mdText escapes text for Markdown prose.
func mdText(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]")
	return r.Replace(s)
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(mdText(s), "|", "\\|"), "\n", " ")
}

// since is the time from a to b in milliseconds, or "–" when either is
// unknown (a fault a probe cannot see is not timed).
func since(a, b time.Time) string {
	if a.IsZero() || b.IsZero() {
		return "–"
	}
	return fmt.Sprintf("%.0f ms", float64(b.Sub(a))/float64(time.Millisecond))
}

// subject is what a hypothesis is judged on, in words.
func subject(h Hypothesis) string {
	switch {
	case h.Workload != "":
		return "workload " + h.Workload
	case h.Signal != "":
		return "signal " + h.Signal
	}
	return "alerts"
}

// baselineName is a baseline model's name in prose.
func baselineName(model string) string {
	switch model {
	case "", verdict.BaselineLogNormal:
		return "log-normal"
	case verdict.BaselineRatio:
		return "ratio (mean + max(σ·sd, error margin))"
	}
	return model
}
