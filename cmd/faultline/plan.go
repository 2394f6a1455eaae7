package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner"
)

type planFlags struct {
	format string
}

func newPlan(e *env) *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Print what a run would do, touching nothing",
		Long: `Plan validates the experiment and prints what 'faultline run' would do:
the components in start order and where proxies go, the workloads, every
phase with its offset and length, the faults of each failure mode, and the
hypotheses. Nothing is started. 'faultline run --dry-run' prints the same.`,
		Example: `  faultline plan examples/quickstart/quickstart.hcl
  faultline plan --format json examples/quickstart/quickstart.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(f.format); err != nil {
				return err
			}
			exp, err := load(e, e.stderr, args[0])
			if err != nil {
				return err
			}
			return writePlan(e.stdout, runner.NewPlan(exp), f.format)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
	return cmd
}

// planView is the JSON form of a plan.
type planView struct {
	FormatVersion string          `json:"format_version"`
	Experiment    string          `json:"experiment"`
	File          string          `json:"file"`
	TotalSeconds  float64         `json:"total_seconds"`
	Components    []planComponent `json:"components"`
	Workloads     []planWorkload  `json:"workloads"`
	Steps         []planStep      `json:"steps"`
	Hypotheses    []planHypo      `json:"hypotheses"`
	Skipped       []string        `json:"skipped_failure_modes"`
	// Environment is the experiment's environment, set when it has
	// endpoint components.
	Environment string `json:"environment,omitempty"`
	// Telemetry is the telemetry's address, and Signals its signals.
	Telemetry string       `json:"telemetry,omitempty"`
	Signals   []planSignal `json:"signals,omitempty"`
}

type planSignal struct {
	Name        string   `json:"name"`
	Query       string   `json:"query"`
	StepSeconds float64  `json:"step_seconds"`
	Cohort      []string `json:"cohort,omitempty"`
	Value       string   `json:"value"`
}

type planComponent struct {
	Name string `json:"name"`
	// Runtime is "process", "container" or "endpoint"; Image a
	// container's image; Address an endpoint's, and Toxiproxy its
	// Toxiproxy API and proxy.
	Runtime   string   `json:"runtime"`
	Command   string   `json:"command"`
	Image     string   `json:"image,omitempty"`
	Address   string   `json:"address,omitempty"`
	Toxiproxy string   `json:"toxiproxy,omitempty"`
	Proxy     bool     `json:"proxy"`
	HTTPAware bool     `json:"http_aware"`
	DependsOn []string `json:"depends_on"`
}

type planWorkload struct {
	Name   string  `json:"name"`
	Target string  `json:"target"`
	Method string  `json:"method"`
	Path   string  `json:"path"`
	Rate   float64 `json:"rate"`
}

type planStep struct {
	Phase          string   `json:"phase"`
	FailureMode    string   `json:"failure_mode,omitempty"`
	OffsetSeconds  float64  `json:"offset_seconds"`
	DurationSecond float64  `json:"duration_seconds"`
	Target         string   `json:"target,omitempty"`
	Faults         []string `json:"faults,omitempty"`
}

type planHypo struct {
	Name        string `json:"name"`
	FailureMode string `json:"failure_mode"`
	// Workload or Signal is what the hypothesis is judged on; Alerts
	// the alerts a "detected" hypothesis expects, with their within.
	Workload string   `json:"workload,omitempty"`
	Signal   string   `json:"signal,omitempty"`
	Alerts   []string `json:"alerts,omitempty"`
	Expect   string   `json:"expect"`
	Within   string   `json:"within,omitempty"`
}

func newPlanView(p *runner.Plan) planView {
	exp := p.Experiment
	v := planView{FormatVersion: "1", Experiment: exp.Name, File: exp.Filename, TotalSeconds: p.Total().Seconds()}
	for _, c := range p.Components {
		pc := planComponent{
			Name:      c.Component.Name,
			Proxy:     c.Proxy,
			HTTPAware: c.HTTPAware,
			DependsOn: append([]string{}, c.DependsOn...),
		}
		switch comp := c.Component; {
		case comp.Process != nil:
			pc.Runtime, pc.Command = "process", comp.Process.CommandText
		case comp.Container != nil:
			pc.Runtime, pc.Command, pc.Image = "container", comp.Container.CommandText, comp.Container.Image
		case comp.Endpoint != nil:
			pc.Runtime, pc.Address = "endpoint", comp.Endpoint.Address
			if tp := comp.Endpoint.Toxiproxy; tp != nil {
				pc.Toxiproxy = fmt.Sprintf("%s proxy %q", tp.API, tp.Proxy)
			}
			v.Environment = exp.Environment
		}
		v.Components = append(v.Components, pc)
	}
	for _, w := range exp.Workloads {
		v.Workloads = append(v.Workloads, planWorkload{Name: w.Name, Target: w.HTTP.Target.Name, Method: w.HTTP.Method, Path: w.HTTP.Path, Rate: w.HTTP.Rate})
	}
	if t := exp.Telemetry; t != nil {
		v.Telemetry = t.Address
	}
	for _, sg := range exp.Signals {
		v.Signals = append(v.Signals, planSignal{Name: sg.Name, Query: sg.Query, StepSeconds: sg.Step.Seconds(), Cohort: sg.Cohort, Value: sg.Value})
	}
	for _, s := range p.Steps {
		ps := planStep{Phase: s.Phase, OffsetSeconds: s.Offset.Seconds(), DurationSecond: s.Duration.Seconds()}
		if s.FailureMode != nil {
			ps.FailureMode = s.FailureMode.Name
			if s.Phase == "fault" {
				ps.Target = s.FailureMode.Component.Name
				for _, f := range s.FailureMode.Faults {
					ps.Faults = append(ps.Faults, runner.DescribeFault(f))
				}
			}
		}
		v.Steps = append(v.Steps, ps)
	}
	for _, h := range exp.Hypotheses {
		ph := planHypo{Name: h.Name, FailureMode: h.FailureMode.Name, Expect: string(h.Expect)}
		switch {
		case h.Workload != nil:
			ph.Workload = h.Workload.Name
		case h.Signal != nil:
			ph.Signal = h.Signal.Name
		default:
			for _, d := range h.FailureMode.Detections {
				if h.Alert == "" || h.Alert == d.Alert {
					ph.Alerts = append(ph.Alerts, fmt.Sprintf("%s within %s", d.Alert, d.Within))
				}
			}
		}
		if h.Within > 0 {
			ph.Within = h.Within.String()
		}
		v.Hypotheses = append(v.Hypotheses, ph)
	}
	v.Skipped = []string{}
	for _, fm := range p.Skipped {
		v.Skipped = append(v.Skipped, fm.Name)
	}
	return v
}

func writePlan(w io.Writer, p *runner.Plan, format string) error {
	v := newPlanView(p)
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return withCode(ExitRuntime, err)
		}
		return nil
	}
	b := &strings.Builder{}
	fmt.Fprintf(b, "Plan for experiment %q (%s): %s of phases\n\n", v.Experiment, v.File, roundDur(p.Total()))
	if v.Environment != "" {
		fmt.Fprintf(b, "Environment %q: the endpoints below are not started by faultline; a run acts on them only with --allow-staging or when confirmed at a prompt.\n\n", v.Environment)
	}
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Components, in start order:")
	for _, c := range v.Components {
		proxy := "direct"
		if c.Proxy {
			proxy = "behind faultline's proxy"
			if c.HTTPAware {
				proxy += " (HTTP-aware)"
			}
		}
		what := c.Command
		if c.Runtime == "endpoint" {
			what, proxy = "endpoint "+c.Address, "not started by faultline"
			if c.Toxiproxy != "" {
				proxy += ", Toxiproxy " + c.Toxiproxy
			}
		}
		if c.Runtime == "container" {
			what = "container " + c.Image
			if c.Command != "" {
				what += " " + c.Command
			}
			if c.Proxy {
				proxy = "behind a faultline proxy sidecar"
				if c.HTTPAware {
					proxy += " (HTTP-aware)"
				}
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, what, proxy)
	}
	fmt.Fprintln(tw, "\nWorkloads:")
	for _, wl := range v.Workloads {
		fmt.Fprintf(tw, "  %s\t%s %s on %s\t%g req/s\n", wl.Name, wl.Method, wl.Path, wl.Target, wl.Rate)
	}
	if v.Telemetry != "" {
		fmt.Fprintf(tw, "\nTelemetry: %s\n", v.Telemetry)
		for _, sg := range v.Signals {
			cohort := "every label"
			if len(sg.Cohort) > 0 {
				cohort = strings.Join(sg.Cohort, ", ")
			}
			fmt.Fprintf(tw, "  signal %s\t%s every %gs by %s\n", sg.Name, sg.Value, sg.StepSeconds, cohort)
		}
	}
	fmt.Fprintln(tw, "\nPhases:")
	for _, s := range p.Steps {
		what := ""
		if s.FailureMode != nil {
			what = s.FailureMode.Name
			if s.Phase == "fault" {
				var fs []string
				for _, f := range s.FailureMode.Faults {
					fs = append(fs, runner.DescribeFault(f))
				}
				what += " on " + s.FailureMode.Component.Name + ": " + strings.Join(fs, ", ")
			}
		}
		fmt.Fprintf(tw, "  +%s\t%s\t%s\t%s\n", roundDur(s.Offset), s.Phase, roundDur(s.Duration), what)
	}
	fmt.Fprintln(tw, "\nHypotheses:")
	for _, h := range v.Hypotheses {
		expect := h.Expect
		if h.Within != "" {
			expect += " within " + h.Within
		}
		on := "workload " + h.Workload
		switch {
		case h.Signal != "":
			on = "signal " + h.Signal
		case h.Workload == "":
			on = "alert " + strings.Join(h.Alerts, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\tunder %s, %s\n", h.Name, expect, h.FailureMode, on)
	}
	if err := tw.Flush(); err != nil {
		return withCode(ExitRuntime, err)
	}
	for _, s := range v.Skipped {
		fmt.Fprintf(b, "\nFailure mode %q is not injected: no hypothesis names it.", s)
	}
	if len(v.Skipped) > 0 {
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return withCode(ExitRuntime, err)
	}
	return nil
}

func roundDur(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
