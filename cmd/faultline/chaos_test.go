package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/runner"
	"github.com/faultline/faultline/runner/container"
	"github.com/faultline/faultline/runner/journal"
)

// chaosTrials is the number of trials of each kind; chaosParallel how
// many run at once.
const (
	chaosTrials   = 20
	chaosParallel = 5
)

// The experiments of the chaos suite: short phases, one process and one
// container experiment, each with a pause (the fault that would stay)
// and a fault of another kind.
const chaosProcess = `
experiment "chaos-process" {
  baseline = "5s"
  fault    = "2s"
  recovery = "1s"
  window   = "1s"
}
component "prices" {
  process {
    command = ["./bin/prices", "-listen", self.listen]
    ready { http = "/healthz" }
  }
}
component "shop" {
  process {
    command = ["./bin/shop", "-listen", self.listen]
    env     = { PRICES_URL = component.prices.url }
    ready { http = "/healthz" }
  }
}
workload "checkout" {
  http {
    target = component.shop
    path   = "/checkout"
    rate   = 20
  }
}
failure_mode "prices-frozen" {
  component  = component.prices
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "pause" {}
}
failure_mode "prices-slow" {
  component  = component.prices
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" { delay = "200ms" }
}
hypothesis "frozen" {
  failure_mode = failure_mode.prices-frozen
  workload     = workload.checkout
  expect       = "steady"
}
hypothesis "slow" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}
`

const chaosContainer = `
experiment "chaos-container" {
  baseline = "5s"
  fault    = "2s"
  recovery = "1s"
  window   = "1s"
}
component "store" {
  container {
    image = "faultline-shop/store:dev"
    port  = 8080
    build { context = %q }
    ready { http = "/healthz" }
  }
}
workload "items" {
  http {
    target = component.store
    path   = "/items/1"
    rate   = 20
  }
}
failure_mode "store-frozen" {
  component  = component.store
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "pause" {}
}
failure_mode "store-slow" {
  component  = component.store
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" { delay = "200ms" }
}
hypothesis "frozen" {
  failure_mode = failure_mode.store-frozen
  workload     = workload.items
  expect       = "steady"
}
hypothesis "slow" {
  failure_mode = failure_mode.store-slow
  workload     = workload.items
  expect       = "steady"
}
`

// chaosPlan is when a trial interrupts faultline, in seconds from the
// line that starts the first fault phase (negative: before it, from the
// start). A third of the trials each aim at the inject (the first 200ms
// of the fault phase), the hold, and the revert (the 300ms around the
// end of the fault phase); the rest are spread over the whole run.
func chaosPlan(rng *rand.Rand, i int) (fromFault bool, at time.Duration) {
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo)) * time.Millisecond }
	switch i % 4 {
	case 0:
		return true, ms(0, 200) // during the inject
	case 1:
		return true, ms(200, 1900) // while the fault is held
	case 2:
		return true, ms(1900, 2300) // during the revert
	}
	return false, ms(300, 14000) // anywhere, start-up and cleanup included
}

// TestChaos kills faultline (SIGKILL, then `faultline recover`) and
// interrupts it (SIGINT, nothing else) at seeded random moments of runs
// on local processes and on containers, and checks each time that
// nothing is left: no process of the run (found by its FAULTLINE_RUN
// marker), none of them stopped, no container or network labelled with
// the run. It reports the trial counts.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos suite takes minutes")
	}
	procFile := filepath.Join(experimentDirFor(t), "chaos-process.hcl")
	if err := os.WriteFile(procFile, []byte(chaosProcess), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("processes", func(t *testing.T) {
		runChaos(t, procFile, filepath.Join(binDir, "faultline"), nil)
	})
	t.Run("containers", func(t *testing.T) {
		engine := connectEngine(t)
		buildShop(t)
		own := buildOwnFaultline(t)
		file := writeExperiment(t, "chaos-container.hcl", fmt.Sprintf(chaosContainer, shopContext(t, "store")))
		runChaos(t, file, own, engine)
	})
}

// experimentDirFor is a directory with the quickstart's binaries in bin/.
func experimentDirFor(t *testing.T) string {
	return filepath.Dir(experimentDir(t, "testdata/short.hcl"))
}

// chaosResult is one trial's outcome.
type chaosResult struct {
	signal   string
	at       string
	exit     int
	recover  string
	leftover []string
}

func runChaos(t *testing.T, file, faultline string, engine *container.Engine) {
	var mu sync.Mutex
	var results []chaosResult
	sem := make(chan struct{}, chaosParallel)
	var wg sync.WaitGroup
	for i := range 2 * chaosTrials {
		sig := syscall.SIGKILL
		if i%2 == 1 {
			sig = syscall.SIGINT
		}
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		fromFault, at := chaosPlan(rng, i/2)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := chaosTrial(t, faultline, file, sig, fromFault, at, engine)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	failed := map[string]int{}
	trials := map[string]int{}
	for _, r := range results {
		trials[r.signal]++
		if len(r.leftover) > 0 {
			failed[r.signal]++
			t.Errorf("%s at %s (exit %d, %s): left %v", r.signal, r.at, r.exit, r.recover, r.leftover)
		}
	}
	t.Logf("%d SIGKILL trials (then recover), %d left something; %d SIGINT trials, %d left something",
		trials["killed"], failed["killed"], trials["interrupt"], failed["interrupt"])
	if trials["killed"] < chaosTrials || trials["interrupt"] < chaosTrials {
		t.Errorf("ran %v trials, want %d of each", trials, chaosTrials)
	}
}

// chaosTrial runs one trial and returns what it found.
func chaosTrial(t *testing.T, faultline, file string, sig syscall.Signal, fromFault bool, at time.Duration, engine *container.Engine) chaosResult {
	res := chaosResult{signal: map[syscall.Signal]string{syscall.SIGKILL: "killed", syscall.SIGINT: "interrupt"}[sig]}
	where := "from the start"
	if fromFault {
		where = "into the first fault"
	}
	res.at = fmt.Sprintf("%v %s", at, where)
	out := t.TempDir()
	cmd := exec.Command(faultline, "run", "--out", out, file)
	cmd.Dir = filepath.Dir(file)
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	faultAt := make(chan time.Time, 1)
	var log bytes.Buffer
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if !sent && strings.Contains(sc.Text(), "── fault") {
				faultAt <- time.Now()
				sent = true
			}
		}
	}()
	var when time.Time
	if fromFault {
		select {
		case f := <-faultAt:
			when = f.Add(at)
		case <-time.After(60 * time.Second):
			when = time.Now()
		}
	} else {
		when = started.Add(at)
	}
	time.Sleep(time.Until(when))
	_ = cmd.Process.Signal(sig)
	_ = cmd.Wait()
	res.exit = cmd.ProcessState.ExitCode()

	runDir := ""
	if entries, _ := os.ReadDir(out); len(entries) == 1 {
		runDir = filepath.Join(out, entries[0].Name())
	}
	runID := filepath.Base(runDir)
	if sig == syscall.SIGKILL {
		res.recover = "no run directory yet"
		if runDir != "" {
			rc := exec.Command(faultline, "recover", runDir)
			b, err := rc.CombinedOutput()
			res.recover = "recover: " + strings.TrimSpace(string(b))
			if err != nil {
				res.leftover = append(res.leftover, fmt.Sprintf("recover failed: %v: %s", err, b))
			}
		}
	}
	if runDir != "" {
		// A journal that still needs recovery after SIGINT (or after
		// recover) is something left behind.
		if j, err := journal.ReadFile(journal.Path(runDir)); err == nil && j.NeedsRecovery() {
			res.leftover = append(res.leftover, "the journal still lists pending actions")
		}
		for _, pid := range runner.MarkedProcesses(runID) {
			res.leftover = append(res.leftover, fmt.Sprintf("process %d of the run", pid))
		}
		if engine != nil {
			left, err := engine.Leftovers(context.Background(), runID)
			if err != nil {
				res.leftover = append(res.leftover, err.Error())
			}
			res.leftover = append(res.leftover, left...)
		}
	}
	if len(res.leftover) > 0 {
		logMu.Lock()
		res.leftover = append(res.leftover, "output:\n"+log.String())
		logMu.Unlock()
	}
	return res
}
