package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/faultline/faultline/runner/container"
	"github.com/faultline/faultline/runner/journal"
)

// RecoverResult is what Recover did to one run.
type RecoverResult struct {
	// Run is the run directory; RunID its run id.
	Run, RunID string
	// Nothing is set when the journal showed nothing left to undo.
	Nothing bool
	// Done lists what was undone, in words; Failed what could not be.
	Done, Failed []string
}

// Recover undoes what an unfinished run left, from its journal in
// runDir (docs/journal.md): it resumes and kills the run's processes
// (found by the pids the journal recorded, checked against their start
// times, and by the run marker in their environment), and removes every
// container and network labelled with the run, which takes the faults
// on them along. It records each undo in the journal and, when nothing
// failed, ends it as recovered. A second Recover finds nothing to do. It
// refuses a run whose faultline still holds the journal.
//
// A fault on an endpoint is undone the way its driver reverts it: the
// exec fault's revert command runs again, the http fault's revert
// request is sent again (header values read from the environment now),
// the toxic is removed from the Toxiproxy API. One that fails is
// reported and stays pending, for the next Recover.
func Recover(ctx context.Context, runDir string, opts ...RecoverOption) (RecoverResult, error) {
	cfg := recoverConfig{lookupEnv: os.LookupEnv}
	for _, o := range opts {
		o(&cfg)
	}
	path := journal.Path(runDir)
	res := RecoverResult{Run: runDir}
	if busy, err := journal.InUse(path); err != nil {
		return res, err
	} else if busy {
		return res, fmt.Errorf("run %s is still going: its faultline holds the journal; stop it (Ctrl-C) instead", runDir)
	}
	j, err := journal.ReadFile(path)
	if err != nil {
		return res, err
	}
	res.RunID = j.Run().RunID
	if !j.NeedsRecovery() {
		res.Nothing = true
		return res, nil
	}
	host, _ := os.Hostname()
	w, j, err := journal.Append(path, journal.Record{Type: journal.TypeRecover, PID: os.Getpid(), Host: host})
	if err != nil {
		return res, err
	}
	defer w.Close()

	note := func(id string, what string, err error) {
		if err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", what, err))
			_ = w.Failed(id, err)
			return
		}
		res.Done = append(res.Done, what)
		_ = w.Done(id, nil)
	}
	var engineSteps, containerInjects []journal.Action
	for _, a := range j.Pending() {
		inv, _ := journal.Inverse(a.Op())
		switch a.Op() {
		case journal.OpInject:
			var d injectData
			_ = a.Decode(&d)
			if d.Environment != "" {
				id, _ := w.Undo(inv, a.ID(), nil)
				what, found, err := undoStaging(ctx, d, a.Target(), cfg.lookupEnv)
				if err != nil {
					note(id, what, err)
					continue
				}
				res.Done = append(res.Done, what)
				_ = w.Done(id, map[string]any{"found": found})
				continue
			}
			if d.ContainerID != "" || d.Proxy == "sidecar" {
				containerInjects = append(containerInjects, a)
				continue
			}
			id, _ := w.Undo(inv, a.ID(), nil)
			what := fmt.Sprintf("%s on %s: the component's process is stopped below; an in-process proxy ended with its faultline", d.Kind, a.Target())
			if d.Kind == "pause" && sameProcess(d.processData) {
				err := syscall.Kill(-d.PGID, syscall.SIGCONT)
				what = fmt.Sprintf("pause on %s: resumed process group %d", a.Target(), d.PGID)
				note(id, what, ignoreGone(err))
				continue
			}
			note(id, what, nil)
		case journal.OpStartProcess:
			var d processData
			_ = a.Decode(&d)
			id, _ := w.Undo(inv, a.ID(), d)
			if d.PGID == 0 || !sameProcess(d) {
				note(id, fmt.Sprintf("process %s: pid %d is gone", a.Target(), d.PID), nil)
				continue
			}
			note(id, fmt.Sprintf("process %s: killed process group %d", a.Target(), d.PGID), killGroup(d.PGID))
		case journal.OpPlaceProxy:
			id, _ := w.Undo(inv, a.ID(), nil)
			note(id, fmt.Sprintf("proxy of %s: ended with its faultline", a.Target()), nil)
		case journal.OpCreateNetwork, journal.OpStartContainer, journal.OpStartSidecar:
			engineSteps = append(engineSteps, a)
		}
	}
	// Processes of the run that the journal lost track of (a restart
	// after the last record) still carry its marker.
	for _, pid := range MarkedProcesses(res.RunID) {
		id, _ := w.Intent(journal.OpCleanup, "process "+strconv.Itoa(pid), map[string]any{"pid": pid, "marker": EnvRunMarker + "=" + res.RunID})
		note(id, fmt.Sprintf("process %d with %s=%s: killed", pid, EnvRunMarker, res.RunID), killGroup(pid))
	}
	if len(engineSteps) > 0 || len(containerInjects) > 0 {
		id, _ := w.Intent(journal.OpCleanup, "run", map[string]any{"label": container.LabelRun + "=" + res.RunID})
		err := removeRun(ctx, res.RunID)
		note(id, fmt.Sprintf("containers and network labelled %s=%s: removed", container.LabelRun, res.RunID), err)
		for _, a := range containerInjects {
			var d injectData
			_ = a.Decode(&d)
			inv, _ := journal.Inverse(a.Op())
			uid, _ := w.Undo(inv, a.ID(), nil)
			note(uid, fmt.Sprintf("%s on %s: removed with the run's containers", d.Kind, a.Target()), err)
		}
	}
	if len(res.Failed) == 0 {
		if err := w.End(journal.OutcomeRecovered); err != nil {
			return res, err
		}
	}
	return res, nil
}

// RecoverOption configures Recover.
type RecoverOption func(*recoverConfig)

type recoverConfig struct {
	lookupEnv func(string) (string, bool)
}

// WithLookupEnv sets how Recover reads the environment variables that
// headers of http faults on endpoints take their values from (default
// os.LookupEnv).
func WithLookupEnv(lookup func(string) (string, bool)) RecoverOption {
	return func(c *recoverConfig) { c.lookupEnv = lookup }
}

// removeRun removes everything labelled with the run on the engine and
// checks that nothing is left.
func removeRun(ctx context.Context, runID string) error {
	e, err := container.Connect(ctx)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := container.RemoveRun(ctx, e, runID); err != nil {
		return err
	}
	left, err := e.Leftovers(ctx, runID)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("still there after removal: %v", left)
	}
	return nil
}

// sameProcess reports whether d.PID still names the process the journal
// recorded: alive, with the same start time (when it was recorded).
func sameProcess(d processData) bool {
	if d.PID <= 0 {
		return false
	}
	ticks := StartTicks(d.PID)
	return ticks != 0 && (d.StartTicks == 0 || ticks == d.StartTicks)
}

// killGroup resumes and kills process group pgid and waits briefly for
// its leader to go; a group already gone is not an error.
func killGroup(pgid int) error {
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
	err := syscall.Kill(-pgid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		// Not a group leader (a child that kept the run's marker).
		_ = syscall.Kill(pgid, syscall.SIGCONT)
		err = syscall.Kill(pgid, syscall.SIGKILL)
	}
	if err := ignoreGone(err); err != nil {
		return err
	}
	for range 50 {
		if StartTicks(pgid) == 0 || zombie(pgid) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("process %d still runs after SIGKILL", pgid)
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func ignoreGone(err error) error {
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// MarkedProcesses lists the processes whose environment holds the run
// marker of runID (EnvRunMarker), but for this one.
func MarkedProcesses(runID string) []int {
	if runID == "" {
		return nil
	}
	want := []byte(EnvRunMarker + "=" + runID)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() || zombie(pid) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}
