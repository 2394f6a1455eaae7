// Package verdict is the judge: it decides whether a hypothesis about a
// workload under a failure mode is confirmed, refuted or inconclusive,
// from the workload's events and the spans of the baseline, fault and
// recovery phases.
//
// The judge, TwoSigma, does 2-sigma cohort analysis: it groups events
// into cohorts by label values, fits a baseline per cohort from the
// baseline phase (log-normal, normal or empirical quantile) and keeps
// only cohorts that pass a held-out check, marks an event as an outlier
// when its latency is at or above its cohort's cutoff (Sigma standard
// deviations) or when it failed, and measures fixed windows on two
// signals: the outlier fraction (above a threshold and significantly
// above the baseline rate) and the error rate (significantly more than
// a margin above the baseline error rate). It localizes the cohorts and
// label values whose outliers rose, with Benjamini-Hochberg control,
// and decides from the alarmed windows and the localized groups. Every
// verdict carries the evidence it was decided on.
// docs/judge.md describes the statistics and their limits.
//
// Judging streams: Stream reads a case's events in two passes and keeps
// per-cohort, per-window counts and bounded quantile sketches, never the
// events, so memory grows with cohorts and windows only. TwoSigma.Judge
// and `faultline analyze` both go through it.
//
// The package owns the statistics and the decision. It does not fetch
// data (observe does), run anything (runner does), or render reports.
// A Case holds plain data, so a past run can be judged again offline.
package verdict
