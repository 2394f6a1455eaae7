// Package prom reads telemetry from a Prometheus-compatible HTTP API
// for a run: signals,
// which are PromQL range queries whose samples become observe.Events
// for the judge; alert firings, the intervals during which alerts were
// firing, read from the raw ALERTS samples; and conditions, instant
// queries read as true or false.
//
// A Client is made from a Config (base URL, optional bearer token or
// basic auth, per-call timeout) and checked with Ping. Every call is
// bounded by the timeout, which Prometheus is also asked to honour.
//
// # Errors
//
// Errors name the address and the query (cut to 120 characters) and say
// what kind of failure it was; errors.Is tells them apart: ErrQuery
// (Prometheus refused or could not evaluate the query, its message
// quoted), ErrTimeout, ErrUnreachable, ErrUnauthorized (401 or 403:
// "check the credentials") and ErrNotPrometheus (the answer is not the
// Prometheus API's). A cancelled or expired caller context is reported
// as context.Canceled or context.DeadlineExceeded. Errors never include
// credentials; an Address that carries user info is refused.
//
// Prometheus may attach warnings to an answer (for example, a partial
// answer from a federated store). They are ignored when the answer
// holds data, and returned as the error when it holds none, since then
// they are the only explanation of the empty result.
//
// # Signals
//
// A sample value is read as a latency in seconds, which suits
// histogram_quantile() over request durations. NaN samples, which
// histogram_quantile returns for windows without traffic, are skipped
// and counted in SignalStats. A range longer than the 11000 points per
// series that Prometheus allows is split into several queries on one
// grid.
//
// prom does not judge events (package verdict does) and does not start
// Prometheus; package promtest starts a real one for tests.
package prom
