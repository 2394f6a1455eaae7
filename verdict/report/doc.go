// Package report turns a run's timeline and events into conclusions — the
// verdict on every hypothesis, judged by a verdict.Judge — and renders
// them: conclusions.json (versioned by FormatVersion), report.md, and
// report.html (a self-contained page whose per-cohort charts it measures
// from the run's event files, through Openers the caller gives).
//
// It reads only data (an experiment model, an observe.Timeline, events),
// so a past run can be re-judged and re-rendered offline. It does not run
// anything and does not fetch telemetry.
package report
