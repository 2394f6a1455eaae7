package main

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/faultline/faultline/experiments"
)

// formatFlag validates a --format value.
func formatFlag(v string) error {
	switch v {
	case "text", "json":
		return nil
	}
	return withCode(ExitInvalid, fmt.Errorf("--format %q: use text or json", v))
}

// load parses one experiment file and prints its diagnostics (warnings
// too) to w. It returns an ExitInvalid error when the file has errors.
func load(e *env, w io.Writer, path string) (*experiments.Experiment, error) {
	p := experiments.NewParser()
	exp, diags := p.ParseFile(path)
	if len(diags) > 0 {
		if err := experiments.WriteDiagnostics(w, p.Files(), diags, 100, e.color()); err != nil {
			return nil, withCode(ExitRuntime, err)
		}
	}
	if diags.HasErrors() {
		return nil, withCode(ExitInvalid, fmt.Errorf("%s: %s", path, countErrors(diags)))
	}
	return exp, nil
}

func countErrors(diags hcl.Diagnostics) string {
	n := len(diags.Errs())
	if n == 1 {
		return "1 error"
	}
	return fmt.Sprintf("%d errors", n)
}
