package fmea

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/faultline/faultline/experiments"
)

// Worksheet is an FMEA worksheet after the AIAG & VDA handbook (2019):
// the header, one row per failure mode with its structure, failure
// chain, controls, ratings, Action Priority and recommended actions,
// and, when runs were folded in, the evidence of each failure mode and
// the re-ratings it proposes.
type Worksheet struct {
	// Experiment is the experiment's name and File the base name of its
	// file.
	Experiment string
	File       string
	// Header is the file's fmea block, or zero.
	Header experiments.FMEA
	// Rows are sorted by Action Priority (high first), then RPN
	// (highest first), then component and failure mode names.
	Rows []Row

	// Runs are the runs folded in, oldest first, expired ones included;
	// empty at the planning stage.
	Runs []RunInfo
	// AsOf is the date the evidence is judged at, and MaxAgeDays how
	// old a run may be on that date before it expires (0: never).
	AsOf       time.Time
	MaxAgeDays int
	// Warnings say which runs were left out and why.
	Warnings []string
}

// System is the system the worksheet is about: the header's system, or
// the experiment's name.
func (w *Worksheet) System() string {
	if w.Header.System != "" {
		return w.Header.System
	}
	return w.Experiment
}

// Row is one failure mode of the worksheet.
type Row struct {
	// Structure and function.
	Component string
	Function  string
	// Failure chain: effect <- mode <- cause.
	Effect      string
	FailureMode string
	Cause       string
	// Current controls. DetectionControls holds the file's
	// detection_controls, then one "alert X within D" per detection
	// block.
	Prevention        []string
	DetectionControls []string
	// Ratings as written, and what follows from them.
	Severity, Occurrence, Detection int
	AP                              AP
	RPN                             int
	// Actions are the recommended actions.
	Actions []experiments.Action

	// Hypotheses are the names of the file's hypotheses on the failure
	// mode.
	Hypotheses []string
	// Evidence is what the runs showed of the failure mode; zero at
	// the planning stage.
	Evidence Evidence
	// Proposals are the re-ratings the evidence suggests, never
	// applied: severity, then occurrence, then detection.
	Proposals []Proposal
}

// Proposal returns the row's proposal for a rating, if any.
func (r *Row) Proposal(rating Rating) (Proposal, bool) {
	for _, p := range r.Proposals {
		if p.Rating == rating {
			return p, true
		}
	}
	return Proposal{}, false
}

// RunInfo is one run as the worksheet lists it.
type RunInfo struct {
	ID string
	// Date is the run's start date (UTC).
	Date time.Time
	// Counts are its verdict counts in words.
	Counts string
	// Expired reports that the run is older than the worksheet's
	// MaxAgeDays before AsOf: it is listed, but its evidence is not used.
	Expired bool
	// Links lead to the run's reports, relative to Options.LinkBase.
	Links []Link
}

// Link is a link to a file.
type Link struct {
	Name string
	Href string
}

// Options are how Build folds runs in.
type Options struct {
	// AsOf is the date evidence is judged at; zero means the newest
	// run's start date, so that the worksheet does not depend on the
	// day it is made. Runs that start after AsOf are left out.
	AsOf time.Time
	// MaxAgeDays is how many days before AsOf a run may have started
	// and still count; older runs are listed as expired. 0: never.
	MaxAgeDays int
	// LinkBase is the directory links to run reports are relative to,
	// normally that of the worksheet file ("" is the working
	// directory).
	LinkBase string
}

// Build makes the worksheet of exp with the evidence of runs. Runs of
// another experiment, runs named twice and runs after the as-of date are
// left out with a warning. With no runs it is the planning-stage
// worksheet: ratings as written, no evidence.
func Build(exp *experiments.Experiment, runs []Run, o Options) *Worksheet {
	w := &Worksheet{Experiment: exp.Name, File: filepath.Base(exp.Filename), MaxAgeDays: o.MaxAgeDays}
	if exp.FMEA != nil {
		w.Header = *exp.FMEA
	}
	used := w.selectRuns(exp, runs, o)
	for _, fm := range exp.FailureModes {
		row := newRow(exp, fm)
		if len(w.Runs) > 0 {
			row.Evidence = fold(fm.Name, used)
			row.Proposals = propose(row)
		}
		w.Rows = append(w.Rows, row)
	}
	slices.SortStableFunc(w.Rows, func(a, b Row) int {
		return cmp.Or(
			cmp.Compare(b.AP.rank(), a.AP.rank()),
			cmp.Compare(b.RPN, a.RPN),
			cmp.Compare(a.Component, b.Component),
			cmp.Compare(a.FailureMode, b.FailureMode),
		)
	})
	return w
}

// usedRun is a run that passed selectRuns, with what fold needs.
type usedRun struct {
	Run
	info *RunInfo
}

// selectRuns keeps the runs of exp, sets the as-of date, marks expired
// runs, and fills w.Runs. It returns the kept runs, oldest first.
func (w *Worksheet) selectRuns(exp *experiments.Experiment, runs []Run, o Options) []usedRun {
	var kept []Run
	ids := make(map[string]string)
	for _, r := range runs {
		c := r.Conclusions
		switch prev, dup := ids[c.RunID]; {
		case c.Experiment.Name != exp.Name:
			w.Warnings = append(w.Warnings, fmt.Sprintf("run %s (%s) is of experiment %q, not %q: left out", c.RunID, r.Dir, c.Experiment.Name, exp.Name))
			continue
		case dup:
			w.Warnings = append(w.Warnings, fmt.Sprintf("run %s (%s) was already read from %s: left out", c.RunID, r.Dir, prev))
			continue
		}
		ids[c.RunID] = r.Dir
		kept = append(kept, r)
	}
	slices.SortStableFunc(kept, func(a, b Run) int {
		return cmp.Or(a.Conclusions.Start.Compare(b.Conclusions.Start), cmp.Compare(a.Conclusions.RunID, b.Conclusions.RunID))
	})
	if len(kept) == 0 {
		return nil
	}
	w.AsOf = dateOf(o.AsOf)
	if o.AsOf.IsZero() {
		w.AsOf = dateOf(kept[len(kept)-1].Conclusions.Start)
	}
	var used []usedRun
	for _, r := range kept {
		c := r.Conclusions
		day := dateOf(c.Start)
		if day.After(w.AsOf) {
			w.Warnings = append(w.Warnings, fmt.Sprintf("run %s (%s) started on %s, after the as-of date %s: left out", c.RunID, r.Dir, day.Format(time.DateOnly), w.AsOf.Format(time.DateOnly)))
			continue
		}
		info := RunInfo{
			ID:      c.RunID,
			Date:    day,
			Counts:  c.Summary.Counts(),
			Expired: o.MaxAgeDays > 0 && day.Before(w.AsOf.AddDate(0, 0, -o.MaxAgeDays)),
			Links:   links(r, o.LinkBase),
		}
		w.Runs = append(w.Runs, info)
		used = append(used, usedRun{Run: r})
	}
	for i := range used {
		used[i].info = &w.Runs[i]
	}
	return used
}

// dateOf is t's calendar date in UTC, at midnight.
func dateOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// links are the links to a run's reports, relative to base.
func links(r Run, base string) []Link {
	var out []Link
	for _, name := range r.Reports {
		out = append(out, Link{Name: name, Href: relPath(base, filepath.Join(r.Dir, name))})
	}
	return out
}

// relPath is target relative to the directory base, with forward
// slashes, or target made absolute when it has no relative form.
func relPath(base, target string) string {
	if base == "" {
		base = "."
	}
	ab, err1 := filepath.Abs(base)
	at, err2 := filepath.Abs(target)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(target)
	}
	rel, err := filepath.Rel(ab, at)
	if err != nil {
		return filepath.ToSlash(at)
	}
	return filepath.ToSlash(rel)
}

func newRow(exp *experiments.Experiment, fm *experiments.FailureMode) Row {
	row := Row{
		FailureMode: fm.Name,
		Effect:      fm.Effect,
		Cause:       fm.Cause,
		Prevention:  slices.Clone(fm.Prevention),
		Severity:    fm.Severity,
		Occurrence:  fm.Occurrence,
		Detection:   fm.Detection,
		AP:          ActionPriority(fm.Severity, fm.Occurrence, fm.Detection),
		RPN:         RPN(fm.Severity, fm.Occurrence, fm.Detection),
	}
	if fm.Component != nil {
		row.Component, row.Function = fm.Component.Name, fm.Component.Function
	}
	row.DetectionControls = slices.Clone(fm.DetectionControls)
	for _, d := range fm.Detections {
		row.DetectionControls = append(row.DetectionControls, fmt.Sprintf("alert %s within %s", d.Alert, d.Within))
	}
	for _, a := range fm.Actions {
		row.Actions = append(row.Actions, *a)
	}
	for _, h := range exp.Hypotheses {
		if h.FailureMode == fm {
			row.Hypotheses = append(row.Hypotheses, h.Name)
		}
	}
	return row
}
