package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/fmea"
	"github.com/faultline/faultline/verdict/report"
)

type fmeaFlags struct {
	evidence []string
	asOf     string
	maxAge   string
	format   string
	out      string
}

// defaultMaxAge is the default of faultline fmea --max-age.
const defaultMaxAge = "90d"

func newFMEA(e *env) *cobra.Command {
	var f fmeaFlags
	cmd := &cobra.Command{
		Use:   "fmea FILE [--evidence RUN_DIR...]",
		Short: "Write the FMEA worksheet of an experiment, with the evidence of past runs",
		Long: `FMEA writes the experiment's FMEA worksheet (AIAG & VDA 2019): the header of
its fmea block, one row per failure mode with its component, function,
effect, cause, controls, severity, occurrence and detection, the Action
Priority (H/M/L) and RPN, and the recommended actions. Rows are sorted by
AP, then RPN.

With --evidence, the conclusions of past runs are folded in: per failure
mode its hypotheses, runs, verdicts, peak impact, alert time to detect and
last run, and the re-ratings the evidence proposes, each with its rule and
reason. Proposals are never applied. The rules are in docs/fmea.md.

--evidence takes a run directory, a directory of run directories (runs/),
or a glob (quoted, faultline expands it); it may be repeated, and the
arguments after FILE are more evidence. Runs of another experiment are
left out with a warning.

Output is deterministic: the same file and runs give the same bytes.
Exit codes: 0 written, 2 invalid input, 4 the output could not be written.`,
		Example: `  faultline fmea examples/quickstart/quickstart.hcl
  faultline fmea examples/quickstart/quickstart.hcl --evidence runs/ --format html --out fmea.html
  faultline fmea shop.hcl --evidence 'runs/*-shop-*' --max-age 30d --out fmea.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 && !cmd.Flags().Changed("evidence") {
				return withCode(ExitInvalid, fmt.Errorf("unexpected argument %q: fmea takes one experiment file; name run directories with --evidence", args[1]))
			}
			f.evidence = append(f.evidence, args[1:]...)
			if !cmd.Flags().Changed("format") {
				f.format = fmeaFormat(f.out)
			}
			return runFMEA(e, f, args[0])
		},
	}
	cmd.Flags().StringArrayVar(&f.evidence, "evidence", nil, "run directory, directory of runs, or glob whose conclusions are evidence (repeatable)")
	cmd.Flags().StringVar(&f.asOf, "as-of", "", "date the evidence is judged at, YYYY-MM-DD (default: the newest run's start date)")
	cmd.Flags().StringVar(&f.maxAge, "max-age", defaultMaxAge, `how old a run may be at the as-of date, in days like "90d"; older runs expire ("0": never)`)
	cmd.Flags().StringVar(&f.format, "format", "", "output format: md, csv or html (default: from the --out extension, else md)")
	cmd.Flags().StringVar(&f.out, "out", "", "file to write (default: standard output)")
	return cmd
}

// fmeaFormat is the worksheet format a file name's extension asks
// for, md without one.
func fmeaFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv"
	case ".html", ".htm":
		return "html"
	}
	return "md"
}

func runFMEA(e *env, f fmeaFlags, path string) error {
	var write func(io.Writer, *fmea.Worksheet) error
	switch f.format {
	case "md", "markdown":
		write = fmea.WriteMarkdown
	case "csv":
		write = fmea.WriteCSV
	case "html":
		write = fmea.WriteHTML
	default:
		return withCode(ExitInvalid, fmt.Errorf("--format %q: use md, csv or html", f.format))
	}
	var o fmea.Options
	if f.asOf != "" {
		t, err := time.Parse(time.DateOnly, f.asOf)
		if err != nil {
			return withCode(ExitInvalid, fmt.Errorf("--as-of %q: write a date as year-month-day, like 2026-11-27", f.asOf))
		}
		o.AsOf = t
	}
	days, err := parseMaxAge(f.maxAge)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	o.MaxAgeDays = days
	o.LinkBase = "."
	if f.out != "" {
		o.LinkBase = filepath.Dir(f.out)
	}

	exp, err := load(e, e.stderr, path)
	if err != nil {
		return err
	}
	runs, err := fmea.ReadRuns(f.evidence)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	ws := fmea.Build(exp, runs, o)
	for _, w := range ws.Warnings {
		fmt.Fprintf(e.stderr, "faultline: warning: %s\n", w)
	}
	if f.out == "" {
		if err := write(e.stdout, ws); err != nil {
			return withCode(ExitRuntime, fmt.Errorf("write the worksheet: %w", err))
		}
		return nil
	}
	if err := writeFile(f.out, func(w io.Writer) error { return write(w, ws) }); err != nil {
		return withCode(ExitRuntime, err)
	}
	proposals := 0
	for _, r := range ws.Rows {
		proposals += len(r.Proposals)
	}
	fmt.Fprintf(e.stdout, "faultline: wrote %s: %s, %s, %s proposed\n", f.out,
		fmeaCount(len(ws.Rows), "failure mode"), fmeaCount(len(ws.Runs), "run"), fmeaCount(proposals, "re-rating"))
	return nil
}

// fmeaCount says "1 run" or "2 runs".
func fmeaCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// parseMaxAge reads --max-age: a number of days written "90d", or "0".
func parseMaxAge(v string) (int, error) {
	s := strings.TrimSpace(v)
	if s == "0" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || !strings.HasSuffix(s, "d") || n < 0 {
		return 0, fmt.Errorf(`--max-age %q: write a number of days, like "90d", or "0" for evidence that never expires`, v)
	}
	return n, nil
}

// writeRunFMEA writes fmea.md of a run directory: the worksheet of exp
// with the run's conclusions as its evidence, linking to the run's
// reports.
func writeRunFMEA(w io.Writer, exp *experiments.Experiment, dir string, c report.Conclusions) error {
	run := fmea.Run{Dir: dir, Conclusions: c, Reports: fmea.PresentReports(dir)}
	return fmea.WriteMarkdown(w, fmea.Build(exp, []fmea.Run{run}, fmea.Options{LinkBase: dir}))
}
