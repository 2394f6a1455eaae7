package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"
	"golang.org/x/term"
)

// hurryGrace is how long a second interrupt leaves the reverts under
// way before faultline exits.
const hurryGrace = 2 * time.Second

func main() {
	// testcontainers-go announces every engine connection on stderr;
	// faultline reports what it does itself.
	tclog.SetDefault(log.New(io.Discard, "", 0))
	ctx, cancel := context.WithCancelCause(context.Background())
	e := &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		now:    time.Now,
		tty:    term.IsTerminal(int(os.Stdout.Fd())),
		stdin:  os.Stdin,
		// Prompts need a person at a terminal on both ends.
		stdinTTY: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stderr.Fd())),
		width: func() int {
			w, _, err := term.GetSize(int(os.Stdout.Fd()))
			if err != nil {
				return 0
			}
			return w
		},
		keys: &keyMode{},
	}
	// The first signal cancels ctx: a run reverts its faults, stops its
	// processes, removes its containers and exits 3. A second one gives
	// the reverts under way hurryGrace more, then exits 3 whatever is
	// left, which the journal records for `faultline recover`; a third
	// exits at once. Local processes die with faultline either way.
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cancel(errors.New(signalName(s)))
		<-sigs
		fmt.Fprintf(os.Stderr, "faultline: second interrupt: exiting within %s, whatever the cleanup has not done by then; `faultline recover` undoes what is left\n", hurryGrace)
		select {
		case <-time.After(hurryGrace):
		case <-sigs:
		}
		e.keys.restore()
		os.Exit(int(ExitInconclusive))
	}()
	code := execute(ctx, e, os.Args[1:])
	signal.Stop(sigs)
	e.keys.restore()
	os.Exit(int(code))
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}
