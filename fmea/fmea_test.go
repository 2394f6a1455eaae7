package fmea

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/verdict"
)

var renderers = []struct {
	ext   string
	write func(io.Writer, *Worksheet) error
}{
	{"md", WriteMarkdown},
	{"csv", WriteCSV},
	{"html", WriteHTML},
}

func parse(t *testing.T, path string) *experiments.Experiment {
	t.Helper()
	exp, diags := experiments.ParseFile(path)
	if diags.HasErrors() {
		t.Fatalf("ParseFile(%s): %s", path, diags.Error())
	}
	return exp
}

// fixtureWorksheet builds the worksheet of testdata/checkout.hcl with
// the runs of testdata/runs, links relative to testdata.
func fixtureWorksheet(t *testing.T) *Worksheet {
	t.Helper()
	runs, err := ReadRuns([]string{filepath.Join("testdata", "runs")})
	if err != nil {
		t.Fatal(err)
	}
	return Build(parse(t, filepath.Join("testdata", "checkout.hcl")), runs, Options{MaxAgeDays: 90, LinkBase: "testdata"})
}

func render(t *testing.T, ws *Worksheet, write func(io.Writer, *Worksheet) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, ws); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update after checking):\n%s", path, got)
	}
}

// TestGolden pins the three formats, with evidence and at the planning
// stage.
func TestGolden(t *testing.T) {
	planning := Build(parse(t, filepath.Join("testdata", "checkout.hcl")), nil, Options{MaxAgeDays: 90})
	for _, r := range renderers {
		t.Run(r.ext, func(t *testing.T) {
			golden(t, "worksheet."+r.ext+".golden", render(t, fixtureWorksheet(t), r.write))
			golden(t, "planning."+r.ext+".golden", render(t, planning, r.write))
		})
	}
}

// TestDeterministic builds and renders the worksheet twice from the
// files, and expects the same bytes.
func TestDeterministic(t *testing.T) {
	for _, r := range renderers {
		first := render(t, fixtureWorksheet(t), r.write)
		second := render(t, fixtureWorksheet(t), r.write)
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two renderings of the same worksheet differ", r.ext)
		}
	}
}

// TestFixtureEvidence checks the folded evidence and the proposals of
// the fixture runs (see fixtureRuns).
func TestFixtureEvidence(t *testing.T) {
	ws := fixtureWorksheet(t)
	row := func(fm string) Row {
		for _, r := range ws.Rows {
			if r.FailureMode == fm {
				return r
			}
		}
		t.Fatalf("no row for %s", fm)
		return Row{}
	}
	proposals := func(r Row) string {
		var out []string
		for _, p := range r.Proposals {
			out = append(out, fmt.Sprintf("%s %d->%d %s", p.Rating, p.From, p.To, p.Rule))
		}
		return strings.Join(out, "; ")
	}
	slow, down, hang, stale := row("prices-slow"), row("prices-down"), row("store-hang"), row("catalog-stale")
	tests := []struct {
		name      string
		got, want any
	}{
		{"order", fmt.Sprint(names(ws)), "[prices-down catalog-stale prices-slow store-hang]"},
		{"as of: the newest run", ws.AsOf.Format(time.DateOnly), "2026-11-27"},
		{"runs: other experiment left out", len(ws.Runs), 6},
		{"warning", fmt.Sprint(ws.Warnings), `[run 20261120-143000-payments-0001 (testdata/runs/20261120-143000-payments-0001) is of experiment "payments", not "checkout": left out]`},
		{"expired run", fmt.Sprintf("%s %v %v", ws.Runs[0].ID, ws.Runs[0].Expired, ws.Runs[1].Expired), "20260701-143000-checkout-0000 true false"},
		{"slow counts", fmt.Sprint(slow.Evidence.Runs, slow.Evidence.Confirmed, slow.Evidence.Refuted), "5 12 1"},
		{"slow refuted runs", fmt.Sprint(slow.Evidence.RefutedRuns, slow.Evidence.VerdictRuns), "1 5"},
		{"slow peak skips skipped windows", fmt.Sprint(slow.Evidence.PeakOutliers, slow.Evidence.PeakErrors), "0.35 0.01"},
		{"slow detection", fmt.Sprint(slow.Evidence.DetectedInTime, slow.Evidence.DetectionRuns, slow.Evidence.MedianDetect, slow.Evidence.WorstDetect), "3 3 6.5 7.2"},
		{"slow proposals", proposals(slow), "occurrence 4->5 occurrence-refuted"},
		{"down detection", fmt.Sprint(down.Evidence.DetectedInTime, down.Evidence.DetectionRuns, down.Evidence.ExpiredRuns), "5 5 1"},
		{"down proposals", proposals(down), "detection 6->4 detection-confidence"},
		{"hang proposals", proposals(hang), "severity 5->7 severity-impact; occurrence 2->4 occurrence-refuted; detection 3->7 detection-missed"},
		{"hang counts", fmt.Sprint(hang.Evidence.Confirmed, hang.Evidence.Refuted, hang.Evidence.Inconclusive), "1 2 1"},
		{"stale: inconclusive, aborted and expired change nothing", proposals(stale), ""},
		{"stale counts", fmt.Sprint(stale.Evidence.Runs, stale.Evidence.ExpiredRuns, stale.Evidence.Inconclusive, stale.Evidence.Aborted, stale.Evidence.Impact), "2 1 1 1 false"},
		{"last run link", fmt.Sprint(slow.Evidence.LastRunLinks), "[{report.md runs/20261127-143000-checkout-0005/report.md} {report.html runs/20261127-143000-checkout-0005/report.html}]"},
		{"detection controls", fmt.Sprintf("%q", slow.DetectionControls), `["p99 latency dashboard, reviewed daily" "alert PricesSlow within 20s"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}

	// The refuted hypothesis is visible in every format, with its
	// reason.
	for _, r := range renderers {
		out := string(render(t, ws, r.write))
		if !strings.Contains(out, "occurrence-refuted") || !strings.Contains(out, "checkout-steady-when-prices-slow refuted in 1 of 5 runs with a verdict") {
			t.Errorf("%s does not show the occurrence proposal with its reason", r.ext)
		}
	}
	md := string(render(t, ws, WriteMarkdown))
	if !strings.Contains(md, "- **prices-slow**: occurrence 4 → 5 (`occurrence-refuted`)") {
		t.Errorf("Markdown does not propose occurrence 4 → 5 for prices-slow:\n%s", md)
	}
}

func names(ws *Worksheet) []string {
	var out []string
	for _, r := range ws.Rows {
		out = append(out, r.FailureMode)
	}
	return out
}

// ruleExperiment has one failure mode, fm, rated s, o, d, with a steady
// hypothesis "h" and an alert.
func ruleExperiment(t *testing.T, s, o, d int) *experiments.Experiment {
	t.Helper()
	src := fmt.Sprintf(`
experiment "rules" {}
telemetry "prometheus" { address = "http://127.0.0.1:9090" }
component "api" {
  process { command = ["./api", self.listen] }
}
workload "w" {
  http {
    target = component.api
    rate   = 10
  }
}
failure_mode "fm" {
  component  = component.api
  severity   = %d
  occurrence = %d
  detection  = %d
  fault "kill" {}
  detection {
    alert  = "Down"
    within = "15s"
  }
}
hypothesis "h" {
  failure_mode = failure_mode.fm
  workload     = workload.w
  expect       = "steady"
}
`, s, o, d)
	exp, diags := experiments.Parse("rules.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return exp
}

// ruleRuns makes one run a day from 2026-11-01 of experiment "rules",
// each from spec(i).
func ruleRuns(n int, spec func(i int) runSpec) []Run {
	var runs []Run
	for i := range n {
		s := spec(i)
		s.experiment = "rules"
		s.id = fmt.Sprintf("run-%02d", i)
		if s.start.IsZero() {
			s.start = day("2026-11-01").AddDate(0, 0, i)
		}
		runs = append(runs, Run{Dir: s.id, Conclusions: conclusions(s)})
	}
	return runs
}

func detectionRun(fired bool) func(int) runSpec {
	return func(int) runSpec {
		return runSpec{dets: []det{{fm: "fm", alert: "Down", within: 15, fired: fired, ttd: 3}}}
	}
}

func proposalOf(ws *Worksheet, rating Rating) string {
	p, ok := ws.Rows[0].Proposal(rating)
	if !ok {
		return "none"
	}
	return fmt.Sprintf("%d->%d %s", p.From, p.To, p.Rule)
}

func TestDetectionProposals(t *testing.T) {
	tests := []struct {
		name string
		d    int
		runs []Run
		want string
	}{
		{"3 of 3: bound 0.46, no change", 5, ruleRuns(3, detectionRun(true)), "none"},
		{"5 of 5: bound 0.63", 5, ruleRuns(5, detectionRun(true)), "5->4 detection-confidence"},
		{"8 of 8: bound 0.7499, short of 0.75", 5, ruleRuns(8, detectionRun(true)), "5->4 detection-confidence"},
		{"9 of 9: bound 0.77", 5, ruleRuns(9, detectionRun(true)), "5->3 detection-confidence"},
		{"10 of 10: bound 0.79", 5, ruleRuns(10, detectionRun(true)), "5->3 detection-confidence"},
		{"22 of 22: bound 0.90", 5, ruleRuns(22, detectionRun(true)), "5->2 detection-confidence"},
		{"10 of 10, already 3", 3, ruleRuns(10, detectionRun(true)), "none"},
		{"10 of 10, already better", 2, ruleRuns(10, detectionRun(true)), "none"},
		{"failed in the latest run", 3, ruleRuns(10, func(i int) runSpec { return detectionRun(i < 9)(i) }), "3->7 detection-missed"},
		{"failed in the latest run, already 8", 8, ruleRuns(10, func(i int) runSpec { return detectionRun(i < 9)(i) }), "none"},
		{"fired too late in the latest run", 4, ruleRuns(2, func(i int) runSpec {
			return runSpec{dets: []det{{fm: "fm", alert: "Down", within: 15, fired: true, ttd: 3 + 20*float64(i)}}}
		}), "4->7 detection-missed"},
		{"9 of 10, failed first: bound 0.66", 5, ruleRuns(10, func(i int) runSpec { return detectionRun(i > 0)(i) }), "5->4 detection-confidence"},
		{"unreadable and already firing records are not runs", 5, ruleRuns(6, func(i int) runSpec {
			switch i {
			case 0:
				return runSpec{dets: []det{{fm: "fm", alert: "Down", within: 15, firingBefore: true}}}
			}
			return detectionRun(true)(i)
		}), "5->4 detection-confidence"},
		{"aborted failure mode: the record is no evidence", 5, ruleRuns(4, func(i int) runSpec {
			s := detectionRun(i < 3)(i)
			if i == 3 {
				s.trips = []string{"fm"}
			}
			return s
		}), "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := Build(ruleExperiment(t, 6, 4, tt.d), tt.runs, Options{})
			if got := proposalOf(ws, Detection); got != tt.want {
				t.Errorf("detection proposal = %s, want %s (evidence %+v)", got, tt.want, ws.Rows[0].Evidence)
			}
		})
	}
}

// TestDetectionLowerBound checks the bound against its definition:
// P(X >= k) = 0.10 for X ~ Binomial(n, bound).
func TestDetectionLowerBound(t *testing.T) {
	tail := func(k, n int, p float64) float64 {
		sum := 0.0
		for x := k; x <= n; x++ {
			c := 1.0
			for i := range x {
				c = c * float64(n-i) / float64(i+1)
			}
			sum += c * pow(p, x) * pow(1-p, n-x)
		}
		return sum
	}
	named := []struct {
		k, n int
		want float64
	}{{3, 3, 0.464}, {5, 5, 0.631}, {10, 10, 0.794}, {22, 22, 0.901}, {9, 10, 0.663}, {0, 4, 0}}
	for _, tt := range named {
		if got := DetectionLowerBound(tt.k, tt.n); got < tt.want-0.0005 || got > tt.want+0.0005 {
			t.Errorf("DetectionLowerBound(%d, %d) = %.4f, want %.3f", tt.k, tt.n, got, tt.want)
		}
	}
	for n := 1; n <= 30; n++ {
		for k := 1; k <= n; k++ {
			lb := DetectionLowerBound(k, n)
			if got := tail(k, n, lb); got < 0.0999 || got > 0.1001 {
				t.Errorf("P(X >= %d | n=%d, p=DetectionLowerBound=%.4f) = %.5f, want 0.10", k, n, lb, got)
			}
		}
	}
}

func pow(x float64, n int) float64 {
	r := 1.0
	for range n {
		r *= x
	}
	return r
}

func steadyRun(outcome verdict.Outcome, outliers, errs float64) func(int) runSpec {
	return func(int) runSpec {
		return runSpec{hyps: []hyp{{"h", "fm", verdict.ExpectSteady, outcome, outliers, errs}}}
	}
}

func TestOccurrenceProposals(t *testing.T) {
	refutedIn := func(n int, refuted ...int) []Run {
		return ruleRuns(n, func(i int) runSpec {
			if slices.Contains(refuted, i) {
				return steadyRun(verdict.Refuted, 0.05, 0)(i)
			}
			return steadyRun(verdict.Confirmed, 0.05, 0)(i)
		})
	}
	tests := []struct {
		name string
		o    int
		runs []Run
		want string
	}{
		{"1 of 1", 4, refutedIn(1, 0), "4->6 occurrence-refuted"},
		{"1 of 3", 4, refutedIn(3, 1), "4->5 occurrence-refuted"},
		{"2 of 4 is half", 4, refutedIn(4, 0, 3), "4->5 occurrence-refuted"},
		{"2 of 3", 4, refutedIn(3, 0, 2), "4->6 occurrence-refuted"},
		{"capped at 10", 9, refutedIn(2, 0, 1), "9->10 occurrence-refuted"},
		{"already 10", 10, refutedIn(2, 0, 1), "none"},
		{"confirmed only", 4, refutedIn(3), "none"},
		{"inconclusive changes nothing", 4, ruleRuns(3, steadyRun(verdict.Inconclusive, 1, 1)), "none"},
		{"aborted changes nothing", 4, ruleRuns(3, steadyRun(verdict.Aborted, 1, 1)), "none"},
		{"inconclusive runs do not count as runs with a verdict", 4, ruleRuns(3, func(i int) runSpec {
			if i == 0 {
				return steadyRun(verdict.Refuted, 0.05, 0)(i)
			}
			return steadyRun(verdict.Inconclusive, 0, 0)(i)
		}), "4->6 occurrence-refuted"},
		{"a refuted detected hypothesis does not raise occurrence", 4, ruleRuns(2, func(int) runSpec {
			return runSpec{hyps: []hyp{{"d", "fm", expectDetected, verdict.Refuted, 0, 0}}}
		}), "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := Build(ruleExperiment(t, 2, tt.o, 5), tt.runs, Options{})
			if got := proposalOf(ws, Occurrence); got != tt.want {
				t.Errorf("occurrence proposal = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSeverityFlags(t *testing.T) {
	tests := []struct {
		name             string
		s                int
		outcome          verdict.Outcome
		outliers, errors float64
		want             string
	}{
		{"95% outliers, S6", 6, verdict.Refuted, 0.95, 0, "6->7 severity-impact"},
		{"90% outliers, S6", 6, verdict.Confirmed, 0.90, 0, "6->7 severity-impact"},
		{"95% outliers, S7", 7, verdict.Refuted, 0.95, 0, "none"},
		{"60% errors, S4", 4, verdict.Refuted, 0.1, 0.6, "4->5 severity-impact"},
		{"60% errors, S5", 5, verdict.Refuted, 0.1, 0.6, "none"},
		{"20% outliers, S2", 2, verdict.Refuted, 0.2, 0, "2->3 severity-impact"},
		{"5% outliers, S1", 1, verdict.Confirmed, 0.05, 0.01, "none"},
		{"aborted at 100% changes nothing", 2, verdict.Aborted, 1, 1, "none"},
		{"inconclusive at 100% changes nothing", 2, verdict.Inconclusive, 1, 1, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := Build(ruleExperiment(t, tt.s, 4, 5), ruleRuns(1, steadyRun(tt.outcome, tt.outliers, tt.errors)), Options{})
			if got := proposalOf(ws, Severity); got != tt.want {
				t.Errorf("severity proposal = %s, want %s", got, tt.want)
			}
			if p, ok := ws.Rows[0].Proposal(Severity); ok && (!p.Review || !strings.Contains(p.Reason, "review it")) {
				t.Errorf("severity proposal %+v is not a review", p)
			}
			if ws.Rows[0].Severity != tt.s {
				t.Errorf("severity changed to %d", ws.Rows[0].Severity)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	// Refuted long ago, confirmed lately.
	runs := ruleRuns(3, func(i int) runSpec {
		starts := []string{"2026-01-10", "2026-08-01", "2026-11-01"}
		s := steadyRun(verdict.Confirmed, 0.02, 0)(i)
		if i == 0 {
			s = steadyRun(verdict.Refuted, 1, 1)(i)
		}
		s.start = day(starts[i])
		return s
	})
	tests := []struct {
		name       string
		o          Options
		asOf       string
		expired    string
		occurrence string
		runs       int
		warnings   int
	}{
		{"no max age", Options{}, "2026-11-01", "[false false false]", "2->3 occurrence-refuted", 3, 0},
		{"90 days", Options{MaxAgeDays: 90}, "2026-11-01", "[true true false]", "none", 1, 0},
		{"91 days", Options{MaxAgeDays: 91}, "2026-11-01", "[true true false]", "none", 1, 0},
		{"a run exactly 92 days old is kept at 92", Options{MaxAgeDays: 92}, "2026-11-01", "[true false false]", "none", 2, 0},
		{"as of an earlier date", Options{MaxAgeDays: 300, AsOf: day("2026-09-01")}, "2026-09-01", "[false false]", "2->3 occurrence-refuted", 2, 1},
		{"everything expired", Options{MaxAgeDays: 30, AsOf: day("2027-06-01")}, "2027-06-01", "[true true true]", "none", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := Build(ruleExperiment(t, 2, 2, 5), runs, tt.o)
			var expired []bool
			for _, r := range ws.Runs {
				expired = append(expired, r.Expired)
			}
			e := ws.Rows[0].Evidence
			if got := fmt.Sprint(ws.AsOf.Format(time.DateOnly), expired, proposalOf(ws, Occurrence), e.Runs, len(ws.Warnings)); got != fmt.Sprint(tt.asOf, tt.expired, tt.occurrence, tt.runs, tt.warnings) {
				t.Errorf("as of, expired, proposal, runs, warnings = %s, want %s", got, fmt.Sprint(tt.asOf, tt.expired, tt.occurrence, tt.runs, tt.warnings))
			}
		})
	}
	md := string(render(t, Build(ruleExperiment(t, 2, 2, 5), runs, Options{MaxAgeDays: 90}), WriteMarkdown))
	if !strings.Contains(md, "| run-00 | 2026-01-10 | 0 confirmed, 1 refuted, 0 inconclusive | expired |") || !strings.Contains(md, "1 (+2 expired)") {
		t.Errorf("Markdown does not list the expired run:\n%s", md)
	}
}

// TestHTMLEscapes puts markup in every kind of user text and expects
// it inert in HTML and escaped in Markdown.
func TestHTMLEscapes(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	exp := parse(t, filepath.Join("testdata", "checkout.hcl"))
	exp.FMEA.System = evil
	exp.FMEA.Team = []string{evil}
	exp.Components[0].Function = evil
	fm := exp.FailureModes[0]
	fm.Cause, fm.Effect = evil, evil
	fm.Prevention = []string{evil}
	fm.Actions[0].Owner = evil
	fm.Actions[0].Text = evil
	runs, err := ReadRuns([]string{filepath.Join("testdata", "runs")})
	if err != nil {
		t.Fatal(err)
	}
	ws := Build(exp, runs, Options{MaxAgeDays: 90})
	html := string(render(t, ws, WriteHTML))
	if n := strings.Count(strings.ToLower(html), "<script"); n != 1 {
		t.Errorf("HTML holds %d <script elements, want only its own sorting script", n)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("HTML does not show the user text escaped")
	}
	md := string(render(t, ws, WriteMarkdown))
	if strings.Contains(md, "<script") {
		t.Errorf("Markdown holds raw markup from user text")
	}
	for _, bad := range []string{"http://", "https://", "src=", "<link", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML refers to an external asset (%q)", bad)
		}
	}
}

func TestCSV(t *testing.T) {
	ws := fixtureWorksheet(t)
	exp := parse(t, filepath.Join("testdata", "checkout.hcl"))
	exp.FailureModes[0].Cause = "=HYPERLINK(\"http://x\")"
	formula := Build(exp, nil, Options{})
	out := string(render(t, formula, WriteCSV))
	if !strings.Contains(out, `'=HYPERLINK(""http://x"")`) {
		t.Errorf("a cause that looks like a formula is not neutralised:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(string(render(t, ws, WriteCSV))), "\n")
	if len(lines) != 1+len(ws.Rows) {
		t.Fatalf("CSV has %d lines, want a header and %d rows", len(lines), len(ws.Rows))
	}
	if lines[0] != strings.Join(CSVColumns, ",") {
		t.Errorf("CSV header = %s", lines[0])
	}
}

// TestExamples renders the worksheets of the examples, planning stage,
// in every format, and checks each row's AP against the table.
func TestExamples(t *testing.T) {
	for _, path := range []string{"../examples/quickstart/quickstart.hcl", "../examples/shop/shop.hcl", "../examples/observed/observed.hcl"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			exp := parse(t, path)
			ws := Build(exp, nil, Options{MaxAgeDays: 90})
			if len(ws.Rows) != len(exp.FailureModes) {
				t.Fatalf("%d rows for %d failure modes", len(ws.Rows), len(exp.FailureModes))
			}
			for i, r := range ws.Rows {
				if want := ActionPriority(r.Severity, r.Occurrence, r.Detection); r.AP != want {
					t.Errorf("%s: AP %s, want %s", r.FailureMode, r.AP, want)
				}
				if i > 0 {
					p := ws.Rows[i-1]
					if p.AP.rank() < r.AP.rank() || p.AP == r.AP && p.RPN < r.RPN {
						t.Errorf("rows %s and %s are out of order", p.FailureMode, r.FailureMode)
					}
				}
			}
			for _, r := range renderers {
				out := render(t, ws, r.write)
				for _, fm := range exp.FailureModes {
					if !bytes.Contains(out, []byte(fm.Name)) {
						t.Errorf("%s does not show failure mode %s", r.ext, fm.Name)
					}
				}
			}
		})
	}
}

func TestReadRuns(t *testing.T) {
	runs := filepath.Join("testdata", "runs")
	one := filepath.Join(runs, "20261101-143000-checkout-0001")
	tests := []struct {
		name string
		args []string
		want int
		err  string
	}{
		{"parent directory", []string{runs}, 7, ""},
		{"run directory", []string{one}, 1, ""},
		{"conclusions file", []string{filepath.Join(one, ConclusionsFile)}, 1, ""},
		{"glob", []string{filepath.Join(runs, "*-checkout-*")}, 6, ""},
		{"glob matching files too", []string{filepath.Join(runs, "*", "*")}, 7, ""},
		{"named twice", []string{one, runs, filepath.Join(runs, "*")}, 7, ""},
		{"missing", []string{filepath.Join(runs, "nope")}, 0, "no such file or directory"},
		{"glob matching nothing", []string{filepath.Join(runs, "*-nope-*")}, 0, "no run directory"},
		{"directory without runs", []string{"."}, 0, "neither it nor any directory in it holds a conclusions.json"},
		{"a file that is not conclusions", []string{filepath.Join("testdata", "checkout.hcl")}, 0, "not a run directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRuns(tt.args)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ReadRuns(%q) error = %v, want one containing %q", tt.args, err, tt.err)
			case tt.err == "" && err != nil:
				t.Errorf("ReadRuns(%q) error = %v", tt.args, err)
			case len(got) != tt.want:
				t.Errorf("ReadRuns(%q) = %d runs, want %d", tt.args, len(got), tt.want)
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConclusionsFile), []byte(`{"format_version":"0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRuns([]string{dir}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ConclusionsFile)) {
		t.Errorf("ReadRuns of a run with an unknown format_version = %v, want an error naming the file", err)
	}
}
