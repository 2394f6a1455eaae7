package fmea

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the worksheet as Markdown, readable in a pull
// request: the header, the worksheet table, and with evidence the
// evidence table, the proposed re-ratings with their reasons, and the
// runs with links to their reports.
func WriteMarkdown(w io.Writer, ws *Worksheet) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# FMEA: %s\n\n", mdText(ws.System()))
	b.WriteString("| | |\n|---|---|\n")
	for _, f := range headerFields(ws) {
		fmt.Fprintf(b, "| %s | %s |\n", f[0], mdCell(f[1]))
	}
	h, m, l := apCounts(ws)
	fmt.Fprintf(b, "\nAction Priority (AIAG-VDA 2019): **%d high**, %d medium, %d low.", h, m, l)
	if len(ws.Runs) > 0 {
		fmt.Fprintf(b, " %d %s proposed from the evidence, none applied.", proposalCount(ws), plural(proposalCount(ws), "re-rating", "re-ratings"))
	}
	b.WriteString("\n\n## Worksheet\n\n")
	b.WriteString("| AP | RPN | component | function | failure effect | S | failure mode | failure cause | prevention controls | O | detection controls | D | recommended actions |\n")
	b.WriteString("|---|---:|---|---|---|---:|---|---|---|---:|---|---:|---|\n")
	for _, r := range ws.Rows {
		var acts []string
		for _, a := range r.Actions {
			acts = append(acts, fmt.Sprintf("%s (%s)", mdCell(a.Text), mdCell(actionDetails(a))))
		}
		fmt.Fprintf(b, "| **%s** | %d | %s | %s | %s | %d | %s | %s | %s | %d | %s | %d | %s |\n",
			r.AP, r.RPN, mdCell(r.Component), orNone(mdCell(r.Function)), orNone(mdCell(r.Effect)), r.Severity,
			mdCell(r.FailureMode), orNone(mdCell(r.Cause)), mdList(r.Prevention), r.Occurrence,
			mdList(r.DetectionControls), r.Detection, orNone(strings.Join(acts, "<br>")))
	}

	if len(ws.Runs) > 0 {
		b.WriteString("\n## Evidence\n\n")
		b.WriteString("Peak impact is the largest outlier fraction and error rate of a fault-phase window of a confirmed or refuted steady or recovers hypothesis. Expired runs count only in *runs*.\n\n")
		b.WriteString("| failure mode | hypotheses | runs | verdicts | peak impact | alert time to detect | last run | proposed S | proposed O | proposed D |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range ws.Rows {
			e := r.Evidence
			last := lastRunText(e)
			if len(e.LastRunLinks) > 0 {
				last = fmt.Sprintf("[%s](%s)", last, mdHref(e.LastRunLinks[0].Href))
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				mdCell(r.FailureMode), mdList(r.Hypotheses), runsText(e), verdictsText(e), impactText(e), detectText(e), last,
				orNone(proposedText(r, Severity, false)), orNone(proposedText(r, Occurrence, false)), orNone(proposedText(r, Detection, false)))
		}

		b.WriteString("\n## Proposed re-ratings\n\n")
		if proposalCount(ws) == 0 {
			b.WriteString("None: the evidence supports the ratings as written.\n")
		} else {
			b.WriteString("Never applied: if the review agrees, change the ratings in the experiment file. The rules are in docs/fmea.md.\n\n")
			for _, r := range ws.Rows {
				for _, p := range r.Proposals {
					fmt.Fprintf(b, "- **%s**: %s (`%s`): %s.\n", mdText(r.FailureMode), proposalSummary(p), p.Rule, mdText(p.Reason))
				}
			}
		}

		b.WriteString("\n## Runs\n\n| run | date | verdicts | evidence | reports |\n|---|---|---|---|---|\n")
		for _, r := range ws.Runs {
			state := "used"
			if r.Expired {
				state = "expired"
			}
			var ls []string
			for _, l := range r.Links {
				ls = append(ls, fmt.Sprintf("[%s](%s)", mdText(l.Name), mdHref(l.Href)))
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdCell(r.ID), r.Date.Format("2006-01-02"), r.Counts, state, orNone(strings.Join(ls, ", ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText escapes text for Markdown prose.
func mdText(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]", "&", "&amp;")
	return r.Replace(s)
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\r\n", " ", "\n", " ", "\r", " ").Replace(mdText(s))
}

// mdList is a list in one table cell, an item a line.
func mdList(items []string) string {
	var out []string
	for _, s := range items {
		out = append(out, mdCell(s))
	}
	return orNone(strings.Join(out, "<br>"))
}

// mdHref escapes a relative link target.
func mdHref(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "|", "%7C").Replace(s)
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}
