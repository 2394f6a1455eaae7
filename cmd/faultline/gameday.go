package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner"
)

// abortKey is the line that aborts the fault in place during a game day:
// a line holding only "!", which no note is.
const abortKey = "!"

func newGameday(e *env) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "gameday FILE",
		Short: "Run an experiment as a guided game day: confirm each fault, take notes, abort at will",
		Long: `Gameday runs an experiment the way 'faultline run' does, with people in the
loop. It prints the plan, starts the components and the workloads, measures
the baseline, and before each failure mode asks

  inject <failure mode> into <component>? [y]es / [s]kip / [q]uit

y injects it; s leaves it out (its hypotheses are inconclusive, "skipped");
q stops the run cleanly there.

While it runs, every line typed is a note: it is recorded with its time and
the phase it fell in, in the journal (journal.jsonl), report.md ("Notes")
and conclusions.json ("notes"). A line holding only ! aborts the failure
mode in place: its faults are reverted at once, its hypotheses are aborted
(limit "operator"), and you are asked whether to go on with the next
failure mode. Ctrl-C stops the run as it stops 'faultline run'.

The run directory is written as 'faultline run' writes it, and the summary
printed. See docs/gameday.md.

Exit codes as 'faultline run': 0 all confirmed (skipped failure modes leave
their hypotheses inconclusive, which does not fail), 1 a hypothesis refuted,
2 invalid input, 3 a fault aborted or the run stopped early, 4 runtime error.`,
		Example: `  faultline gameday examples/quickstart/quickstart.hcl
  faultline gameday --out /srv/gamedays --verbose checkout.hcl
  faultline gameday --allow-staging staging/checkout.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.ci = &ciRun{e: e, failOn: failOnInconclusive, format: "text"}
			return runWith(cmd.Context(), e, f, args[0], &gameday{e: e})
		},
	}
	cmd.Flags().StringVar(&f.out, "out", "runs", "directory under which the run directory <timestamp>-<name> is created")
	cmd.Flags().StringVar(&f.runDir, "run-dir", "", "exact run directory to write (overrides --out; must not exist or be empty)")
	cmd.Flags().BoolVar(&f.allowStaging, "allow-staging", false, "let the run act on the environment its endpoint components belong to (otherwise asked at a terminal, refused elsewhere)")
	cmd.Flags().StringVar(&f.prometheus, "prometheus", "", "base URL of the Prometheus-compatible API to read signals and alerts from, replacing the telemetry block's address")
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "also print each window's numbers (requests per second, errors, outliers) as lines")
	return cmd
}

// gameday guides a run: it asks before each failure mode, turns typed
// lines into notes, and aborts the fault in place at the abort key. Input
// is read by one goroutine (until stdin ends or faultline exits) and
// handled by another (until the run ends).
type gameday struct {
	e    *env
	plan *runner.Plan
	out  progressOut
	// live is set when the status area shows the line being typed.
	live    bool
	control *runner.Control
	// questions takes a question to ask; the handler answers it with
	// the next line typed.
	questions chan *question
	done      chan struct{}
	wg        sync.WaitGroup

	mu sync.Mutex
	// stop, when set, stops the run before the next failure mode.
	stop string
}

// question is a question waiting for a typed line.
type question struct {
	text string
	// answer takes the line typed; it returns false when the line
	// does not answer the question, which is then asked again.
	answer func(line string) bool
	// ended, when set, is called instead when the input ends.
	ended func()
}

// notePrompt is the input line's prompt between questions.
const notePrompt = "note (Enter records it; a line with just ! aborts the fault) ›"

// intro prints the plan and how the game day works.
func (g *gameday) intro(plan *runner.Plan) error {
	g.plan = plan
	if err := writePlan(g.e.stdout, plan, "text"); err != nil {
		return err
	}
	fmt.Fprintf(g.e.stdout, `
Game day: you are asked before each failure mode is injected: y injects it,
s skips it, q stops the run. Any other line you type is a note, kept with
its time in the journal and the report. A line with just %s aborts the
fault in place (it is reverted at once). Ctrl-C stops the run.

`, abortKey)
	return nil
}

// attach adds the game day's hooks to the run's options and starts
// reading the input; the returned function ends that.
func (g *gameday) attach(opts *runner.Options, out progressOut) func() {
	g.out = out
	_, g.live = out.(*liveView)
	g.control = runner.NewControl()
	opts.Control = g.control
	opts.BeforeFault = g.beforeFault
	g.questions = make(chan *question)
	g.done = make(chan struct{})
	lines := g.readInput()
	g.out.ask(g.idlePrompt())
	g.wg.Add(1)
	go g.handle(lines)
	return func() {
		close(g.done)
		g.wg.Wait()
		g.out.ask("")
		g.e.keys.restore()
	}
}

func (g *gameday) idlePrompt() string {
	if g.live {
		return notePrompt
	}
	return ""
}

// readInput starts the goroutine that reads stdin and returns the lines
// typed; the channel is closed when stdin ends. On a terminal shown by
// the live view, the terminal reads key by key and the line being typed
// is drawn in the status area.
func (g *gameday) readInput() <-chan string {
	lines := make(chan string)
	if g.e.stdin == nil {
		close(lines)
		return lines
	}
	keyByKey := false
	if fd, ok := g.e.stdin.(interface{ Fd() uintptr }); ok && g.live && g.e.stdinTTY && g.e.keys != nil {
		if err := g.e.keys.enter(int(fd.Fd())); err != nil {
			g.out.say(fmt.Sprintf("reading whole lines: %v", err))
		} else {
			keyByKey = true
		}
	}
	go func() {
		defer close(lines)
		send := func(s string) bool {
			select {
			case lines <- s:
				return true
			case <-g.done:
				return false
			}
		}
		if keyByKey {
			readKeys(g.e.stdin, g.out.typing, send)
			return
		}
		sc := bufio.NewScanner(g.e.stdin)
		for sc.Scan() {
			if !send(sc.Text()) {
				return
			}
		}
	}()
	return lines
}

// readKeys edits a line from key presses: printable characters,
// Backspace, Ctrl-U (clear); Enter sends it. Escape sequences (arrow
// keys) and other control keys are ignored. typed is told the line after
// each read; send returns false to stop.
func readKeys(r io.Reader, typed func(string), send func(string) bool) {
	var line []rune
	var partial []byte // an incomplete UTF-8 sequence
	esc := 0           // 1 after ESC, 2 inside a CSI or SS3 sequence
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			switch {
			case esc == 1:
				esc = 0
				if c == '[' || c == 'O' {
					esc = 2
				}
			case esc == 2:
				if c >= 0x40 && c <= 0x7e {
					esc = 0
				}
			case c == 0x1b:
				esc = 1
			case c == '\r' || c == '\n':
				s := string(line)
				line, partial = line[:0], nil
				typed("")
				if !send(s) {
					return
				}
			case c == 0x7f || c == 0x08:
				if len(line) > 0 {
					line = line[:len(line)-1]
				}
			case c == 0x15:
				line = line[:0]
			case c < 0x20:
			default:
				partial = append(partial, c)
				for len(partial) > 0 && utf8.FullRune(partial) {
					r, size := utf8.DecodeRune(partial)
					if r != utf8.RuneError {
						line = append(line, r)
					}
					partial = partial[size:]
				}
			}
		}
		if n > 0 {
			typed(string(line))
		}
		if err != nil {
			return
		}
	}
}

// handle takes the typed lines until the run ends: the answer to the
// question asked, or a note, or the abort key.
func (g *gameday) handle(lines <-chan string) {
	defer g.wg.Done()
	var q *question
	for {
		select {
		case <-g.done:
			return
		case q = <-g.questions:
			g.out.ask(q.text)
		case line, ok := <-lines:
			if !ok {
				lines = nil // never ready again
				g.stopNext("the game day's input ended")
				if q != nil && q.ended != nil {
					q.ended()
				}
				q = nil
				g.out.say("the input ended: the run stops before the next failure mode; Ctrl-C stops it now")
				continue
			}
			if q != nil {
				if q.answer(line) {
					q = nil
					g.out.ask(g.idlePrompt())
				}
				continue
			}
			if next := g.typed(strings.TrimSpace(line)); next != nil {
				q = next
				g.out.ask(q.text)
			}
		}
	}
}

// typed handles a line typed between questions: a note, or the abort
// key, after which it returns the question whether to go on.
func (g *gameday) typed(line string) *question {
	switch line {
	case "":
		return nil
	case abortKey:
		fm, ok := g.control.Abort("the operator pressed the abort key")
		if !ok {
			g.out.say("nothing to abort: no fault is injected now (Ctrl-C stops the run)")
			return nil
		}
		g.out.say(fmt.Sprintf("abort: reverting %s now", fm))
		next := g.nextAfter(fm)
		if next == "" {
			g.out.say(fmt.Sprintf("%s was the last failure mode: the run ends after its recovery phase", fm))
			return nil
		}
		return &question{
			text: fmt.Sprintf("go on with the next failure mode (%s)? [y]es / [q]uit ›", next),
			answer: func(line string) bool {
				switch strings.ToLower(strings.TrimSpace(line)) {
				case "y", "yes":
					g.out.say(fmt.Sprintf("going on: you will be asked before %s is injected", next))
				case "q", "quit":
					g.stopNext(fmt.Sprintf("the operator chose to stop after aborting %s", fm))
					g.out.say(fmt.Sprintf("the run stops after the recovery phase of %s; Ctrl-C stops it now", fm))
				default:
					g.out.say("answer y (go on) or q (stop after this recovery)")
					return false
				}
				return true
			},
		}
	}
	n, err := g.control.Note(line)
	switch {
	case errors.Is(err, runner.ErrNotStarted) || errors.Is(err, runner.ErrOver):
		g.out.say(fmt.Sprintf("note not recorded: %v", err))
	case err != nil:
		g.out.say(fmt.Sprintf("note kept for the report but not journaled: %v", err))
	default:
		where := n.Phase
		if n.FailureMode != "" {
			where += " " + n.FailureMode
		}
		if where == "" {
			where = "start-up"
		}
		g.out.say(fmt.Sprintf("note (%s): %s", where, line))
	}
	return nil
}

// beforeFault asks whether to inject fm (runner.Options.BeforeFault).
func (g *gameday) beforeFault(ctx context.Context, fm *experiments.FailureMode) (runner.Decision, error) {
	if reason := g.stopping(); reason != "" {
		return runner.Decision{Choice: runner.Stop, Reason: reason}, nil
	}
	decided := make(chan runner.Decision, 1)
	q := &question{
		text: fmt.Sprintf("inject %s into %s? [y]es / [s]kip / [q]uit ›", fm.Name, fm.Component.Name),
		answer: func(line string) bool {
			var d runner.Decision
			switch strings.ToLower(strings.TrimSpace(line)) {
			case "y", "yes":
				d = runner.Decision{Choice: runner.Inject}
				g.out.say(fmt.Sprintf("inject %s: yes", fm.Name))
			case "s", "skip":
				d = runner.Decision{Choice: runner.Skip, Reason: "skipped by the operator at the game-day prompt"}
			case "q", "quit":
				d = runner.Decision{Choice: runner.Stop, Reason: "the operator quit at the game-day prompt"}
			default:
				g.out.say("answer y (inject), s (skip) or q (quit)")
				return false
			}
			decided <- d
			return true
		},
		ended: func() {
			decided <- runner.Decision{Choice: runner.Stop, Reason: "the game day's input ended"}
		},
	}
	select {
	case g.questions <- q:
	case <-ctx.Done():
		return runner.Decision{}, ctx.Err()
	}
	select {
	case d := <-decided:
		return d, nil
	case <-ctx.Done():
		return runner.Decision{}, ctx.Err()
	}
}

func (g *gameday) stopNext(reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stop == "" {
		g.stop = reason
	}
}

func (g *gameday) stopping() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stop
}

// nextAfter is the failure mode injected after fm in the plan, "" for
// none.
func (g *gameday) nextAfter(fm string) string {
	found := false
	for _, s := range g.plan.Steps {
		if s.FailureMode == nil || s.Phase != observe.PhaseFault {
			continue
		}
		if found {
			return s.FailureMode.Name
		}
		found = s.FailureMode.Name == fm
	}
	return ""
}
