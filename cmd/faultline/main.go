package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		now:    time.Now,
		tty:    term.IsTerminal(int(os.Stdout.Fd())),
		// After the first signal the run reverts and cleans up; a
		// second one must be able to end faultline at once.
		onInterrupt: stop,
	}
	code := execute(ctx, e, os.Args[1:])
	stop()
	os.Exit(int(code))
}
