package observe

import (
	"bytes"
	"io"
	"maps"
	"strings"
	"testing"
	"time"
)

// sameEvents reports whether a and b hold the same events, with times
// compared as instants and nil and empty label maps alike.
func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.Time.Equal(y.Time) || x.Latency != y.Latency || x.OK != y.OK || x.Status != y.Status ||
			x.Error != y.Error || !maps.Equal(x.Labels, y.Labels) {
			return false
		}
	}
	return true
}

func sampleEvents() []Event {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	return []Event{
		{Time: t0, Latency: 1234 * time.Microsecond, OK: true, Status: 200,
			Labels: map[string]string{LabelRoute: "/a", LabelMethod: "GET", LabelStatusClass: "2xx"}},
		{Time: t0.Add(5 * time.Millisecond), Latency: time.Second, OK: false, Status: 0, Error: ErrorTimeout,
			Labels: map[string]string{LabelRoute: "/b", LabelStatusClass: "error", "note": "comma, \"quote\"\nnewline"}},
		{Time: t0.Add(10 * time.Millisecond), Latency: 0, OK: false, Status: 503},
		{Time: time.Unix(0, 1).UTC(), Latency: 90 * time.Minute, OK: true, Status: 404,
			Labels: map[string]string{"empty": ""}},
	}
}

func TestCSVRoundTrip(t *testing.T) {
	events := sampleEvents()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, events, nil); err != nil {
		t.Fatalf("WriteCSV() = %v", err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	if want := "time,latency,ok,status,error,method,note,route,status_class"; header != want {
		t.Errorf("header = %q, want %q", header, want)
	}
	got, err := ReadEvents(&buf, "events.csv")
	if err != nil {
		t.Fatalf("ReadEvents() = %v", err)
	}
	// An empty label value is the same as no label.
	want := sampleEvents()
	delete(want[3].Labels, "empty")
	if !sameEvents(got, want) {
		t.Errorf("ReadEvents(WriteCSV(events)) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWriteCSVFormat(t *testing.T) {
	e := Event{
		Time:    time.Date(2025, 3, 1, 13, 0, 0, 500, time.FixedZone("CET", 3600)),
		Latency: 1500*time.Microsecond + 499*time.Nanosecond,
		OK:      true,
		Status:  201,
		Labels:  map[string]string{"b": "2", "a": "1", "c": "dropped"},
	}
	tests := []struct {
		name   string
		labels []string
		want   string
	}{
		{name: "all labels", labels: nil,
			want: "time,latency,ok,status,error,a,b,c\n2025-03-01T12:00:00.0000005Z,0.001500,true,201,,1,2,dropped\n"},
		{name: "chosen labels sorted once each", labels: []string{"z", "b", "a", "b"},
			want: "time,latency,ok,status,error,a,b,z\n2025-03-01T12:00:00.0000005Z,0.001500,true,201,,1,2,\n"},
		{name: "no labels", labels: []string{},
			want: "time,latency,ok,status,error\n2025-03-01T12:00:00.0000005Z,0.001500,true,201,\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteCSV(&buf, []Event{e}, tt.labels); err != nil {
				t.Fatalf("WriteCSV() = %v", err)
			}
			if buf.String() != tt.want {
				t.Errorf("WriteCSV() wrote\n%s\nwant\n%s", buf.String(), tt.want)
			}
		})
	}
}

func TestCSVWriterStreaming(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, []string{LabelRoute})
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush() = %v", err)
	}
	if want := "time,latency,ok,status,error,route\n"; buf.String() != want {
		t.Fatalf("Flush() with no events wrote %q, want the header %q", buf.String(), want)
	}
	events := sampleEvents()
	for _, e := range events {
		if err := w.Write(e); err != nil {
			t.Fatalf("Write() = %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush() = %v", err)
	}
	got, err := ReadEvents(&buf, "stream.csv")
	if err != nil {
		t.Fatalf("ReadEvents() = %v", err)
	}
	// Only the route label was chosen at creation.
	for i := range events {
		if r, ok := events[i].Labels[LabelRoute]; ok {
			events[i].Labels = map[string]string{LabelRoute: r}
		} else {
			events[i].Labels = nil
		}
	}
	if !sameEvents(got, events) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, events)
	}
}

func TestCSVWriterErrors(t *testing.T) {
	tests := []struct {
		name   string
		w      io.Writer
		labels []string
		want   string
	}{
		{name: "label named like a column", w: io.Discard, labels: []string{"ok"}, want: `label name "ok"`},
		{name: "empty label name", w: io.Discard, labels: []string{""}, want: `label name ""`},
		{name: "writer fails", w: failingWriter{}, want: "short write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewCSVWriter(tt.w, tt.labels)
			werr := w.Write(Event{})
			ferr := w.Flush()
			if tt.w == io.Discard && (werr == nil || !strings.Contains(werr.Error(), tt.want)) {
				t.Errorf("Write() = %v, want an error with %q", werr, tt.want)
			}
			if ferr == nil || !strings.Contains(ferr.Error(), tt.want) {
				t.Errorf("Flush() = %v, want an error with %q", ferr, tt.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

func TestReadEventsFormats(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{
			name: "unix seconds with fraction, ok as digits, no status or error",
			in:   "latency,ok,time,host\n0.25,1,1700000000.5,a\n1,0,1700000001,\n",
			want: []Event{
				{Time: time.Unix(1700000000, 500_000_000), Latency: 250 * time.Millisecond, OK: true, Labels: map[string]string{"host": "a"}},
				{Time: time.Unix(1700000001, 0), Latency: time.Second, OK: false},
			},
		},
		{
			name: "nanosecond unix fraction",
			in:   "time,latency,ok\n1700000000.000000001,0,true\n",
			want: []Event{{Time: time.Unix(1700000000, 1), OK: true}},
		},
		{
			name: "RFC 3339 with offset, byte order mark, spaces",
			in:   "\uFEFFtime, latency ,ok,status,error\n2025-01-01T01:00:00+01:00, 0.000001 , TRUE ,204,\n",
			want: []Event{{Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Latency: time.Microsecond, OK: true, Status: 204}},
		},
		{
			name: "no ok column: every event is ok",
			in:   "time,latency,route\n1,0.5,/a\n",
			want: []Event{{Time: time.Unix(1, 0), Latency: 500 * time.Millisecond, OK: true, Labels: map[string]string{"route": "/a"}}},
		},
		{
			name: "JSON Lines",
			in:   "\n{\"time\":1.5,\"latency\":0.25,\"ok\":false,\"route\":\"/a\"}\n",
			want: []Event{{Time: time.Unix(1, 500_000_000), Latency: 250 * time.Millisecond, Labels: map[string]string{"route": "/a"}}},
		},
		{
			name: "header only",
			in:   "time,latency,ok\n",
			want: nil,
		},
		{
			name: "quoted multi-line label",
			in:   "time,latency,ok,msg\n1,2,false,\"a\nb\"\n",
			want: []Event{{Time: time.Unix(1, 0), Latency: 2 * time.Second, Labels: map[string]string{"msg": "a\nb"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadEvents(strings.NewReader(tt.in), "in.csv")
			if err != nil {
				t.Fatalf("ReadEvents() = %v", err)
			}
			if !sameEvents(got, tt.want) {
				t.Errorf("ReadEvents() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestReadEventsErrors(t *testing.T) {
	const header = "time,latency,ok,status,error\n"
	const good = "1700000000,0.1,true,200,\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty file", in: "", want: "events.csv: empty file"},
		{name: "missing columns", in: "time,status\n", want: "events.csv:1: header lacks column latency"},
		{name: "missing time and latency", in: "ok,status\n", want: "events.csv:1: header lacks column time, latency"},
		{name: "duplicate column", in: "time,latency,ok,ok\n", want: `events.csv:1: column "ok" appears twice`},
		{name: "unnamed column", in: "time,latency,ok,\n", want: "events.csv:1: column 4 has no name"},
		{name: "bad latency", in: header + good + good + "1700000000,x,true,200,\n", want: `events.csv:4: bad latency "x": want seconds: invalid syntax`},
		{name: "negative latency", in: header + "1700000000,-1,true,200,\n", want: `events.csv:2: bad latency "-1"`},
		{name: "NaN latency", in: header + "1700000000,NaN,true,200,\n", want: `events.csv:2: bad latency "NaN"`},
		{name: "bad time", in: header + good + "yesterday,0.1,true,200,\n", want: `events.csv:3: bad time "yesterday"`},
		{name: "too many fraction digits", in: header + "1.0000000001,0.1,true,200,\n", want: `events.csv:2: bad time "1.0000000001": more than 9`},
		{name: "time beyond year 9999", in: header + "9999999999999,0.1,true,200,\n", want: `events.csv:2: bad time "9999999999999": Unix seconds out of range`},
		{name: "bad ok", in: header + "1,0.1,yes,200,\n", want: `events.csv:2: bad ok "yes"`},
		{name: "bad status", in: header + "1,0.1,true,2000,\n", want: `events.csv:2: bad status "2000"`},
		{name: "field count", in: header + good + "1,0.1,true\n", want: "events.csv:3: 3 fields, the header has 5"},
		{name: "line after multi-line field", in: "time,latency,ok,m\n1,0.1,true,\"a\nb\"\n1,x,true,c\n", want: `events.csv:4: bad latency "x"`},
		{name: "bad quoting", in: header + "1,0.1,true,200,\"a\"b\n", want: "events.csv:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadEvents(strings.NewReader(tt.in), "events.csv")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ReadEvents() = %v, %v; want error starting %q", got, err, tt.want)
			}
		})
	}
}

func FuzzReadEvents(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sampleEvents(), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add("time,latency,ok\n1700000000.5,0.25,1\n")
	f.Add("time,latency,ok,status,error,x\n2025-01-01T01:00:00+01:00,1e-3,false,503,boom,\"a\"\"b\"\n")
	f.Add("\uFEFFlatency,ok,time\n1,0,0\n")
	f.Add("time,latency,ok\n\"1\n")
	f.Add("time,latency,ok\n1,9223372035.123456,1\n")
	f.Add("time,latency,ok,m\n0001-01-01T00:00:00+01:00,1,1,\"a\rb\r\n\"\n")
	f.Add(`{"time":0,"latency":0,"1":"\r\n"}`)
	f.Fuzz(func(t *testing.T, in string) {
		events, err := ReadEvents(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		// What was read can be written, and reading that back is stable.
		var once bytes.Buffer
		if err := WriteCSV(&once, events, nil); err != nil {
			t.Fatalf("WriteCSV(read events) = %v", err)
		}
		again, err := ReadEvents(bytes.NewReader(once.Bytes()), "once.csv")
		if err != nil {
			t.Fatalf("ReadEvents(WriteCSV(events)) = %v\nfile:\n%s", err, once.String())
		}
		var twice bytes.Buffer
		if err := WriteCSV(&twice, again, nil); err != nil {
			t.Fatalf("WriteCSV(again) = %v", err)
		}
		if once.String() != twice.String() {
			t.Fatalf("write/read/write is not stable:\n%q\n%q", once.String(), twice.String())
		}
	})
}

func BenchmarkCSVWriter(b *testing.B) {
	e := Event{
		Time: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC), Latency: 12345 * time.Microsecond, OK: true, Status: 200,
		Labels: map[string]string{LabelWorkload: "browse", LabelRoute: "/checkout", LabelMethod: "GET", LabelStatusClass: "2xx"},
	}
	w := NewCSVWriter(io.Discard, []string{LabelWorkload, LabelRoute, LabelMethod, LabelStatusClass})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}
