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
	// Limit is "outlier_fraction" or "error_rate"; Reason says what was
	// measured against it.
	Limit  string `json:"limit"`
	Reason string `json:"reason"`
	// WindowEnd is the end of the window that completed the breach;
	// Reverted is when the fault's revert returned.
	WindowEnd time.Time `json:"window_end"`
	Reverted  time.Time `json:"reverted"`
	// Stopped reports that the run stopped there (then = "stop").
	Stopped bool `json:"stopped"`
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
