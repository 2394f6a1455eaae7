package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/verdict/report"
)

func newReport(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Render a run directory's report.html and report.md again",
		Long: `Report renders report.html and report.md of a past run from the files in its
run directory: conclusions.json, and events.csv and signals.csv for the
per-cohort charts (left out, with a note, when a file is missing). Nothing
is judged again and nothing is run.

report.html is one self-contained page: open it in any browser, offline.

Exit code 0 when both files were written, 2 when the run directory or its
conclusions.json cannot be read, 4 when a report cannot be written.`,
		Example: `  faultline report runs/20261127-120000-quickstart-1a2b`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(e, args[0])
		},
	}
}

func runReport(e *env, dir string) error {
	path := filepath.Join(dir, "conclusions.json")
	f, err := os.Open(path)
	if err != nil {
		return withCode(ExitInvalid, fmt.Errorf("read %s: %w", path, err))
	}
	c, err := report.ReadJSON(f)
	f.Close()
	if err != nil {
		return withCode(ExitInvalid, fmt.Errorf("%s: %w", path, err))
	}
	start := e.now()
	if err := writeFile(filepath.Join(dir, "report.md"), func(w io.Writer) error { return report.WriteMarkdown(w, c) }); err != nil {
		return withCode(ExitRuntime, err)
	}
	html := filepath.Join(dir, "report.html")
	if err := writeFile(html, func(w io.Writer) error { return report.WriteHTML(w, c, runFiles(dir)) }); err != nil {
		return withCode(ExitRuntime, err)
	}
	fmt.Fprintf(e.stdout, "%s (%s), %s\n", html, e.now().Sub(start).Round(time.Millisecond), filepath.Join(dir, "report.md"))
	return nil
}

// runFiles opens the event files of run directory dir for report.html;
// a file that is not there is left out.
func runFiles(dir string) report.RunFiles {
	var rf report.RunFiles
	opener := func(name string) report.Opener {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return func() (io.ReadCloser, error) { return os.Open(path) }
	}
	rf.Events = opener("events.csv")
	rf.Signals = opener("signals.csv")
	return rf
}
