package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/faultline/faultline/experiments"
)

type validateFlags struct {
	format string
}

func newValidate(e *env) *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check experiment files and report every mistake",
		Long: `Validate parses each experiment file and checks it completely: syntax,
attribute names and types, ranges, and references between blocks. Every
mistake is reported at once with its location (file:line:col) and a source
snippet, or as JSON with --format json. Nothing is started.

Exit code 0 when every file is valid, 2 when any has an error.`,
		Example: `  faultline validate examples/quickstart/quickstart.hcl
  faultline validate --format json *.hcl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(f.format); err != nil {
				return err
			}
			return runValidate(e, f, args)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text or json")
	return cmd
}

func runValidate(e *env, f validateFlags, paths []string) error {
	p := experiments.NewParser()
	var all hcl.Diagnostics
	for _, path := range paths {
		_, diags := p.ParseFile(path)
		all = append(all, diags...)
	}
	if f.format == "json" {
		out, err := experiments.DiagnosticsJSON(all)
		if err != nil {
			return withCode(ExitRuntime, err)
		}
		if _, err := e.stdout.Write(out); err != nil {
			return withCode(ExitRuntime, err)
		}
	} else {
		if len(all) > 0 {
			if err := experiments.WriteDiagnostics(e.stdout, p.Files(), all, 100, e.color()); err != nil {
				return withCode(ExitRuntime, err)
			}
		}
		if !all.HasErrors() {
			for _, path := range paths {
				fmt.Fprintf(e.stdout, "%s: valid\n", path)
			}
		}
	}
	if all.HasErrors() {
		if f.format == "json" {
			return withCode(ExitInvalid, nil)
		}
		return withCode(ExitInvalid, fmt.Errorf("%s in %d file(s)", countErrors(all), len(paths)))
	}
	return nil
}
