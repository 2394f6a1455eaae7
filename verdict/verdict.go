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
}

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
	Alarm    bool      `json:"alarm"`
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
}
