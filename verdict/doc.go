// Package verdict is the judge: it decides whether a hypothesis about a
// workload under a failure mode is confirmed, refuted or inconclusive,
// from the workload's events and the spans of the baseline, fault and
// recovery phases.
//
// The v1 judge, TwoSigma, does 2-sigma cohort analysis: it groups events
// into cohorts by label values, fits a log-normal baseline per cohort
// from the baseline phase, marks an event as an outlier when its latency
// is Sigma or more standard deviations above its cohort's baseline (or
// when it failed), measures the outlier fraction in fixed windows, alarms
// a window when that fraction is both above a threshold and
// significantly above the baseline rate, and decides from the alarmed
// windows. Every verdict carries the evidence it was decided on.
// docs/judge.md describes the statistics and their limits.
//
// The package owns the statistics and the decision. It does not fetch
// data (observe does), run anything (runner does), or render reports.
// A Case holds plain data, so a past run can be judged again offline.
package verdict
