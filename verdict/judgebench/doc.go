// Package judgebench measures judges on synthetic event streams whose
// truth is known: whether the test span changed, when, and which cohort
// broke.
//
// It owns the benchmark: a seeded generator of runs (log-normal cohorts
// with Zipf-distributed traffic, a heavy tail, and scenarios from A/A to
// single-cohort breaks and fast error bursts), the reference judges the
// verdict package is compared with (the pooled 2-sigma rule, a per-window
// Mann-Whitney test, a dashboard p99 threshold), an adapter that puts
// verdict's judge behind the same interface, and the scorer that turns
// their answers into one table.
//
// It does not own the judge being measured: that is package verdict,
// used only through its exported API. cmd/judgebench prints the table;
// docs/judge.md explains it.
package judgebench
