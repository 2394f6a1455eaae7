package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// JUnitOptions says how a run's conclusions map onto JUnit test results.
type JUnitOptions struct {
	// FailInconclusive reports the inconclusive hypotheses of a finished
	// run as failures; otherwise they are skipped.
	FailInconclusive bool
	// Error is set when the run stopped on an error (a component that did
	// not start, telemetry that did not answer, an invalid file). The
	// hypotheses it left inconclusive are then errors carrying it, and a
	// file without hypotheses gets one test case, named after the
	// experiment file, that carries it.
	Error string
	// RunDir is the run directory, recorded as a property.
	RunDir string
}

// Test case kinds: how a hypothesis counts in a CI test report.
const (
	TestPassed  = "passed"
	TestFailure = "failure"
	TestSkipped = "skipped"
	TestError   = "error"
)

// TestCase is one hypothesis as a CI test case: its kind, and for anything
// but passed, a type naming why and a one-line message.
type TestCase struct {
	Kind    string
	Type    string
	Message string
}

// Classify classifies a hypothesis of c for a CI report:
//
//   - confirmed: passed;
//   - refuted: a failure of type "refuted";
//   - aborted by an abort limit: an error of type "aborted" (the limit
//     reverted the fault before the hypothesis could be judged);
//   - inconclusive, when the run stopped on an error: an error of type
//     "run-error"; when the run was aborted (interrupted, stopped by a
//     limit, max_duration): an error of type "run-aborted";
//   - inconclusive in a run that finished: skipped, or with
//     FailInconclusive a failure, of type "inconclusive".
func Classify(c Conclusions, h Hypothesis, opts JUnitOptions) TestCase {
	switch h.Outcome {
	case verdict.Confirmed:
		return TestCase{Kind: TestPassed}
	case verdict.Refuted:
		return TestCase{Kind: TestFailure, Type: "refuted", Message: h.Reason}
	case verdict.Aborted:
		return TestCase{Kind: TestError, Type: "aborted", Message: h.Reason}
	}
	switch {
	case opts.Error != "":
		return TestCase{Kind: TestError, Type: "run-error", Message: "the run stopped on an error: " + opts.Error}
	case c.Aborted:
		return TestCase{Kind: TestError, Type: "run-aborted", Message: "the run was aborted before this hypothesis was judged: " + c.AbortReason}
	case opts.FailInconclusive:
		return TestCase{Kind: TestFailure, Type: "inconclusive", Message: h.Reason}
	}
	return TestCase{Kind: TestSkipped, Type: "inconclusive", Message: h.Reason}
}

// The JUnit XML shape: the common schema read by Jenkins, GitLab and the
// GitHub test report actions (testsuites > testsuite > testcase, suite
// properties, testcase failure/error/skipped and system-out). Test cases
// carry no properties: the common schema has none there.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	File       string          `xml:"file,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure"`
	Error     *junitOutcome `xml:"error"`
	Skipped   *junitOutcome `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitOutcome struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the conclusions as JUnit XML: one test suite for the
// experiment and one test case per hypothesis, classified by Classify. A
// test case's classname is the experiment, its name the hypothesis, and
// its time the span of its failure mode's fault and recovery phases. The
// suite's properties hold the run id, the experiment file, the run
// directory, the --fail-on policy, and per hypothesis its failure mode,
// what it is judged on, its expectation and its outcome
// ("hypothesis.<name>.failure_mode" and so on).
func WriteJUnit(w io.Writer, c Conclusions, opts JUnitOptions) error {
	class := c.Experiment.Name
	if class == "" {
		class = strings.TrimSuffix(filepath.Base(c.Experiment.File), filepath.Ext(c.Experiment.File))
	}
	suite := junitSuite{
		Name: class,
		Time: junitTime(c.DurationSeconds),
		File: c.Experiment.File,
	}
	if !c.Start.IsZero() {
		suite.Timestamp = c.Start.UTC().Format(time.RFC3339)
	}
	policy := "refuted"
	if opts.FailInconclusive {
		policy = "inconclusive"
	}
	prop := func(name, value string) {
		if value != "" {
			suite.Properties = append(suite.Properties, junitProperty{name, value})
		}
	}
	prop("run_id", c.RunID)
	prop("experiment", c.Experiment.Name)
	prop("file", c.Experiment.File)
	prop("run_dir", opts.RunDir)
	prop("fail_on", policy)
	prop("summary", c.Summary.Counts())
	if c.Aborted {
		prop("abort_reason", c.AbortReason)
	}
	prop("error", opts.Error)

	for _, h := range c.Hypotheses {
		key := "hypothesis." + h.Name + "."
		prop(key+"failure_mode", h.FailureMode)
		prop(key+"workload", h.Workload)
		prop(key+"signal", h.Signal)
		prop(key+"expect", expectWords(h))
		prop(key+"outcome", string(h.Outcome))

		tc := junitCase{
			Name:      h.Name,
			Classname: class,
			Time:      junitTime(faultRecoverySpan(c.Phases, h.FailureMode)),
			SystemOut: fmt.Sprintf("failure mode: %s\njudged on: %s\nexpect: %s\noutcome: %s\nreason: %s\n",
				h.FailureMode, subject(h), expectWords(h), h.Outcome, h.Reason),
		}
		cs := Classify(c, h, opts)
		out := &junitOutcome{Type: cs.Type, Message: cs.Message, Text: h.Reason}
		switch cs.Kind {
		case TestFailure:
			tc.Failure = out
			suite.Failures++
		case TestError:
			tc.Error = out
			suite.Errors++
		case TestSkipped:
			tc.Skipped = out
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if len(c.Hypotheses) == 0 && opts.Error != "" {
		name := c.Experiment.File
		if name == "" {
			name = class
		}
		suite.Cases = append(suite.Cases, junitCase{
			Name: name, Classname: class, Time: junitTime(0),
			Error: &junitOutcome{Type: "run-error", Message: opts.Error, Text: opts.Error},
		})
		suite.Errors++
	}
	suite.Tests = len(suite.Cases)

	doc := junitSuites{
		Name:     "faultline " + class,
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Errors:   suite.Errors,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// faultRecoverySpan is the time a failure mode's fault and recovery phases took,
// in seconds: a phase cut short counts up to where it ended.
func faultRecoverySpan(phases []observe.Phase, fm string) float64 {
	var d time.Duration
	for _, p := range phases {
		if p.FailureMode != fm || (p.Name != observe.PhaseFault && p.Name != observe.PhaseRecovery) {
			continue
		}
		if !p.Start.IsZero() && p.End.After(p.Start) {
			d += p.End.Sub(p.Start)
		}
	}
	return d.Seconds()
}

// junitTime formats a duration in seconds as JUnit's time attributes want
// it: a plain decimal number.
func junitTime(s float64) string {
	return strconv.FormatFloat(max(s, 0), 'f', 3, 64)
}

// expectWords is a hypothesis's expectation in words: "steady",
// "recovers within 5s".
func expectWords(h Hypothesis) string {
	e := string(h.Expect)
	if h.WithinSeconds > 0 {
		e += fmt.Sprintf(" within %gs", h.WithinSeconds)
	}
	return e
}
