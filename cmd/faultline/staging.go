package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner"
)

// stagingGate lets a run act on the environment of an experiment's
// endpoint components (systems faultline does not start) only when the
// user allows it: with --allow-staging, or by typing the environment's
// name at a prompt when stdin is a terminal. Otherwise it refuses with
// exit code 2, before anything is created, saying what would have acted
// on the environment and how to allow it. An experiment without
// endpoints passes.
func stagingGate(ctx context.Context, e *env, plan *runner.Plan, allow bool) error {
	exp := plan.Experiment
	if len(exp.StagingComponents()) == 0 {
		return nil
	}
	what := stagingSummary(plan)
	if allow {
		fmt.Fprintf(e.stderr, "faultline: acting on the environment %q, allowed by --allow-staging:\n%s", exp.Environment, what)
		return nil
	}
	if e.stdin != nil && e.stdinTTY {
		fmt.Fprintf(e.stderr, "Experiment %q acts on the environment %q, which faultline does not start:\n%sType %q to go on, anything else to stop: ", exp.Name, exp.Environment, what, exp.Environment)
		lines := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(e.stdin).ReadString('\n')
			lines <- strings.TrimSpace(line)
		}()
		select {
		case line := <-lines:
			if line == exp.Environment {
				return nil
			}
			return withCode(ExitInvalid, fmt.Errorf("%q is not %q: nothing was started, sent or created", line, exp.Environment))
		case <-ctx.Done():
			return withCode(ExitInvalid, fmt.Errorf("interrupted at the prompt: nothing was started, sent or created"))
		}
	}
	return withCode(ExitInvalid, fmt.Errorf("experiment %q acts on the environment %q, which faultline does not start:\n%sNothing was started, sent or created. To allow it, run again with --allow-staging, or from a terminal and type %q when asked.",
		exp.Name, exp.Environment, what, exp.Environment))
}

// stagingSummary lists, per endpoint component, the workloads that send
// to it and the faults that would act on it, one line each.
func stagingSummary(plan *runner.Plan) string {
	exp := plan.Experiment
	b := &strings.Builder{}
	for _, c := range exp.StagingComponents() {
		fmt.Fprintf(b, "  component %s: endpoint %s", c.Name, c.Endpoint.Address)
		if tp := c.Endpoint.Toxiproxy; tp != nil {
			fmt.Fprintf(b, ", Toxiproxy %s proxy %q", tp.API, tp.Proxy)
		}
		b.WriteString("\n")
		for _, w := range exp.Workloads {
			if w.HTTP != nil && w.HTTP.Target == c {
				fmt.Fprintf(b, "    workload %s: %s %s at %g requests/s\n", w.Name, w.HTTP.Method, w.HTTP.Path, w.HTTP.Rate)
			}
		}
		for _, st := range plan.Steps {
			if st.Phase != observe.PhaseFault || st.FailureMode.Component != c {
				continue
			}
			fmt.Fprintf(b, "    failure mode %s: %s\n", st.FailureMode.Name, describeStagingFaults(st.FailureMode))
		}
	}
	return b.String()
}

func describeStagingFaults(fm *experiments.FailureMode) string {
	var out []string
	for _, f := range fm.Faults {
		d := runner.DescribeFault(f)
		if tp := fm.Component.Endpoint.Toxiproxy; tp != nil && !(f.Kind == experiments.FaultExec || f.Kind == experiments.FaultHTTP) {
			d += " through Toxiproxy " + tp.API
		}
		out = append(out, d)
	}
	return strings.Join(out, "; ")
}

// unreverted counts the faults whose revert failed: they may still be in
// place, and the journal lists them for faultline recover.
func unreverted(res *runner.Result) int {
	n := 0
	for _, f := range res.Timeline.Faults {
		if f.RevertError != "" {
			n++
		}
	}
	return n
}

// lookupEnv turns e.getenv into a lookup: an empty variable counts as
// unset.
func (e *env) lookupEnv(name string) (string, bool) {
	v := e.getenv(name)
	return v, v != ""
}
