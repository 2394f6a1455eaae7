package verdict

import (
	"time"

	"github.com/faultline/faultline/observe"
)

// Outcome is the judgement on one hypothesis.
type Outcome string

const (
	Confirmed    Outcome = "confirmed"
	Refuted      Outcome = "refuted"
	Inconclusive Outcome = "inconclusive"
	// Aborted is set by the run, not the judge: an abort limit tripped
	// during the hypothesis's fault and reverted it early.
	Aborted Outcome = "aborted"
)

// Expectation mirrors experiments.Expectation without importing it.
type Expectation string

const (
	ExpectSteady   Expectation = "steady"
	ExpectRecovers Expectation = "recovers"
)

// Span is a half-open interval of time [Start, End).
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t lies in the span.
func (s Span) Contains(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

// Duration is End - Start.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Case is everything the judge needs to decide one hypothesis. It holds
// data, not handles: a Case can be built from a past run's files.
type Case struct {
	Hypothesis string
	Expect     Expectation
	// Within is the recovery allowance for ExpectRecovers.
	Within time.Duration

	Baseline Span // steady state, no fault active
	Fault    Span // from the moment the fault landed to its revert
	Recovery Span // from the revert to the end of the recovery phase

	// Landed reports whether the fault was seen to take effect; when
	// false the verdict is inconclusive. LandedDetail says what was
	// checked.
	Landed       bool
	LandedDetail string

	// Cohort lists the label names whose values form a cohort.
	Cohort []string
	// Events are the workload's events; those outside the three spans
	// are ignored.
	Events []observe.Event
}

// Phase names used in Window.Phase and as keys of Evidence.Latency.
const (
	PhaseBaseline = "baseline"
	PhaseFault    = "fault"
	PhaseRecovery = "recovery"
)

// Options are the judge's parameters. A zero field takes its default
// (see Options.WithDefaults); negative values count as zero.
type Options struct {
	Window    time.Duration // analysis window (default 5s)
	Sigma     float64       // z at or above which an event is an outlier (default 2)
	Threshold float64       // outlier fraction that alarms a window (default 0.10)
	// MinBaseline is the fewest baseline events a cohort needs to be
	// judged (default 30).
	MinBaseline int
	// MinWindow is the fewest events a window needs to be judged on its
	// own; smaller windows are merged with their neighbour (default 20).
	MinWindow int
	// Alpha is the significance level of the one-sided binomial test
	// a window must also pass to alarm: its outlier count must be
	// unlikely (p-value <= Alpha) under the baseline outlier rate
	// (default 0.01).
	Alpha float64
	// Baseline is the per-cohort baseline model: BaselineLogNormal
	// (default), BaselineNormal, BaselineEmpirical or BaselineRatio. Any other value
	// makes every verdict inconclusive (see Options.Validate).
	Baseline string
	// ErrorMargin is how far, as a fraction of requests, a window's
	// error rate must be significantly above the baseline error rate
	// for the window to alarm on errors (default 0.02: two percentage
	// points).
	ErrorMargin float64
}

// Baseline models for Options.Baseline.
const (
	// BaselineLogNormal fits mean and sd of ln(latency seconds).
	BaselineLogNormal = "lognormal"
	// BaselineNormal fits mean and sd of latency in seconds.
	BaselineNormal = "normal"
	// BaselineEmpirical takes the baseline's own latency quantile at
	// the normal probability of Sigma (97.7% for Sigma 2) as the
	// cutoff, with no parametric fit.
	BaselineEmpirical = "empirical"
	// BaselineRatio is for values that are a fraction of bad from 0 to
	// 1 (an error ratio from telemetry), carried as latency seconds: it
	// fits mean and sd of the value, and an event is an outlier at or
	// above mean + max(Sigma*sd, ErrorMargin). A baseline that does not
	// vary (an error ratio that stays 0) qualifies: the margin is its
	// spread.
	BaselineRatio = "ratio"
)

// Judge decides a hypothesis from its case.
type Judge interface {
	Judge(c Case) Verdict
}

// Verdict is the judgement on one hypothesis with the evidence behind it.
type Verdict struct {
	Hypothesis string      `json:"hypothesis"`
	Expect     Expectation `json:"expect"`
	Outcome    Outcome     `json:"outcome"`
	// Reason says in words why the outcome is what it is, with the key
	// numbers.
	Reason   string   `json:"reason"`
	Evidence Evidence `json:"evidence"`
}

// Evidence is what the judge saw. Durations are in seconds in JSON.
type Evidence struct {
	Sigma         float64 `json:"sigma"`
	Threshold     float64 `json:"threshold"`
	WindowSeconds float64 `json:"window_seconds"`
	// Alpha is the significance level of the window test.
	Alpha float64 `json:"alpha"`
	// BaselineRate is the outlier rate windows are tested against: the
	// larger of BaselineFraction and the normal tail beyond Sigma.
	BaselineRate float64 `json:"baseline_rate"`
	// Baseline is the baseline model the cohorts were fitted with.
	Baseline string `json:"baseline"`
	// ErrorMargin is the error-rate margin of the window error test.
	ErrorMargin float64 `json:"error_margin"`

	// Events per phase (all events of the case, qualified cohorts or not).
	BaselineEvents int `json:"baseline_events"`
	FaultEvents    int `json:"fault_events"`
	RecoveryEvents int `json:"recovery_events"`

	// Coverage is the share of fault and recovery events that fall in
	// qualified cohorts (failed events always count as covered).
	Coverage float64          `json:"coverage"`
	Cohorts  []CohortBaseline `json:"cohorts"`

	// Outlier fractions over whole phases.
	BaselineFraction float64 `json:"baseline_fraction"`
	FaultFraction    float64 `json:"fault_fraction"`
	RecoveryFraction float64 `json:"recovery_fraction"`
	PeakFraction     float64 `json:"peak_fraction"`

	// Error rates (failed / all) per phase.
	BaselineErrorRate float64 `json:"baseline_error_rate"`
	FaultErrorRate    float64 `json:"fault_error_rate"`
	RecoveryErrorRate float64 `json:"recovery_error_rate"`

	// Latency quantiles in seconds per phase.
	Latency map[string]Quantiles `json:"latency"`

	Windows    []Window    `json:"windows"`
	Excursions []Excursion `json:"excursions"`

	// Localized are the cohorts and label values whose outlier count
	// over the fault and recovery phases is significantly above their
	// own baseline rate, with Benjamini-Hochberg false-discovery
	// control at q = 0.05 across all tested groups; most significant
	// first. Empty when nothing stands out.
	Localized []Localization `json:"localized"`
	// StoufferZ combines the qualified cohorts' outlier excess over the
	// fault phase: the sqrt(n)-weighted Stouffer sum of their binomial
	// z-scores against their baseline rates. Reported, not decided on.
	StoufferZ float64 `json:"stouffer_z"`

	// RecoveredAfterSeconds is, for "recovers", the time from the revert
	// to the start of the first window after which no window alarms;
	// nil when the workload never recovered inside the recovery phase.
	RecoveredAfterSeconds *float64 `json:"recovered_after_seconds,omitempty"`
}

// Quantiles are latency quantiles in seconds.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// CohortBaseline is one cohort's fitted baseline.
type CohortBaseline struct {
	// Key is the cohort's label values joined as "name=value,...".
	Key       string  `json:"key"`
	N         int     `json:"n"`
	Mu        float64 `json:"mu"`    // mean of ln(latency seconds)
	SigmaLn   float64 `json:"sigma"` // sd of ln(latency seconds)
	Qualified bool    `json:"qualified"`
	Reason    string  `json:"reason,omitempty"` // why not qualified
	// Labels are the cohort's label values by name.
	Labels map[string]string `json:"labels,omitempty"`
	// Cutoff is the latency in seconds at or above which an ok event of
	// the cohort is an outlier (strictly above for the empirical
	// model, where it is the baseline quantile itself).
	Cutoff float64 `json:"cutoff_seconds"`
	// HeldOut is the number of baseline events of the held-out check
	// (the last third by time), HeldOutRate the share of them at or
	// above the cutoff fitted on the first two thirds, and TailRatio
	// the held-out empirical quantile at the normal probability of
	// Sigma divided by the fitted one (0 when not checked).
	HeldOut     int     `json:"held_out"`
	HeldOutRate float64 `json:"held_out_rate"`
	TailRatio   float64 `json:"tail_ratio,omitempty"`
	// BaselineFraction is the cohort's outlier fraction in the baseline
	// phase with the final fit (failed events count as outliers).
	BaselineFraction float64 `json:"baseline_fraction"`
}

// Localization is one cohort or one label value whose outliers over
// the fault and recovery phases are significantly above its baseline.
type Localization struct {
	Kind string `json:"kind"` // "cohort" or "label"
	// Key is the cohort key, or "name=value" for a label value.
	Key    string            `json:"key"`
	Labels map[string]string `json:"labels"`
	// Events and Outliers are counted over the fault and recovery
	// phases, in qualified cohorts.
	Events   int     `json:"events"`
	Outliers int     `json:"outliers"`
	Fraction float64 `json:"fraction"`
	// BaselineFraction is the rate tested against: the larger of the
	// group's baseline outlier fraction and the normal tail beyond
	// Sigma.
	BaselineFraction float64 `json:"baseline_fraction"`
	// PValue is P(X >= Outliers) for X ~ Binomial(Events,
	// BaselineFraction); QValue is its Benjamini-Hochberg adjusted
	// value across all tested groups.
	PValue float64 `json:"p_value"`
	QValue float64 `json:"q_value"`
}

// Localization kinds.
const (
	KindCohort = "cohort"
	KindLabel  = "label"
)

// CohortImpact is one cohort's share of an excursion.
type CohortImpact struct {
	Key      string            `json:"key"`
	Labels   map[string]string `json:"labels"`
	Events   int               `json:"events"`
	Outliers int               `json:"outliers"`
	Fraction float64           `json:"fraction"`
	// Excess is Outliers minus what the cohort's baseline rate
	// predicts for its Events.
	Excess float64 `json:"excess"`
}

// Window is one analysis window.
type Window struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Phase    string    `json:"phase"` // baseline, fault, recovery
	N        int       `json:"n"`
	Outliers int       `json:"outliers"`
	Failures int       `json:"failures"`
	Fraction float64   `json:"fraction"`
	// Alarm is LatencyAlarm or ErrorAlarm.
	Alarm bool `json:"alarm"`
	// LatencyAlarm: the outlier fraction is above Threshold and
	// significant against the baseline rate.
	LatencyAlarm bool `json:"latency_alarm"`
	// ErrorAlarm: the error rate is significantly more than
	// ErrorMargin above the baseline error rate.
	ErrorAlarm bool `json:"error_alarm"`
	// Requests is every event in the window, in qualified cohorts or
	// not; ErrorRate is Failures / Requests.
	Requests  int     `json:"requests"`
	ErrorRate float64 `json:"error_rate"`
	// ErrorPValue is P(X >= Failures) for X ~ Binomial(Requests,
	// baseline error rate + ErrorMargin).
	ErrorPValue float64 `json:"error_p_value"`
	// PValue is P(X >= Outliers) for X ~ Binomial(N, BaselineRate):
	// how likely this many outliers are if nothing changed.
	PValue float64 `json:"p_value"`
	// Merged reports that the window was merged with a neighbour
	// because it had too few events.
	Merged bool `json:"merged,omitempty"`
	// Skipped reports that the window's whole phase had fewer than
	// MinWindow events, so the phase is one window that is not judged
	// (Alarm is always false).
	Skipped bool `json:"skipped,omitempty"`
}

// Excursion is a run of consecutive alarmed windows.
type Excursion struct {
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	DurationSeconds float64   `json:"duration_seconds"`
	PeakFraction    float64   `json:"peak_fraction"`
	// ExcessOutliers is the outliers above what the baseline rate
	// predicts for the excursion's events: its impact.
	ExcessOutliers float64 `json:"excess_outliers"`
	// Cohorts are the qualified cohorts with more outliers during the
	// excursion than their baseline rate predicts, most excess first
	// (ties by key).
	Cohorts []CohortImpact `json:"cohorts"`
}
