// Package fmea owns the FMEA worksheet: its structure after the AIAG &
// VDA FMEA handbook (2019), the Action Priority table, the rules that turn
// run evidence into proposed re-ratings, and the renderers (Markdown, CSV,
// HTML).
//
// Build makes a Worksheet from an experiment (package experiments: the
// fmea header block, components and their functions, failure modes with
// cause, effect, ratings, controls and actions) and from the conclusions
// of any number of runs (package verdict/report), which ReadRuns reads
// from run directories. Without runs it is the planning-stage worksheet.
// With runs, every failure mode gets its Evidence and the Proposals that
// the rules draw from it: detection-confidence, detection-missed,
// occurrence-refuted and severity-impact (docs/fmea.md states each with
// its numbers). Proposals are never applied: the ratings of the
// worksheet, and its Action Priorities, are those of the file.
//
// WriteMarkdown, WriteCSV and WriteHTML render a worksheet. Output is
// deterministic: rows are sorted by Action Priority, RPN, component and
// failure mode; runs by start time; nothing reads the clock, so the same
// file and runs give the same bytes. The as-of date of the evidence
// defaults to the newest run's start date for the same reason.
//
// It does not run experiments or judge them: it reads their conclusions.
// Its only I/O is reading run directories in ReadRuns and ReadRun.
package fmea
