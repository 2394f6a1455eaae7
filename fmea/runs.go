package fmea

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/faultline/faultline/verdict/report"
)

// ConclusionsFile is the file of a run directory the evidence is read
// from.
const ConclusionsFile = "conclusions.json"

// ReportFiles are the reports of a run directory the worksheet links to,
// when present.
var ReportFiles = []string{"report.md", "report.html"}

// Run is one run's conclusions, read from its run directory.
type Run struct {
	// Dir is the run directory as it was named.
	Dir         string
	Conclusions report.Conclusions
	// Reports are the names of the ReportFiles present in Dir.
	Reports []string
}

// ReadRun reads the conclusions of the run directory dir.
func ReadRun(dir string) (Run, error) {
	path := filepath.Join(dir, ConclusionsFile)
	f, err := os.Open(path)
	if err != nil {
		return Run{}, fmt.Errorf("read run %s: %w", dir, err)
	}
	defer f.Close()
	c, err := report.ReadJSON(f)
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", path, err)
	}
	return Run{Dir: dir, Conclusions: c, Reports: PresentReports(dir)}, nil
}

// PresentReports lists the ReportFiles that exist in dir.
func PresentReports(dir string) []string {
	var out []string
	for _, name := range ReportFiles {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() {
			out = append(out, name)
		}
	}
	return out
}

// ReadRuns reads the runs named by args. Each argument is a run
// directory (holding conclusions.json), a directory whose subdirectories
// are run directories (like runs/), a conclusions.json file, or a glob
// pattern of any of these, expanded here so that it may be quoted. A
// glob's matches that are not runs are passed over; an argument that
// names no run at all is an error. A run named twice is read once.
func ReadRuns(args []string) ([]Run, error) {
	var dirs []string
	for _, arg := range args {
		found, err := runDirs(arg)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, found...)
	}
	seen := make(map[string]bool)
	var runs []Run
	for _, dir := range dirs {
		key, err := filepath.Abs(dir)
		if err != nil {
			key = filepath.Clean(dir)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		r, err := ReadRun(dir)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// runDirs expands one argument of ReadRuns into run directories.
func runDirs(arg string) ([]string, error) {
	if strings.ContainsAny(arg, "*?[") {
		matches, err := filepath.Glob(arg)
		if err != nil {
			return nil, fmt.Errorf("evidence %q: %w", arg, err)
		}
		var out []string
		for _, m := range matches {
			if dir, ok := asRun(m); ok {
				out = append(out, dir)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("evidence %q: no run directory (one holding %s) matches", arg, ConclusionsFile)
		}
		return out, nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("evidence %s: no such file or directory", arg)
		}
		return nil, fmt.Errorf("evidence %s: %w", arg, err)
	}
	if dir, ok := asRun(arg); ok {
		return []string{dir}, nil
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("evidence %s: not a run directory nor a %s file", arg, ConclusionsFile)
	}
	entries, err := os.ReadDir(arg)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", arg, err)
	}
	var out []string
	for _, e := range entries {
		sub := filepath.Join(arg, e.Name())
		if _, ok := asRun(sub); ok && e.IsDir() {
			out = append(out, sub)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("evidence %s: neither it nor any directory in it holds a %s", arg, ConclusionsFile)
	}
	slices.Sort(out)
	return out, nil
}

// asRun reports whether path is a run directory or a conclusions file,
// and gives the run directory.
func asRun(path string) (string, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	if !st.IsDir() {
		return filepath.Dir(path), filepath.Base(path) == ConclusionsFile
	}
	if st, err := os.Stat(filepath.Join(path, ConclusionsFile)); err == nil && st.Mode().IsRegular() {
		return path, true
	}
	return "", false
}
