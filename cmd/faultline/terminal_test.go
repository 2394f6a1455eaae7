package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner"
)

// plainLine is a progress line without a terminal: elapsed time, then
// the message.
var plainLine = regexp.MustCompile(`^\[ *\d+\.\ds\] `)

// TestRunProgress runs a short experiment with its output on a
// pseudo-terminal and on a pipe, in the modes the user can choose, and
// checks what the output looks like. The runs go in parallel: only the
// output is judged, not the verdicts.
func TestRunProgress(t *testing.T) {
	tests := []struct {
		name  string
		pty   bool
		env   []string
		flags []string
		check func(t *testing.T, out string)
	}{
		{"terminal", true, nil, nil, func(t *testing.T, out string) {
			status := strings.Count(out, "▶ ")
			if status < 10 || !strings.Contains(out, "\x1b[1A\x1b[K") {
				t.Errorf("status area drawn %d times, or never erased in place; want it redrawn:\n%s", status, visible(out))
			}
			for _, want := range []string{"▶ \x1b[0m\x1b[1mfault prices-slow", "active faults: ", "latency on prices", "req/s", "outliers", "── baseline 5s"} {
				if !strings.Contains(out, want) {
					t.Errorf("terminal output lacks %q:\n%s", visible(want), visible(out))
				}
			}
			// A window above the threshold is shown in red. Whether one is
			// depends on the judge (a baseline too noisy to qualify shows
			// none), so the colour is checked wherever one is shown.
			if strings.Contains(out, " (above ") && !strings.Contains(out, "\x1b[31m (above ") {
				t.Errorf("a window above the threshold is not red:\n%s", visible(out))
			}
			// The summary comes after the area is cleared.
			if i := strings.LastIndex(out, "▶ "); i > strings.Index(out, "HYPOTHESIS") {
				t.Errorf("status area drawn after the summary:\n%s", visible(out))
			}
		}},
		{"terminal without colour", true, []string{"NO_COLOR=1"}, nil, func(t *testing.T, out string) {
			if !strings.Contains(out, "▶ fault prices-slow") || !strings.Contains(out, "\x1b[1A\x1b[K") {
				t.Errorf("no status area with NO_COLOR:\n%s", visible(out))
			}
			if regexp.MustCompile(`\x1b\[\d*m`).MatchString(out) {
				t.Errorf("colour with NO_COLOR:\n%s", visible(out))
			}
		}},
		{"terminal in CI", true, []string{"CI=1"}, nil, plainOutput},
		{"pipe", false, nil, nil, plainOutput},
		{"pipe quiet", false, nil, []string{"--quiet"}, func(t *testing.T, out string) {
			if strings.Contains(out, "──") || strings.Contains(out, "faultline: running") || strings.Contains(out, " up (pid") {
				t.Errorf("--quiet printed progress:\n%s", out)
			}
			if !strings.Contains(out, "HYPOTHESIS") || !strings.Contains(out, "checkout-steady") {
				t.Errorf("--quiet lacks the summary:\n%s", out)
			}
		}},
		{"pipe verbose", false, nil, []string{"--verbose"}, func(t *testing.T, out string) {
			plainOutput(t, out)
			win := regexp.MustCompile(`(?m)^\[ *\d+\.\ds\]    window checkout \d+ req/s, errors \d+\.\d%(, outliers \d+\.\d% \(\d+ of \d+\))?$`)
			lines := win.FindAllString(out, -1)
			judged := 0
			for _, l := range lines {
				if strings.Contains(l, "outliers") {
					judged++
				}
			}
			// 2s warmup + 5s baseline + 2s + 2s, in windows of 1s.
			if len(lines) < 9 || judged < 3 {
				t.Errorf("--verbose printed %d window lines (%d with outliers), want about 11 (4 after the baseline):\n%s", len(lines), judged, out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := experimentDir(t, "testdata/tiny.hcl")
			args := append([]string{"run", "--run-dir", filepath.Join(t.TempDir(), "run")}, tt.flags...)
			args = append(args, path)
			var out string
			var code int
			if tt.pty {
				p := startPTY(t, ptyEnv(tt.env...), args...)
				code = p.wait(60 * time.Second)
				out = p.output()
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), args...)
				cmd.Env = ptyEnv(tt.env...)
				var buf bytes.Buffer
				cmd.Stdout = &buf
				err := cmd.Run()
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				out = buf.String()
			}
			// Any verdict will do: the output is under test, and six runs
			// side by side on a small machine can leave a baseline too
			// noisy to judge (inconclusive, exit 3).
			if code != int(ExitConfirmed) && code != int(ExitRefuted) && code != int(ExitInconclusive) {
				t.Fatalf("run = %d, want a verdict (0, 1 or 3)\n%s", code, visible(out))
			}
			tt.check(t, out)
		})
	}
}

// plainOutput checks output without a live terminal: no escape
// sequence, and every progress line timestamped.
func plainOutput(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "\x1b[") || strings.Contains(out, "▶") {
		t.Errorf("escape sequences or a status area in plain output:\n%s", visible(out))
	}
	n := 0
	for _, l := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n") {
		if plainLine.MatchString(l) {
			n++
		}
	}
	if n < 8 || !strings.Contains(out, "── fault prices-slow, 2s") || !strings.Contains(out, "latency on prices reverted") {
		t.Errorf("plain output has %d timestamped lines, want the phases and faults as lines:\n%s", n, out)
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestLiveView feeds a live view progress events on a fake clock and
// checks the status area it draws and erases.
func TestLiveView(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	start := clock.t
	var buf bytes.Buffer
	lw := &lockedWriter{w: &buf}
	output := func() string {
		lw.mu.Lock()
		defer lw.mu.Unlock()
		return buf.String()
	}
	e := &env{stdout: lw, getenv: func(string) string { return "" }, now: clock.now, tty: true, width: func() int { return 60 }}
	exp := &experiments.Experiment{Threshold: 0.1, Window: time.Second}
	plan := &runner.Plan{Experiment: exp, Steps: []runner.Step{{Phase: "fault", Offset: 0, Duration: 90 * time.Second}}}
	v := newLiveView(e, verbosityNormal, plan, start)
	defer v.close()

	clock.t = start.Add(10 * time.Second)
	v.show(runner.Progress{Kind: runner.KindPhase, Phase: "fault", FailureMode: "cache-slow", Duration: 30 * time.Second})
	v.show(runner.Progress{Kind: runner.KindInject, FailureMode: "cache-slow", Fault: "latency", Target: "cache", Message: "latency on cache"})
	clock.t = start.Add(15 * time.Second)
	v.show(runner.Progress{Kind: runner.KindWindow, Windows: []runner.WorkloadWindow{
		{Workload: "browse", Events: 200, Rate: 200, Judged: true, Counted: 200, Outliers: 50},
		{Workload: "quote", Events: 100, Failures: 3, Rate: 100, Judged: true, Counted: 100, Outliers: 3},
	}})
	v.say("note (fault cache-slow): all quiet")

	screen := render(output())
	want := []string{
		"[  10.0s] ── fault cache-slow, 30s",
		"[  10.0s]    latency on cache",
		"[  15.0s] note (fault cache-slow): all quiet",
		"▶ fault cache-slow · 0:25 left · run 0:15 of ~1:30",
		"  active faults: latency on cache",
		"  browse          200 req/s  errors   0.0%  outliers  25.0%",
		"  quote           100 req/s  errors   3.0%  outliers   3.0%",
	}
	if got := strings.Join(screen, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("screen:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	for _, l := range screen {
		if n := len([]rune(l)); n >= 60 {
			t.Errorf("line of %d columns on a 60-column terminal: %q", n, l)
		}
	}

	v.ask("inject x into y? [y]es / [s]kip / [q]uit ›")
	v.typing("ye")
	screen = render(output())
	if last := screen[len(screen)-1]; last != "inject x into y? [y]es / [s]kip / [q]uit › ye" {
		t.Errorf("input line = %q", last)
	}

	v.show(runner.Progress{Kind: runner.KindRevert, Fault: "latency", Target: "cache", Message: "latency on cache reverted"})
	v.close()
	screen = render(output())
	if got := screen[len(screen)-1]; got != "[  15.0s]    latency on cache reverted" {
		t.Errorf("after close the last line is %q, want the last event (the area cleared)", got)
	}
}

// render plays the output on a screen without colour that knows the
// sequences the live view uses, and returns its lines without the
// trailing empty ones.
func render(s string) []string {
	s = regexp.MustCompile(`\x1b\[\d*m`).ReplaceAllString(s, "")
	lines := [][]rune{nil}
	row, col := 0, 0
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "\x1b[1A"):
			row = max(row-1, 0)
			i += 4
			continue
		case strings.HasPrefix(s[i:], "\x1b[K"):
			lines[row] = lines[row][:min(col, len(lines[row]))]
			i += 3
			continue
		}
		r := []rune(s[i:])[0]
		i += len(string(r))
		switch r {
		case '\r':
			col = 0
		case '\n':
			row, col = row+1, 0
			if row == len(lines) {
				lines = append(lines, nil)
			}
		default:
			for len(lines[row]) < col {
				lines[row] = append(lines[row], ' ')
			}
			if col < len(lines[row]) {
				lines[row][col] = r
			} else {
				lines[row] = append(lines[row], r)
			}
			col++
		}
	}
	var out []string
	for _, l := range lines {
		out = append(out, string(l))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func TestReadKeys(t *testing.T) {
	tests := []struct {
		name  string
		input string
		lines []string
		typed string // the last line shown while typing
	}{
		{"enter", "note one\rnote two\n", []string{"note one", "note two"}, ""},
		{"backspace and ctrl-u", "helo\x7fp!\x08\r" + "junk\x15ok\r", []string{"help", "ok"}, ""},
		{"arrow keys ignored", "a\x1b[Db\x1bOAc\r", []string{"abc"}, ""},
		{"utf-8 split across reads", "caf\xc3\xa9 ✓\r", []string{"café ✓"}, ""},
		{"control keys ignored", "a\x01\x02b\r", []string{"ab"}, ""},
		{"unfinished line", "half", nil, "half"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			typed := ""
			// One byte per read: sequences and runes arrive in pieces.
			readKeys(&oneByte{s: tt.input}, func(s string) { typed = s }, func(s string) bool { lines = append(lines, s); return true })
			if fmt.Sprint(lines) != fmt.Sprint(tt.lines) || typed != tt.typed {
				t.Errorf("readKeys(%q) = %q, showing %q; want %q, showing %q", tt.input, lines, typed, tt.lines, tt.typed)
			}
		})
	}
}

type oneByte struct{ s string }

func (o *oneByte) Read(p []byte) (int, error) {
	if o.s == "" {
		return 0, os.ErrClosed
	}
	p[0] = o.s[0]
	o.s = o.s[1:]
	return 1, nil
}

// TestCommandsHaveExamples walks the command tree: every command's
// --help shows examples.
func TestCommandsHaveExamples(t *testing.T) {
	e, _, _ := testEnv()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Example == "" {
			t.Errorf("command %q has no examples in its --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(e))
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			e, out, errb := testEnv()
			if code := execute(context.Background(), e, []string{"completion", shell}); code != ExitConfirmed {
				t.Fatalf("completion %s = %d\n%s", shell, code, errb)
			}
			if !strings.Contains(out.String(), "faultline") || out.Len() < 1000 {
				t.Errorf("completion %s wrote %d bytes, want a script for faultline", shell, out.Len())
			}
		})
	}
	e, _, errb := testEnv()
	if code := execute(context.Background(), e, []string{"completion", "tcsh"}); code != ExitInvalid {
		t.Errorf("completion tcsh = %d, want %d\n%s", code, ExitInvalid, errb)
	}
	// The script completes the commands: ask cobra as the shell would.
	e, out, _ := testEnv()
	execute(context.Background(), e, []string{"__complete", "ga"})
	if !strings.Contains(out.String(), "gameday") {
		t.Errorf("completing \"ga\" = %q, want gameday", out)
	}
}
