package observe

import "time"

// Event is one request made by a workload, or one sample read from
// elsewhere: the unit the judge scores.
type Event struct {
	// Time is when the request was meant to be sent (its scheduled
	// time in the open model), not when it actually left.
	Time time.Time
	// Latency is measured from Time to the end of the response, so a
	// stalled sender cannot hide delay (no coordinated omission).
	Latency time.Duration
	// OK is false for transport errors, timeouts and 5xx answers.
	OK bool
	// Labels are the event's dimensions. Workload events carry
	// "workload", "route", "method", "status_class" (2xx, 4xx, 5xx,
	// or "error" when no answer came), plus the workload's declared
	// labels. Events may share one map: treat it as read-only.
	Labels map[string]string
	// Status is the HTTP status code, 0 when no answer came.
	Status int
	// Error says why a request failed without an answer ("" otherwise).
	Error string
}

// Label names every workload event carries.
const (
	LabelWorkload    = "workload"
	LabelRoute       = "route"
	LabelMethod      = "method"
	LabelStatusClass = "status_class"
)

// LabelSignal names the signal a telemetry sample belongs to: a signal's
// samples are events labelled signal=<name> instead of workload=<name>.
const LabelSignal = "signal"
