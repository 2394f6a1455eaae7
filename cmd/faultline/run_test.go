package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/verdict"
	"github.com/faultline/faultline/verdict/report"
)

func readConclusions(t *testing.T, dir string) report.Conclusions {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "conclusions.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func outcomes(c report.Conclusions) map[string]string {
	m := map[string]string{}
	for _, h := range c.Hypotheses {
		m[h.Name] = string(h.Outcome)
	}
	return m
}

// TestRunShort runs a short experiment end to end in-process: real
// processes, the real proxy, real traffic.
func TestRunShort(t *testing.T) {
	path := experimentDir(t, "testdata/short.hcl")
	var runDir string
	var out *bytes.Buffer
	// Under the race detector on a busy machine the 8s baseline can
	// come out too noisy to judge (inconclusive, exit 3): one more run
	// is allowed, as TestRunQuickstart allows.
	for attempt := 1; ; attempt++ {
		runDir = filepath.Join(t.TempDir(), "run")
		e, o, errb := testEnv()
		out = o
		code := execute(context.Background(), e, []string{"run", "--run-dir", runDir, path})
		if code == ExitRefuted {
			break
		}
		if attempt == 2 {
			t.Fatalf("run = %d, want %d (checkout is refuted)\n%s%s", code, ExitRefuted, out, errb)
		}
		t.Logf("attempt %d: run = %d, want %d; running it again\n%s", attempt, code, ExitRefuted, out)
	}
	c := readConclusions(t, runDir)
	// Under the race detector the generator itself is slow and noisy,
	// so only the unmistakable verdict is asserted here; both sides of
	// the judge are asserted by TestRunQuickstart on a normal build.
	got := outcomes(c)
	if got["checkout-steady"] != "refuted" {
		t.Errorf("checkout-steady = %s, want refuted\n%s", got["checkout-steady"], out)
	}
	if o := got["catalog-steady"]; o != "confirmed" && o != "refuted" {
		t.Errorf("catalog-steady = %q, want a verdict from the judge\n%s", o, out)
	}
	if len(c.Faults) != 1 || !c.Faults[0].Landed || c.Faults[0].LandedDetail == "" {
		t.Errorf("faults = %+v, want one landed fault with a detail", c.Faults)
	}
	if c.Faults[0].Reverted.IsZero() {
		t.Errorf("fault was not recorded as reverted: %+v", c.Faults[0])
	}
	for _, h := range c.Hypotheses {
		if h.Evidence.BaselineEvents < 100 || len(h.Evidence.Windows) == 0 || h.Reason == "" {
			t.Errorf("hypothesis %s lacks evidence: %d baseline events, %d windows, reason %q",
				h.Name, h.Evidence.BaselineEvents, len(h.Evidence.Windows), h.Reason)
		}
	}
	for _, name := range []string{"events.csv", "report.md", "logs/prices.log", "logs/shop.log"} {
		if fi, err := os.Stat(filepath.Join(runDir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	if c.EventCount < 1000 {
		t.Errorf("event count = %d, want at least 1000", c.EventCount)
	}
	for _, comp := range c.Components {
		if alive(comp.PID) {
			t.Errorf("component %s (pid %d) still runs after the run", comp.Name, comp.PID)
		}
	}
}

// TestRunInterrupt sends SIGINT to faultline while a fault is held: the
// fault is reverted, every process stopped, and the exit code is 3.
func TestRunInterrupt(t *testing.T) {
	path := experimentDir(t, "testdata/short.hcl")
	runDir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), "run", "--run-dir", runDir, path)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen bytes.Buffer
	landed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if !signalled && strings.Contains(sc.Text(), "landed") {
				signalled = true
				close(landed)
			}
		}
	}()
	select {
	case <-landed:
	case <-ctx.Done():
		t.Fatalf("fault never landed:\n%s", seen.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	pw.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != int(ExitInconclusive) {
		t.Fatalf("faultline after SIGINT: %v, want exit %d\n%s", err, ExitInconclusive, seen.String())
	}
	c := readConclusions(t, runDir)
	if !c.Aborted {
		t.Errorf("conclusions not marked aborted")
	}
	if len(c.Faults) != 1 || c.Faults[0].Reverted.IsZero() || c.Faults[0].RevertError != "" {
		t.Errorf("fault not reverted cleanly: %+v", c.Faults)
	}
	for _, comp := range c.Components {
		if alive(comp.PID) {
			t.Errorf("component %s (pid %d) still runs after the interrupt", comp.Name, comp.PID)
		}
		if comp.Proxied {
			if conn, err := dialQuick(comp.Address); err == nil {
				conn.Close()
				t.Errorf("proxy for %s still listens on %s", comp.Name, comp.Address)
			}
		}
	}
	for _, h := range c.Hypotheses {
		if h.Outcome != "inconclusive" {
			t.Errorf("hypothesis %s = %s after an abort, want inconclusive", h.Name, h.Outcome)
		}
	}
}

// TestRunQuickstart runs the quickstart exactly as `make run` does and
// checks that each hypothesis comes out as the file claims.
//
// A run whose verdicts differ is run once more before the test fails: on
// a shared 2-core machine, a stall of the machine can push one 5 s window
// of a steady workload just over 10% outliers (seen once in 13 runs here;
// docs/judge.md, "A busy machine is a fault too"). The first run's
// verdicts are logged, so the flake stays visible.
func TestRunQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("the quickstart takes about 85 s; skipped with -short")
	}
	want := map[string]string{
		"catalog-tolerates-slow-prices":        "confirmed",
		"checkout-tolerates-slow-prices":       "refuted",
		"quote-retries-hide-flaky-prices":      "confirmed",
		"checkout-recovers-after-prices-crash": "confirmed",
	}
	path := experimentDir(t, "../../examples/quickstart/quickstart.hcl")
	const attempts = 2
	for attempt := 1; attempt <= attempts; attempt++ {
		runDir := filepath.Join(t.TempDir(), "run")
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		code := runBinary(t, ctx, &out, "run", "--run-dir", runDir, path)
		cancel()
		c := readConclusions(t, runDir)
		for _, f := range c.Faults {
			if !f.Landed {
				t.Fatalf("fault %s on %s did not land: %s", f.Kind, f.Target, f.LandedDetail)
			}
		}
		got := outcomes(c)
		if code == int(ExitRefuted) && equalMaps(got, want) {
			return
		}
		js, _ := json.MarshalIndent(c.Hypotheses, "", " ")
		msg := fmt.Sprintf("attempt %d: exit %d, outcomes = %v, want exit %d and %v", attempt, code, got, ExitRefuted, want)
		if attempt == attempts {
			t.Fatalf("%s\n%s\n%s", msg, out.String(), js)
		}
		for _, h := range c.Hypotheses {
			if h.Outcome != verdict.Outcome(want[h.Name]) {
				msg += fmt.Sprintf("\n  %s: %s", h.Name, h.Reason)
			}
		}
		t.Logf("%s; running it again", msg)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// alive reports whether a process with that pid exists and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(itoa(pid)), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// TestRunDoubleInterrupt sends a second SIGINT while faultline reverts
// after the first: faultline exits 3 within its short grace, and its
// processes die with it.
func TestRunDoubleInterrupt(t *testing.T) {
	path := experimentDir(t, "testdata/short.hcl")
	runDir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), "run", "--run-dir", runDir, path)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := make(chan int, 4)
	landed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		done := false
		for sc.Scan() {
			line := sc.Text()
			var pid int
			if i := strings.Index(line, " up (pid "); i >= 0 {
				if _, err := fmt.Sscanf(line[i:], " up (pid %d)", &pid); err == nil {
					pids <- pid
				}
			}
			if !done && strings.Contains(line, "landed") {
				done = true
				close(landed)
			}
		}
	}()
	select {
	case <-landed:
	case <-ctx.Done():
		t.Fatal("fault never landed")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The second signal gives the cleanup under way a short grace and
	// exits 3; the components die with faultline, and the journal keeps
	// whatever was not undone for faultline recover.
	time.Sleep(20 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	pw.Close()
	if code := cmd.ProcessState.ExitCode(); code != int(ExitInconclusive) {
		t.Fatalf("faultline after two SIGINTs: %v (%v), want exit %d", err, cmd.ProcessState, ExitInconclusive)
	}
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("faultline took %v to exit after the second SIGINT, want about %v at most", took, hurryGrace)
	}
	close(pids)
	n := 0
	for pid := range pids {
		n++
		deadline := time.Now().Add(5 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("component pid %d survived faultline", pid)
		}
	}
	if n != 2 {
		t.Errorf("saw %d component pids, want 2", n)
	}
}

// TestRunAbortLimit: an abort limit trips in the first window of the
// fault, the fault is reverted within a second of that window's end, the
// failure mode's hypotheses are aborted, and the run goes on to the end.
func TestRunAbortLimit(t *testing.T) {
	path := experimentDir(t, "testdata/abort.hcl")
	runDir := filepath.Join(t.TempDir(), "run")
	e, out, errb := testEnv()
	code := execute(context.Background(), e, []string{"run", "--run-dir", runDir, path})
	if code != ExitInconclusive {
		t.Fatalf("run = %d, want %d (aborted hypotheses)\n%s%s", code, ExitInconclusive, out, errb)
	}
	c := readConclusions(t, runDir)
	if len(c.Trips) != 1 {
		t.Fatalf("trips = %+v, want one\n%s", c.Trips, out)
	}
	trip := c.Trips[0]
	if trip.Limit != "outlier_fraction" || trip.Stopped || trip.Hypothesis != "checkout-steady" {
		t.Errorf("trip = %+v, want outlier_fraction on checkout-steady, not stopped", trip)
	}
	fault := c.Faults[0]
	if took := trip.Reverted.Sub(trip.WindowEnd); took < 0 || took > time.Second {
		t.Errorf("fault reverted %v after the breaching window ended, want within 1s", took)
	}
	if held := fault.Reverted.Sub(fault.Injected); held > 3*time.Second {
		t.Errorf("fault held %v of its 5s phase, want it cut short", held)
	}
	t.Logf("breach in the window ending %s; reverted %v later; fault held %v",
		trip.WindowEnd.Format("15:04:05.000"), trip.Reverted.Sub(trip.WindowEnd), fault.Reverted.Sub(fault.Injected))
	for _, h := range c.Hypotheses {
		if h.Outcome != "aborted" || !strings.Contains(h.Reason, "abort limit outlier_fraction") {
			t.Errorf("%s = %s (%s), want aborted with the limit named", h.Name, h.Outcome, h.Reason)
		}
	}
	if c.Aborted || c.Summary.Aborted != 2 {
		t.Errorf("run aborted %v, %d hypotheses aborted; want the run to finish with 2 aborted", c.Aborted, c.Summary.Aborted)
	}
	if !strings.Contains(out.String(), "abort limit outlier_fraction tripped") {
		t.Errorf("progress does not report the trip:\n%s", out)
	}
}

// TestRunAbortStopAndMaxDuration: with then = "stop" a trip ends the run;
// a max_duration shorter than the plan ends it too, reverting the fault.
func TestRunAbortStopAndMaxDuration(t *testing.T) {
	tests := []struct {
		name, from, to string
		wantReason     string
		wantTrips      int
	}{
		{"then stop", `max_duration     = "5m"`, `max_duration     = "5m"
  then             = "stop"`, "stopped: workload checkout had", 1},
		{"max duration", `outlier_fraction = 0.5
  windows          = 1
  max_duration     = "5m"`, `max_duration     = "12s"`, "the abort limit max_duration (12s) passed", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := experimentDir(t, "testdata/abort.hcl")
			data, _ := os.ReadFile(path)
			if !strings.Contains(string(data), tt.from) {
				t.Fatalf("testdata/abort.hcl lacks %q", tt.from)
			}
			os.WriteFile(path, []byte(strings.Replace(string(data), tt.from, tt.to, 1)), 0o644)
			runDir := filepath.Join(t.TempDir(), "run")
			e, out, errb := testEnv()
			if code := execute(context.Background(), e, []string{"run", "--run-dir", runDir, path}); code != ExitInconclusive {
				t.Fatalf("run = %d, want %d\n%s%s", code, ExitInconclusive, out, errb)
			}
			c := readConclusions(t, runDir)
			if !c.Aborted || !strings.Contains(c.AbortReason, tt.wantReason) || len(c.Trips) != tt.wantTrips {
				t.Errorf("aborted %v (%q), %d trips; want aborted with %q, %d trips", c.Aborted, c.AbortReason, len(c.Trips), tt.wantReason, tt.wantTrips)
			}
			if f := c.Faults; len(f) != 1 || f[0].Reverted.IsZero() || f[0].RevertError != "" {
				t.Errorf("faults = %+v, want the fault reverted", f)
			}
			for _, comp := range c.Components {
				if alive(comp.PID) {
					t.Errorf("component %s (pid %d) still runs", comp.Name, comp.PID)
				}
			}
		})
	}
}
