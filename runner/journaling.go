package runner

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/journal"
)

// EnvRunMarker is the environment variable every process faultline
// starts carries, set to the run id: `faultline recover` finds a run's
// processes by it, whatever their pids became (docs/journal.md).
const EnvRunMarker = "FAULTLINE_RUN"

// intent journals an action before it is taken and returns its id ("" without
// a journal). A journal that fails to write is reported once; the run goes
// on, since undoing it is still done in process.
func (r *run) intent(op journal.Op, target string, data any) string {
	if r.opts.Journal == nil {
		return ""
	}
	id, err := r.opts.Journal.Intent(op, target, data)
	r.journalErr(err)
	return id
}

// undo journals the undo of action of ("" when of is "").
func (r *run) undo(op journal.Op, of string, data any) string {
	if r.opts.Journal == nil || of == "" {
		return ""
	}
	id, err := r.opts.Journal.Undo(op, of, data)
	r.journalErr(err)
	return id
}

// outcome journals the outcome of action id.
func (r *run) outcome(id string, data any, err error) {
	if r.opts.Journal == nil || id == "" {
		return
	}
	if err != nil {
		r.journalErr(r.opts.Journal.Failed(id, err))
		return
	}
	r.journalErr(r.opts.Journal.Done(id, data))
}

func (r *run) journalPhase(name, fm string) {
	if r.opts.Journal != nil {
		r.journalErr(r.opts.Journal.Phase(name, fm))
	}
}

func (r *run) journalErr(err error) {
	if err != nil && !r.journalBroken {
		r.journalBroken = true
		r.progress(Progress{Kind: KindProblem, Message: fmt.Sprintf("journal: %v (the run goes on; faultline recover may not see what follows)", err)})
	}
}

// processData is what recover needs to find a process again.
type processData struct {
	PID        int    `json:"pid"`
	PGID       int    `json:"pgid"`
	StartTicks uint64 `json:"start_ticks,omitempty"`
}

func processInfo(pid int) processData {
	return processData{PID: pid, PGID: pid, StartTicks: StartTicks(pid)}
}

// StartTicks is the start time of process pid in clock ticks since boot
// (field 22 of /proc/<pid>/stat), 0 when unknown: with the pid, it tells
// a process from a later one that reused its pid.
func StartTicks(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(fields[19], 10, 64)
	return v
}

// injectData is the undo data of an inject (docs/journal.md).
type injectData struct {
	Kind        string `json:"kind"`
	FailureMode string `json:"failure_mode"`
	Params      any    `json:"params"`
	processData
	ContainerID   string   `json:"container_id,omitempty"`
	ContainerName string   `json:"container_name,omitempty"`
	Network       string   `json:"network,omitempty"`
	Aliases       []string `json:"aliases,omitempty"`
	RevertArgv    []string `json:"revert_argv,omitempty"`
	Proxy         string   `json:"proxy,omitempty"`
	stagingData
}

// newInjectData returns the undo data of fault f on t, whose driver is
// drv.
func newInjectData(fm string, f *experiments.Fault, t *Target, drv Fault) injectData {
	d := injectData{Kind: string(f.Kind), FailureMode: fm, Params: f, RevertArgv: f.RevertArgv}
	if s, ok := drv.(stagingDriver); ok {
		d.stagingData = s.undoData()
		if d.Toxic != "" {
			d.Proxy = "toxiproxy"
		}
		return d
	}
	switch {
	case t.Proc != nil:
		d.processData = processInfo(t.Proc.PID())
	case t.Container != nil:
		d.ContainerID, d.ContainerName = t.Container.ID(), t.Container.Name()
		d.Aliases = t.Container.Aliases()
		if t.Containers != nil && t.Containers.run != nil {
			d.Network = t.Containers.run.Network()
		}
	}
	switch {
	case t.Link == nil:
	case t.Container != nil && slices.Contains(experiments.LinkKinds, f.Kind):
		d.Proxy = "sidecar"
	case t.Container == nil && f.Kind.IsProxy():
		d.Proxy = "in-process"
	}
	return d
}
