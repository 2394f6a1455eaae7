package observe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// EventReader streams the events of an event file, CSV or JSON Lines,
// one at a time: its memory depends on the longest line and on the
// number of distinct label values it interns, never on the number of
// events. It is not safe for concurrent use.
//
// Label values (and Error texts) are interned: up to maxInterned
// distinct values per label share one string each, so that a long file
// whose labels repeat, as cohort labels do, does not allocate a string
// per value. Beyond that bound new values are allocated as they come.
// Strings are immutable, so sharing them is invisible to callers.
//
// Next gives each Event its own Labels map, which the caller may keep
// and modify. ReadValues avoids even that map, for callers that index
// labels by position.
type EventReader struct {
	name  string
	br    *bufio.Reader
	jsonl bool
	err   error // sticky: once set, every call returns it

	// labels are the label names, in column order for CSV, in order of
	// first appearance for JSON Lines.
	labels []string
	intern []*internTable // per label
	errs   internTable    // Error texts
	times  timeParser

	csv  csvScanner
	cols *columns // CSV only

	json jsonState // JSON Lines only

	vals []string // scratch for Next
}

// maxInterned bounds each intern table.
const maxInterned = 4096

// internTable interns the values of one label: a small direct-mapped
// cache in front of a bounded map.
type internTable struct {
	cache [64]string
	m     map[string]string
}

func (t *internTable) get(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	h := (uint(n)*31 + uint(b[0])*7 + uint(b[n-1]) + uint(b[n/2])*3) & 63
	if s := t.cache[h]; s == string(b) {
		return s
	}
	s, ok := t.m[string(b)]
	if !ok {
		s = string(b)
		if t.m == nil {
			t.m = map[string]string{}
		}
		if len(t.m) < maxInterned {
			t.m[s] = s
		}
	}
	t.cache[h] = s
	return s
}

const readBufferSize = 64 << 10

// NewEventReader returns a reader of the event file r; name is used in
// error messages. The format is detected from the first bytes that are
// not white space (after an optional byte order mark): '{' starts JSON
// Lines, anything else is CSV with a header line, which is read here.
//
// CSV columns are as for ReadEvents. In JSON Lines, each non-blank line
// is one flat object: "time" is an RFC 3339 string, or Unix seconds as
// a number (digits with an optional fraction of up to 9 digits) or as a
// string; "latency" is seconds, a number (or a string holding one);
// "ok" is optional (true when absent) and may be a boolean, a number 1
// or 0, or a string strconv.ParseBool takes; "status" is an optional
// integer 0 to 999; "error" an optional string. Every other key is a
// label: strings are taken as they are, numbers and booleans as their
// JSON text; an empty string or null is no label. A key may appear once
// per object; a nested object or array is an error.
func NewEventReader(r io.Reader, name string) (*EventReader, error) {
	er := &EventReader{name: name, br: bufio.NewReaderSize(r, readBufferSize)}
	er.jsonl = er.detectJSON()
	if er.jsonl {
		er.json.index = map[string]int{}
		return er, nil
	}
	er.csv.r = er.br
	header, err := er.csv.next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header line with %s", name, strings.Join(fixedColumns, ","))
	}
	if err != nil {
		return nil, er.csvError(err)
	}
	hs := make([]string, len(header))
	for i, h := range header {
		hs[i] = string(h)
	}
	cols, err := readHeader(hs)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, er.csv.recLine, err)
	}
	er.cols = cols
	er.labels = cols.labels
	er.intern = make([]*internTable, len(er.labels))
	for i := range er.intern {
		er.intern[i] = &internTable{}
	}
	return er, nil
}

// detectJSON peeks at the start of the input.
func (er *EventReader) detectJSON() bool {
	for n := 64; ; n *= 2 {
		b, err := er.br.Peek(n)
		b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		if i := bytes.IndexFunc(b, func(r rune) bool { return !isJSONSpace(r) }); i >= 0 {
			return b[i] == '{'
		}
		if err != nil || n >= readBufferSize {
			return false
		}
	}
}

func isJSONSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }

// Format is "csv" or "jsonl".
func (er *EventReader) Format() string {
	if er.jsonl {
		return "jsonl"
	}
	return "csv"
}

// LabelNames returns the label names known so far: for CSV every label
// column, in header order; for JSON Lines the label keys seen so far,
// in order of first appearance (it grows as reading goes on, never
// reorders). The caller must not modify the slice.
func (er *EventReader) LabelNames() []string {
	return er.labels[:len(er.labels):len(er.labels)]
}

// Next returns the next event, or io.EOF after the last one. Errors
// name the file and line (and, for JSON Lines, the column or field);
// after an error every call returns it again. The event's Labels map is
// its own (nil when it has no labels).
func (er *EventReader) Next() (Event, error) {
	var e Event
	vals, err := er.ReadValues(&e, er.vals)
	er.vals = vals
	if err != nil {
		return Event{}, err
	}
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	if n > 0 {
		e.Labels = make(map[string]string, n)
		for i, v := range vals {
			if v != "" {
				e.Labels[er.labels[i]] = v
			}
		}
	}
	return e, nil
}

// ReadValues reads the next event into *e, with e.Labels set to nil,
// and returns its label values appended to vals[:0]: the i-th value
// belongs to LabelNames()[i], "" when the event lacks that label. For
// JSON Lines the result is as long as LabelNames() is after the call.
// It returns io.EOF after the last event; errors are as for Next.
func (er *EventReader) ReadValues(e *Event, vals []string) ([]string, error) {
	if er.err != nil {
		return vals[:0], er.err
	}
	var err error
	if er.jsonl {
		vals, err = er.readJSON(e, vals)
	} else {
		vals, err = er.readCSV(e, vals)
	}
	if err != nil {
		er.err = err
	}
	return vals, err
}

func (er *EventReader) csvError(err error) error {
	return csvError(er.name, err)
}

func (er *EventReader) readCSV(e *Event, vals []string) ([]string, error) {
	vals = vals[:0]
	record, err := er.csv.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return vals, io.EOF
		}
		return vals, er.csvError(err)
	}
	c := er.cols
	if len(record) != c.n {
		return vals, fmt.Errorf("%s:%d: %d fields, the header has %d", er.name, er.csv.recLine, len(record), c.n)
	}
	if err := er.csvEvent(e, record); err != nil {
		return vals, fmt.Errorf("%s:%d: %w", er.name, er.csv.recLine, err)
	}
	for i, at := range c.labelAt {
		vals = append(vals, er.intern[i].get(record[at]))
	}
	return vals, nil
}

func (er *EventReader) csvEvent(e *Event, record [][]byte) error {
	c := er.cols
	*e = Event{OK: true}
	var err error
	if e.Time, err = er.times.parse(trimSpace(record[c.time])); err != nil {
		return fmt.Errorf("bad time %q: %w", record[c.time], err)
	}
	if e.Latency, err = parseSeconds(trimSpace(record[c.latency])); err != nil {
		return fmt.Errorf("bad latency %q: %w", record[c.latency], err)
	}
	if c.ok >= 0 {
		var ok bool
		if e.OK, ok = parseBool(trimSpace(record[c.ok])); !ok {
			return fmt.Errorf("bad ok %q: want true or false", record[c.ok])
		}
	}
	if c.status >= 0 {
		if s := trimSpace(record[c.status]); len(s) > 0 {
			var ok bool
			if e.Status, ok = parseStatus(s); !ok {
				return fmt.Errorf("bad status %q: want an HTTP status code or 0", record[c.status])
			}
		}
	}
	if c.errc >= 0 {
		e.Error = er.errs.get(record[c.errc])
	}
	return nil
}

// trimSpace is bytes.TrimSpace, quicker when there is nothing to trim.
func trimSpace(b []byte) []byte {
	if n := len(b); n > 0 && b[0] > ' ' && b[0] < utf8.RuneSelf && b[n-1] > ' ' && b[n-1] < utf8.RuneSelf {
		return b
	}
	return bytes.TrimSpace(b)
}
