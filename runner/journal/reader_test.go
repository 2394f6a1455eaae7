package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
)

// sample writes a journal with a record of every type, one of them
// holding long times `é"\` and a newline, and returns its bytes.
func sample(t testing.TB, long int) []byte {
	t.Helper()
	w := create(t)
	id := mustID(t)
	must(t, w.Phase("warmup", ""))
	p := id(w.Intent(OpStartProcess, "prices", map[string]any{"argv": []string{"bin/prices", "-listen", "127.0.0.1:0"}}))
	must(t, w.Done(p, map[string]int{"pid": 31337, "pgid": 31337}))
	must(t, w.Phase("fault", "prices-slow"))
	inj := id(w.Intent(OpInject, "prices", map[string]string{"kind": "exec", "revert": strings.Repeat("é\"\\\n", long)}))
	must(t, w.Done(inj, nil))
	r := id(w.Undo(OpRevert, inj, nil))
	must(t, w.Failed(r, fmt.Errorf("exit 1: \"nope\"")))
	must(t, w.Note("landed", nil))
	must(t, w.Abort("interrupted"))
	must(t, w.End(OutcomeAborted))
	must(t, w.Close())
	raw, err := os.ReadFile(w.Path())
	must(t, err)
	return raw
}

// TestTornAtEveryOffset cuts a real journal at every byte offset and
// reads it: past the run record, reading never fails, keeps every
// complete line, and reports a torn line exactly when the cut is not at
// a line's end.
func TestTornAtEveryOffset(t *testing.T) {
	raw := sample(t, 300)
	full, err := Read(bytes.NewReader(raw), "journal.jsonl")
	must(t, err)
	first := bytes.IndexByte(raw, '\n') + 1
	for n := 0; n <= len(raw); n++ {
		prefix := raw[:n]
		j, err := Read(bytes.NewReader(prefix), "journal.jsonl")
		if n < first {
			if err == nil || !strings.Contains(err.Error(), "no complete run record") {
				t.Fatalf("cut at %d (inside the run record): err = %v, want no complete run record", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d of %d: %v", n, len(raw), err)
		}
		complete := bytes.Count(prefix, []byte("\n"))
		if len(j.Records) != complete {
			t.Fatalf("cut at %d: %d records, want %d", n, len(j.Records), complete)
		}
		if !reflect.DeepEqual(j.Records, full.Records[:complete]) {
			t.Fatalf("cut at %d: records differ from the whole journal's", n)
		}
		wantTorn := prefix[n-1] != '\n'
		if j.Torn != wantTorn || (wantTorn && j.TornLine != complete+1) {
			t.Fatalf("cut at %d: Torn=%v TornLine=%d, want %v, %d", n, j.Torn, j.TornLine, wantTorn, complete+1)
		}
		if j.intact != int64(bytes.LastIndexByte(prefix, '\n')+1) {
			t.Fatalf("cut at %d: intact=%d", n, j.intact)
		}
	}
}

func TestTornLastLineWithNewline(t *testing.T) {
	raw := sample(t, 300)
	for _, tail := range []string{
		"\x00\x00\x00\x00\n",                    // zeros where a crashed block should be
		`{"seq":13,"time":"2026-03-01T1` + "\n", // a cut record with a newline after it
		"\n",                                    // an empty line
	} {
		j, err := Read(bytes.NewReader(append(raw[:len(raw):len(raw)], tail...)), "j")
		if err != nil {
			t.Fatalf("last line %q: %v", tail, err)
		}
		if !j.Torn || len(j.Records) != 12 {
			t.Errorf("last line %q: Torn=%v, %d records; want true, 12", tail, j.Torn, len(j.Records))
		}
	}
}

// TestBadLineLocated damages one line of a real journal (or its
// records) and checks the error names the file and the line.
func TestBadLineLocated(t *testing.T) {
	raw := sample(t, 300)
	lines := strings.SplitAfter(string(raw), "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	set := func(i int, s string) []string {
		out := append([]string(nil), lines...)
		out[i-1] = s + "\n"
		return out
	}
	replace := func(i int, old, new string) []string {
		if !strings.Contains(lines[i-1], old) {
			t.Fatalf("line %d has no %q: %s", i, old, lines[i-1])
		}
		return set(i, strings.TrimSuffix(strings.Replace(lines[i-1], old, new, 1), "\n"))
	}
	cases := []struct {
		name  string
		lines []string
		line  int
		want  string
	}{
		{"garbage in the middle", set(4, "garbage"), 4, "not valid JSON, and not the last line"},
		{"torn line in the middle", set(5, `{"seq":5,"ti`), 5, "not valid JSON, and not the last line"},
		{"not an object", set(3, `[1,2]`), 3, "not a JSON object"},
		{"unknown field", replace(3, `"type"`, `"kind":1,"type"`), 3, `unknown field "kind"`},
		{"field twice", replace(3, `"type":"intent"`, `"type":"intent","type":"intent"`), 3, `field "type" appears twice`},
		{"null field", replace(3, `"target":"prices"`, `"target":null`), 3, `field "target" is null`},
		{"wrong type", replace(2, `"seq":2`, `"seq":"2"`), 2, `field "seq"`},
		{"bad time", replace(2, `"time":"2026`, `"time":"x2026`), 2, `field "time"`},
		{"no time", replace(2, `"time":`, `"message":`), 2, `no "time"`},
		{"data not an object", replace(4, `"data":{"pgid":31337,"pid":31337}`, `"data":[31337]`), 4, `"data" is not a JSON object`},
		{"seq gap", replace(6, `"seq":6`, `"seq":7`), 6, "seq 7 where 6 was expected"},
		{"unknown type", replace(2, `"type":"phase"`, `"type":"checkpoint"`), 2, `unknown record type "checkpoint"`},
		{"first not run", replace(1, `"type":"run"`, `"type":"note"`), 1, `first record is of type "note"`},
		{"newer format", replace(1, `"format_version":1`, `"format_version":2`), 1, "format_version 2: this faultline reads format_version 1"},
		{"no run id", replace(1, `"run_id":"20260301-120405-shop",`, ``), 1, "no run_id"},
		{"second run record", replace(2, `"type":"phase"`, `"type":"run"`), 2, "second run record"},
		{"outcome of an unknown intent", replace(4, `"id":"start_process-3"`, `"id":"start_process-2"`), 4, `which no earlier intent has as id`},
		{"op of outcome differs", replace(4, `"op":"start_process"`, `"op":"inject"`), 4, "its intent says start_process"},
		{"target of outcome differs", replace(4, `"target":"prices"`, `"target":"shop"`), 4, `its intent says "prices"`},
		{"second outcome", replace(7, `"id":"inject-6"`, `"id":"start_process-3"`), 7, "a second outcome (done)"},
		{"intent id twice", replace(6, `"id":"inject-6"`, `"id":"start_process-3"`), 6, "used twice"},
		{"intent without op", replace(3, `"op":"start_process",`, ``), 3, `without "op"`},
		{"revert of the wrong action", replace(8, `"undoes":"inject-6"`, `"undoes":"start_process-3"`), 8, "undone by stop_process, not by revert"},
		{"undoes an unknown id", replace(8, `"undoes":"inject-6"`, `"undoes":"inject-1"`), 8, "no earlier intent"},
		{"revert without undoes", replace(8, `,"undoes":"inject-6"`, ``), 8, `revert without "undoes"`},
		{"record after the end", append(append([]string(nil), lines...), `{"seq":13,"time":"2026-03-01T12:04:06Z","type":"note","message":"x"}`+"\n"), 13, "after the end record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(strings.Join(c.lines, "")), "runs/x/journal.jsonl")
			prefix := fmt.Sprintf("runs/x/journal.jsonl:%d: ", c.line)
			if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read = %v, want %q...%q", err, prefix, c.want)
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	_, err := ReadFile(t.TempDir() + "/journal.jsonl")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile(missing) = %v, want a not-exist error", err)
	}
}
