package fmea

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVColumns are the columns of WriteCSV: the usual worksheet columns,
// then the evidence and the proposals.
var CSVColumns = []string{
	"system", "component", "function", "failure effect", "severity", "failure mode", "failure cause",
	"prevention controls", "occurrence", "detection controls", "detection", "AP", "RPN",
	"recommended actions", "owner", "status", "due",
	"hypotheses", "runs", "expired runs", "confirmed", "refuted", "inconclusive", "aborted",
	"peak outlier fraction", "peak error rate", "detected in time", "detection runs",
	"median time to detect (s)", "worst time to detect (s)", "last run",
	"proposed severity", "proposed occurrence", "proposed detection", "rules", "reasons",
}

// WriteCSV writes the worksheet as CSV with a header line, one row per
// failure mode, in the worksheet's order. Lists are joined with "; ";
// the actions' owners, statuses and due dates line up with the actions.
// An action without an owner is "unassigned", without a due date
// "none". Without evidence the evidence and proposal columns are empty,
// except the hypotheses. Text
// that a spreadsheet would take for a formula (starting with =, +, -,
// @) is prefixed with an apostrophe.
func WriteCSV(w io.Writer, ws *Worksheet) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	evidence := len(ws.Runs) > 0
	for _, r := range ws.Rows {
		var acts, owners, statuses, dues []string
		for _, a := range r.Actions {
			acts = append(acts, a.Text)
			owner, due := a.Owner, "none"
			if owner == "" {
				owner = "unassigned"
			}
			owners = append(owners, owner)
			statuses = append(statuses, statusWord(a.Status))
			if !a.Due.IsZero() {
				due = a.Due.Format(time.DateOnly)
			}
			dues = append(dues, due)
		}
		rec := []string{
			text(ws.System()), text(r.Component), text(r.Function), text(r.Effect), strconv.Itoa(r.Severity),
			text(r.FailureMode), text(r.Cause), list(r.Prevention), strconv.Itoa(r.Occurrence),
			list(r.DetectionControls), strconv.Itoa(r.Detection), string(r.AP), strconv.Itoa(r.RPN),
			list(acts), list(owners), list(statuses), list(dues), list(r.Hypotheses),
		}
		if !evidence {
			rec = append(rec, make([]string, len(CSVColumns)-len(rec))...)
		} else {
			e := r.Evidence
			var rules, reasons []string
			for _, p := range r.Proposals {
				rules = append(rules, p.Rule)
				reasons = append(reasons, fmt.Sprintf("%s: %s", p.Rating, p.Reason))
			}
			impact := func(f float64) string {
				if !e.Impact {
					return ""
				}
				return strconv.FormatFloat(f, 'f', 4, 64)
			}
			detect := func(f float64) string {
				if e.Fired == 0 {
					return ""
				}
				return strconv.FormatFloat(f, 'f', 1, 64)
			}
			last := ""
			if e.LastRun != "" {
				last = e.LastRunDate.Format(time.DateOnly)
			}
			rec = append(rec,
				strconv.Itoa(e.Runs), strconv.Itoa(e.ExpiredRuns),
				strconv.Itoa(e.Confirmed), strconv.Itoa(e.Refuted), strconv.Itoa(e.Inconclusive), strconv.Itoa(e.Aborted),
				impact(e.PeakOutliers), impact(e.PeakErrors), strconv.Itoa(e.DetectedInTime), strconv.Itoa(e.DetectionRuns),
				detect(e.MedianDetect), detect(e.WorstDetect), last,
				proposedText(r, Severity, true), proposedText(r, Occurrence, true), proposedText(r, Detection, true),
				list(rules), text(strings.Join(reasons, "; ")),
			)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// text makes user text safe for a spreadsheet cell: one line, and not a
// formula.
func text(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s != "" && strings.ContainsRune("=+-@\t", rune(s[0])) {
		return "'" + s
	}
	return s
}

// list joins items into one cell.
func list(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	}
	return text(strings.Join(out, "; "))
}
