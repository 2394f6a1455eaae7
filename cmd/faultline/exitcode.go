package main

import "fmt"

// ExitCode is faultline's exit status: one contract, documented in the
// README, mapped here and nowhere else.
type ExitCode int

const (
	// ExitConfirmed: every hypothesis was confirmed (or the command
	// succeeded).
	ExitConfirmed ExitCode = 0
	// ExitRefuted: at least one hypothesis was refuted.
	ExitRefuted ExitCode = 1
	// ExitInvalid: invalid input or usage.
	ExitInvalid ExitCode = 2
	// ExitInconclusive: a hypothesis was inconclusive, or the run was
	// aborted, and none was refuted.
	ExitInconclusive ExitCode = 3
	// ExitRuntime: a runtime error stopped faultline (a component that
	// does not start, a file that cannot be written).
	ExitRuntime ExitCode = 4
)

// exitError carries an exit code with an error to print.
type exitError struct {
	code ExitCode
	err  error // nil when everything was already printed
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode attaches an exit code to err; a nil err gives a silent exit.
func withCode(code ExitCode, err error) error { return &exitError{code: code, err: err} }
