package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/verdict"
	"github.com/faultline/faultline/verdict/report"
)

type analyzeFlags struct {
	baselineEnd string
	window      time.Duration
	cohort      string
	sigma       float64
	threshold   float64
	format      string
}

func newAnalyze(e *env) *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze EVENTS --baseline-end T",
		Short: "Judge an event file: a past run's events.csv or your own request log",
		Long: `Analyze judges any event file with the judge 'faultline run' uses. Events
before --baseline-end are the steady state; every later event is judged in
windows against its cohort's baseline.

EVENTS is CSV with a header, or JSON Lines (one flat object per line), with
the columns time (RFC 3339 with fraction, or unix seconds with fraction),
latency (seconds), and optionally ok (true/false/1/0; failed requests count
as outliers); every other column is a label.

--baseline-end is an RFC 3339 time, or a duration counted from the first
event ("120s"). --cohort picks the label columns that form the cohort key
(default: all labels).

The verdict is steady, excursion or inconclusive. Exit code 0 when the
analysis ran, whatever its verdict; 2 for bad input.`,
		Example: `  faultline analyze runs/20261127-120000-quickstart/events.csv --baseline-end 22s --cohort workload,route
  faultline analyze requests.jsonl --baseline-end 2026-11-27T12:05:00Z --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(f.format); err != nil {
				return err
			}
			return runAnalyze(e, f, args[0])
		},
	}
	cmd.Flags().StringVar(&f.baselineEnd, "baseline-end", "", "end of the baseline: RFC 3339 time, or a duration from the first event (required)")
	cmd.Flags().DurationVar(&f.window, "window", verdict.DefaultWindow, "analysis window")
	cmd.Flags().StringVar(&f.cohort, "cohort", "", "comma-separated label names forming the cohort key (default: all labels)")
	cmd.Flags().Float64Var(&f.sigma, "sigma", verdict.DefaultSigma, "z at or above which an event is an outlier")
	cmd.Flags().Float64Var(&f.threshold, "threshold", verdict.DefaultThreshold, "outlier fraction above which a window alarms")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
	cmd.MarkFlagRequired("baseline-end")
	return cmd
}

func runAnalyze(e *env, f analyzeFlags, path string) error {
	switch {
	case f.window <= 0:
		return withCode(ExitInvalid, fmt.Errorf("--window %s: must be positive", f.window))
	case f.sigma <= 0 || f.sigma > 10:
		return withCode(ExitInvalid, fmt.Errorf("--sigma %g: must be in (0, 10]", f.sigma))
	case f.threshold <= 0 || f.threshold >= 1:
		return withCode(ExitInvalid, fmt.Errorf("--threshold %g: must be in (0, 1)", f.threshold))
	}
	spec, err := baselineSpec(f.baselineEnd)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	var cohort []string
	if f.cohort != "" {
		for _, c := range strings.Split(f.cohort, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cohort = append(cohort, c)
			}
		}
	}
	judge := verdict.New(verdict.Options{Window: f.window, Sigma: f.sigma, Threshold: f.threshold})
	spec.Cohort = cohort
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	a, err := report.Analyze(open, path, spec, judge)
	switch {
	case err != nil:
		return withCode(ExitInvalid, err)
	case a.Events == 0:
		return withCode(ExitInvalid, fmt.Errorf("%s: no events", path))
	}
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(a); err != nil {
			return withCode(ExitRuntime, err)
		}
		return nil
	}
	if err := report.WriteAnalysisText(e.stdout, a); err != nil {
		return withCode(ExitRuntime, err)
	}
	return nil
}

// baselineSpec reads --baseline-end: an RFC 3339 time, or a duration
// from the first event.
func baselineSpec(v string) (report.AnalyzeSpec, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return report.AnalyzeSpec{BaselineEnd: t}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return report.AnalyzeSpec{}, fmt.Errorf("--baseline-end %q: write an RFC 3339 time (2026-11-27T12:05:00Z) or a positive duration from the first event (120s)", v)
	}
	return report.AnalyzeSpec{BaselineFor: d}, nil
}
