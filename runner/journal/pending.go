package journal

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Step is an intent and its outcome, if one was written.
type Step struct {
	Intent Record
	// Outcome is the done or failed record; nil when the writer stopped
	// before settling the intent.
	Outcome *Record
}

// Status is what is known of a step.
type Status string

// The statuses of a step.
const (
	// StatusUnsettled: no outcome was written; the action may or may
	// not have happened, wholly or in part.
	StatusUnsettled Status = "unsettled"
	// StatusDone: the action completed.
	StatusDone Status = "done"
	// StatusFailed: the action returned an error; part of it may have
	// happened.
	StatusFailed Status = "failed"
)

// Status is what is known of the step.
func (s Step) Status() Status {
	switch {
	case s.Outcome == nil:
		return StatusUnsettled
	case s.Outcome.Type == TypeDone:
		return StatusDone
	}
	return StatusFailed
}

// ID is the intent's id.
func (s Step) ID() string { return s.Intent.ID }

// Op is the intent's op.
func (s Step) Op() Op { return s.Intent.Op }

// Target is the intent's target.
func (s Step) Target() string { return s.Intent.Target }

// Decode unmarshals the intent's data into v, then the outcome's data
// over it: what the action revealed (a pid, a container id) completes
// what was known before it.
func (s Step) Decode(v any) error {
	for _, r := range []*Record{&s.Intent, s.Outcome} {
		if r == nil || len(r.Data) == 0 {
			continue
		}
		if err := json.Unmarshal(r.Data, v); err != nil {
			return fmt.Errorf("decode the data of record %d (%s %s): %w", r.Seq, r.Type, s.Intent.ID, err)
		}
	}
	return nil
}

// Action is an action whose effect may still be in place.
type Action struct {
	Step
	// Undos are the intents that tried to undo the action and were not
	// done (they failed, or have no outcome), oldest first.
	Undos []Step
}

// Pending lists the actions whose effects may still be in place, in the
// order they must be undone: newest intent first.
//
// An action is an intent of an op that is not an inverse op (and that,
// when it names an earlier intent in undoes, replaces one of its own op).
// Whatever its outcome (none, done or failed: a failed action may have
// done part of its work) it is pending until one of these is done:
//
//   - a later intent whose undoes names it (for the known ops, of its
//     inverse op: stop_process for start_process, revert for inject, ...;
//     or a replacement of the same op, which is then pending itself);
//   - for create_network, start_container and start_sidecar, a later
//     cleanup intent, provided the action had no outcome written after
//     that cleanup's intent.
func (j *Journal) Pending() []Action {
	var steps []Step
	byID := map[string]int{}
	cleanups := []int{} // indices into steps of done cleanups
	for _, r := range j.Records {
		switch r.Type {
		case TypeIntent:
			byID[r.ID] = len(steps)
			steps = append(steps, Step{Intent: r})
		case TypeDone, TypeFailed:
			if i, ok := byID[r.ID]; ok {
				out := r
				steps[i].Outcome = &out
			}
		}
	}
	for i, s := range steps {
		if s.Op() == OpCleanup && s.Status() == StatusDone {
			cleanups = append(cleanups, i)
		}
	}
	undone := make([]bool, len(steps))
	attempts := map[string][]Step{}
	for _, s := range steps {
		i, ok := byID[s.Intent.Undoes]
		switch {
		case !ok: // undoes nothing (or, in a journal not made by Read, nothing known)
		case s.Status() == StatusDone:
			undone[i] = true
		default:
			attempts[s.Intent.Undoes] = append(attempts[s.Intent.Undoes], s)
		}
	}
	var pending []Action
	for i, s := range steps {
		var of Op
		if k, ok := byID[s.Intent.Undoes]; ok {
			of = steps[k].Op()
		}
		if !isAction(s.Op(), of) || undone[i] || cleanedUp(s, steps, cleanups) {
			continue
		}
		pending = append(pending, Action{Step: s, Undos: attempts[s.ID()]})
	}
	slices.Reverse(pending)
	return pending
}

// cleanedUp reports whether a done cleanup undid the engine action s.
func cleanedUp(s Step, steps []Step, cleanups []int) bool {
	if !engineOps[s.Op()] {
		return false
	}
	for _, c := range cleanups {
		at := steps[c].Intent.Seq
		if at > s.Intent.Seq && (s.Outcome == nil || s.Outcome.Seq < at) {
			return true
		}
	}
	return false
}
