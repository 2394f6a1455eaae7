package journal

import (
	"os"
	"strings"
	"testing"
)

// TestOperatorNote checks the operator_note record: its line, that it
// reads back, and that it changes nothing of what is pending, so that a
// recovery after a game day undoes what it must and nothing else.
func TestOperatorNote(t *testing.T) {
	w := create(t)
	id := mustID(t)
	must(t, w.OperatorNote("before the first phase", "", ""))
	must(t, w.Phase("fault", "cache-slow"))
	inj := id(w.Intent(OpInject, "cache", map[string]string{"kind": "pause"}))
	must(t, w.Done(inj, nil))
	must(t, w.OperatorNote("checkout stalls | \"quoted\"", "fault", "cache-slow"))
	must(t, w.Close()) // a crash: no revert, no end

	raw, err := os.ReadFile(w.Path())
	must(t, err)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	want := `{"seq":6,"time":"2026-03-01T12:04:05.132456789Z","type":"operator_note","phase":"fault","failure_mode":"cache-slow","message":"checkout stalls | \"quoted\""}`
	if len(lines) != 6 || lines[5] != want {
		t.Fatalf("line 6 = %s\nwant     %s", lines[len(lines)-1], want)
	}
	if !strings.Contains(lines[1], `"type":"operator_note","message":"before the first phase"`) || strings.Contains(lines[1], `"phase"`) {
		t.Errorf("line 2 = %s, want a note without phase", lines[1])
	}

	w2, j, err := Append(w.Path(), Record{Type: TypeRecover, PID: 99})
	must(t, err)
	defer w2.Close()
	notes := 0
	for _, r := range j.Records {
		if r.Type == TypeOperatorNote {
			notes++
		}
	}
	p := j.Pending()
	if notes != 2 || len(p) != 1 || p[0].ID() != inj {
		t.Fatalf("read back %d operator notes and pending %v; want 2 notes and only %s pending", notes, ids(p), inj)
	}
	rev := id(w2.Undo(OpRevert, inj, nil))
	must(t, w2.Done(rev, nil))
	must(t, w2.End(OutcomeRecovered))
	j, err = ReadFile(w.Path())
	must(t, err)
	if len(j.Pending()) != 0 || j.NeedsRecovery() {
		t.Errorf("after the recovery: pending %v, needs recovery %v", ids(j.Pending()), j.NeedsRecovery())
	}
}
