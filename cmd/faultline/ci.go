package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/verdict"
	"github.com/faultline/faultline/verdict/report"
)

// This file holds what `faultline run` offers a CI pipeline (docs/ci.md):
// the --fail-on gate, the JUnit file, the Markdown step summary and the
// JSON Lines progress. run.go calls it at a few points: begin, loaded,
// started, the progress option, concluded, verdictCode and finish.

// failOn is the --fail-on policy: which verdicts fail the run.
type failOn string

const (
	// failOnRefuted fails the run on refuted hypotheses only: an
	// inconclusive one does not change the exit code.
	failOnRefuted failOn = "refuted"
	// failOnInconclusive fails it on inconclusive hypotheses too.
	failOnInconclusive failOn = "inconclusive"
)

func (f *failOn) String() string { return string(*f) }
func (f *failOn) Type() string   { return "refuted|inconclusive" }
func (f *failOn) Set(v string) error {
	switch failOn(v) {
	case failOnRefuted, failOnInconclusive:
		*f = failOn(v)
		return nil
	}
	return fmt.Errorf("%q: use refuted or inconclusive", v)
}

// outputFormat is run's --format: plain lines or JSON Lines on stdout.
type outputFormat string

func (o *outputFormat) String() string { return string(*o) }
func (o *outputFormat) Type() string   { return "text|json" }
func (o *outputFormat) Set(v string) error {
	if err := formatFlag(v); err != nil {
		return fmt.Errorf("%q: use text or json", v)
	}
	*o = outputFormat(v)
	return nil
}

// ciRun is one `faultline run` as a CI step: its flags, and what the run
// reached, recorded by the hooks run.go calls. A nil *ciRun (a run started
// by another command) records nothing and gates as --fail-on inconclusive,
// the exit-code contract.
type ciRun struct {
	e       *env
	junit   string
	summary string
	failOn  failOn
	format  outputFormat

	path  string
	begun time.Time
	exp   *experiments.Experiment
	runID string
	dir   string
	start time.Time
	concl *report.Conclusions

	mu sync.Mutex // serialises JSON lines
}

// newCIRun registers run's CI flags on cmd.
func newCIRun(e *env, cmd *cobra.Command) *ciRun {
	ci := &ciRun{e: e, failOn: failOnInconclusive, format: "text"}
	fs := cmd.Flags()
	fs.StringVar(&ci.junit, "junit", "", "write a JUnit XML report to this file: one test case per hypothesis")
	fs.StringVar(&ci.summary, "summary", "", "append a Markdown summary to this file (for GitHub Actions: --summary \"$GITHUB_STEP_SUMMARY\")")
	fs.Var(&ci.failOn, "fail-on", "which verdicts fail the run: inconclusive (the default: inconclusive hypotheses exit 3), or refuted (only refuted hypotheses fail it; inconclusive ones exit 0)")
	fs.Var(&ci.format, "format", "progress on stdout: text, or json (one JSON object per line, ending with a summary)")
	return ci
}

func (ci *ciRun) jsonMode() bool { return ci != nil && ci.format == "json" }

// begin records the experiment file and returns the env the run writes
// through: with --format json its human output is dropped, and stdout
// carries JSON lines only.
func (ci *ciRun) begin(path string) *env {
	ci.path, ci.begun = path, ci.e.now()
	if !ci.jsonMode() {
		return ci.e
	}
	quiet := *ci.e
	quiet.stdout = io.Discard
	return &quiet
}

// loaded records the experiment once it has parsed.
func (ci *ciRun) loaded(exp *experiments.Experiment) {
	if ci != nil {
		ci.exp = exp
	}
}

// started records the run's id and directory, once the directory exists.
func (ci *ciRun) started(runID, dir string, start time.Time, planned time.Duration) {
	if ci == nil {
		return
	}
	ci.runID, ci.dir, ci.start = runID, dir, start
	if !ci.jsonMode() {
		return
	}
	ci.emit(jsonRun{
		jsonHeader:     ci.header("run", start, fmt.Sprintf("running %q from %s: %s of phases; writing to %s", ci.exp.Name, ci.path, roundDur(planned), dir)),
		RunID:          runID,
		Experiment:     ci.exp.Name,
		File:           ci.path,
		RunDir:         dir,
		PlannedSeconds: planned.Seconds(),
	})
}

// progress is the progress view's JSON option: nil for plain text.
func (ci *ciRun) progress() func(runner.Progress) {
	if !ci.jsonMode() {
		return nil
	}
	var phase, mode string
	return func(pr runner.Progress) {
		ci.mu.Lock()
		if pr.Kind == runner.KindPhase {
			phase, mode = pr.Phase, pr.FailureMode
		}
		h := jsonHeader{Type: progressType(pr.Kind), Phase: phase, FailureMode: pr.FailureMode, Message: pr.Message}
		if h.FailureMode == "" {
			h.FailureMode = mode
		}
		ci.mu.Unlock()
		t := pr.Time
		if t.IsZero() {
			t = ci.e.now()
		}
		h = ci.stamp(h, t)
		switch pr.Kind {
		case runner.KindPhase:
			h.Message = fmt.Sprintf("%s %s", pr.Phase, roundDur(pr.Duration))
			if pr.FailureMode != "" {
				h.Message = fmt.Sprintf("%s %s, %s", pr.Phase, pr.FailureMode, roundDur(pr.Duration))
			}
			ci.emit(jsonPhase{jsonHeader: h, DurationSeconds: pr.Duration.Seconds()})
		case runner.KindWindow:
			ws := make([]jsonWindow, 0, len(pr.Windows))
			var msg []string
			for _, w := range pr.Windows {
				jw := jsonWindow{Workload: w.Workload, Start: w.Start.UTC().Format(time.RFC3339Nano), End: w.End.UTC().Format(time.RFC3339Nano),
					Events: w.Events, Failures: w.Failures, Rate: w.Rate, Judged: w.Judged}
				part := fmt.Sprintf("%s %.0f/s", w.Workload, w.Rate)
				if w.Judged {
					f := w.Fraction()
					jw.OutlierFraction = &f
					part += fmt.Sprintf(" %.1f%% outliers", 100*f)
				}
				ws = append(ws, jw)
				msg = append(msg, part)
			}
			if h.Message == "" {
				h.Message = strings.Join(msg, "; ")
			}
			ci.emit(jsonWindows{jsonHeader: h, Windows: ws})
		default:
			ci.emit(jsonEvent{jsonHeader: h, Fault: pr.Fault, Target: pr.Target})
		}
	}
}

// progressType names a runner progress kind in the JSON lines.
func progressType(k runner.ProgressKind) string {
	if k == runner.KindStart {
		return "component"
	}
	return string(k)
}

// concluded records the conclusions, before the run files are written.
func (ci *ciRun) concluded(c report.Conclusions) {
	if ci != nil {
		ci.concl = &c
	}
}

// verdictCode is the exit code the verdicts give under --fail-on (README,
// "Exit codes"): 1 when a hypothesis was refuted; otherwise 3 when the run
// did not finish or an abort limit reverted a fault; otherwise 3 for an
// inconclusive hypothesis unless --fail-on refuted; otherwise 0.
func (ci *ciRun) verdictCode(c report.Conclusions) ExitCode {
	switch {
	case c.Summary.Refuted > 0:
		return ExitRefuted
	case c.Aborted || c.Summary.Aborted > 0:
		return ExitInconclusive
	case c.Summary.Inconclusive > 0 && (ci == nil || ci.failOn == failOnInconclusive):
		return ExitInconclusive
	}
	return ExitConfirmed
}

// finish writes the JUnit file, the step summary and the last JSON lines
// for a run that ended with err (nil, or an *exitError), and returns the
// error execute reports, with the same exit code as the summary line. A
// file that cannot be written makes the run a runtime error.
func (ci *ciRun) finish(err error) error {
	code := ExitConfirmed
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = ExitInvalid
	}
	if err == nil && ci.runID == "" {
		// A dry run: nothing ran, so nothing is reported but the plan.
		if ci.jsonMode() && ci.exp != nil {
			ci.emit(jsonPlan{jsonHeader: ci.header("plan", ci.e.now(), "dry run: nothing was started"), Plan: newPlanView(runner.NewPlan(ci.exp))})
			ci.emitSummary(code, report.Conclusions{}, "")
		}
		return nil
	}

	c, runErr := ci.conclusions(code, ee)
	opts := report.JUnitOptions{FailInconclusive: ci.failOn == failOnInconclusive, Error: runErr, RunDir: ci.dir}
	var werrs []error
	if ci.junit != "" {
		if werr := writeOutput(ci.junit, false, func(w io.Writer) error { return report.WriteJUnit(w, c, opts) }); werr != nil {
			werrs = append(werrs, werr)
		}
	}
	if ci.summary != "" {
		sum := report.SummaryOptions{Result: ci.result(code, c), RunDir: ci.dir, ArtifactsURL: ci.artifactsURL(), JUnit: opts}
		if werr := writeOutput(ci.summary, true, func(w io.Writer) error { return report.WriteStepSummary(w, c, sum) }); werr != nil {
			werrs = append(werrs, werr)
		}
	}
	if len(werrs) > 0 {
		code = ExitRuntime
		if err != nil && !(ee != nil && ee.err == nil) {
			werrs = append([]error{err}, werrs...)
		}
		err = withCode(code, errors.Join(werrs...))
	}
	if ci.jsonMode() {
		for _, h := range c.Hypotheses {
			ci.emit(jsonVerdict{
				jsonHeader: ci.header("verdict", ci.e.now(), h.Reason),
				Hypothesis: h.Name,
				Outcome:    string(h.Outcome),
				CI:         report.Classify(c, h, opts).Kind,
			}.withFailureMode(h.FailureMode))
		}
		ci.emitSummary(code, c, runErr)
	}
	if err == nil {
		return nil
	}
	if errors.As(err, &ee) {
		return err
	}
	return withCode(code, err)
}

// conclusions are the run's conclusions, or, for a run that stopped
// before it concluded, the experiment's hypotheses left inconclusive; and
// the error that stopped the run, in words ("" when it was not one).
func (ci *ciRun) conclusions(code ExitCode, ee *exitError) (report.Conclusions, string) {
	var runErr string
	if code == ExitRuntime || code == ExitInvalid {
		runErr = fmt.Sprintf("exit %d", code)
		if ee != nil && ee.err != nil {
			runErr = ee.err.Error()
		}
	}
	if ci.concl != nil {
		return *ci.concl, runErr
	}
	c := report.Conclusions{
		FormatVersion: report.FormatVersion,
		RunID:         ci.runID,
		Experiment:    report.ExperimentInfo{File: ci.path},
		Start:         ci.start,
	}
	if ci.exp == nil {
		return c, runErr
	}
	c.Experiment.Name = ci.exp.Name
	for _, h := range ci.exp.Hypotheses {
		hr := report.Hypothesis{Name: h.Name, Description: h.Description, FailureMode: h.FailureMode.Name, WithinSeconds: h.Within.Seconds()}
		switch {
		case h.Workload != nil:
			hr.Workload = h.Workload.Name
		case h.Signal != nil:
			hr.Signal = h.Signal.Name
		}
		hr.Verdict = verdict.Verdict{Hypothesis: h.Name, Expect: verdict.Expectation(h.Expect), Outcome: verdict.Inconclusive,
			Reason: "inconclusive: the run did not start"}
		c.Hypotheses = append(c.Hypotheses, hr)
		c.Summary.Hypotheses++
		c.Summary.Inconclusive++
	}
	return c, runErr
}

// result says in words what the exit code means for this run.
func (ci *ciRun) result(code ExitCode, c report.Conclusions) string {
	var why string
	switch code {
	case ExitConfirmed:
		why = "passed"
		if n := c.Summary.Inconclusive; n > 0 {
			why += fmt.Sprintf(": %d inconclusive, not counted with --fail-on refuted", n)
		}
	case ExitRefuted:
		why = "failed: a hypothesis was refuted"
	case ExitInvalid:
		why = "failed: invalid input or usage"
	case ExitInconclusive:
		switch {
		case c.Aborted:
			why = "failed: the run did not finish"
		case c.Summary.Aborted > 0:
			why = "failed: an abort limit reverted a fault"
		default:
			why = "failed: a hypothesis was inconclusive, with --fail-on inconclusive"
		}
	default:
		why = "failed: runtime error"
	}
	return fmt.Sprintf("%s (exit %d)", why, code)
}

// artifactsURL is where the CI keeps this job's artifacts: the workflow
// run's page on GitHub Actions, the job's artifact browser on GitLab CI,
// read from the variables those set; "" elsewhere.
func (ci *ciRun) artifactsURL() string {
	g := ci.e.getenv
	if s, r, id := g("GITHUB_SERVER_URL"), g("GITHUB_REPOSITORY"), g("GITHUB_RUN_ID"); s != "" && r != "" && id != "" {
		return fmt.Sprintf("%s/%s/actions/runs/%s", strings.TrimSuffix(s, "/"), r, id)
	}
	if u := g("CI_JOB_URL"); u != "" {
		return strings.TrimSuffix(u, "/") + "/artifacts/browse"
	}
	return ""
}

// writeOutput writes a file named on the command line, creating its
// directory; with appendTo it appends, as GitHub expects of
// $GITHUB_STEP_SUMMARY.
func writeOutput(path string, appendTo bool, write func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !appendTo {
		return writeFile(path, write)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	// One write, so that a concurrent appender does not interleave.
	var b strings.Builder
	if err := write(&b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := io.WriteString(fh, b.String()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// The JSON Lines written with --format json (docs/ci.md, "JSON progress").
// Every line has the header's fields; each type adds its own.

// jsonFormatVersion changes when a field changes meaning or disappears.
const jsonFormatVersion = "1"

type jsonHeader struct {
	FormatVersion  string  `json:"format_version"`
	Type           string  `json:"type"`
	Time           string  `json:"time"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Phase          string  `json:"phase"`
	FailureMode    string  `json:"failure_mode"`
	Message        string  `json:"message"`
}

type jsonRun struct {
	jsonHeader
	RunID          string  `json:"run_id"`
	Experiment     string  `json:"experiment"`
	File           string  `json:"file"`
	RunDir         string  `json:"run_dir"`
	PlannedSeconds float64 `json:"planned_seconds"`
}

type jsonPhase struct {
	jsonHeader
	DurationSeconds float64 `json:"duration_seconds"`
}

// jsonEvent is any other progress: a component up, an inject, a landed
// check, a revert, a problem, a failure mode left out, the stop.
type jsonEvent struct {
	jsonHeader
	Fault  string `json:"fault,omitempty"`
	Target string `json:"target,omitempty"`
}

// jsonWindows is a window of traffic that ended, per workload.
type jsonWindows struct {
	jsonHeader
	Windows []jsonWindow `json:"windows"`
}

type jsonWindow struct {
	Workload string  `json:"workload"`
	Start    string  `json:"start"`
	End      string  `json:"end"`
	Events   int     `json:"events"`
	Failures int     `json:"failures"`
	Rate     float64 `json:"rate"`
	// Judged reports that the live judge scored the window (after the
	// baseline); OutlierFraction is null before that.
	Judged          bool     `json:"judged"`
	OutlierFraction *float64 `json:"outlier_fraction"`
}

type jsonPlan struct {
	jsonHeader
	Plan planView `json:"plan"`
}

type jsonVerdict struct {
	jsonHeader
	Hypothesis string `json:"hypothesis"`
	Outcome    string `json:"outcome"`
	// CI is how the JUnit file counts it: passed, failure, skipped, error.
	CI string `json:"ci"`
}

func (v jsonVerdict) withFailureMode(fm string) jsonVerdict { v.FailureMode = fm; return v }

type jsonSummary struct {
	jsonHeader
	ExitCode     int    `json:"exit_code"`
	Passed       bool   `json:"passed"`
	FailOn       string `json:"fail_on"`
	RunID        string `json:"run_id"`
	RunDir       string `json:"run_dir"`
	Hypotheses   int    `json:"hypotheses"`
	Confirmed    int    `json:"confirmed"`
	Refuted      int    `json:"refuted"`
	Inconclusive int    `json:"inconclusive"`
	Aborted      int    `json:"aborted"`
	RunAborted   bool   `json:"run_aborted"`
	AbortReason  string `json:"abort_reason"`
	Error        string `json:"error"`
	JUnit        string `json:"junit"`
	StepSummary  string `json:"step_summary"`
}

func (ci *ciRun) header(typ string, t time.Time, msg string) jsonHeader {
	return ci.stamp(jsonHeader{Type: typ, Message: msg}, t)
}

// stamp fills in the version and the times: elapsed from the run's start,
// or before it, from the command's.
func (ci *ciRun) stamp(h jsonHeader, t time.Time) jsonHeader {
	h.FormatVersion = jsonFormatVersion
	h.Time = t.UTC().Format(time.RFC3339Nano)
	origin := ci.start
	if origin.IsZero() {
		origin = ci.begun
	}
	h.ElapsedSeconds = float64(t.Sub(origin).Milliseconds()) / 1000
	return h
}

func (ci *ciRun) emitSummary(code ExitCode, c report.Conclusions, runErr string) {
	msg := c.Summary.Counts()
	if runErr != "" {
		msg += "; " + runErr
	}
	ci.emit(jsonSummary{
		jsonHeader:   ci.header("summary", ci.e.now(), ci.result(code, c)+": "+msg),
		ExitCode:     int(code),
		Passed:       code == ExitConfirmed,
		FailOn:       string(ci.failOn),
		RunID:        ci.runID,
		RunDir:       ci.dir,
		Hypotheses:   c.Summary.Hypotheses,
		Confirmed:    c.Summary.Confirmed,
		Refuted:      c.Summary.Refuted,
		Inconclusive: c.Summary.Inconclusive,
		Aborted:      c.Summary.Aborted,
		RunAborted:   c.Aborted,
		AbortReason:  c.AbortReason,
		Error:        runErr,
		JUnit:        ci.junit,
		StepSummary:  ci.summary,
	})
}

// emit writes one JSON line to the real stdout.
func (ci *ciRun) emit(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(ci.e.stderr, "faultline: encode a JSON progress line: %v\n", err)
		return
	}
	ci.mu.Lock()
	defer ci.mu.Unlock()
	ci.e.stdout.Write(append(data, '\n'))
}
