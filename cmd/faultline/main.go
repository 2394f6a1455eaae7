package main

import (
	"context"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"
	"golang.org/x/term"
)

func main() {
	// testcontainers-go announces every engine connection on stderr;
	// faultline reports what it does itself.
	tclog.SetDefault(log.New(io.Discard, "", 0))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		now:    time.Now,
		tty:    term.IsTerminal(int(os.Stdout.Fd())),
	}
	// The first signal cancels ctx: a run reverts its faults and stops
	// its processes. Then the default action is restored, so that a
	// second signal ends faultline at once (its processes die with it).
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := execute(ctx, e, os.Args[1:])
	stop()
	os.Exit(int(code))
}
