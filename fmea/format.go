package fmea

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline/experiments"
)

// The words and numbers the renderers share, so that the three formats
// say the same thing.

// none is the mark of an empty cell.
const none = "–"

// statusWord is an action status in words.
func statusWord(s string) string { return strings.ReplaceAll(s, "_", " ") }

// actionDetails says who owns an action, its status and its due date.
func actionDetails(a experiments.Action) string {
	owner := a.Owner
	if owner == "" {
		owner = "unassigned"
	}
	parts := []string{owner, statusWord(a.Status)}
	if !a.Due.IsZero() {
		parts = append(parts, "due "+a.Due.Format(time.DateOnly))
	}
	return strings.Join(parts, ", ")
}

// runsText is the number of runs, with the expired ones.
func runsText(e Evidence) string {
	if e.ExpiredRuns > 0 {
		return fmt.Sprintf("%d (+%d expired)", e.Runs, e.ExpiredRuns)
	}
	return fmt.Sprint(e.Runs)
}

// verdictsText lists the verdict counts that are not zero.
func verdictsText(e Evidence) string {
	var parts []string
	for _, c := range []struct {
		n    int
		word string
	}{{e.Confirmed, "confirmed"}, {e.Refuted, "refuted"}, {e.Inconclusive, "inconclusive"}, {e.Aborted, "aborted"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.word))
		}
	}
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, ", ")
}

// impactText is the peak impact: outlier fraction and error rate.
func impactText(e Evidence) string {
	if !e.Impact {
		return none
	}
	return fmt.Sprintf("%s outliers, %s errors", percent(e.PeakOutliers), percent(e.PeakErrors))
}

// detectText sums up the detection evidence.
func detectText(e Evidence) string {
	if e.DetectionRuns == 0 {
		return none
	}
	s := fmt.Sprintf("%d of %d in time", e.DetectedInTime, e.DetectionRuns)
	if e.Fired > 0 {
		s += fmt.Sprintf("; median %s, worst %s", seconds(e.MedianDetect), seconds(e.WorstDetect))
	}
	return s
}

// lastRunText is the date of the newest run with evidence.
func lastRunText(e Evidence) string {
	if e.LastRun == "" {
		return none
	}
	s := e.LastRunDate.Format(time.DateOnly)
	if e.LastRunExpired {
		s += " (expired)"
	}
	return s
}

func seconds(s float64) string { return fmt.Sprintf("%.1fs", s) }

// proposedText is a row's proposal for a rating: the new rating, "≥N
// review" for a severity flag, or "" without a proposal. ascii replaces
// "≥" with ">=".
func proposedText(r Row, rating Rating, ascii bool) string {
	p, ok := r.Proposal(rating)
	switch {
	case !ok:
		return ""
	case p.Review && ascii:
		return fmt.Sprintf(">=%d review", p.To)
	case p.Review:
		return fmt.Sprintf("≥%d review", p.To)
	}
	return fmt.Sprint(p.To)
}

// proposalSummary says a proposal in a few words, like "occurrence 4 →
// 5" or "severity 6: review, ≥7".
func proposalSummary(p Proposal) string {
	if p.Review {
		return fmt.Sprintf("%s %d: review, ≥%d suggested", p.Rating, p.From, p.To)
	}
	return fmt.Sprintf("%s %d → %d", p.Rating, p.From, p.To)
}

// apCounts counts the rows per Action Priority.
func apCounts(ws *Worksheet) (h, m, l int) {
	for _, r := range ws.Rows {
		switch r.AP {
		case APHigh:
			h++
		case APMedium:
			m++
		default:
			l++
		}
	}
	return h, m, l
}

// proposalCount counts the proposals of all rows.
func proposalCount(ws *Worksheet) int {
	n := 0
	for _, r := range ws.Rows {
		n += len(r.Proposals)
	}
	return n
}

// evidenceText says which runs the worksheet holds and as of when.
func evidenceText(ws *Worksheet) string {
	if len(ws.Runs) == 0 {
		return "none: ratings as written"
	}
	expired := 0
	for _, r := range ws.Runs {
		if r.Expired {
			expired++
		}
	}
	s := fmt.Sprintf("%d %s as of %s", len(ws.Runs), plural(len(ws.Runs), "run", "runs"), ws.AsOf.Format(time.DateOnly))
	if ws.MaxAgeDays > 0 {
		s += fmt.Sprintf("; evidence expires after %d days (%d expired)", ws.MaxAgeDays, expired)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// headerFields are the header's fields that are set, in worksheet
// order.
func headerFields(ws *Worksheet) [][2]string {
	h := ws.Header
	out := [][2]string{{"System", ws.System()}}
	if h.Scope != "" {
		out = append(out, [2]string{"Scope", h.Scope})
	}
	if len(h.Team) > 0 {
		out = append(out, [2]string{"Team", strings.Join(h.Team, ", ")})
	}
	if h.Revision != "" {
		out = append(out, [2]string{"Revision", h.Revision})
	}
	if !h.Date.IsZero() {
		out = append(out, [2]string{"Date", h.Date.Format(time.DateOnly)})
	}
	out = append(out, [2]string{"Experiment", fmt.Sprintf("%s (%s)", ws.Experiment, ws.File)})
	out = append(out, [2]string{"Evidence", evidenceText(ws)})
	return out
}
