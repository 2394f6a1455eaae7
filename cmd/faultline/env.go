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
	// width is the terminal's width in columns, 0 when unknown.
	width func() int
	// keys switches the terminal on stdin to key-by-key input for a
	// game day; main restores it before a hurried exit.
	keys *keyMode
}

// color reports whether output may use ANSI colour.
func (e *env) color() bool {
	return e.tty && e.getenv("NO_COLOR") == "" && e.getenv("CI") == ""
}
