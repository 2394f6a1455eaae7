package observe

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEventReaderRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
	}{
		{name: "sample", events: sampleEvents()},
		{name: "many cohorts", events: benchEvents(5000)},
		{name: "none", events: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteCSV(&buf, tt.events, nil); err != nil {
				t.Fatalf("WriteCSV() = %v", err)
			}
			got, err := ReadEvents(bytes.NewReader(buf.Bytes()), "events.csv")
			if err != nil {
				t.Fatalf("Next() = %v", err)
			}
			want := slices.Clone(tt.events)
			for i := range want {
				want[i].Labels = maps.Clone(want[i].Labels)
				maps.DeleteFunc(want[i].Labels, func(_, v string) bool { return v == "" })
			}
			if !sameEvents(got, want) {
				t.Errorf("Next() after WriteCSV(events) =\n%+v\nwant\n%+v", got, want)
			}

			// ReadValues gives the same events, labels by position.
			er, err := NewEventReader(bytes.NewReader(buf.Bytes()), "events.csv")
			if err != nil {
				t.Fatalf("NewEventReader() = %v", err)
			}
			names := er.LabelNames()
			var e Event
			var vals []string
			for i := 0; ; i++ {
				vals, err = er.ReadValues(&e, vals)
				if errors.Is(err, io.EOF) {
					if i != len(want) {
						t.Errorf("ReadValues() gave %d events, want %d", i, len(want))
					}
					break
				}
				if err != nil {
					t.Fatalf("ReadValues() = %v", err)
				}
				if len(vals) != len(names) {
					t.Fatalf("ReadValues() gave %d values for %d label names", len(vals), len(names))
				}
				e.Labels = map[string]string{}
				for j, v := range vals {
					if v != "" {
						e.Labels[names[j]] = v
					}
				}
				if !sameEvents([]Event{e}, want[i:i+1]) {
					t.Fatalf("ReadValues() event %d = %+v, want %+v", i, e, want[i])
				}
			}
		})
	}
}

func TestEventReaderDetect(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		format string
		want   []Event
	}{
		{name: "CSV", in: "time,latency\n1,2\n", format: "csv",
			want: []Event{{Time: time.Unix(1, 0), Latency: 2 * time.Second, OK: true}}},
		{name: "JSON Lines", in: `{"time":1,"latency":2}`, format: "jsonl",
			want: []Event{{Time: time.Unix(1, 0), Latency: 2 * time.Second, OK: true}}},
		{name: "JSON Lines after blank lines and a byte order mark", in: "\uFEFF \r\n\n\t{\"time\":1,\"latency\":2}\r\n\n", format: "jsonl",
			want: []Event{{Time: time.Unix(1, 0), Latency: 2 * time.Second, OK: true}}},
		{name: "CSV after blank lines", in: "\n\ntime,latency\n\n1,2", format: "csv",
			want: []Event{{Time: time.Unix(1, 0), Latency: 2 * time.Second, OK: true}}},
		{name: "CSV whose first column starts with a brace is not possible", in: "\"{x\",time,latency\n1,2,3\n", format: "csv",
			want: []Event{{Time: time.Unix(2, 0), Latency: 3 * time.Second, OK: true, Labels: map[string]string{"{x": "1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			er, err := NewEventReader(strings.NewReader(tt.in), "in")
			if err != nil {
				t.Fatalf("NewEventReader() = %v", err)
			}
			if er.Format() != tt.format {
				t.Errorf("Format() = %q, want %q", er.Format(), tt.format)
			}
			got, err := ReadEvents(strings.NewReader(tt.in), "in")
			if err != nil {
				t.Fatalf("Next() = %v", err)
			}
			if !sameEvents(got, tt.want) {
				t.Errorf("Next() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestEventReaderJSONL(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		in   string
		want Event
	}{
		{name: "RFC 3339 with fraction", in: `{"time":"2025-03-01T12:00:00.123456789Z","latency":0.5}`,
			want: Event{Time: t0, Latency: 500 * time.Millisecond, OK: true}},
		{name: "RFC 3339 with offset", in: `{"time":"2025-03-01T13:00:00.123456789+01:00","latency":0.5}`,
			want: Event{Time: t0, Latency: 500 * time.Millisecond, OK: true}},
		{name: "Unix seconds number", in: `{"latency":1e-3,"time":1700000000.25}`,
			want: Event{Time: time.Unix(1700000000, 250_000_000), Latency: time.Millisecond, OK: true}},
		{name: "Unix seconds string", in: `{"time":"1700000000.000000001","latency":"2"}`,
			want: Event{Time: time.Unix(1700000000, 1), Latency: 2 * time.Second, OK: true}},
		{name: "ok false", in: `{"time":1,"latency":0,"ok":false}`, want: Event{Time: time.Unix(1, 0)}},
		{name: "ok string", in: `{"time":1,"latency":0,"ok":"false"}`, want: Event{Time: time.Unix(1, 0)}},
		{name: "ok 0", in: `{"time":1,"latency":0,"ok":0}`, want: Event{Time: time.Unix(1, 0)}},
		{name: "ok 1", in: `{"time":1,"latency":0,"ok":1}`, want: Event{Time: time.Unix(1, 0), OK: true}},
		{name: "ok null", in: `{"time":1,"latency":0,"ok":null}`, want: Event{Time: time.Unix(1, 0), OK: true}},
		{name: "status and error", in: `{"time":1,"latency":0,"ok":false,"status":503,"error":"timeout"}`,
			want: Event{Time: time.Unix(1, 0), Status: 503, Error: "timeout"}},
		{name: "labels from numbers, booleans, null and empty", in: ` { "time" : 1 , "latency" : 0 , "shard" : 7 , "ratio" : 1.50 , "canary" : true , "gone" : null , "empty" : "" } `,
			want: Event{Time: time.Unix(1, 0), OK: true, Labels: map[string]string{"shard": "7", "ratio": "1.50", "canary": "true"}}},
		{name: "escapes", in: `{"time":1,"latency":0,"r\u006fute":"/caf\u00e9\n\"\\\/","emoji":"\ud83d\ude00","lone":"\ud83d","bad utf8":"a` + "\xff" + `"}`,
			want: Event{Time: time.Unix(1, 0), OK: true, Labels: map[string]string{"route": "/café\n\"\\/", "emoji": "😀", "lone": "\uFFFD", "bad utf8": "a\uFFFD"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadEvents(strings.NewReader("\n"+tt.in+"\r\n\n"), "events.jsonl")
			if err != nil {
				t.Fatalf("Next() = %v", err)
			}
			if !sameEvents(got, []Event{tt.want}) {
				t.Errorf("Next() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// checkJSONLines checks events read from the JSON Lines in against
// encoding/json and against reading each line alone.
func checkJSONLines(t *testing.T, in string, events []Event) {
	t.Helper()
	var alone []Event
	for line := range strings.Lines(in) {
		line = strings.TrimLeft(strings.TrimSpace(line), "\uFEFF")
		if line == "" {
			continue
		}
		if !json.Valid([]byte(line)) {
			t.Fatalf("accepted invalid JSON line %q", line)
		}
		es, err := ReadEvents(strings.NewReader(line), "line")
		if err != nil || len(es) != 1 {
			t.Fatalf("line %q read alone = %v, %v", line, es, err)
		}
		alone = append(alone, es[0])
	}
	if !sameEvents(events, alone) {
		t.Fatalf("events read from the stream\n%+v\ndiffer from lines read alone\n%+v", events, alone)
	}
}

func TestEventReaderJSONLKeyOrder(t *testing.T) {
	in := `{"time":1,"latency":1,"a":"1","b":"2"}
{"b":"3","a":"4","latency":2,"time":2}
{"time":3,"latency":3,"c":"5","a":"6"}
{"time":4,"latency":4,"a":"7","b":"8","ok":false}
{"time":5,"latency":5,"c":"9","a":"10","b":"11"}
{"time":6,"latency":6}
`
	events, err := ReadEvents(strings.NewReader(in), "in")
	if err != nil {
		t.Fatalf("Next() = %v", err)
	}
	if len(events) != 6 || events[4].Labels["b"] != "11" || events[3].OK || len(events[5].Labels) != 0 {
		t.Errorf("Next() = %+v", events)
	}
	checkJSONLines(t, in, events)
}

func TestEventReaderJSONLErrors(t *testing.T) {
	const good = `{"time":1,"latency":0}` + "\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "missing latency", in: good + "\n" + `{"time":1}`, want: `events.jsonl:3: missing field "latency"`},
		{name: "missing time", in: `{"latency":1}`, want: `events.jsonl:1: missing field "time"`},
		{name: "bad latency", in: `{"time":1,"latency":"x"}`, want: `events.jsonl:1:21: field "latency": want seconds: invalid syntax`},
		{name: "negative latency", in: `{"time":1,"latency":-1}`, want: `events.jsonl:1:21: field "latency": want a finite number`},
		{name: "latency boolean", in: `{"time":1,"latency":true}`, want: `events.jsonl:1:21: field "latency": want a number`},
		{name: "bad time", in: `{"time":"noon","latency":1}`, want: `events.jsonl:1:9: field "time": want RFC 3339 or Unix seconds`},
		{name: "negative unix time", in: `{"time":-1,"latency":1}`, want: `events.jsonl:1:9: field "time": want Unix seconds`},
		{name: "bad ok", in: `{"time":1,"latency":1,"ok":"yes"}`, want: `events.jsonl:1:28: field "ok": want true or false`},
		{name: "bad status", in: `{"time":1,"latency":1,"status":1000}`, want: `events.jsonl:1:32: field "status": want an HTTP status`},
		{name: "error not a string", in: `{"time":1,"latency":1,"error":5}`, want: `events.jsonl:1:31: field "error": want a string`},
		{name: "duplicate fixed key", in: `{"time":1,"time":2,"latency":1}`, want: `events.jsonl:1:18: field "time": appears twice`},
		{name: "duplicate label", in: good + `{"a":"x","time":1,"latency":1,"a":"y"}`, want: `events.jsonl:2:35: field "a": appears twice`},
		{name: "nested object", in: `{"time":1,"latency":1,"a":{}}`, want: `events.jsonl:1:27: want a string, number or boolean`},
		{name: "array", in: `{"time":1,"latency":1,"a":[1]}`, want: `events.jsonl:1:27: want a string, number or boolean`},
		{name: "not an object", in: good + `[1]`, want: `events.jsonl:2:1: want a JSON object`},
		{name: "two objects on a line", in: `{"time":1,"latency":1} {}`, want: `events.jsonl:1:24: text after the object`},
		{name: "unterminated", in: `{"time":1,"latency":1`, want: `events.jsonl:1:22: want ',' or '}'`},
		{name: "unterminated string", in: `{"time":"1`, want: `events.jsonl:1:11: unexpected end of line in string`},
		{name: "string across lines", in: "{\"time\":\"1\n\",\"latency\":1}", want: `events.jsonl:1:`},
		{name: "bad number", in: `{"time":1,"latency":01}`, want: `events.jsonl:1:21: invalid number`},
		{name: "bad escape", in: `{"time":"\x","latency":1}`, want: `events.jsonl:1:10: invalid escape`},
		{name: "trailing comma", in: `{"time":1,"latency":1,}`, want: `events.jsonl:1:23: want a key after ','`},
		{name: "unquoted key", in: `{time:1}`, want: `events.jsonl:1:2: want a quoted key`},
		{name: "bare word", in: `{"time":1,"latency":1,"a":nope}`, want: `events.jsonl:1:27: want a value`},
		{name: "empty key", in: `{"time":1,"latency":1,"":"x"}`, want: `events.jsonl:1:23: key "" cannot name a label`},
		{name: "key with a line break", in: `{"time":1,"latency":1,"a\nb":"x"}`, want: `events.jsonl:1:23: key "a\nb" cannot name a label`},
		{name: "control character", in: "{\"time\":1,\"latency\":1,\"a\":\"\x01\"}", want: `events.jsonl:1:28: control character`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			er, err := NewEventReader(strings.NewReader(tt.in), "events.jsonl")
			if err != nil {
				t.Fatalf("NewEventReader() = %v", err)
			}
			for err == nil {
				_, err = er.Next()
			}
			if errors.Is(err, io.EOF) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Next() = %v, want an error starting %q", err, tt.want)
			}
			// The error sticks.
			if _, again := er.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("Next() after %v = %v, want the same error", err, again)
			}
		})
	}
}

func TestEventReaderLabelNames(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		names [][]string // LabelNames after each event
	}{
		{name: "CSV: header order", in: "z,time,a,latency\n1,1,2,3\n,1,,3\n",
			names: [][]string{{"z", "a"}, {"z", "a"}}},
		{name: "JSON Lines: order of first appearance", in: `{"time":1,"latency":0,"z":1}` + "\n" + `{"time":1,"latency":0}` + "\n" + `{"a":"x","time":1,"latency":0,"z":2}`,
			names: [][]string{{"z"}, {"z"}, {"z", "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			er, err := NewEventReader(strings.NewReader(tt.in), "in")
			if err != nil {
				t.Fatalf("NewEventReader() = %v", err)
			}
			var e Event
			var vals []string
			for i, want := range tt.names {
				if vals, err = er.ReadValues(&e, vals); err != nil {
					t.Fatalf("ReadValues() = %v", err)
				}
				if got := er.LabelNames(); !slices.Equal(got, want) {
					t.Errorf("event %d: LabelNames() = %q, want %q", i, got, want)
				}
				if len(vals) != len(want) {
					t.Errorf("event %d: ReadValues() = %q, want %d values", i, vals, len(want))
				}
			}
		})
	}
}

// csvRecords splits in with the scanner, with or without its fast path,
// or with encoding/csv, stopping at the first error.
func csvRecords(in string, how string) ([][]string, error) {
	var out [][]string
	if how == "encoding/csv" {
		r := csv.NewReader(strings.NewReader(in))
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return out, err
			}
			out = append(out, rec)
		}
	}
	s := csvScanner{r: bufio.NewReaderSize(strings.NewReader(in), readBufferSize), noFastP: how == "slow"}
	for {
		rec, err := s.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		var ss []string
		for _, f := range rec {
			ss = append(ss, string(f))
		}
		out = append(out, ss)
	}
}

func checkCSVScanner(t *testing.T, in string) {
	want, wantErr := csvRecords(in, "encoding/csv")
	for _, how := range []string{"fast", "slow"} {
		got, err := csvRecords(in, how)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s path on %q = %q, %v; encoding/csv gives %q, %v", how, in, got, err, want, wantErr)
		}
	}
}

func TestCSVScannerMatchesEncodingCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "plain", in: "a,b,c\n1,2,3\n"},
		{name: "quoted with comma and newline", in: "a,b\n\"x,y\",\"1\n2\"\n3,4\n"},
		{name: "escaped quote", in: "a\n\"he said \"\"hi\"\"\"\n"},
		{name: "CRLF", in: "a,b\r\n1,2\r\n\"x\r\ny\",z\r\n"},
		{name: "trailing CR at EOF", in: "a,b\n1,2\r"},
		{name: "no final newline", in: "a,b\n1,2"},
		{name: "empty lines", in: "\n\na\n\n\nb\n\n"},
		{name: "empty fields", in: ",,\n\"\",\n"},
		{name: "commas next to minus signs", in: ",-,-,,--,,,-\n-,,-,-,,-,\n,,,,,,,,,,,,,,,,,,\n"},
		{name: "bare quote", in: "a,b\n1,x\"y\n"},
		{name: "quote then text", in: "a\n\"x\"y\n"},
		{name: "unterminated quote", in: "a\n\"xyz\n\nmore"},
		{name: "quote at EOF", in: "a\n\""},
		{name: "lone CR inside", in: "a\rb,c\n"},
		{name: "long line", in: strings.Repeat("x", readBufferSize*2+3) + ",\"" + strings.Repeat("y\n", readBufferSize) + "\"\n1,2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCSVScanner(t, tt.in) })
	}
}

func FuzzCSVScanner(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", ",-,-,,--,,,-,-\n", "\"a\"\"\",b\r\n\"1\n\",2", "a\"b\n", "\"\"x\n", ",\n\r\n\"\r\n\"\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkCSVScanner(t, in) })
}

func TestPlainPrefix(t *testing.T) {
	naive := func(b []byte) int {
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return i
			}
		}
		return len(b)
	}
	base := []byte("abcdefghijklmnopqrstu")
	for c := range 256 {
		for p := range len(base) + 1 {
			for _, n := range []int{p, len(base)} {
				b := slices.Clone(base[:n])
				if p < n {
					b[p] = byte(c)
				}
				if got, want := plainPrefix(b), naive(b); got != want {
					t.Fatalf("plainPrefix(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

func TestParseTimeFastPath(t *testing.T) {
	for _, s := range []string{
		"2025-03-01T12:00:00Z", "2025-03-01T12:00:00.1Z", "2025-03-01T12:00:00.123456789Z",
		"2024-02-29T23:59:59.999999999Z", "2023-02-29T00:00:00Z", "2025-04-31T00:00:00Z",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
		"2025-03-01T24:00:00Z", "2025-03-01T12:60:00Z", "2025-03-01T12:00:60Z", "2025-13-01T12:00:00Z",
		"2025-00-01T12:00:00Z", "2025-03-00T12:00:00Z", "2025-03-01T12:00:00.Z", "2025-03-01T12:00:00.1234567891Z",
		"2025-03-01t12:00:00Z", "2025-03-01T12:00:00z", "1969-12-31T23:59:59.5Z", "0001-03-01T00:00:00Z",
	} {
		checkTimeFastPath(t, s)
	}
}

func checkTimeFastPath(t *testing.T, s string) {
	want, werr := time.Parse(time.RFC3339Nano, s)
	if got, ok := parseRFC3339UTC(s); ok && (werr != nil || got != want.UTC()) {
		t.Errorf("parseRFC3339UTC(%q) = %v; time.Parse gives %v, %v", s, got, want, werr)
	}
	// The cached parser agrees with parseTime, whatever came before.
	var p timeParser
	for _, prev := range []string{"2025-03-01T12:00:00Z", s[:min(len(s), 16)] + ":07.5Z", s} {
		_, _ = p.parse([]byte(prev))
		got, err := p.parse([]byte(s))
		w, werr := parseTime(s)
		if fmt.Sprint(err) != fmt.Sprint(werr) || got != w {
			t.Errorf("timeParser.parse(%q) after %q = %v, %v; parseTime gives %v, %v", s, prev, got, err, w, werr)
		}
	}
}

func TestParseSecondsFastPath(t *testing.T) {
	for _, s := range []string{"0", "1", "0.001500", "999999.999999999", "123456.1", "0.000000001", "12.5", "1.", ".5", "1234567"} {
		checkSecondsFastPath(t, s)
	}
}

func checkSecondsFastPath(t *testing.T, s string) {
	got, ok := parseSecondsDecimal(s)
	if !ok {
		return
	}
	want, err := parseSecondsFloat(s)
	if err != nil || got != want {
		t.Errorf("parseSecondsDecimal(%q) = %v; by float %v, %v", s, got, want, err)
	}
}

func FuzzParseFastPaths(f *testing.F) {
	f.Add("2025-03-01T12:00:00.123Z")
	f.Add("123.456")
	f.Fuzz(func(t *testing.T, s string) {
		checkTimeFastPath(t, s)
		checkSecondsFastPath(t, s)
	})
}

func FuzzEventReader(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sampleEvents(), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add("time,latency\n1700000000.5,0.25\n")
	f.Add("time,latency,ok,status,error,x\n2025-01-01T01:00:00+01:00,1e-3,false,503,boom,\"a\"\"b\"\n")
	f.Add("latency,ok,time,m\n1,0,0,\"a\r\nb\"\n")
	f.Add(`{"time":"2025-03-01T12:00:00.5Z","latency":0.1,"ok":false,"status":503,"error":"x","route":"/a","n":5}` + "\n\n" + `{"time":1.5,"latency":"2","b":true}`)
	f.Add(`{"time":1,"latency":1,"a":"\ud83d\u0041","b":"\u00e9"}`)
	f.Add(" \n{\"time\":\"1\",\"latency\":0,\"ok\":\"T\"}\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		events, err := ReadEvents(strings.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if er, _ := NewEventReader(strings.NewReader(in), "fuzz"); er != nil && er.Format() == "jsonl" {
			checkJSONLines(t, in, events)
		}
		// What was read can be written, and reading that back gives
		// the same events, but for what CSV cannot carry: latency is
		// written to the microsecond, and a quoted CR LF is read as LF.
		var once bytes.Buffer
		if err := WriteCSV(&once, events, nil); err != nil {
			t.Fatalf("WriteCSV(read events) = %v", err)
		}
		again, err := ReadEvents(bytes.NewReader(once.Bytes()), "once.csv")
		if err != nil {
			t.Fatalf("read WriteCSV(events) = %v\nfile:\n%s", err, once.String())
		}
		if len(again) != len(events) {
			t.Fatalf("read back %d events, want %d", len(again), len(events))
		}
		crlf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		for i, e := range events {
			g := again[i]
			if d := g.Latency - e.Latency; d < -time.Microsecond || d > time.Microsecond+e.Latency>>50 {
				t.Fatalf("event %d: latency read back %v, want %v", i, g.Latency, e.Latency)
			}
			g.Latency = e.Latency
			e.Error = crlf(e.Error)
			labels := map[string]string{}
			for k, v := range e.Labels {
				labels[k] = crlf(v)
			}
			if len(labels) == 0 {
				labels = nil
			}
			e.Labels = labels
			if !sameEvents([]Event{g}, []Event{e}) {
				t.Fatalf("event %d read back\n%+v\nwant\n%+v", i, g, e)
			}
		}
		// From then on, write and read is stable.
		var twice bytes.Buffer
		if err := WriteCSV(&twice, again, nil); err != nil {
			t.Fatalf("WriteCSV(again) = %v", err)
		}
		if once.String() != twice.String() {
			t.Fatalf("write/read/write is not stable:\n%q\n%q", once.String(), twice.String())
		}
	})
}

// eventStream generates a CSV event file of n events on the fly.
type eventStream struct {
	n, i int
	buf  []byte
	t0   time.Time
}

func (s *eventStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i <= s.n {
		if s.i == 0 {
			s.buf = append(s.buf, "time,latency,ok,status,error,method,route,workload\n"...)
		} else {
			t := s.t0.Add(time.Duration(s.i) * 97 * time.Microsecond)
			s.buf = t.AppendFormat(s.buf, time.RFC3339Nano)
			s.buf = append(s.buf, ",0."...)
			s.buf = append(s.buf, strconv.Itoa(1_000_000 + s.i%1_000_000)[1:]...)
			s.buf = append(s.buf, ",true,200,,GET,/r"...)
			s.buf = strconv.AppendInt(s.buf, int64(s.i%50), 10)
			s.buf = append(s.buf, ",w"...)
			s.buf = strconv.AppendInt(s.buf, int64(s.i%3), 10)
			s.buf = append(s.buf, '\n')
		}
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

func TestEventReaderMemoryBounded(t *testing.T) {
	const n = 1_000_000
	er, err := NewEventReader(&eventStream{n: n, t0: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, "stream.csv")
	if err != nil {
		t.Fatalf("NewEventReader() = %v", err)
	}
	var ms runtime.MemStats
	var maxHeap uint64
	count := 0
	for {
		e, err := er.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next() = %v", err)
		}
		if len(e.Labels) != 3 {
			t.Fatalf("event %d has labels %v, want 3", count, e.Labels)
		}
		count++
		if count%(n/10) == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
		}
	}
	if count != n {
		t.Fatalf("read %d events, want %d", count, n)
	}
	const limit = 50 << 20
	if maxHeap > limit {
		t.Errorf("heap in use reached %d MB reading %d events, want under %d MB", maxHeap>>20, n, limit>>20)
	}
}
