package observe

import "time"

// Timeline is what happened during a run, apart from the events: when each
// phase ran and when each fault was injected, seen to land, and reverted.
// The runner writes it; the judge and the reports read it, possibly from a
// past run's files.
type Timeline struct {
	RunID      string          `json:"run_id"`
	Experiment string          `json:"experiment"`
	Start      time.Time       `json:"start"`
	End        time.Time       `json:"end"`
	Phases     []Phase         `json:"phases"`
	Faults     []FaultRecord   `json:"faults"`
	Components []ComponentInfo `json:"components"`
	// Trips are the abort limits that tripped and reverted a fault.
	Trips []Trip `json:"trips,omitempty"`
	// Detections are the detection alerts of the failure modes that
	// were injected, read from the telemetry after the run.
	Detections []Detection `json:"detections,omitempty"`
	// Signals says what was read of each signal a hypothesis names.
	Signals []SignalInfo `json:"signals,omitempty"`
	// Skips are the failure modes the run was told to leave out when
	// their turn came (faultline gameday): not injected, their fault
	// and recovery phases not run.
	Skips []Skip `json:"skips,omitempty"`
	// Notes are the lines people wrote during the run (faultline
	// gameday), in order.
	Notes []Note `json:"notes,omitempty"`
	// Aborted is set when the run stopped before its plan was done;
	// AbortReason says why.
	Aborted     bool   `json:"aborted"`
	AbortReason string `json:"abort_reason,omitempty"`
}

// Trip is an abort limit that tripped during a fault phase: the fault
// was reverted at once and the failure mode's hypotheses are aborted.
type Trip struct {
	FailureMode string `json:"failure_mode"`
	// Hypothesis and Workload are the first hypothesis whose workload
	// breached the limit.
	Hypothesis string `json:"hypothesis"`
	Workload   string `json:"workload"`
	// Limit is "outlier_fraction", "error_rate", "promql", or
	// "operator" when a person aborted the fault (faultline gameday);
	// Reason says what was measured against it, or why it was aborted.
	Limit  string `json:"limit"`
	Reason string `json:"reason"`
	// WindowEnd is the end of the window that completed the breach, or
	// when the operator asked for the abort; Reverted is when the
	// fault's revert returned.
	WindowEnd time.Time `json:"window_end"`
	Reverted  time.Time `json:"reverted"`
	// Stopped reports that the run stopped there (then = "stop").
	Stopped bool `json:"stopped"`
}

// LimitOperator is the Trip.Limit of a fault a person aborted.
const LimitOperator = "operator"

// Skip is a failure mode left out at run time.
type Skip struct {
	FailureMode string    `json:"failure_mode"`
	Time        time.Time `json:"time"`
	// Reason says who or what decided, and why.
	Reason string `json:"reason"`
}

// Note is a line of text a person wrote during a run, with when and in
// which phase: the phase that had begun last, "" before the first one.
type Note struct {
	Time        time.Time `json:"time"`
	Phase       string    `json:"phase,omitempty"`
	FailureMode string    `json:"failure_mode,omitempty"`
	Text        string    `json:"text"`
}

// Phase names.
const (
	PhaseWarmup   = "warmup"
	PhaseBaseline = "baseline"
	PhaseFault    = "fault"
	PhaseRecovery = "recovery"
)

// Phase is one phase of a run. FailureMode is empty for the baseline.
type Phase struct {
	Name        string    `json:"name"`
	FailureMode string    `json:"failure_mode,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	// Completed is false when the run was interrupted during the phase.
	Completed bool `json:"completed"`
}

// FaultRecord is one fault's life: inject, landed check, revert.
type FaultRecord struct {
	FailureMode string    `json:"failure_mode"`
	Kind        string    `json:"kind"`
	Target      string    `json:"target"`
	Injected    time.Time `json:"injected"`
	InjectError string    `json:"inject_error,omitempty"`
	// Landed reports whether the check saw the fault take effect;
	// LandedDetail says what was observed.
	Landed       bool      `json:"landed"`
	LandedDetail string    `json:"landed_detail"`
	LandedAt     time.Time `json:"landed_at"`
	// EffectiveAt is the send time of the first probe of the
	// component's address that showed the fault, watched from the
	// inject call; zero when the kind cannot be seen by a probe or no
	// probe saw it.
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	// RevertCalled is when revert was called, Reverted when it
	// returned, and RecoveredAt the send time of the first probe after
	// RevertCalled that was answered normally (zero when not watched).
	RevertCalled time.Time `json:"revert_called,omitzero"`
	Reverted     time.Time `json:"reverted"`
	RecoveredAt  time.Time `json:"recovered_at,omitzero"`
	RevertError  string    `json:"revert_error,omitempty"`
}

// Detection is the evidence about one alert meant to detect a failure
// mode: whether it fired after the fault landed, and how soon.
type Detection struct {
	FailureMode string `json:"failure_mode"`
	Alert       string `json:"alert"`
	// WithinSeconds is how soon the alert had to fire.
	WithinSeconds float64 `json:"within_seconds"`
	// From is the moment the fault landed that time to detect counts
	// from: the first probe that showed it (FaultRecord.EffectiveAt),
	// or the landed check when no probe can see the kind.
	From time.Time `json:"from"`
	// Until is the end of the failure mode's recovery phase: a firing
	// later than that is not counted for it.
	Until time.Time `json:"until"`
	// Fired reports whether the alert started firing between From and
	// Until; FiredAt is the first firing sample (a rule evaluation
	// time) and TimeToDetectSeconds is FiredAt - From.
	Fired               bool      `json:"fired"`
	FiredAt             time.Time `json:"fired_at,omitzero"`
	TimeToDetectSeconds float64   `json:"time_to_detect_seconds,omitempty"`
	// InTime reports that it fired within WithinSeconds.
	InTime bool `json:"in_time"`
	// FiringBefore reports that the alert was already firing when the
	// fault landed, so its firing cannot be put down to the fault.
	FiringBefore bool `json:"firing_before,omitempty"`
	// Error says why the alert could not be read.
	Error string `json:"error,omitempty"`
}

// SignalInfo is what was read of one signal from the telemetry.
type SignalInfo struct {
	Name    string `json:"name"`
	Series  int    `json:"series"`
	Samples int    `json:"samples"`
	// NaN counts samples skipped for having no value (a quantile of no
	// traffic).
	NaN int `json:"nan,omitempty"`
	// Error says why the signal could not be read.
	Error string `json:"error,omitempty"`
}

// ComponentInfo records where a component ran.
type ComponentInfo struct {
	Name string `json:"name"`
	// Address is the public address others used; Listen the process's
	// own. They differ when a proxy sat in front.
	Address string `json:"address"`
	Listen  string `json:"listen"`
	Proxied bool   `json:"proxied"`
	// PID is the process's last pid: a kill or restart fault starts a
	// new one.
	PID int `json:"pid,omitempty"`
	// Container and Image name a container component's container and
	// image.
	Container string `json:"container,omitempty"`
	Image     string `json:"image,omitempty"`
}
