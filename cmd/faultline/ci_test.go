package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/verdict/report"
)

// The CI tests run the built binary on short experiments, most of them in
// parallel with each other (about 35 s in all): each run is mostly waiting.

// ciResult is what one faultline process left.
type ciResult struct {
	code           int
	stdout, stderr string
}

// runCI runs the faultline binary in dir with extra environment variables.
func runCI(t *testing.T, ctx context.Context, dir string, env []string, args ...string) ciResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run faultline: %v", err)
	}
	return ciResult{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// junitDoc is the part of a JUnit file the tests read.
type junitDoc struct {
	XMLName xml.Name   `xml:"testsuites"`
	Attrs   []xml.Attr `xml:",any,attr"`
	Suites  []struct {
		Attrs      []xml.Attr `xml:",any,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func attr(attrs []xml.Attr, name string) (string, bool) {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// readJUnit parses a JUnit file and checks the attributes CI systems
// count with: on <testsuites> tests, failures, errors and time, on the
// suite also skipped, all numbers, and the suite's counts equal to what
// its test cases hold. It returns the file and each case as
// "name=kind/type".
func readJUnit(t *testing.T, path string) (junitDoc, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("JUnit file: %v", err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit file does not parse: %v\n%s", err, data)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("JUnit file has %d suites, want 1:\n%s", len(doc.Suites), data)
	}
	s := doc.Suites[0]
	num := func(attrs []xml.Attr, el, name string) float64 {
		v, ok := attr(attrs, name)
		if !ok {
			t.Errorf("<%s> lacks %s", el, name)
			return -1
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Errorf("<%s %s=%q> is not a number", el, name, v)
		}
		return f
	}
	for _, a := range []string{"tests", "failures", "errors", "time"} {
		num(doc.Attrs, "testsuites", a)
	}
	counts := map[string]float64{}
	for _, a := range []string{"tests", "failures", "errors", "skipped", "time"} {
		counts[a] = num(s.Attrs, "testsuite", a)
	}
	cases := map[string]string{}
	var failures, errs, skipped float64
	for _, c := range s.Cases {
		kind := "passed"
		switch {
		case c.Failure != nil:
			kind, failures = "failure/"+c.Failure.Type, failures+1
		case c.Error != nil:
			kind, errs = "error/"+c.Error.Type, errs+1
		case c.Skipped != nil:
			kind, skipped = "skipped/"+c.Skipped.Type, skipped+1
		}
		cases[c.Name] = kind
		if c.Classname == "" {
			t.Errorf("test case %s has no classname", c.Name)
		}
		if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
			t.Errorf("test case %s: time %q is not a number", c.Name, c.Time)
		}
	}
	if counts["tests"] != float64(len(s.Cases)) || counts["failures"] != failures || counts["errors"] != errs || counts["skipped"] != skipped {
		t.Errorf("suite counts %v differ from its test cases: %d cases, %v failures, %v errors, %v skipped", counts, len(s.Cases), failures, errs, skipped)
	}
	return doc, cases
}

// readJSONLines checks that every stdout line is a JSON object with the
// common fields, and that the last is the summary with the process's exit
// code. It returns the lines.
func readJSONLines(t *testing.T, r ciResult) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stdout line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		for _, f := range []string{"format_version", "type", "time", "elapsed_seconds", "phase", "failure_mode", "message"} {
			if _, ok := m[f]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, f, line)
			}
		}
		if ts, _ := m["time"].(string); ts != "" {
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("line %d: time %q: %v", i+1, ts, err)
			}
		}
		lines = append(lines, m)
	}
	last := lines[len(lines)-1]
	if last["type"] != "summary" {
		t.Fatalf("last line is %v, want the summary", last)
	}
	if code, _ := last["exit_code"].(float64); int(code) != r.code {
		t.Errorf("summary exit_code = %v, the process exited %d", last["exit_code"], r.code)
	}
	if passed, _ := last["passed"].(bool); passed != (r.code == 0) {
		t.Errorf("summary passed = %v with exit %d", passed, r.code)
	}
	return lines
}

func types(lines []map[string]any) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l["type"].(string))
	}
	return out
}

// TestCIRefuted: short.hcl refutes checkout-steady. The process exits 1
// under --fail-on refuted, and the JUnit file, the appended summary
// and the JSON lines say, for every hypothesis, what conclusions.json
// says.
//
// It runs alone, not beside the parallel CI tests. Even so, on a machine
// busy with other work the judge can find checkout's baseline unusable
// (inconclusive) or catalog's windows noisy (refuted; docs/judge.md, "A
// busy machine is a fault too"), so each hypothesis is checked against
// its own verdict, and a run that refutes nothing is logged and run once
// more.
func TestCIRefuted(t *testing.T) {
	var dir, summary string
	var r ciResult
	var c report.Conclusions
	for attempt := 1; ; attempt++ {
		path := experimentDir(t, "testdata/short.hcl")
		dir = filepath.Dir(path)
		summary = filepath.Join(dir, "step-summary.md")
		os.WriteFile(summary, []byte("# Earlier step\n\n"), 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		r = runCI(t, ctx, dir, nil, "run", "--run-dir", "run", "--junit", "out/junit.xml", "--summary", summary, "--format", "json", "--fail-on", "refuted", "short.hcl")
		cancel()
		c = readConclusions(t, filepath.Join(dir, "run"))
		if c.Summary.Refuted > 0 || attempt == 2 {
			break
		}
		t.Logf("attempt %d: nothing refuted (%s: %s); running it again", attempt, c.Summary.Counts(), c.Hypotheses[1].Reason)
	}
	if r.code != int(ExitRefuted) || c.Summary.Refuted == 0 {
		t.Fatalf("exit %d with %s, want %d and a refuted hypothesis\nstdout:\n%s\nstderr:\n%s", r.code, c.Summary.Counts(), ExitRefuted, r.stdout, r.stderr)
	}
	if o := outcomes(c)["checkout-steady"]; o != "refuted" {
		t.Logf("checkout-steady came out %s on this machine: %s", o, c.Hypotheses[1].Reason)
	}
	// What each verdict becomes in the JUnit file and the summary
	// (docs/ci.md), for a finished run under --fail-on refuted.
	junitKind := map[string]string{"confirmed": "passed", "refuted": "failure/refuted", "inconclusive": "skipped/inconclusive"}
	summaryCell := map[string]string{"confirmed": "**confirmed** | passed", "refuted": "**REFUTED** | failure", "inconclusive": "**inconclusive** | skipped"}

	doc, cases := readJUnit(t, filepath.Join(dir, "out/junit.xml"))
	if len(cases) != 2 {
		t.Errorf("JUnit cases = %v, want 2", cases)
	}
	for name, o := range outcomes(c) {
		if cases[name] != junitKind[o] {
			t.Errorf("JUnit case %s = %s, want %s for a hypothesis %s", name, cases[name], junitKind[o], o)
		}
	}
	s := doc.Suites[0]
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["run_id"] != c.RunID || props["hypothesis.checkout-steady.failure_mode"] != "prices-slow" ||
		props["hypothesis.checkout-steady.workload"] != "checkout" || props["run_dir"] != "run" {
		t.Errorf("JUnit properties = %v, want the run id %s, the failure mode, the workload and the run directory", props, c.RunID)
	}
	for _, tc := range s.Cases {
		sec, _ := strconv.ParseFloat(tc.Time, 64)
		// The fault (5 s) and recovery (5 s) phases of prices-slow.
		if tc.Classname != "short" || sec < 9.5 || sec > 11 {
			t.Errorf("test case %s: classname %q, time %ss; want short and about 10s", tc.Name, tc.Classname, tc.Time)
		}
		if tc.Failure != nil && !strings.HasPrefix(tc.Failure.Message, "refuted: ") {
			t.Errorf("failure message = %q, want the reason", tc.Failure.Message)
		}
	}

	sum, _ := os.ReadFile(summary)
	wants := []string{
		"# Earlier step\n\n### faultline: short — failed: a hypothesis was refuted (exit 1)\n",
		"Run directory: `run`",
	}
	for _, h := range c.Hypotheses {
		wants = append(wants, fmt.Sprintf("| %s | prices-slow | workload %s | steady | %s | %s", h.Name, h.Workload, summaryCell[string(h.Outcome)], h.Outcome))
	}
	for _, want := range wants {
		if !strings.Contains(string(sum), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}

	lines := readJSONLines(t, r)
	ts := types(lines)
	for _, want := range []string{"run", "component", "phase", "inject", "landed", "revert", "verdict", "summary"} {
		if !slices.Contains(ts, want) {
			t.Errorf("JSON lines lack type %q: %v", want, ts)
		}
	}
	if ts[0] != "run" || lines[0]["run_id"] != c.RunID {
		t.Errorf("first line = %v, want the run with id %s", lines[0], c.RunID)
	}
	var phases []string
	for _, l := range lines {
		switch l["type"] {
		case "phase":
			phases = append(phases, l["phase"].(string)+"/"+l["failure_mode"].(string))
		case "landed":
			if l["phase"] != "fault" || l["failure_mode"] != "prices-slow" || l["fault"] != "latency" || l["target"] != "prices" {
				t.Errorf("landed line = %v, want it in the fault phase of prices-slow, latency on prices", l)
			}
		case "verdict":
			name, _ := l["hypothesis"].(string)
			o := outcomes(c)[name]
			if l["outcome"] != o || l["ci"] != strings.Split(junitKind[o], "/")[0] {
				t.Errorf("verdict line = %v, want %s %s as in conclusions.json", l, name, o)
			}
		}
	}
	if want := []string{"warmup/", "baseline/", "fault/prices-slow", "recovery/prices-slow"}; !slices.Equal(phases, want) {
		t.Errorf("phases = %v, want %v", phases, want)
	}
	last := lines[len(lines)-1]
	if last["refuted"].(float64) != float64(c.Summary.Refuted) || last["hypotheses"].(float64) != 2 || last["junit"] != "out/junit.xml" || last["run_id"] != c.RunID {
		t.Errorf("summary line = %v, want the counts of conclusions.json", last)
	}
}

// TestCIFailOn: a run whose only hypothesis is inconclusive (too little
// traffic) exits 0 with --fail-on refuted, the test case skipped, and 3
// with --fail-on inconclusive, the test case failed.
func TestCIFailOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failOn string
		want   ExitCode
		kind   string
		result string
	}{
		{"refuted", ExitConfirmed, "skipped/inconclusive", "passed: 1 inconclusive, not counted with --fail-on refuted (exit 0)"},
		{"inconclusive", ExitInconclusive, "failure/inconclusive", "failed: a hypothesis was inconclusive, with --fail-on inconclusive (exit 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.failOn, func(t *testing.T) {
			t.Parallel()
			path := experimentDir(t, "testdata/inconclusive.hcl")
			dir := filepath.Dir(path)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := runCI(t, ctx, dir, nil, "run", "--run-dir", "run", "--junit", "junit.xml", "--summary", "summary.md",
				"--format", "json", "--fail-on", tt.failOn, "inconclusive.hcl")
			if r.code != int(tt.want) {
				t.Fatalf("--fail-on %s: exit %d, want %d\n%s%s", tt.failOn, r.code, tt.want, r.stdout, r.stderr)
			}
			if o := outcomes(readConclusions(t, filepath.Join(dir, "run"))); o["catalog-steady"] != "inconclusive" {
				t.Fatalf("outcomes = %v, want catalog-steady inconclusive", o)
			}
			if _, cases := readJUnit(t, filepath.Join(dir, "junit.xml")); cases["catalog-steady"] != tt.kind {
				t.Errorf("--fail-on %s: JUnit case = %s, want %s", tt.failOn, cases["catalog-steady"], tt.kind)
			}
			if sum, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(sum), tt.result) {
				t.Errorf("summary lacks %q:\n%s", tt.result, sum)
			}
			lines := readJSONLines(t, r)
			if last := lines[len(lines)-1]; last["fail_on"] != tt.failOn || last["inconclusive"].(float64) != 1 {
				t.Errorf("summary line = %v, want fail_on %s and 1 inconclusive", last, tt.failOn)
			}
		})
	}
}

// TestCIAbortLimit: an abort limit trips, so the run exits 3 even under
// --fail-on refuted, and its hypotheses are errors of type aborted.
//
// The limit is scored by the live judge, fitted on the baseline; on a
// machine busy enough to spoil the baseline nothing trips. Such a run is
// logged and run once more.
func TestCIAbortLimit(t *testing.T) {
	t.Parallel()
	var dir string
	for attempt := 1; ; attempt++ {
		path := experimentDir(t, "testdata/abort.hcl")
		dir = filepath.Dir(path)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		r := runCI(t, ctx, dir, nil, "run", "--run-dir", "run", "--junit", "junit.xml", "--fail-on", "refuted", "abort.hcl")
		cancel()
		if r.code == int(ExitInconclusive) {
			break
		}
		c := readConclusions(t, filepath.Join(dir, "run"))
		if attempt == 2 || len(c.Trips) > 0 {
			t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitInconclusive, r.stdout, r.stderr)
		}
		t.Logf("attempt %d: the abort limit did not trip (%s: %s); running it again", attempt, c.Summary.Counts(), c.Hypotheses[1].Reason)
	}
	_, cases := readJUnit(t, filepath.Join(dir, "junit.xml"))
	if want := map[string]string{"catalog-steady": "error/aborted", "checkout-steady": "error/aborted"}; !equalMaps(cases, want) {
		t.Errorf("JUnit cases = %v, want %v", cases, want)
	}
}

// TestCIInterrupted: SIGINT while the fault is held. The JSON lines
// arrive as the run goes (the landed line is what the test waits for),
// the process exits 3, and the JUnit file is written, the hypotheses left
// unjudged as errors naming the interrupt.
func TestCIInterrupted(t *testing.T) {
	t.Parallel()
	path := experimentDir(t, "testdata/short.hcl")
	dir := filepath.Dir(path)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), "run", "--run-dir", "run", "--junit", "junit.xml", "--format", "json", "short.hcl")
	cmd.Dir = dir
	pr, pw := io.Pipe()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	landed := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			stdout.WriteString(sc.Text() + "\n")
			if !signalled && strings.Contains(sc.Text(), `"type":"landed"`) {
				signalled = true
				close(landed)
			}
		}
	}()
	select {
	case <-landed:
	case <-ctx.Done():
		t.Fatalf("fault never landed:\n%s%s", stdout.String(), stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	pw.Close()
	<-done
	r := ciResult{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
	if r.code != int(ExitInconclusive) {
		t.Fatalf("exit %d after SIGINT, want %d\n%s%s", r.code, ExitInconclusive, r.stdout, r.stderr)
	}
	doc, cases := readJUnit(t, filepath.Join(dir, "junit.xml"))
	if want := map[string]string{"catalog-steady": "error/run-aborted", "checkout-steady": "error/run-aborted"}; !equalMaps(cases, want) {
		t.Errorf("JUnit cases = %v, want %v", cases, want)
	}
	if msg := doc.Suites[0].Cases[0].Error; msg == nil || !strings.Contains(msg.Message, "interrupted: SIGINT") {
		t.Errorf("error = %+v, want it to name the interrupt", msg)
	}
	lines := readJSONLines(t, r)
	if last := lines[len(lines)-1]; last["run_aborted"] != true || !strings.Contains(last["abort_reason"].(string), "SIGINT") {
		t.Errorf("summary line = %v, want the run aborted by SIGINT", last)
	}
}

// TestCIRunErrors: a component that does not start (exit 4) and an
// invalid file (exit 2) still leave a JUnit file with an error, a
// summary and a JSON summary line.
func TestCIRunErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		want       ExitCode
		cases      map[string]string
		text       []string // in the error message and the summary
	}{
		{"component does not start", "testdata/short.hcl", ExitRuntime,
			map[string]string{"catalog-steady": "error/run-error", "checkout-steady": "error/run-error"}, []string{"prices"}},
		{"invalid file", "testdata/three-mistakes.hcl", ExitInvalid,
			map[string]string{"three-mistakes.hcl": "error/run-error"}, []string{"three-mistakes.hcl: 3 errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir() // no bin/: the components cannot start
			data, _ := os.ReadFile(tt.file)
			os.WriteFile(filepath.Join(dir, filepath.Base(tt.file)), data, 0o644)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r := runCI(t, ctx, dir, nil, "run", "--run-dir", "run", "--junit", "junit.xml", "--summary", "summary.md", "--format", "json", filepath.Base(tt.file))
			if r.code != int(tt.want) {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.want, r.stdout, r.stderr)
			}
			doc, cases := readJUnit(t, filepath.Join(dir, "junit.xml"))
			if !equalMaps(cases, tt.cases) {
				t.Errorf("JUnit cases = %v, want %v", cases, tt.cases)
			}
			sum, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
			lines := readJSONLines(t, r)
			for _, w := range tt.text {
				if e := doc.Suites[0].Cases[0].Error; e == nil || !strings.Contains(e.Message, w) {
					t.Errorf("JUnit error = %+v, want it to contain %q", e, w)
				}
				if !strings.Contains(string(sum), w) {
					t.Errorf("summary lacks %q:\n%s", w, sum)
				}
				if e, _ := lines[len(lines)-1]["error"].(string); !strings.Contains(e, w) {
					t.Errorf("summary line error = %q, want %q", e, w)
				}
			}
		})
	}
}

// TestCIFlags: bad --fail-on and --format values are usage errors, and a
// dry run with --format json prints the plan and a summary as JSON.
func TestCIFlags(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--fail-on", "flaky", "testdata/short.hcl"},
		{"run", "--format", "yaml", "testdata/short.hcl"},
	} {
		e, out, errb := testEnv()
		if got := execute(context.Background(), e, args); got != ExitInvalid {
			t.Errorf("execute(%q) = %d, want %d\n%s%s", args, got, ExitInvalid, out, errb)
		}
	}

	e, out, errb := testEnv()
	if got := execute(context.Background(), e, []string{"run", "--dry-run", "--format", "json", "testdata/short.hcl"}); got != ExitConfirmed {
		t.Fatalf("dry run = %d, want 0\n%s", got, errb)
	}
	lines := readJSONLines(t, ciResult{code: 0, stdout: out.String()})
	if ts := types(lines); !slices.Equal(ts, []string{"plan", "summary"}) {
		t.Errorf("dry run lines = %v, want plan and summary", ts)
	}
	if plan, _ := lines[0]["plan"].(map[string]any); plan == nil || plan["experiment"] != "short" {
		t.Errorf("plan line = %v, want the plan of short", lines[0])
	}
}

// TestCIGateScript runs the gate script that docs/ci.md documents (and
// includes verbatim) with bash against the binary, as the GitHub workflow
// does: FAIL_ON=inconclusive on a run whose hypothesis is inconclusive
// fails the gate with exit 3, and leaves the run directory, the JUnit file
// and the summary in the output directory, with the summary copied to
// $GITHUB_STEP_SUMMARY.
func TestCIGateScript(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile("../../docs/ci-gate.sh")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```bash\n"+string(script)+"```\n") {
		t.Fatalf("docs/ci.md does not include docs/ci-gate.sh verbatim")
	}
	for _, ci := range []string{"run: ./ci/ci-gate.sh experiments/checkout.hcl faultline-out", "- ./ci/ci-gate.sh experiments/checkout.hcl faultline-out",
		"report_paths: faultline-out/junit.xml", "junit: faultline-out/junit.xml", "path: faultline-out/", "- faultline-out/"} {
		if !strings.Contains(string(doc), ci) {
			t.Errorf("docs/ci.md's workflows lack %q", ci)
		}
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is needed to run the documented gate script: %v", err)
	}

	path := experimentDir(t, "testdata/inconclusive.hcl")
	dir := filepath.Dir(path)
	stepSummary := filepath.Join(t.TempDir(), "step_summary")
	os.WriteFile(stepSummary, []byte("before\n"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(mustAbs(t, "../../docs/ci-gate.sh")), "inconclusive.hcl", "faultline-out")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FAULTLINE="+filepath.Join(binDir, "faultline"), "FAIL_ON=inconclusive",
		"GITHUB_STEP_SUMMARY="+stepSummary, "GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=acme/shop", "GITHUB_RUN_ID=42")
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != int(ExitInconclusive) {
		t.Fatalf("gate script exit %d, want %d\n%s", code, ExitInconclusive, out)
	}
	if !strings.Contains(string(out), "faultline gate: failed: the run did not finish, an abort limit reverted a fault, or a hypothesis was inconclusive") {
		t.Errorf("gate script did not explain exit 3:\n%s", out)
	}
	outDir := filepath.Join(dir, "faultline-out")
	if c := readConclusions(t, filepath.Join(outDir, "run")); c.Summary.Inconclusive != 1 {
		t.Errorf("conclusions: %s, want 1 inconclusive", c.Summary.Counts())
	}
	for _, f := range []string{"run/report.md", "run/events.csv", "run/journal.jsonl", "run/logs/shop.log"} {
		if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
			t.Errorf("artifact %s: %v", f, err)
		}
	}
	if _, cases := readJUnit(t, filepath.Join(outDir, "junit.xml")); cases["catalog-steady"] != "failure/inconclusive" {
		t.Errorf("JUnit cases = %v, want catalog-steady failure/inconclusive", cases)
	}
	sum, err := os.ReadFile(filepath.Join(outDir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sum), "([artifacts](https://github.com/acme/shop/actions/runs/42))") {
		t.Errorf("summary does not link the workflow run's artifacts:\n%s", sum)
	}
	if step, _ := os.ReadFile(stepSummary); string(step) != "before\n"+string(sum) {
		t.Errorf("$GITHUB_STEP_SUMMARY = %q, want the earlier content and then the summary", step)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
