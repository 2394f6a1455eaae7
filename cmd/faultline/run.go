package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/runner/journal"
	"github.com/faultline/faultline/verdict"
	"github.com/faultline/faultline/verdict/report"
)

type runFlags struct {
	out        string
	runDir     string
	dryRun     bool
	prometheus string
	// allowStaging lets the run act on the environment of the
	// experiment's endpoints (staging.go).
	allowStaging bool
	// ci holds --junit, --summary, --fail-on and --format (ci.go).
	ci *ciRun
	// quiet and verbose set how much progress is printed (terminal.go).
	quiet, verbose bool
}

func newRun(e *env) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run an experiment and judge its hypotheses",
		Long: `Run starts the experiment's components (behind faultline's proxy where a
fault needs one), starts the workloads, measures a baseline, then for each
failure mode injects its faults, checks they landed, holds them, reverts
them and measures the recovery. Each hypothesis is judged with 2-sigma
cohort analysis.

The run directory receives conclusions.json, report.md, events.csv and one
log per component. Ctrl-C reverts every active fault, stops every process
and exits with code 3.

On a terminal, a status area shows the phase and its time left, the active
faults and each workload's requests per second, errors and outlier fraction
in the last window; events print as lines above it. When stdout is not a
terminal or CI is set, every event is a plain timestamped line (NO_COLOR
turns colour off). See docs/terminal.md.

Exit codes: 0 all confirmed (with the default --fail-on refuted, also
when some are inconclusive), 1 a hypothesis refuted, 2 invalid input,
3 the run did not finish or an abort limit tripped (with --fail-on
inconclusive, also an inconclusive hypothesis), 4 runtime error.
For CI (docs/ci.md): --junit, --summary, --fail-on, --format json.`,
		Example: `  faultline run examples/quickstart/quickstart.hcl
  faultline run --dry-run examples/quickstart/quickstart.hcl
  faultline run --out /tmp/runs examples/quickstart/quickstart.hcl
  faultline run --junit junit.xml --summary "$GITHUB_STEP_SUMMARY" --fail-on inconclusive ci/checkout.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.ci.finish(runRun(cmd.Context(), f.ci.begin(args[0]), f, args[0]))
		},
	}
	cmd.Flags().StringVar(&f.out, "out", "runs", "directory under which the run directory <timestamp>-<name> is created")
	cmd.Flags().StringVar(&f.runDir, "run-dir", "", "exact run directory to write (overrides --out; must not exist or be empty)")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print the plan and touch nothing")
	cmd.Flags().BoolVar(&f.allowStaging, "allow-staging", false, "let the run act on the environment its endpoint components belong to (otherwise asked at a terminal, refused elsewhere)")
	cmd.Flags().StringVar(&f.prometheus, "prometheus", "", "base URL of the Prometheus-compatible API to read signals and alerts from, replacing the telemetry block's address")
	cmd.Flags().BoolVar(&f.quiet, "quiet", false, "print only problems and the final summary")
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "also print each window's numbers (requests per second, errors, outliers) as lines")
	cmd.MarkFlagsMutuallyExclusive("quiet", "verbose")
	f.ci = newCIRun(e, cmd)
	return cmd
}

func runRun(ctx context.Context, e *env, f runFlags, path string) error {
	return runWith(ctx, e, f, path, nil)
}

// runWith is runRun, guided by g for faultline gameday (nil for a plain
// run).
func runWith(ctx context.Context, e *env, f runFlags, path string, g *gameday) error {
	exp, err := load(e, e.stderr, path)
	if err != nil {
		return err
	}
	f.ci.loaded(exp)
	plan := runner.NewPlan(exp)
	if f.dryRun {
		return writePlan(e.stdout, plan, "text")
	}
	if g != nil {
		if err := g.intro(plan); err != nil {
			return err
		}
	}
	if err := stagingGate(ctx, e, plan, f.allowStaging); err != nil {
		return err
	}
	if err := plan.StagingPreflight(e.lookupEnv); err != nil {
		return withCode(ExitRuntime, err)
	}

	// The telemetry is checked before anything is created: a run must
	// not find out at its end that its signals cannot be read.
	tel, err := runner.ConnectTelemetry(ctx, exp, f.prometheus, e.getenv)
	if err != nil {
		return withCode(ExitRuntime, err)
	}

	start := e.now()
	// The run id names the run directory and labels what the run makes
	// on the engine, so two runs started in the same second must differ.
	runID := fmt.Sprintf("%s-%s-%04x", start.UTC().Format("20060102-150405"), exp.Name, rand.IntN(1<<16))
	dir := f.runDir
	if dir == "" {
		dir = filepath.Join(f.out, runID)
	}
	if err := makeRunDir(dir); err != nil {
		return withCode(ExitRuntime, err)
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return withCode(ExitRuntime, fmt.Errorf("create run directory: %w", err))
	}

	warnUnfinished(e, filepath.Dir(dir))
	host, _ := os.Hostname()
	jw, err := journal.Create(dir, journal.Record{RunID: runID, Experiment: exp.Name, File: path, PID: os.Getpid(), Host: host})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("create the run journal: %w", err))
	}
	defer jw.Close()

	if f.level() != verbosityQuiet {
		fmt.Fprintf(e.stdout, "faultline: running %q from %s: %s of phases; writing to %s\n",
			exp.Name, path, roundDur(plan.Total()), dir)
	}
	pv := newProgressOut(e, f.level(), plan, start, f.ci.progress())
	f.ci.started(runID, dir, start, plan.Total())

	opts := runner.Options{
		LogDir:    logDir,
		Progress:  pv.show,
		Now:       e.now,
		RunID:     runID,
		Journal:   jw,
		Telemetry: tel,
		LookupEnv: e.lookupEnv,
	}
	detach := func() {}
	if g != nil {
		detach = g.attach(&opts, pv)
	}
	res, runErr := runner.Run(ctx, plan, opts)
	detach()
	pv.close()
	endJournal(e, jw, res, runErr)
	if res == nil {
		return withCode(ExitRuntime, runErr)
	}

	judge := verdict.New(verdict.Options{Window: exp.Window, Sigma: exp.Sigma, Threshold: exp.Threshold})
	concl := report.Conclude(exp, res.Timeline, append(slices.Clip(res.Events), res.Signals...), judge)
	if f.prometheus != "" {
		concl.Experiment.Telemetry = f.prometheus // the address the run read, not the file's
	}
	f.ci.concluded(concl)
	if err := writeRunFiles(dir, exp, concl, res.Events, res.Signals); err != nil {
		return withCode(ExitRuntime, err)
	}
	writeSummary(e.stdout, concl, dir)

	switch {
	case runErr != nil:
		return withCode(ExitRuntime, runErr)
	case unreverted(res) > 0:
		return withCode(ExitRuntime, fmt.Errorf("%d fault(s) could not be reverted and may still be in place (see the problems above); `faultline recover %s` tries again", unreverted(res), dir))
	case f.ci.verdictCode(concl) != ExitConfirmed:
		return withCode(f.ci.verdictCode(concl), nil)
	}
	return nil
}

// makeRunDir creates dir, refusing to mix two runs in one directory.
func makeRunDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("run directory %s exists and is not empty: choose another with --run-dir or --out", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create run directory: %w", err)
	}
	return nil
}

func writeRunFiles(dir string, exp *experiments.Experiment, c report.Conclusions, events, signals []observe.Event) error {
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"events.csv", func(w io.Writer) error { return observe.WriteCSV(w, events, nil) }},
		{"conclusions.json", func(w io.Writer) error { return report.WriteJSON(w, c) }},
		{"report.md", func(w io.Writer) error { return report.WriteMarkdown(w, c) }},
	}
	if len(signals) > 0 {
		files = append(files, struct {
			name  string
			write func(io.Writer) error
		}{"signals.csv", func(w io.Writer) error { return observe.WriteCSV(w, signals, nil) }})
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	// report.html reads the event files just written (report.go).
	if err := writeFile(filepath.Join(dir, "report.html"), func(w io.Writer) error { return report.WriteHTML(w, c, runFiles(dir)) }); err != nil {
		return err
	}
	// fmea.md links to the reports above (fmea.go).
	return writeFile(filepath.Join(dir, "fmea.md"), func(w io.Writer) error { return writeRunFMEA(w, exp, dir, c) })
}

// writeFile writes a file through a buffer and reports any error,
// including the one from closing it.
func writeFile(path string, write func(io.Writer) error) (err error) {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriter(fh)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// progressView prints one plain line per progress event, with the time
// since the start of the run.
type progressView struct {
	w     io.Writer
	start time.Time
	now   func() time.Time
	// json, when set, takes every event instead (--format json, ci.go).
	json func(runner.Progress)
	// level says which events are printed (terminal.go).
	level verbosity
}

func (p *progressView) show(pr runner.Progress) {
	if p.json != nil {
		p.json(pr)
		return
	}
	if !p.wants(pr) {
		return
	}
	if pr.Kind == runner.KindWindow {
		p.windows(pr)
		return
	}
	t := pr.Time
	if t.IsZero() {
		t = p.now()
	}
	var msg string
	switch pr.Kind {
	case runner.KindPhase:
		msg = fmt.Sprintf("%s %s", pr.Phase, roundDur(pr.Duration))
		if pr.FailureMode != "" {
			msg = fmt.Sprintf("%s %s, %s", pr.Phase, pr.FailureMode, roundDur(pr.Duration))
		}
		msg = "── " + msg
	case runner.KindProblem:
		msg = "problem: " + pr.Message
	default:
		msg = "   " + pr.Message
	}
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", t.Sub(p.start).Seconds(), msg)
}

func writeSummary(w io.Writer, c report.Conclusions, dir string) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HYPOTHESIS\tEXPECT\tVERDICT\tREASON")
	for _, h := range c.Hypotheses {
		expect := string(h.Expect)
		if h.WithinSeconds > 0 {
			expect += fmt.Sprintf(" within %gs", h.WithinSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, expect, strings.ToUpper(string(h.Outcome)), h.Reason)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s", c.Summary.Counts())
	if c.Aborted {
		fmt.Fprintf(w, "; aborted: %s", c.AbortReason)
	}
	fmt.Fprintf(w, "\nRun directory: %s (report.html, report.md, conclusions.json, events.csv)\n", dir)
}

// endJournal writes the journal's end record: completed, aborted, or
// failed when something could not be undone (the journal then keeps it
// pending, for faultline recover).
func endJournal(e *env, jw *journal.Writer, res *runner.Result, runErr error) {
	outcome := journal.OutcomeCompleted
	switch {
	case res == nil:
		outcome = journal.OutcomeFailed
	case res.Timeline.Aborted || runErr != nil:
		outcome = journal.OutcomeAborted
	}
	if res != nil {
		for _, f := range res.Timeline.Faults {
			if f.RevertError != "" {
				outcome = journal.OutcomeFailed
			}
		}
	}
	if err := jw.End(outcome); err != nil {
		fmt.Fprintf(e.stderr, "faultline: journal: %v\n", err)
	}
}

// warnUnfinished tells about runs under dir whose journal shows they did
// not finish and whose faultline is gone: they may have left faults or
// components behind. It touches nothing.
func warnUnfinished(e *env, dir string) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*", journal.FileName))
	for _, p := range paths {
		if busy, err := journal.InUse(p); err != nil || busy {
			continue
		}
		j, err := journal.ReadFile(p)
		if err != nil || !j.NeedsRecovery() {
			continue
		}
		run := filepath.Dir(p)
		fmt.Fprintf(e.stderr, "faultline: run %s (faultline pid %d, started %s) did not finish and may have left faults or components behind; `faultline recover %s` undoes what it left\n",
			run, j.Run().PID, j.Start().Local().Format("2006-01-02 15:04:05"), run)
	}
}
