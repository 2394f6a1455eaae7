// Package runner plans and executes experiments.
//
// A run has two phases with separate types. NewPlan turns a decoded
// experiment into a Plan — start order of the components, where proxies
// go, the phases with their offsets — and touches nothing, so that
// `faultline plan` and `run --dry-run` can print it. Run executes a Plan:
// it starts each component's process (package runner/process) behind
// faultline's in-process proxy where a fault needs one (package
// runner/proxy), starts the workloads (package observe), measures the
// baseline, and for each failure mode injects its faults, checks that each
// landed, holds them, reverts them and measures the recovery. Cancelling
// the context reverts every active fault and stops every process before
// Run returns.
//
// The fault drivers behind the Fault interface give each fault kind an
// inject, a check that observes the effect for real, and an idempotent
// revert. An endpoint component is not started: its faults are the
// staging drivers (local commands, HTTP requests, toxics on a remote
// Toxiproxy API), which Recover can also undo from the journal.
//
// A front end can take part in a run: Options.BeforeFault decides before
// each failure mode whether it is injected, skipped or the run stops
// there, and a Control records notes and aborts the failure mode in
// place from another goroutine (faultline gameday, operator.go). Every
// window, a KindWindow progress event carries each workload's rate,
// errors and live outlier fraction (window.go).
//
// Runner owns targets, faults and timing. It does not judge: it returns a
// timeline and the events, and package verdict decides.
package runner
