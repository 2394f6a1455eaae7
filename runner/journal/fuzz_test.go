package journal

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzRead(f *testing.F) {
	raw := sample(f, 2)
	f.Add(raw)
	f.Add(raw[:len(raw)-9])
	f.Add(append(raw[:len(raw):len(raw)], "\x00\x00\x00\n"...))
	lines := bytes.SplitAfter(raw, []byte("\n"))
	f.Add(bytes.Join([][]byte{lines[0], lines[1], []byte("garbage\n"), lines[3]}, nil))
	f.Add(bytes.Join([][]byte{lines[0], []byte(`{"seq":2,"time":"2026-03-01T12:04:05+01:00","type":"intent","op":"x","id":"a","data":{ "k" : [1, "\u00e9"] }}` + "\n")}, nil))
	f.Add([]byte(`{"seq":1,"time":"2026-03-01T12:04:05Z","type":"run","format_version":1,"run_id":"r"}` + "\n" + `{"seq":2,`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, in []byte) {
		j, err := Read(bytes.NewReader(in), "fuzz.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.jsonl:") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		// Every complete line before a torn one is a record: none was
		// skipped, and only the last line can be torn.
		intact := in[:j.intact]
		if len(intact) > 0 && intact[len(intact)-1] != '\n' {
			t.Fatalf("the intact part does not end with a newline")
		}
		if n := bytes.Count(intact, []byte("\n")); n != len(j.Records) {
			t.Fatalf("%d records from %d complete lines", len(j.Records), n)
		}
		if j.Torn == (len(intact) == len(in)) {
			t.Fatalf("Torn=%v with %d of %d bytes intact", j.Torn, len(intact), len(in))
		}
		// Every record was read whole: written again, it reads back
		// to the same records, and writing those is stable.
		once := encode(t, j.Records)
		again, err := Read(bytes.NewReader(once), "again.jsonl")
		if err != nil || again.Torn {
			t.Fatalf("reading the records written again: %v (torn %v)\n%s", err, again != nil && again.Torn, once)
		}
		if twice := encode(t, again.Records); !bytes.Equal(once, twice) {
			t.Fatalf("write/read/write is not stable:\n%s\n%s", once, twice)
		}
		for _, r := range j.Records {
			if r.Data != nil && !json.Valid(r.Data) {
				t.Fatalf("record %d has invalid data %q", r.Seq, r.Data)
			}
		}
		_ = j.Pending()
		_ = j.NeedsRecovery()
	})
}

func encode(t *testing.T, recs []Record) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatalf("encode record %d: %v", r.Seq, err)
		}
	}
	return buf.Bytes()
}
