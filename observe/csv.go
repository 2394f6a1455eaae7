package observe

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fixed columns of an event file, in this order, before the label
// columns.
const (
	ColumnTime    = "time"
	ColumnLatency = "latency"
	ColumnOK      = "ok"
	ColumnStatus  = "status"
	ColumnError   = "error"
)

var fixedColumns = []string{ColumnTime, ColumnLatency, ColumnOK, ColumnStatus, ColumnError}

// CSVWriter streams events to an event file. Its header is fixed when it
// is created: labels not named then are not written. It is not safe for
// concurrent use; the first error sticks and is returned by every later
// call.
type CSVWriter struct {
	w       *csv.Writer
	labels  []string
	header  bool
	err     error
	record  []string
	written int
}

// NewCSVWriter returns a writer whose label columns are labelNames,
// sorted and without duplicates. The header is written with the first
// event, or by Flush when there is none. A label name equal to a fixed
// column name, or empty, makes every call fail.
func NewCSVWriter(w io.Writer, labelNames []string) *CSVWriter {
	labels := slices.Clone(labelNames)
	slices.Sort(labels)
	labels = slices.Compact(labels)
	c := &CSVWriter{w: csv.NewWriter(w), labels: labels}
	for _, name := range labels {
		if name == "" || slices.Contains(fixedColumns, name) {
			c.err = fmt.Errorf("label name %q cannot be an event file column", name)
			break
		}
	}
	c.record = make([]string, len(fixedColumns)+len(labels))
	return c
}

func (c *CSVWriter) writeHeader() {
	if c.header || c.err != nil {
		return
	}
	c.header = true
	if err := c.w.Write(append(slices.Clone(fixedColumns), c.labels...)); err != nil {
		c.err = fmt.Errorf("write event file header: %w", err)
	}
}

// Write writes one event.
func (c *CSVWriter) Write(e Event) error {
	c.writeHeader()
	if c.err != nil {
		return c.err
	}
	r := c.record
	r[0] = e.Time.UTC().Format(time.RFC3339Nano)
	r[1] = strconv.FormatFloat(e.Latency.Seconds(), 'f', 6, 64)
	r[2] = strconv.FormatBool(e.OK)
	r[3] = strconv.Itoa(e.Status)
	r[4] = e.Error
	for i, name := range c.labels {
		r[len(fixedColumns)+i] = e.Labels[name]
	}
	if err := c.w.Write(r); err != nil {
		c.err = fmt.Errorf("write event %d: %w", c.written+1, err)
		return c.err
	}
	c.written++
	return nil
}

// Flush writes the header if no event was written yet, then flushes
// buffered data to the underlying writer.
func (c *CSVWriter) Flush() error {
	c.writeHeader()
	if c.err != nil {
		return c.err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		c.err = fmt.Errorf("flush event file: %w", err)
	}
	return c.err
}

// WriteCSV writes events as an event file. When labelNames is nil the
// label columns are every label name found in any event (with a
// non-empty value), sorted.
func WriteCSV(w io.Writer, events []Event, labelNames []string) error {
	if labelNames == nil {
		seen := map[string]bool{}
		for _, e := range events {
			for k, v := range e.Labels {
				if v != "" {
					seen[k] = true
				}
			}
		}
		labelNames = slices.Sorted(maps.Keys(seen))
	}
	c := NewCSVWriter(w, labelNames)
	for _, e := range events {
		if err := c.Write(e); err != nil {
			return err
		}
	}
	return c.Flush()
}

// ReadEvents reads an event file; name is used in error messages. It
// accepts more than it writes, so that request logs from elsewhere can
// be read: time may also be Unix seconds with an optional fraction
// ("1700000000.25"), or RFC 3339 with any offset; ok may be any form
// strconv.ParseBool takes (true, false, 1, 0, ...); the columns may come
// in any order; status and error may be absent; every column that is
// not a fixed one is a label. Errors name the file and line:
// `events.csv:12: bad latency "x": ...`.
func ReadEvents(r io.Reader, name string) ([]Event, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header line with %s", name, strings.Join(fixedColumns, ","))
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	cols, err := readHeader(header)
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", name, err)
	}
	var events []Event
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(record) != cols.n {
			return nil, fmt.Errorf("%s:%d: %d fields, the header has %d", name, line, len(record), cols.n)
		}
		e, err := cols.event(record)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		events = append(events, e)
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// columns maps an event file's header to the fields of an Event.
type columns struct {
	n                               int
	time, latency, ok, status, errc int // -1 when absent
	labels                          []string
	labelAt                         []int
}

func readHeader(header []string) (*columns, error) {
	c := &columns{n: len(header), time: -1, latency: -1, ok: -1, status: -1, errc: -1}
	seen := map[string]bool{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF") // byte order mark written by spreadsheets
		}
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("column %q appears twice", h)
		}
		seen[h] = true
		switch h {
		case ColumnTime:
			c.time = i
		case ColumnLatency:
			c.latency = i
		case ColumnOK:
			c.ok = i
		case ColumnStatus:
			c.status = i
		case ColumnError:
			c.errc = i
		default:
			c.labels = append(c.labels, h)
			c.labelAt = append(c.labelAt, i)
		}
	}
	var missing []string
	for _, m := range []struct {
		name string
		at   int
	}{{ColumnTime, c.time}, {ColumnLatency, c.latency}, {ColumnOK, c.ok}} {
		if m.at < 0 {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header lacks column %s", strings.Join(missing, ", "))
	}
	return c, nil
}

func (c *columns) event(record []string) (Event, error) {
	var e Event
	var err error
	if e.Time, err = parseTime(strings.TrimSpace(record[c.time])); err != nil {
		return e, fmt.Errorf("bad time %q: %w", record[c.time], err)
	}
	if e.Latency, err = parseSeconds(strings.TrimSpace(record[c.latency])); err != nil {
		return e, fmt.Errorf("bad latency %q: %w", record[c.latency], err)
	}
	if e.OK, err = strconv.ParseBool(strings.TrimSpace(record[c.ok])); err != nil {
		return e, fmt.Errorf("bad ok %q: want true or false", record[c.ok])
	}
	if c.status >= 0 {
		if s := strings.TrimSpace(record[c.status]); s != "" {
			if e.Status, err = strconv.Atoi(s); err != nil || e.Status < 0 || e.Status > 999 {
				return e, fmt.Errorf("bad status %q: want an HTTP status code or 0", record[c.status])
			}
		}
	}
	if c.errc >= 0 {
		e.Error = record[c.errc]
	}
	for i, name := range c.labels {
		v := record[c.labelAt[i]]
		if v == "" {
			continue
		}
		if e.Labels == nil {
			e.Labels = make(map[string]string, len(c.labels))
		}
		e.Labels[name] = v
	}
	return e, nil
}

// Unix seconds accepted as times: years 1970 to 9999, which RFC 3339
// can write back.
const maxUnixSeconds = 253402300799 // 9999-12-31T23:59:59Z

// parseTime reads RFC 3339 (with or without fraction, any offset) or
// Unix seconds with an optional fraction of up to 9 digits.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	if strings.ContainsAny(s, "-:T") {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("want RFC 3339 or Unix seconds")
		}
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return time.Time{}, errors.New("year out of range in UTC")
		}
		return t, nil
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasFrac && (frac == "" || !digits(frac))) {
		return time.Time{}, errors.New("want RFC 3339 or Unix seconds")
	}
	if len(frac) > 9 {
		return time.Time{}, errors.New("more than 9 fractional digits")
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > maxUnixSeconds {
		return time.Time{}, errors.New("Unix seconds out of range")
	}
	var nsec int64
	if frac != "" {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseSeconds reads a non-negative number of seconds as a Duration,
// rounded to the nanosecond.
func parseSeconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return 0, fmt.Errorf("want seconds: %w", err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, errors.New("want a finite number of seconds, not negative")
	}
	ns := math.Round(f * float64(time.Second))
	if ns >= math.MaxInt64 {
		return 0, errors.New("longer than 292 years")
	}
	return time.Duration(ns), nil
}
