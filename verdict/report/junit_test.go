package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// ciConclusions is a finished run with one hypothesis of each outcome,
// and user text that XML and Markdown must escape.
func ciConclusions() Conclusions {
	hyp := func(name, fm string, o verdict.Outcome, reason string) Hypothesis {
		return Hypothesis{Name: name, FailureMode: fm, Workload: "checkout",
			Verdict: verdict.Verdict{Hypothesis: name, Expect: verdict.ExpectSteady, Outcome: o, Reason: reason}}
	}
	c := Conclusions{
		FormatVersion: FormatVersion, RunID: "20261127-120000-demo-00ff",
		Experiment: ExperimentInfo{Name: "demo", File: "ci/demo.hcl"},
		Start:      at(0), End: at(40), DurationSeconds: 40,
		Phases: []observe.Phase{
			{Name: observe.PhaseBaseline, Start: at(2), End: at(12), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "slow", Start: at(12), End: at(17), Completed: true},
			{Name: observe.PhaseRecovery, FailureMode: "slow", Start: at(17.25), End: at(22.25), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "dead", Start: at(22.25), End: at(24.5), Completed: true},
			{Name: observe.PhaseRecovery, FailureMode: "dead", Start: at(24.5), End: at(27.5), Completed: true},
		},
		Hypotheses: []Hypothesis{
			hyp("catalog-steady", "slow", verdict.Confirmed, "confirmed: no window alarmed"),
			hyp(`checkout<"steady">&`, "slow", verdict.Refuted, "refuted: 5 of 5 fault windows alarmed; peak 99% <script>alert(1)</script> | \x1b[31m"),
			hyp("quote-steady", "slow", verdict.Inconclusive, "inconclusive: only 40 events in the fault phase"),
			hyp("checkout-recovers", "dead", verdict.Aborted, "aborted: the abort limit outlier_fraction tripped"),
		},
		Summary: Summary{Hypotheses: 4, Confirmed: 1, Refuted: 1, Inconclusive: 1, Aborted: 1},
	}
	c.Hypotheses[3].Expect, c.Hypotheses[3].WithinSeconds = verdict.ExpectRecovers, 5
	return c
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

func TestJUnitGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, ciConclusions(), JUnitOptions{RunDir: "runs/20261127-120000-demo-00ff"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml.golden", buf.Bytes())
	checkJUnitSchema(t, buf.Bytes())
}

// TestJUnitClassification: how each outcome counts under each option.
func TestJUnitClassification(t *testing.T) {
	aborted := ciConclusions()
	aborted.Aborted, aborted.AbortReason = true, "interrupted: SIGINT"
	tests := []struct {
		name string
		c    Conclusions
		opts JUnitOptions
		// want is the kind and type per hypothesis, in order.
		want                             []string
		tests, failures, errors, skipped int
		wantMessage                      string
	}{
		{"default", ciConclusions(), JUnitOptions{},
			[]string{"passed", "failure/refuted", "skipped/inconclusive", "error/aborted"}, 4, 1, 1, 1, "only 40 events"},
		{"fail on inconclusive", ciConclusions(), JUnitOptions{FailInconclusive: true},
			[]string{"passed", "failure/refuted", "failure/inconclusive", "error/aborted"}, 4, 2, 1, 0, "only 40 events"},
		{"run aborted", aborted, JUnitOptions{},
			[]string{"passed", "failure/refuted", "error/run-aborted", "error/aborted"}, 4, 1, 2, 0, "interrupted: SIGINT"},
		{"run error", aborted, JUnitOptions{FailInconclusive: true, Error: "start prices: exit status 1"},
			[]string{"passed", "failure/refuted", "error/run-error", "error/aborted"}, 4, 1, 2, 0, "start prices: exit status 1"},
		{"invalid file", Conclusions{Experiment: ExperimentInfo{File: "ci/broken.hcl"}}, JUnitOptions{Error: "ci/broken.hcl: 3 errors"},
			[]string{"error/run-error"}, 1, 0, 1, 0, "ci/broken.hcl: 3 errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, tt.c, tt.opts); err != nil {
				t.Fatal(err)
			}
			checkJUnitSchema(t, buf.Bytes())
			doc := parseJUnit(t, buf.Bytes())
			s := doc.Suites[0]
			var got []string
			for _, tc := range s.Cases {
				got = append(got, tc.kind())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("WriteJUnit(%s) cases = %v, want %v", tt.name, got, tt.want)
			}
			counts := [4]int{s.Tests, s.Failures, s.Errors, s.Skipped}
			if want := [4]int{tt.tests, tt.failures, tt.errors, tt.skipped}; counts != want {
				t.Errorf("suite tests/failures/errors/skipped = %v, want %v", counts, want)
			}
			if doc.Tests != s.Tests || doc.Failures != s.Failures || doc.Errors != s.Errors {
				t.Errorf("testsuites counts %d/%d/%d differ from the suite's %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, s.Tests, s.Failures, s.Errors)
			}
			if !strings.Contains(buf.String(), tt.wantMessage) {
				t.Errorf("WriteJUnit(%s) lacks %q:\n%s", tt.name, tt.wantMessage, buf.String())
			}
		})
	}
}

func TestJUnitContent(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, ciConclusions(), JUnitOptions{RunDir: "runs/x"}); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, buf.Bytes())
	s := doc.Suites[0]
	if s.Name != "demo" || s.Time != "40.000" || s.Timestamp != "2026-11-27T12:00:00Z" {
		t.Errorf("suite name %q time %q timestamp %q, want demo, 40.000, 2026-11-27T12:00:00Z", s.Name, s.Time, s.Timestamp)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	for name, want := range map[string]string{
		"run_id": "20261127-120000-demo-00ff", "file": "ci/demo.hcl", "run_dir": "runs/x", "fail_on": "refuted",
		"hypothesis.catalog-steady.failure_mode": "slow", "hypothesis.catalog-steady.workload": "checkout",
		"hypothesis.checkout-recovers.expect": "recovers within 5s", `hypothesis.checkout<"steady">&.outcome`: "refuted",
	} {
		if props[name] != want {
			t.Errorf("property %s = %q, want %q", name, props[name], want)
		}
	}
	// Time: the fault and recovery phases of the failure mode (5 + 5 s
	// for slow, 2.25 + 3 s for dead), not the gap between them.
	wantTime := map[string]string{"catalog-steady": "10.000", "checkout-recovers": "5.250"}
	for _, tc := range s.Cases {
		if tc.Classname != "demo" {
			t.Errorf("%s: classname %q, want the experiment", tc.Name, tc.Classname)
		}
		if w, ok := wantTime[tc.Name]; ok && tc.Time != w {
			t.Errorf("%s: time %s, want %s", tc.Name, tc.Time, w)
		}
	}
	refuted := s.Cases[1]
	if refuted.Name != `checkout<"steady">&` || refuted.Failure == nil || !strings.Contains(refuted.Failure.Message, "<script>alert(1)</script>") {
		t.Errorf("refuted case = %+v, want the name and the reason back intact", refuted)
	}
	if strings.Contains(buf.String(), "<script>") || strings.Contains(buf.String(), "\x1b") {
		t.Errorf("user text is not escaped in the XML:\n%s", buf.String())
	}
	if !strings.Contains(refuted.SystemOut, "failure mode: slow") {
		t.Errorf("system-out = %q, want the failure mode", refuted.SystemOut)
	}
}

type parsedSuites struct {
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name       string `xml:"name,attr"`
	Tests      int    `xml:"tests,attr"`
	Failures   int    `xml:"failures,attr"`
	Errors     int    `xml:"errors,attr"`
	Skipped    int    `xml:"skipped,attr"`
	Time       string `xml:"time,attr"`
	Timestamp  string `xml:"timestamp,attr"`
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Failure   *parsedOutcome `xml:"failure"`
	Error     *parsedOutcome `xml:"error"`
	Skipped   *parsedOutcome `xml:"skipped"`
	SystemOut string         `xml:"system-out"`
}

type parsedOutcome struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
}

func (c parsedCase) kind() string {
	switch {
	case c.Failure != nil:
		return "failure/" + c.Failure.Type
	case c.Error != nil:
		return "error/" + c.Error.Type
	case c.Skipped != nil:
		return "skipped/" + c.Skipped.Type
	}
	return "passed"
}

func parseJUnit(t *testing.T, data []byte) parsedSuites {
	t.Helper()
	var doc parsedSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse JUnit: %v\n%s", err, data)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(doc.Suites))
	}
	return doc
}

// junitSchema is the common JUnit schema (the one Jenkins' xUnit plugin
// publishes as junit-10.xsd, which GitLab and the GitHub report actions
// read too), as element -> attributes (required ones marked with !) and
// the child elements allowed.
var junitSchema = map[string]struct{ attrs, children []string }{
	"testsuites": {[]string{"name", "time", "tests", "failures", "errors"}, []string{"testsuite"}},
	"testsuite": {[]string{"name!", "tests!", "failures!", "errors!", "group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"},
		[]string{"testsuite", "properties", "testcase", "system-out", "system-err"}},
	"properties": {nil, []string{"property"}},
	"property":   {[]string{"name!", "value!"}, nil},
	"testcase":   {[]string{"name!", "time", "classname", "group"}, []string{"skipped", "error", "failure", "system-out", "system-err"}},
	"failure":    {[]string{"type", "message"}, nil},
	"error":      {[]string{"type", "message"}, nil},
	"skipped":    {[]string{"type", "message"}, nil},
	"system-out": {nil, nil},
	"system-err": {nil, nil},
}

// surefireTime is the schema's pattern for time attributes.
var surefireTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// checkJUnitSchema checks data against junitSchema: the root, every
// element's attributes and children, the required attributes, the time
// pattern, and that the counts are numbers.
func checkJUnitSchema(t *testing.T, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("JUnit is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			rule, ok := junitSchema[name]
			if !ok {
				t.Errorf("element <%s> is not in the schema", name)
				continue
			}
			if len(stack) == 0 && name != "testsuites" {
				t.Errorf("root element <%s>, want <testsuites>", name)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if !slices.Contains(junitSchema[parent].children, name) {
					t.Errorf("<%s> inside <%s> is not allowed by the schema", name, parent)
				}
			}
			seen := map[string]bool{}
			for _, a := range tok.Attr {
				seen[a.Name.Local] = true
				if !slices.Contains(rule.attrs, a.Name.Local) && !slices.Contains(rule.attrs, a.Name.Local+"!") {
					t.Errorf("<%s %s=...> is not in the schema", name, a.Name.Local)
				}
				switch a.Name.Local {
				case "time":
					if (name == "testsuite" || name == "testsuites") && !surefireTime.MatchString(a.Value) {
						t.Errorf("<%s time=%q> does not match the schema's time pattern", name, a.Value)
					}
					if _, err := strconv.ParseFloat(a.Value, 64); err != nil {
						t.Errorf("<%s time=%q> is not a number", name, a.Value)
					}
				case "tests", "failures", "errors", "skipped":
					if _, err := strconv.Atoi(a.Value); err != nil {
						t.Errorf("<%s %s=%q> is not a count", name, a.Name.Local, a.Value)
					}
				}
			}
			for _, a := range rule.attrs {
				if req, ok := strings.CutSuffix(a, "!"); ok && !seen[req] {
					t.Errorf("<%s> lacks the required attribute %s", name, req)
				}
			}
			// The attributes GitHub's and GitLab's readers count with.
			want := map[string][]string{
				"testsuites": {"tests", "failures", "errors", "time"},
				"testsuite":  {"tests", "failures", "errors", "skipped", "time"},
				"testcase":   {"classname", "name", "time"},
			}[name]
			for _, a := range want {
				if !seen[a] {
					t.Errorf("<%s> lacks %s", name, a)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && strings.TrimSpace(string(tok)) != "" {
				if el := stack[len(stack)-1]; junitSchema[el].children != nil {
					t.Errorf("text %q inside <%s>, which holds only elements", fmt.Sprint(string(tok)), el)
				}
			}
		}
	}
}
