// Package observe owns telemetry at the level of single requests: the
// workload generators that exercise a system under test and emit one
// Event per request, the Collector that gathers those events during a
// run, and the event files (CSV or JSON Lines) that let a past run, or
// a user's own request log, be judged again offline, read as a stream
// by EventReader so that memory does not grow with their length.
//
// Generators follow the open model: requests arrive at a constant rate
// whatever the system does, and each request's latency is measured from
// the moment it was scheduled, so a stalled system cannot hide its delay
// by slowing the sender (no coordinated omission). Time reaches the
// generators through an injected Clock.
//
// It also holds the Timeline, the record of a run's phases and faults
// that the runner writes and the judge reads.
//
// # Event files
//
// An event file is CSV (RFC 4180) with one header line:
//
//	time,latency,ok,status,error,<label>...
//
// time is RFC 3339 in UTC with nanoseconds; latency is in seconds with
// microsecond precision; ok is true or false (optional when reading:
// a file without it has every event ok); status is the HTTP status
// (0 for none); error is the failure reason or empty. Each further
// column is a label, its name in the header; an empty cell means the
// event lacks that label, so a label with an empty value is not kept
// (as in Prometheus, where an empty label equals a missing one).
// ReadEvents accepts more than WriteCSV writes; see there.
//
// Event files may also be JSON Lines, one flat object per line with the
// same fields as keys ({"time": ..., "latency": ..., "route": ...});
// readers tell the two apart by the first character that is not white
// space. See NewEventReader.
//
// observe does not decide pass or fail (package verdict judges events),
// and it does not start targets, inject faults or plan phases (package
// runner does).
package observe
