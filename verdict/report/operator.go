package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
)

// skipOf is the skip of failure mode fm, if it was skipped.
func skipOf(tl observe.Timeline, fm string) (observe.Skip, bool) {
	for _, s := range tl.Skips {
		if s.FailureMode == fm {
			return s, true
		}
	}
	return observe.Skip{}, false
}

// tripReason is the reason of a hypothesis whose fault a trip reverted.
func tripReason(t observe.Trip) string {
	took := t.Reverted.Sub(t.WindowEnd).Round(time.Millisecond)
	if t.Limit == observe.LimitOperator {
		return fmt.Sprintf("aborted by the operator: %s; the fault was reverted %s after the abort was asked", t.Reason, took)
	}
	return fmt.Sprintf("aborted: the abort limit %s tripped: %s; the fault was reverted %s after that window ended", t.Limit, t.Reason, took)
}

// writeOperator writes under the phases of report.md the failure modes
// that were skipped, then the Notes section: what people wrote during
// the run, with the time since the start and the phase.
func writeOperator(b *strings.Builder, c Conclusions) {
	if len(c.Skips) > 0 {
		b.WriteString("\nSkipped:\n\n")
		for _, s := range c.Skips {
			fmt.Fprintf(b, "- %s at %s: %s\n", mdText(s.FailureMode), offset(c.Start, s.Time), mdText(s.Reason))
		}
	}
	if len(c.Notes) == 0 {
		return
	}
	b.WriteString("\n## Notes\n\n| time | phase | failure mode | note |\n|---:|---|---|---|\n")
	for _, n := range c.Notes {
		phase := n.Phase
		if phase == "" {
			phase = "start-up"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", offset(c.Start, n.Time), phase, mdCell(n.FailureMode), mdCell(n.Text))
	}
}
