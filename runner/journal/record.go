package journal

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the journal's name in a run directory.
const FileName = "journal.jsonl"

// FormatVersion is the version of the format this package writes and
// reads; the run record carries it.
const FormatVersion = 1

// Path is the journal's path in the run directory dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Record is one line of the journal. Seq, Time and Type are always set;
// which of the other fields a record has depends on its type (the table
// in docs/journal.md). Data is the runner's: the journal only requires it
// to be a JSON object.
type Record struct {
	// Seq numbers the records of a journal 1, 2, 3, ... with no gap.
	Seq int64 `json:"seq"`
	// Time is when the record was written, in UTC.
	Time time.Time `json:"time"`
	Type Type      `json:"type"`

	// FormatVersion is set on the run record only.
	FormatVersion int `json:"format_version,omitempty"`
	// RunID, Experiment and File identify the run (run record).
	RunID      string `json:"run_id,omitempty"`
	Experiment string `json:"experiment,omitempty"`
	File       string `json:"file,omitempty"`
	// PID and Host identify the faultline process that opened the
	// journal (run and recover records).
	PID  int    `json:"pid,omitempty"`
	Host string `json:"host,omitempty"`
	// TornTail is what a recover record's writer cut off the end of the
	// journal: a line torn by a crash, as text.
	TornTail string `json:"torn_tail,omitempty"`

	// Op, ID and Target are set on intent, done and failed records; ID
	// links an intent to its outcome.
	Op     Op     `json:"op,omitempty"`
	ID     string `json:"id,omitempty"`
	Target string `json:"target,omitempty"`
	// Undoes is, on an intent, the ID of the earlier action that this
	// one undoes or replaces once it is done.
	Undoes string `json:"undoes,omitempty"`
	// Error is why a failed action failed.
	Error string `json:"error,omitempty"`

	// Phase and FailureMode are set on phase records, and on operator
	// notes (the phase the note fell in).
	Phase       string `json:"phase,omitempty"`
	FailureMode string `json:"failure_mode,omitempty"`
	// Message is a note's or an operator note's text.
	Message string `json:"message,omitempty"`
	// Reason is why the run is aborting (abort records).
	Reason string `json:"reason,omitempty"`
	// Outcome is how the run ended (end records).
	Outcome Outcome `json:"outcome,omitempty"`

	// Data is a JSON object, or nil: on an intent, what is needed to
	// undo the action; on a done record, what the action revealed (ids,
	// pids); on other records, details.
	Data json.RawMessage `json:"data,omitempty"`
}

// Type is the kind of a record.
type Type string

// The record types.
const (
	// TypeRun is the first record: which run, which experiment, which
	// process writes.
	TypeRun Type = "run"
	// TypeRecover opens a later session on the journal (faultline
	// recover): which process appends.
	TypeRecover Type = "recover"
	// TypeIntent announces an action before it is taken.
	TypeIntent Type = "intent"
	// TypeDone settles an intent: the action completed.
	TypeDone Type = "done"
	// TypeFailed settles an intent: the action returned an error (it
	// may still have had part of its effect).
	TypeFailed Type = "failed"
	// TypePhase marks the start of a phase.
	TypePhase Type = "phase"
	// TypeNote is free text for the reader of the journal.
	TypeNote Type = "note"
	// TypeOperatorNote is a line a person typed during the run
	// (faultline gameday), with the phase it fell in. It changes
	// nothing: recover skips it.
	TypeOperatorNote Type = "operator_note"
	// TypeAbort says the run is stopping early, and why.
	TypeAbort Type = "abort"
	// TypeEnd is the last record of a session that finished: the run
	// (or a recovery) is over and left nothing behind it knows of.
	TypeEnd Type = "end"
)

var knownTypes = map[Type]bool{
	TypeRun: true, TypeRecover: true, TypeIntent: true, TypeDone: true, TypeFailed: true,
	TypePhase: true, TypeNote: true, TypeOperatorNote: true, TypeAbort: true, TypeEnd: true,
}

// Op is what an intent does. The journal knows the ops below and how
// they pair; any other op is an action that stays pending until an
// intent that undoes it is done.
type Op string

// Actions: ops whose effect stays in place until undone.
const (
	// OpStartProcess starts a local process (its own process group).
	OpStartProcess Op = "start_process"
	// OpPlaceProxy opens faultline's in-process proxy on an address.
	OpPlaceProxy Op = "place_proxy"
	// OpCreateNetwork creates the run's network on the container engine.
	OpCreateNetwork Op = "create_network"
	// OpStartContainer starts a component's container.
	OpStartContainer Op = "start_container"
	// OpStartSidecar starts one of faultline's own containers (a proxy
	// in front of a container).
	OpStartSidecar Op = "start_sidecar"
	// OpInject injects a fault into a target.
	OpInject Op = "inject"
)

// Inverses: ops that undo an action and leave nothing of their own.
const (
	// OpStopProcess stops a started process's group.
	OpStopProcess Op = "stop_process"
	// OpRemoveProxy closes an in-process proxy.
	OpRemoveProxy Op = "remove_proxy"
	// OpRemoveNetwork removes a network.
	OpRemoveNetwork Op = "remove_network"
	// OpRemoveContainer removes a container or a sidecar.
	OpRemoveContainer Op = "remove_container"
	// OpRevert reverts an injected fault.
	OpRevert Op = "revert"
	// OpCleanup removes everything the run has on the container engine
	// (every container and network labelled with the run): it undoes
	// every earlier create_network, start_container and start_sidecar.
	OpCleanup Op = "cleanup"
)

// inverse maps each action the journal knows to the op that undoes it.
var inverse = map[Op]Op{
	OpStartProcess:   OpStopProcess,
	OpPlaceProxy:     OpRemoveProxy,
	OpCreateNetwork:  OpRemoveNetwork,
	OpStartContainer: OpRemoveContainer,
	OpStartSidecar:   OpRemoveContainer,
	OpInject:         OpRevert,
}

// undoing is the set of inverse ops.
var undoing = map[Op]bool{
	OpStopProcess: true, OpRemoveProxy: true, OpRemoveNetwork: true,
	OpRemoveContainer: true, OpRevert: true, OpCleanup: true,
}

// engineOps are the actions a done cleanup undoes.
var engineOps = map[Op]bool{OpCreateNetwork: true, OpStartContainer: true, OpStartSidecar: true}

// Inverse is the op that undoes op, for the actions the journal knows;
// false for any other op.
func Inverse(op Op) (Op, bool) {
	inv, ok := inverse[op]
	return inv, ok
}

// IsUndo reports whether op is one of the inverse ops, which undo an
// earlier action and leave nothing of their own.
func IsUndo(op Op) bool { return undoing[op] }

// checkUndo says whether an intent of op may name an earlier intent of
// of in its undoes field.
func checkUndo(op, of Op) error {
	switch {
	case op == OpCleanup:
		return fmt.Errorf("a cleanup undoes the run's engine actions by itself and names none")
	case undoing[of]:
		return fmt.Errorf("%s %s only undoes; nothing can undo it", anOp(of), of)
	case op == of:
		return nil // a replacement
	}
	if inv, ok := inverse[of]; ok && op != inv {
		return fmt.Errorf("%s %s is undone by %s, not by %s", anOp(of), of, inv, op)
	}
	if _, ok := inverse[op]; ok {
		return fmt.Errorf("%s is an action of its own; it can undo only another %s (a replacement)", op, op)
	}
	return nil
}

func anOp(op Op) string {
	if op != "" && strings.ContainsRune("aeiou", rune(op[0])) {
		return "an"
	}
	return "a"
}

// isAction reports whether an intent leaves an effect of its own that
// must be undone: it is not of an inverse op, and when it undoes an
// earlier intent, it replaces one of its own op.
func isAction(op Op, undoes Op) bool {
	if undoing[op] {
		return false
	}
	return undoes == "" || undoes == op
}

// Outcome is how a run or a recovery ended (end records).
type Outcome string

// The outcomes faultline writes. Readers accept any.
const (
	// OutcomeCompleted: every phase ran and everything was undone.
	OutcomeCompleted Outcome = "completed"
	// OutcomeAborted: the run stopped early (see its abort record) and
	// everything was undone.
	OutcomeAborted Outcome = "aborted"
	// OutcomeFailed: the run stopped on an error; see Pending for what
	// may be left.
	OutcomeFailed Outcome = "failed"
	// OutcomeRecovered: faultline recover undid everything pending.
	OutcomeRecovered Outcome = "recovered"
)
