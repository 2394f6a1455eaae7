package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"
)

// SummaryOptions is what a CI step summary says beyond the conclusions.
type SummaryOptions struct {
	// Result is the gate's result in words, e.g. "failed: a hypothesis
	// was refuted (exit 1)".
	Result string
	// RunDir is the run directory.
	RunDir string
	// ArtifactsURL, when set, is where the CI keeps the run directory.
	ArtifactsURL string
	// JUnit classifies the hypotheses, as in the JUnit file.
	JUnit JUnitOptions
}

// WriteStepSummary writes a short Markdown summary of a run for a CI job
// page (GitHub's $GITHUB_STEP_SUMMARY): the gate's result, the counts, one
// table row per hypothesis with its verdict, how CI counts it and the
// reason, and where the run directory is. It ends with a blank line, so
// summaries appended one after another stay apart.
func WriteStepSummary(w io.Writer, c Conclusions, opts SummaryOptions) error {
	b := &strings.Builder{}
	name := c.Experiment.Name
	if name == "" {
		name = filepath.Base(c.Experiment.File)
	}
	fmt.Fprintf(b, "### faultline: %s", summaryCell(name))
	if opts.Result != "" {
		fmt.Fprintf(b, " — %s", summaryCell(opts.Result))
	}
	b.WriteString("\n\n")
	if len(c.Hypotheses) > 0 {
		fmt.Fprintf(b, "**%s** of %d hypotheses", c.Summary.Counts(), c.Summary.Hypotheses)
		if c.RunID != "" {
			fmt.Fprintf(b, " · run `%s` · %.1fs", summaryCode(c.RunID), c.DurationSeconds)
		}
		b.WriteString("\n\n")
	}
	if opts.JUnit.Error != "" {
		fmt.Fprintf(b, "> **Error:** %s\n\n", summaryCell(opts.JUnit.Error))
	} else if c.Aborted {
		fmt.Fprintf(b, "> **Aborted:** %s\n\n", summaryCell(c.AbortReason))
	}
	if len(c.Hypotheses) > 0 {
		b.WriteString("| hypothesis | failure mode | judged on | expect | verdict | CI | reason |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, h := range c.Hypotheses {
			fmt.Fprintf(b, "| %s | %s | %s | %s | **%s** | %s | %s |\n",
				summaryCell(h.Name), summaryCell(h.FailureMode), summaryCell(subject(h)), summaryCell(expectWords(h)),
				outcomeWord(h.Outcome), Classify(c, h, opts.JUnit).Kind, summaryCell(h.Reason))
		}
		b.WriteString("\n")
	}
	if opts.RunDir != "" {
		fmt.Fprintf(b, "Run directory: `%s`", summaryCode(opts.RunDir))
		if opts.ArtifactsURL != "" {
			fmt.Fprintf(b, " ([artifacts](%s))", summaryURL(opts.ArtifactsURL))
		}
		b.WriteString(": report.md, conclusions.json, events.csv, journal.jsonl, logs/.\n\n")
	} else if opts.ArtifactsURL != "" {
		fmt.Fprintf(b, "[Artifacts](%s)\n\n", summaryURL(opts.ArtifactsURL))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryCell makes text safe on one line of Markdown, in a table cell or not:
// escaped, and without control characters (a reason may carry a
// component's terminal colours).
func summaryCell(s string) string {
	return mdCell(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return -1
		}
		return r
	}, s))
}

// summaryCode makes text safe inside a single-backtick code span.
func summaryCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "|", "\\|").Replace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
}

// summaryURL makes a URL safe as a Markdown link target.
func summaryURL(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "").Replace(s)
}
