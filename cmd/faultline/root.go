package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// execute runs the command line and returns the exit code.
func execute(ctx context.Context, e *env, args []string) ExitCode {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitConfirmed
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "faultline: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything else comes from cobra itself: an unknown command or
	// flag, a wrong number of arguments.
	fmt.Fprintf(e.stderr, "faultline: %v\nRun 'faultline --help' for usage.\n", err)
	return ExitInvalid
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "faultline",
		Short: "Chaos experiments with 2-sigma verdicts and FMEA evidence",
		Long: `faultline runs chaos experiments described in HCL: it starts the system,
measures a steady-state baseline, injects each failure mode, keeps measuring
through the fault and the recovery, reverts every fault, and judges each
hypothesis with 2-sigma cohort analysis.

Exit codes: 0 all hypotheses confirmed, 1 a hypothesis refuted, 2 invalid
input or usage, 3 inconclusive or aborted, 4 runtime error.`,
		Example: `  faultline validate examples/quickstart/quickstart.hcl
  faultline run examples/quickstart/quickstart.hcl
  faultline gameday examples/quickstart/quickstart.hcl
  source <(faultline completion bash)`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		// completion.go replaces cobra's own, with examples.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withCode(ExitInvalid, err)
	})
	root.AddCommand(newValidate(e), newPlan(e), newRun(e), newAnalyze(e), newRecover(e), newSidecar(e), newReport(e))
	root.AddCommand(newGameday(e), newCompletion(e))
	root.AddCommand(newFMEA(e))
	return root
}
