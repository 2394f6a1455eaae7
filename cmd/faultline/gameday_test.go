package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner/journal"
)

// ptyRun is the faultline binary running on a pseudo-terminal: what it
// wrote so far, and a way to type.
type ptyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File

	mu   sync.Mutex
	out  bytes.Buffer
	read chan struct{} // closed when the output ends
	// seen is the offset up to which expect has matched.
	seen int
}

// startPTY starts faultline with args on a new pty of 120 columns, with
// env as its whole environment.
func startPTY(t *testing.T, env []string, args ...string) *ptyRun {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "faultline"), args...)
	cmd.Env = env
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("start faultline on a pty: %v", err)
	}
	p := &ptyRun{t: t, cmd: cmd, ptmx: ptmx, read: make(chan struct{})}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		ptmx.Close()
	})
	go func() {
		defer close(p.read)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return // EIO once the process and its children closed the pty
			}
		}
	}()
	return p
}

// ptyEnv is the test's environment for a terminal session: no CI, no
// NO_COLOR, plus extra.
func ptyEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CI=") || strings.HasPrefix(kv, "NO_COLOR=") || strings.HasPrefix(kv, "TERM=") {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "TERM=xterm-256color"), extra...)
}

func (p *ptyRun) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// expect waits until want appears in the output after what earlier
// expects matched, and moves past it.
func (p *ptyRun) expect(want string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		i := strings.Index(p.out.String()[p.seen:], want)
		if i >= 0 {
			p.seen += i + len(want)
		}
		p.mu.Unlock()
		if i >= 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q within %s; output so far:\n%s", want, timeout, visible(p.output()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// typeLine types s and Enter, as a person would: one key at a time.
func (p *ptyRun) typeLine(s string) {
	p.t.Helper()
	for _, c := range []byte(s + "\r") {
		if _, err := p.ptmx.Write([]byte{c}); err != nil {
			p.t.Fatalf("type %q: %v", s, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *ptyRun) wait(timeout time.Duration) int {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		select {
		case <-p.read:
		case <-time.After(2 * time.Second):
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatalf("wait for faultline: %v", err)
		}
		return 0
	case <-time.After(timeout):
		p.t.Fatalf("faultline still runs after %s; output:\n%s", timeout, visible(p.output()))
		return -1
	}
}

// visible shows escape sequences in test failures.
func visible(s string) string {
	return strings.ReplaceAll(s, "\x1b", `\e`)
}

// TestGameday drives `faultline gameday` through a pseudo-terminal as a
// person would: a note in the baseline, yes to the first failure mode, a
// note during its fault, the abort key, yes to going on, skip at the
// second prompt.
func TestGameday(t *testing.T) {
	path := experimentDir(t, "testdata/gameday.hcl")
	runDir := filepath.Join(t.TempDir(), "run")
	p := startPTY(t, ptyEnv(), "gameday", "--run-dir", runDir, path)

	p.expect("Phases:", 10*time.Second) // the plan
	p.expect("── baseline", 15*time.Second)
	p.typeLine("baseline looks calm | *really*")
	p.expect("note (baseline): baseline looks calm", 5*time.Second)

	p.expect("inject prices-slow into prices? [y]es / [s]kip / [q]uit", 15*time.Second)
	p.typeLine("maybe") // not an answer: asked again
	p.expect("answer y (inject), s (skip) or q (quit)", 5*time.Second)
	p.typeLine("y")
	p.expect("landed", 10*time.Second)
	p.typeLine("checkout slows down")
	p.expect("note (fault prices-slow): checkout slows down", 5*time.Second)

	keyTime := time.Now()
	p.typeLine(abortKey)
	p.expect("abort: reverting prices-slow now", 5*time.Second)
	p.expect("go on with the next failure mode (prices-flaky)? [y]es / [q]uit", 5*time.Second)
	p.typeLine("y")
	p.expect("inject prices-flaky into prices?", 15*time.Second)
	p.typeLine("s")
	p.expect("prices-flaky skipped", 5*time.Second)

	code := p.wait(30 * time.Second)
	out := p.output()
	if code != int(ExitInconclusive) {
		t.Fatalf("gameday exited %d, want %d (a fault was aborted)\n%s", code, ExitInconclusive, visible(out))
	}
	if !strings.Contains(out, "▶ ") || !strings.Contains(out, "\x1b[1A\x1b[K") {
		t.Errorf("no status area redrawn in place:\n%s", visible(out))
	}

	// The journal: both notes, with their times and phases, in a file
	// recover reads and finds nothing pending in.
	j, err := journal.ReadFile(journal.Path(runDir))
	if err != nil {
		t.Fatal(err)
	}
	var notes []journal.Record
	for _, r := range j.Records {
		if r.Type == journal.TypeOperatorNote {
			notes = append(notes, r)
		}
	}
	if len(notes) != 2 {
		t.Fatalf("journal has %d operator notes, want 2: %+v", len(notes), notes)
	}
	wantNotes := []struct{ text, phase, fm string }{
		{"baseline looks calm | *really*", "baseline", ""},
		{"checkout slows down", "fault", "prices-slow"},
	}
	for i, w := range wantNotes {
		n := notes[i]
		if n.Message != w.text || n.Phase != w.phase || n.FailureMode != w.fm || n.Time.Before(j.Start()) {
			t.Errorf("journal note %d = %q in %q/%q at %v, want %q in %q/%q after the run's start %v",
				i, n.Message, n.Phase, n.FailureMode, n.Time, w.text, w.phase, w.fm, j.Start())
		}
	}
	// The abort of one fault does not end the run: the journal ends
	// completed, and says what the operator aborted.
	if p := j.Pending(); len(p) != 0 || j.Outcome() != journal.OutcomeCompleted {
		t.Errorf("journal: %d pending, outcome %q; want none pending and %q", len(p), j.Outcome(), journal.OutcomeCompleted)
	}
	aborted := false
	for _, r := range j.Records {
		aborted = aborted || (r.Type == journal.TypeNote && strings.HasPrefix(r.Message, "operator abort: "))
	}
	if !aborted {
		t.Errorf("journal has no note of the operator abort")
	}
	var rec bytes.Buffer
	if code := runBinary(t, context.Background(), &rec, "recover", runDir); code != 0 || !strings.Contains(rec.String(), "nothing to recover") {
		t.Errorf("recover after the game day = %d, %q; want 0 and nothing to recover", code, rec.String())
	}

	// conclusions.json: the notes, the operator abort, the skip.
	c := readConclusions(t, runDir)
	if len(c.Notes) != 2 {
		t.Fatalf("conclusions have %d notes, want 2: %+v", len(c.Notes), c.Notes)
	}
	for i, w := range wantNotes {
		n := c.Notes[i]
		if n.Text != w.text || n.Phase != w.phase || n.FailureMode != w.fm || n.Time.Before(c.Start) || n.Time.After(c.End) {
			t.Errorf("conclusions note %d = %+v, want %q in %q/%q within the run", i, n, w.text, w.phase, w.fm)
		}
	}
	if len(c.Faults) != 1 || c.Faults[0].FailureMode != "prices-slow" {
		t.Fatalf("faults = %+v, want the one of prices-slow (prices-flaky was skipped)", c.Faults)
	}
	f := c.Faults[0]
	if f.RevertError != "" || f.RevertCalled.IsZero() || f.Reverted.IsZero() {
		t.Errorf("fault not reverted cleanly: %+v", f)
	}
	if took := f.RevertCalled.Sub(keyTime); took < 0 || took > time.Second {
		t.Errorf("revert called %v after the abort key, want within 1s", took)
	}
	t.Logf("abort key to revert call: %v; to revert done: %v", f.RevertCalled.Sub(keyTime), f.Reverted.Sub(keyTime))
	if len(c.Trips) != 1 || c.Trips[0].Limit != observe.LimitOperator || c.Trips[0].FailureMode != "prices-slow" {
		t.Errorf("trips = %+v, want one of limit operator on prices-slow", c.Trips)
	}
	got := map[string]string{}
	for _, h := range c.Hypotheses {
		got[h.Name] = string(h.Outcome) + ": " + h.Reason
	}
	if r := got["checkout-tolerates-slow-prices"]; !strings.HasPrefix(r, "aborted: ") || !strings.Contains(r, "operator") {
		t.Errorf("checkout-tolerates-slow-prices = %q, want aborted by the operator", r)
	}
	if r := got["checkout-tolerates-flaky-prices"]; !strings.HasPrefix(r, "inconclusive: ") || !strings.Contains(r, "skipped") {
		t.Errorf("checkout-tolerates-flaky-prices = %q, want inconclusive, skipped", r)
	}
	if len(c.Skips) != 1 || c.Skips[0].FailureMode != "prices-flaky" {
		t.Errorf("skips = %+v, want prices-flaky", c.Skips)
	}

	// report.md: the Notes section, escaped.
	md, err := os.ReadFile(filepath.Join(runDir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Notes", `baseline looks calm \| \*really\*`, "| fault | prices-slow | checkout slows down |", "aborted by the operator"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}

	// Nothing is left running.
	for _, comp := range c.Components {
		if alive(comp.PID) {
			t.Errorf("component %s (pid %d) still runs after the game day", comp.Name, comp.PID)
		}
		if comp.Proxied {
			if conn, err := dialQuick(comp.Address); err == nil {
				conn.Close()
				t.Errorf("proxy for %s still listens on %s", comp.Name, comp.Address)
			}
		}
	}
}

// TestGamedayQuit answers q at the first prompt: the run stops cleanly
// before any fault, exit 3, and nothing is injected.
func TestGamedayQuit(t *testing.T) {
	path := experimentDir(t, "testdata/gameday.hcl")
	runDir := filepath.Join(t.TempDir(), "run")
	p := startPTY(t, ptyEnv("NO_COLOR=1"), "gameday", "--run-dir", runDir, path)
	p.expect("inject prices-slow into prices?", 30*time.Second)
	p.typeLine(abortKey) // no fault yet: an answer it is not
	p.expect("answer y (inject), s (skip) or q (quit)", 5*time.Second)
	p.typeLine("q")
	if code := p.wait(20 * time.Second); code != int(ExitInconclusive) {
		t.Fatalf("gameday after q exited %d, want %d\n%s", code, ExitInconclusive, visible(p.output()))
	}
	out := p.output()
	if strings.Contains(out, "\x1b[1m") || strings.Contains(out, "\x1b[31m") {
		t.Errorf("colour with NO_COLOR set:\n%s", visible(out))
	}
	c := readConclusions(t, runDir)
	if !c.Aborted || !strings.Contains(c.AbortReason, "the operator quit") || len(c.Faults) != 0 {
		t.Errorf("conclusions: aborted %v (%q), %d faults; want aborted by the operator's quit, no fault", c.Aborted, c.AbortReason, len(c.Faults))
	}
	for _, comp := range c.Components {
		if alive(comp.PID) {
			t.Errorf("component %s (pid %d) still runs", comp.Name, comp.PID)
		}
	}
}
