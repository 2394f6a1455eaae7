package main

import (
	"io"
	"time"
)

// env is everything the commands take from the outside world; tests build
// their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// tty reports whether stdout is a terminal (colour, live progress).
	tty bool
	// stdin is read for confirmations, only when stdinTTY reports
	// that it is a terminal.
	stdin    io.Reader
	stdinTTY bool
}

// color reports whether output may use ANSI colour.
func (e *env) color() bool {
	return e.tty && e.getenv("NO_COLOR") == "" && e.getenv("CI") == ""
}
