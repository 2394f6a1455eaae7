package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock returns a clock that starts at a fixed instant (not UTC, to
// check the writer converts) and advances 1.5 ms a call.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 1, 13, 4, 5, 123456789, time.FixedZone("CET", 3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(1500 * time.Microsecond)
		return t
	}
}

func runRecord() Record {
	return Record{RunID: "20260301-120405-shop", Experiment: "shop", File: "examples/shop/shop.hcl", PID: 4242, Host: "ci-7"}
}

func create(t testing.TB) *Writer {
	t.Helper()
	w, err := Create(t.TempDir(), runRecord(), WithClock(clock()))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustID(t testing.TB) func(string, error) string {
	return func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

type injectData struct {
	Kind        string   `json:"kind"`
	ContainerID string   `json:"container_id,omitempty"`
	PrevCPUs    float64  `json:"prev_cpus,omitempty"`
	RevertArgv  []string `json:"revert_argv,omitempty"`
	Sidecar     string   `json:"sidecar,omitempty"`
}

func TestRoundTrip(t *testing.T) {
	w := create(t)
	id := mustID(t)
	must(t, w.Phase("baseline", ""))
	start := id(w.Intent(OpStartContainer, "cache", map[string]any{"engine": "docker", "name": "faultline-r-cache", "label": "faultline.run=r"}))
	must(t, w.Done(start, map[string]string{"container_id": "abc123"}))
	must(t, w.Phase("fault", "cache-slow"))
	inj := id(w.Intent(OpInject, "cache", injectData{Kind: "cpu", ContainerID: "abc123", PrevCPUs: 2}))
	must(t, w.Done(inj, nil))
	must(t, w.Note("cpu on cache landed", map[string]bool{"landed": true}))
	rev := id(w.Undo(OpRevert, inj, nil))
	must(t, w.Failed(rev, errors.New("engine unreachable")))
	must(t, w.Abort("interrupted: SIGINT"))
	must(t, w.End(OutcomeFailed))
	must(t, w.Close())

	raw, err := os.ReadFile(w.Path())
	must(t, err)
	lines := strings.SplitAfter(string(raw), "\n")
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("file does not end with a newline: %q", last)
	}
	lines = lines[:len(lines)-1]
	if len(lines) != 12 {
		t.Fatalf("%d lines, want 12:\n%s", len(lines), raw)
	}
	// Line 1 exactly: field names and the time format are the contract.
	want1 := `{"seq":1,"time":"2026-03-01T12:04:05.124956789Z","type":"run","format_version":1,"run_id":"20260301-120405-shop","experiment":"shop","file":"examples/shop/shop.hcl","pid":4242,"host":"ci-7"}` + "\n"
	if lines[0] != want1 {
		t.Errorf("line 1 = %s\nwant     %s", lines[0], want1)
	}
	want6 := `{"seq":6,"time":"2026-03-01T12:04:05.132456789Z","type":"intent","op":"inject","id":"inject-6","target":"cache","data":{"kind":"cpu","container_id":"abc123","prev_cpus":2}}` + "\n"
	if lines[5] != want6 {
		t.Errorf("line 6 = %s\nwant     %s", lines[5], want6)
	}

	j, err := ReadFile(w.Path())
	must(t, err)
	if j.Torn {
		t.Error("Torn = true for a whole journal")
	}
	type row struct {
		Type            Type
		Op              Op
		ID, Target, Arg string
	}
	var got []row
	for i, r := range j.Records {
		if r.Seq != int64(i+1) {
			t.Errorf("record %d has seq %d", i, r.Seq)
		}
		if r.Time.Location() != time.UTC {
			t.Errorf("record %d time %v is not UTC", i, r.Time)
		}
		got = append(got, row{r.Type, r.Op, r.ID, r.Target, r.Phase + r.FailureMode + r.Undoes + r.Error + r.Message + r.Reason + string(r.Outcome) + string(r.Data)})
	}
	want := []row{
		{TypeRun, "", "", "", ""},
		{TypePhase, "", "", "", "baseline"},
		{TypeIntent, OpStartContainer, "start_container-3", "cache", `{"engine":"docker","label":"faultline.run=r","name":"faultline-r-cache"}`},
		{TypeDone, OpStartContainer, "start_container-3", "cache", `{"container_id":"abc123"}`},
		{TypePhase, "", "", "", "faultcache-slow"},
		{TypeIntent, OpInject, "inject-6", "cache", `{"kind":"cpu","container_id":"abc123","prev_cpus":2}`},
		{TypeDone, OpInject, "inject-6", "cache", ""},
		{TypeNote, "", "", "", `cpu on cache landed{"landed":true}`},
		{TypeIntent, OpRevert, "revert-9", "cache", "inject-6"},
		{TypeFailed, OpRevert, "revert-9", "cache", "engine unreachable"},
		{TypeAbort, "", "", "", "interrupted: SIGINT"},
		{TypeEnd, "", "", "", "failed"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records:\n got %v\nwant %v", got, want)
	}
	if !j.Finished() || j.Outcome() != OutcomeFailed {
		t.Errorf("Finished() = %v, Outcome() = %q; want true, failed", j.Finished(), j.Outcome())
	}
	p := j.Pending()
	if len(p) != 2 || p[0].ID() != "inject-6" || p[1].ID() != "start_container-3" {
		t.Fatalf("Pending() = %v, want inject-6, start_container-3", ids(p))
	}
	if len(p[0].Undos) != 1 || p[0].Undos[0].Status() != StatusFailed || p[0].Undos[0].Outcome.Error != "engine unreachable" {
		t.Errorf("Pending()[0].Undos = %+v, want the failed revert", p[0].Undos)
	}
	var d struct {
		injectData
		Name string `json:"name"`
	}
	must(t, p[0].Decode(&d))
	if d.Kind != "cpu" || d.PrevCPUs != 2 || d.ContainerID != "abc123" {
		t.Errorf("Decode = %+v", d)
	}
	c2 := map[string]any{}
	must(t, p[1].Decode(&c2))
	if c2["name"] != "faultline-r-cache" || c2["container_id"] != "abc123" {
		t.Errorf("Decode merges intent and outcome data: got %v", c2)
	}
}

func ids(as []Action) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID())
	}
	return out
}

func TestCreateLeavesOnlyTheJournal(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, runRecord())
	must(t, err)
	defer w.Close()
	entries, err := os.ReadDir(dir)
	must(t, err)
	if len(entries) != 1 || entries[0].Name() != FileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only %s", names, FileName)
	}
	if _, err := Create(dir, runRecord()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second Create in the same directory = %v, want an error saying it exists", err)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("a refused Create left %d entries", len(entries))
	}
	if _, err := Create(t.TempDir(), Record{RunID: "x"}); err == nil {
		t.Error("Create without a pid succeeded")
	}
}

func TestWriterRefuses(t *testing.T) {
	w := create(t)
	id := mustID(t)
	start := id(w.Intent(OpStartProcess, "prices", map[string]int{"pid": 10}))
	must(t, w.Done(start, nil))
	rev := id(w.Intent(OpCleanup, "run", nil))
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"done of an unknown id", func() error { return w.Done("inject-99", nil) }, "no intent"},
		{"second outcome", func() error { return w.Done(start, nil) }, "already settled"},
		{"failed without error", func() error { return w.Failed(rev, nil) }, "no error"},
		{"inverse op through Intent", func() error { _, err := w.Intent(OpRevert, "prices", nil); return err }, "write it with Undo"},
		{"wrong inverse", func() error { _, err := w.Undo(OpRevert, start, nil); return err }, "undone by stop_process"},
		{"undo of an undo", func() error { _, err := w.Undo(OpStopProcess, rev, nil); return err }, "nothing can undo it"},
		{"undo of an unknown id", func() error { _, err := w.Undo(OpRevert, "inject-1", nil); return err }, "no intent"},
		{"cleanup naming an action", func() error { _, err := w.Undo(OpCleanup, start, nil); return err }, "names none"},
		{"data not an object", func() error { _, err := w.Intent(OpInject, "x", []int{1}); return err }, "JSON object"},
		{"data that cannot encode", func() error { return w.Note("x", map[string]any{"f": func() {}}) }, "encode data"},
		{"empty op", func() error { _, err := w.Intent("", "x", nil); return err }, "no op"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
	must(t, w.End(OutcomeCompleted))
	if err := w.Note("late", nil); !errors.Is(err, ErrEnded) {
		t.Errorf("Note after End = %v, want ErrEnded", err)
	}
	must(t, w.Close())
	must(t, w.Close())
	if err := w.Phase("x", ""); err == nil {
		t.Error("Phase after Close succeeded")
	}
	j, err := ReadFile(w.Path())
	must(t, err)
	if n := len(j.Records); n != 5 {
		t.Errorf("%d records, want 5: refused calls must write nothing", n)
	}
}

func TestConcurrentWriters(t *testing.T) {
	w := create(t)
	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				target := fmt.Sprintf("t%d", g)
				id, err := w.Intent(OpInject, target, map[string]int{"g": g, "i": i})
				if err == nil {
					err = w.Done(id, nil)
				}
				var rid string
				if err == nil {
					rid, err = w.Undo(OpRevert, id, nil)
				}
				if err == nil {
					err = w.Done(rid, nil)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	must(t, w.End(OutcomeCompleted))
	j, err := ReadFile(w.Path())
	must(t, err) // Read checks seq order, unique ids and outcomes
	if want := 1 + writers*each*4 + 1; len(j.Records) != want {
		t.Fatalf("%d records, want %d", len(j.Records), want)
	}
	seen := map[string]bool{}
	for _, r := range j.Records {
		if r.Type == TypeIntent && r.Op == OpInject {
			var d struct{ G, I int }
			must(t, json.Unmarshal(r.Data, &d))
			k := fmt.Sprint(d.G, d.I)
			if seen[k] || r.Target != fmt.Sprintf("t%d", d.G) {
				t.Fatalf("record %d: duplicate or mixed up: %+v", r.Seq, r)
			}
			seen[k] = true
		}
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct injects, want %d", len(seen), writers*each)
	}
	if p := j.Pending(); len(p) != 0 {
		t.Errorf("Pending() = %v, want none: every inject was reverted", ids(p))
	}
}

func TestAppend(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, runRecord(), WithClock(clock()))
	must(t, err)
	id := mustID(t)
	ctr := id(w.Intent(OpStartContainer, "store", map[string]string{"name": "faultline-r-store"}))
	must(t, w.Done(ctr, map[string]string{"container_id": "c1"}))
	inj := id(w.Intent(OpInject, "store", injectData{Kind: "pause", ContainerID: "c1"}))
	must(t, w.Done(inj, nil))

	// While the run holds the journal, nobody else may append.
	if busy, err := InUse(w.Path()); err != nil || !busy {
		t.Fatalf("InUse while the writer is open = %v, %v; want true", busy, err)
	}
	_, _, err = Append(w.Path(), Record{Type: TypeRecover, PID: 7})
	if err == nil || !strings.Contains(err.Error(), "still going") || !strings.Contains(err.Error(), "pid 4242") {
		t.Fatalf("Append while held = %v, want an error naming the running pid", err)
	}
	// The run dies with a torn line after its last record.
	w.Close()
	f, err := os.OpenFile(w.Path(), os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString(`{"seq":6,"time":"2026-03-01T12:04:06Z","type":"intent","op":"inj`)
	must(t, err)
	f.Close()
	if busy, err := InUse(w.Path()); err != nil || busy {
		t.Fatalf("InUse after Close = %v, %v; want false", busy, err)
	}

	rw, j, err := Append(w.Path(), Record{Type: TypeRecover, PID: 7, Host: "ci-7"}, WithClock(clock()))
	must(t, err)
	if !j.Torn || j.LastSeq() != 5 {
		t.Fatalf("Append read Torn=%v LastSeq=%d, want true, 5", j.Torn, j.LastSeq())
	}
	pending := j.Pending()
	if got := ids(pending); fmt.Sprint(got) != "[inject-4 start_container-2]" {
		t.Fatalf("Pending() = %v", got)
	}
	for _, a := range pending {
		inv, ok := Inverse(a.Op())
		if !ok {
			t.Fatalf("no inverse for %s", a.Op())
		}
		u := id(rw.Undo(inv, a.ID(), map[string]bool{"found": true}))
		must(t, rw.Done(u, nil))
	}
	must(t, rw.End(OutcomeRecovered))
	must(t, rw.Close())

	j2, err := ReadFile(w.Path())
	must(t, err)
	if j2.Torn {
		t.Error("the journal is still torn after Append")
	}
	rec := j2.Records[5]
	if rec.Type != TypeRecover || rec.Seq != 6 || rec.PID != 7 || !strings.HasPrefix(rec.TornTail, `{"seq":6,`) {
		t.Errorf("record 6 = %+v, want the recover record with the torn tail", rec)
	}
	if !j2.Finished() || j2.Outcome() != OutcomeRecovered || j2.NeedsRecovery() {
		t.Errorf("after recovery: Finished=%v Outcome=%q NeedsRecovery=%v", j2.Finished(), j2.Outcome(), j2.NeedsRecovery())
	}
	if got := j2.Records[6]; got.Op != OpRevert || got.Undoes != "inject-4" || got.Target != "store" {
		t.Errorf("first undo = %+v, want a revert of inject-4 on store", got)
	}

	// A second recovery finds nothing to do and may append after the end.
	rw2, j3, err := Append(w.Path(), Record{Type: TypeRecover, PID: 8})
	must(t, err)
	if len(j3.Pending()) != 0 || j3.Torn {
		t.Errorf("second Append: Pending=%v Torn=%v", ids(j3.Pending()), j3.Torn)
	}
	must(t, rw2.End(OutcomeRecovered))
	must(t, rw2.Close())
	if _, err := ReadFile(w.Path()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Append(w.Path(), Record{Type: TypeNote, PID: 8}); err == nil {
		t.Error("Append with a note as its first record succeeded")
	}
	if _, _, err := Append(filepath.Join(dir, "nope.jsonl"), Record{Type: TypeRecover, PID: 8}); err == nil {
		t.Error("Append to a missing file succeeded")
	}
}

func TestAppendCutsTornTailOfValidJSON(t *testing.T) {
	// A whole record without its newline: the writer never saw it
	// written. Append cuts it rather than completing it.
	w := create(t)
	must(t, w.Note("one", nil))
	w.Close()
	raw, err := os.ReadFile(w.Path())
	must(t, err)
	line := `{"seq":3,"time":"2026-03-01T12:04:06Z","type":"note","message":"never confirmed"}`
	must(t, os.WriteFile(w.Path(), append(raw, line...), 0o644))
	rw, j, err := Append(w.Path(), Record{Type: TypeRecover, PID: 9})
	must(t, err)
	must(t, rw.Close())
	if !j.Torn || len(j.Records) != 2 {
		t.Fatalf("Torn=%v with %d records, want true with 2", j.Torn, len(j.Records))
	}
	after, err := os.ReadFile(w.Path())
	must(t, err)
	if !bytes.HasPrefix(after, raw) || bytes.Contains(after[len(raw):], []byte(`"message":"never confirmed"`)) {
		t.Fatalf("the torn record survived as a record:\n%s", after)
	}
	j2, err := ReadFile(w.Path())
	must(t, err)
	if r := j2.Records[2]; r.Seq != 3 || r.Type != TypeRecover || r.TornTail != line {
		t.Errorf("record 3 = %+v, want the recover record holding the cut line", r)
	}
}
