package judgebench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Caption describes the benchmark the table was measured on, in one
// line: seed, runs and workload.
func (t *Table) Caption() string {
	tr := t.Traffic
	return fmt.Sprintf("seed %d; %d A/A runs and %d of every other scenario; %s baseline + %s test, %s windows; "+
		"%g events/s over %d cohorts (Zipf s=%g), medians %s–%s, σ %g–%g; %g%% of requests with a Pareto(%g) tail; %g%% background errors",
		t.Seed, t.AARuns, t.Runs, tr.Baseline, tr.Test, tr.Window,
		tr.Rate, cohortCount(tr), tr.ZipfS, tr.MedianMin, tr.MedianMax, tr.SigmaMin, tr.SigmaMax,
		100*tr.TailProb, tr.TailAlpha, 100*tr.ErrorRate)
}

// header is the table's column titles.
func (t *Table) header() []string {
	h := []string{"scenario", "change", "runs"}
	for _, j := range t.Judges {
		h = append(h, j.Name)
	}
	for _, j := range t.Judges {
		if j.Localizer {
			h = append(h, j.Name+" top-1")
		}
	}
	for _, j := range t.Judges {
		if j.Qualifies {
			h = append(h, j.Name+" coverage", j.Name+" inconclusive")
		}
	}
	return h
}

// cells is row r's values in the order of header.
func (t *Table) cells(r Row) []string {
	out := []string{r.Scenario.Name, r.Scenario.Effect(), fmt.Sprint(r.Runs)}
	for i := range t.Judges {
		out = append(out, rateCell(r, i))
	}
	for i, j := range t.Judges {
		if !j.Localizer {
			continue
		}
		c := r.Cells[i]
		switch {
		case c.LocalizeRuns == 0:
			out = append(out, "")
		case !j.Localizes:
			out = append(out, "–")
		default:
			out = append(out, percent(float64(c.Localized)/float64(c.LocalizeRuns)))
		}
	}
	for i, j := range t.Judges {
		if j.Qualifies {
			c := r.Cells[i]
			out = append(out, percent(c.Coverage), percent(float64(c.Inconclusive)/float64(max(r.Runs, 1))))
		}
	}
	return out
}

// rateCell is judge i's rate with its Wilson interval and, for a
// scenario that changes something, the median onset error in windows:
// "97.0% (91.5–99.0) · 0.4".
func rateCell(r Row, i int) string {
	c := r.Cells[i]
	s := fmt.Sprintf("%s (%.1f–%.1f)", percent(r.Rate(i)), 100*c.Lo, 100*c.Hi)
	if r.Scenario.Kind == None {
		return s
	}
	if math.IsNaN(c.OnsetError) {
		return s + " · –"
	}
	return fmt.Sprintf("%s · %.1f", s, c.OnsetError)
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// WriteText writes the caption and the table as aligned plain text.
func (t *Table) WriteText(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s\n\n", t.Caption()); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header(), "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(t.cells(r), "\t"))
	}
	return tw.Flush()
}

// WriteMarkdown writes the caption as a paragraph and the table as a
// Markdown table.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", t.Caption())
	h := t.header()
	writeMarkdownRow(&b, h)
	sep := make([]string, len(h))
	for i := range sep {
		sep[i] = "---"
	}
	writeMarkdownRow(&b, sep)
	for _, r := range t.Rows {
		writeMarkdownRow(&b, t.cells(r))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownRow(b *strings.Builder, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" ")
		b.WriteString(strings.ReplaceAll(c, "|", `\|`))
		b.WriteString(" |")
	}
	b.WriteString("\n")
}
