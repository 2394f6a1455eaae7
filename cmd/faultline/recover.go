package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/runner/journal"
)

type recoverFlags struct {
	all bool
	out string
}

func newRecover(e *env) *cobra.Command {
	var f recoverFlags
	cmd := &cobra.Command{
		Use:   "recover [RUN_DIR | --all]",
		Short: "Undo what an unfinished run left behind, from its journal",
		Long: `Recover reads the journal of a run that did not finish (faultline was killed,
or the machine went down) and undoes what it left: it resumes and kills the
run's processes and removes every container and network labelled with the
run, which takes the faults on them along. Faults on endpoints (staging) are
undone as their revert does it: the revert command runs, the revert request
is sent (header values read from the environment), the toxic is removed. It
records what it did in the journal. Running it again is safe: it finds nothing left to do.

With --all it recovers every unfinished run under --out (default runs). A run
whose faultline is still going is refused.

Exit code 0 when everything was undone, 4 when something could not be (the
journal then still shows it), 2 for a bad journal or usage.`,
		Example: `  faultline recover runs/20261127-120000-shop
  faultline recover --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var dirs []string
			switch {
			case f.all && len(args) > 0:
				return withCode(ExitInvalid, errors.New("give a run directory or --all, not both"))
			case f.all:
				paths, err := filepath.Glob(filepath.Join(f.out, "*", journal.FileName))
				if err != nil {
					return withCode(ExitInvalid, err)
				}
				for _, p := range paths {
					dirs = append(dirs, filepath.Dir(p))
				}
			case len(args) == 1:
				dirs = args
			default:
				return withCode(ExitInvalid, errors.New("give a run directory, or --all for every run under --out"))
			}
			failed := false
			for _, dir := range dirs {
				res, err := runner.Recover(cmd.Context(), dir, runner.WithLookupEnv(e.lookupEnv))
				switch {
				case err != nil && !f.all:
					return withCode(ExitInvalid, fmt.Errorf("recover %s: %w", dir, err))
				case err != nil:
					fmt.Fprintf(e.stderr, "faultline: recover %s: %v\n", dir, err)
					failed = true
					continue
				case res.Nothing:
					if !f.all {
						fmt.Fprintf(e.stdout, "%s: nothing to recover\n", dir)
					}
					continue
				}
				fmt.Fprintf(e.stdout, "%s (run %s):\n", dir, res.RunID)
				for _, d := range res.Done {
					fmt.Fprintf(e.stdout, "  undone: %s\n", d)
				}
				for _, d := range res.Failed {
					fmt.Fprintf(e.stdout, "  NOT undone: %s\n", d)
				}
				failed = failed || len(res.Failed) > 0
			}
			if failed {
				return withCode(ExitRuntime, errors.New("something could not be undone; see above, and run recover again once it can be"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&f.all, "all", false, "recover every unfinished run under --out")
	cmd.Flags().StringVar(&f.out, "out", "runs", "directory holding run directories, for --all")
	return cmd
}
