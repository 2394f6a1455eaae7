package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestStepSummaryGolden(t *testing.T) {
	var buf bytes.Buffer
	err := WriteStepSummary(&buf, ciConclusions(), SummaryOptions{
		Result:       "failed: a hypothesis was refuted (exit 1)",
		RunDir:       "runs/20261127-120000-demo-00ff",
		ArtifactsURL: "https://github.com/acme/shop/actions/runs/42#artifacts",
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.md.golden", buf.Bytes())
	out := buf.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, "\x1b") {
		t.Errorf("user text was not escaped:\n%s", out)
	}
	// One table row per hypothesis, each with as many cells as the header.
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") {
			rows = append(rows, line)
		}
	}
	if len(rows) != 1+len(ciConclusions().Hypotheses) {
		t.Fatalf("%d table rows, want a header and one per hypothesis:\n%s", len(rows), out)
	}
	cells := func(row string) int { return strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") }
	for _, r := range rows[1:] {
		if cells(r) != cells(rows[0]) {
			t.Errorf("row %q has %d separators, the header %d", r, cells(r), cells(rows[0]))
		}
	}
	if !strings.HasSuffix(out, "\n\n") {
		t.Errorf("summary does not end with a blank line, so appended summaries run together")
	}
}

func TestStepSummaryStates(t *testing.T) {
	aborted := ciConclusions()
	aborted.Aborted, aborted.AbortReason = true, "interrupted: SIGINT"
	tests := []struct {
		name string
		c    Conclusions
		opts SummaryOptions
		want []string
	}{
		{"aborted run", aborted, SummaryOptions{Result: "failed: the run did not finish (exit 3)"},
			[]string{"> **Aborted:** interrupted: SIGINT", "| error |", "failed: the run did not finish (exit 3)"}},
		{"inconclusive counted as failure", ciConclusions(), SummaryOptions{JUnit: JUnitOptions{FailInconclusive: true}},
			[]string{"| quote-steady | slow | workload checkout | steady | **inconclusive** | failure |"}},
		{"invalid file", Conclusions{Experiment: ExperimentInfo{File: "ci/broken.hcl"}},
			SummaryOptions{Result: "failed: invalid input (exit 2)", JUnit: JUnitOptions{Error: "ci/broken.hcl: 3 errors"}},
			[]string{"### faultline: broken.hcl — failed: invalid input (exit 2)", "> **Error:** ci/broken.hcl: 3 errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteStepSummary(&buf, tt.c, tt.opts); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("WriteStepSummary(%s) lacks %q:\n%s", tt.name, w, buf.String())
				}
			}
		})
	}
}
